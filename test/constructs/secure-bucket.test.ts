import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AccessLogsBucket, SecureBucket, SecureBucketProps } from '../../lib/constructs/secure-bucket';
import { SecureKey } from '../../lib/constructs/secure-key';
import { describeFindings, findingsOf, templateOf, testApp } from '../helpers/app';

function bucketIn(props: Partial<SecureBucketProps> = {}, logs: { removalPolicy?: RemovalPolicy; autoDeleteObjects?: boolean } = {}) {
  const app = testApp();
  const stack = new Stack(app, 'BucketTest');
  const key = new SecureKey(stack, 'Key', { description: 'bucket key' });
  const accessLogs = new AccessLogsBucket(stack, 'AccessLogs', logs);
  const bucket = new SecureBucket(stack, 'Data', { encryptionKey: key, serverAccessLogsBucket: accessLogs, ...props });
  return { app, stack, key, accessLogs, bucket };
}

// The default build, shared by the checks that only read its template: each gated synth runs
// cdk-nag and the Control Tower rules (~1 s), and these checks need no build of their own.
let sharedBuild: ReturnType<typeof bucketIn> | undefined;
const defaultBucket = () => (sharedBuild ??= bucketIn());

describe('SecureBucket', () => {
  it('encrypts with the customer-managed key and an S3 Bucket Key', () => {
    const { bucket, stack, key } = defaultBucket();
    templateOf(bucket).hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as never), 'Arn'] },
            },
          },
        ],
      },
    });
  });

  it('blocks public access, disables ACLs, versions objects and sends events to EventBridge', () => {
    const { bucket } = defaultBucket();
    templateOf(bucket).hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      VersioningConfiguration: { Status: 'Enabled' },
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
    });
  });

  it('denies requests without TLS 1.2', () => {
    const { bucket } = defaultBucket();
    templateOf(bucket).hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      },
    });
  });

  it('logs server access to the log bucket under its own prefix', () => {
    const { bucket, stack, accessLogs } = defaultBucket();
    templateOf(bucket).hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: {
        DestinationBucketName: { Ref: stack.getLogicalId(accessLogs.node.defaultChild as never) },
        LogFilePrefix: 'Data/',
      },
    });
  });

  it('expires non-current versions and aborts incomplete multipart uploads', () => {
    const { bucket } = bucketIn({ noncurrentVersionExpiration: Duration.days(7) });
    templateOf(bucket).hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'ExpireNoncurrentVersions',
            Status: 'Enabled',
            NoncurrentVersionExpiration: { NoncurrentDays: 7 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          }),
        ]),
      },
    });
  });

  it('is retained by default', () => {
    const { bucket } = defaultBucket();
    templateOf(bucket).hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({ VersioningConfiguration: { Status: 'Enabled' }, BucketEncryption: Match.anyValue() }),
      DeletionPolicy: 'Retain',
    });
    templateOf(bucket).resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  it('is destroyed and emptied when asked', () => {
    const { bucket } = bucketIn(
      { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true },
      { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true },
    );
    const t = templateOf(bucket);
    t.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ LoggingConfiguration: Match.anyValue() }) });
    t.hasResourceProperties('Custom::S3AutoDeleteObjects', {
      BucketName: { Ref: Stack.of(bucket).getLogicalId(bucket.node.defaultChild as never) },
    });
  });

  it('refuses autoDeleteObjects without DESTROY, naming the policy', () => {
    expect(() => bucketIn({ autoDeleteObjects: true })).toThrow(
      'BucketTest/Data: autoDeleteObjects needs removalPolicy DESTROY (got RETAIN (default))',
    );
  });

  it('refuses S3 notifications, pointing to EventBridge', () => {
    const { bucket } = bucketIn();
    expect(() => bucket.addEventNotification(s3.EventType.OBJECT_CREATED, undefined as never)).toThrow(
      'BucketTest/Data: SecureBucket sends every event to EventBridge; use an events.Rule',
    );
  });

  it('passes every gate in both removal modes', () => {
    for (const removalPolicy of [RemovalPolicy.RETAIN, RemovalPolicy.DESTROY]) {
      const autoDeleteObjects = removalPolicy === RemovalPolicy.DESTROY;
      const { app } = bucketIn({ removalPolicy, autoDeleteObjects }, { removalPolicy, autoDeleteObjects });
      expect(describeFindings(findingsOf(app))).toEqual([]);
    }
  });
});

describe('AccessLogsBucket', () => {
  it('uses SSE-S3 (log delivery cannot use SSE-KMS) and expires logs after a year', () => {
    const { accessLogs } = defaultBucket();
    templateOf(accessLogs).hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Id: 'ExpireAccessLogs', ExpirationInDays: 365 })]) },
    });
  });

  it('lets only S3 log delivery for the source bucket write to it', () => {
    const { accessLogs, bucket, stack } = defaultBucket();
    templateOf(accessLogs).hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: Match.objectLike({
              ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [stack.getLogicalId(bucket.node.defaultChild as never), 'Arn'] } },
            }),
          }),
        ]),
      },
    });
  });
});
