import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from '../gates';

interface RemovalProps {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Empty the bucket when the stack is deleted. Only allowed with RemovalPolicy.DESTROY.
   * @default false
   */
  readonly autoDeleteObjects?: boolean;
}

export interface AccessLogsBucketProps extends RemovalProps {
  /** @default Duration.days(365) */
  readonly expiration?: Duration;
}

/**
 * The target of S3 server access logs. S3 log delivery cannot write to a bucket whose default
 * encryption is SSE-KMS, so this is the one bucket on SSE-S3, and it does not log itself (that
 * would loop); both are acknowledged on this construct only.
 */
export class AccessLogsBucket extends s3.Bucket {
  constructor(scope: Construct, id: string, props: AccessLogsBucketProps = {}) {
    checkRemoval(scope, id, props);
    super(scope, id, {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        {
          id: 'ExpireAccessLogs',
          expiration: props.expiration ?? Duration.days(365),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      autoDeleteObjects: props.autoDeleteObjects ?? false,
    });
    const sseS3 = 'S3 server access log delivery does not support SSE-KMS default encryption on the target bucket';
    const noLoop = 'This is the server access log target; logging it to itself would loop';
    acknowledge(this, 'AwsSolutions-S1', noLoop);
    acknowledge(this, 'NIST.800.53.R5-S3BucketLoggingEnabled', noLoop);
    acknowledge(this, 'guard:s3_bucket_logging_enabled_check', noLoop);
    acknowledge(this, 'NIST.800.53.R5-S3DefaultEncryptionKMS', sseS3);
    acknowledge(this, 'guard:s3_bucket_default_encryption_kms_check', sseS3);
    acknowledgeReplication(this);
    sendEventsToEventBridge(this);
    acknowledgeAutoDeleteProvider(this);
  }
}

export interface SecureBucketProps extends RemovalProps {
  /** Customer-managed key for default encryption (SSE-KMS with an S3 Bucket Key). */
  readonly encryptionKey: kms.IKey;
  /** Where server access logs go: one AccessLogsBucket per stack serves all its buckets. */
  readonly serverAccessLogsBucket: s3.IBucket;
  /** @default - the construct id followed by '/', so several buckets can share one log bucket */
  readonly serverAccessLogsPrefix?: string;
  /** @default Duration.days(90) */
  readonly noncurrentVersionExpiration?: Duration;
  /** Extra lifecycle rules, e.g. expiring a scratch prefix. @default - none */
  readonly lifecycleRules?: s3.LifecycleRule[];
  /** @default - none */
  readonly cors?: s3.CorsRule[];
}

/**
 * An encrypted data bucket: customer-managed KMS key, TLS-only bucket policy, all public access
 * blocked, ACLs disabled, versioning, server access logs, EventBridge notifications on, lifecycle
 * that expires non-current versions and aborts incomplete multipart uploads.
 */
export class SecureBucket extends s3.Bucket {
  /** The bucket that receives this bucket's server access logs. */
  public readonly accessLogsBucket: s3.IBucket;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    checkRemoval(scope, id, props);
    super(scope, id, {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: props.serverAccessLogsPrefix ?? `${id}/`,
      cors: props.cors,
      lifecycleRules: [
        {
          id: 'ExpireNoncurrentVersions',
          noncurrentVersionExpiration: props.noncurrentVersionExpiration ?? Duration.days(90),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        ...(props.lifecycleRules ?? []),
      ],
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      autoDeleteObjects: props.autoDeleteObjects ?? false,
    });
    this.accessLogsBucket = props.serverAccessLogsBucket;
    acknowledgeReplication(this);
    sendEventsToEventBridge(this);
    acknowledgeAutoDeleteProvider(this);
  }

  /**
   * Not supported: CDK would add a custom-resource Lambda that replaces the bucket's notification
   * configuration (and with it the EventBridge setting). Every object event already reaches
   * EventBridge: match it with an `events.Rule` instead.
   */
  public override addEventNotification(
    _event: s3.EventType,
    _destination: s3.IBucketNotificationDestination,
    ..._filters: s3.NotificationKeyFilter[]
  ): void {
    throw new Error(`${this.node.path}: SecureBucket sends every event to EventBridge; use an events.Rule on "Object Created" instead of addEventNotification`);
  }
}

function checkRemoval(scope: Construct, id: string, props: RemovalProps): void {
  if (props.autoDeleteObjects && props.removalPolicy !== RemovalPolicy.DESTROY) {
    throw new Error(
      `${scope.node.path}/${id}: autoDeleteObjects needs removalPolicy DESTROY (got ${props.removalPolicy ?? 'RETAIN (default)'})`,
    );
  }
}

/**
 * Object events go to EventBridge, set on the CloudFormation resource itself (no custom-resource
 * Lambda). Control Tower CT.S3.PR.4 wants notifications on; the events are free until a rule uses them.
 */
function sendEventsToEventBridge(bucket: s3.Bucket): void {
  (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
    eventBridgeConfiguration: { eventBridgeEnabled: true },
  };
}

/** CDK's singleton provider that empties buckets on delete: created by aws-cdk-lib, not ours to shape. */
function acknowledgeAutoDeleteProvider(bucket: s3.Bucket): void {
  const provider = Stack.of(bucket).node.tryFindChild('Custom::S3AutoDeleteObjectsCustomResourceProvider');
  if (provider === undefined || provider.node.metadata.some((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)) {
    return;
  }
  acknowledge(provider, 'guard:lambda_inside_vpc_check',
    'aws-cdk-lib singleton that empties sandbox buckets on stack delete; it calls only the S3 API and runs only during deploy/destroy');
}

function acknowledgeReplication(bucket: s3.Bucket): void {
  acknowledge(
    bucket,
    'NIST.800.53.R5-S3BucketReplicationEnabled',
    'Cross-region replication doubles storage cost; versioning plus RETAIN in production protect the data of a reference architecture',
  );
}
