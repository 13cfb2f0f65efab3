import { CfnMapping, Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { requireRegionIn } from '../config/regions';
import { SecureLogGroup } from '../constructs/secure-log-group';
import { acknowledge, acknowledgeBucketGrant, acknowledgeStreamReadGrant } from '../gates';
import { EventSchema, ZONES } from './schema';

export interface ParquetDeliveryProps {
  /** The stream Firehose reads. */
  readonly source: kinesis.IStream;
  /** The lake bucket: Parquet goes to its raw zone, failed records to its error zone. */
  readonly bucket: s3.IBucket;
  /** Encrypts the objects Firehose writes and its log group. */
  readonly encryptionKey: kms.IKey;
  /** The Glue table whose schema the conversion uses; it must exist before delivery starts. */
  readonly table: glue.S3Table;
  readonly database: glue.IDatabase;
  readonly schema: EventSchema;
  /**
   * How long Firehose buffers before writing a file (60-900 s with dynamic partitioning).
   * @default Duration.seconds(300)
   */
  readonly bufferingInterval?: Duration;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** Of the log group. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Deliver: Amazon Data Firehose reads the stream, converts JSON to Parquet against the Glue
 * table, partitions dynamically on the event date and writes the raw zone; records it cannot
 * convert or partition go to the error zone, never dropped.
 */
export class ParquetDelivery extends Construct {
  public readonly deliveryStream: firehose.DeliveryStream;
  public readonly role: iam.Role;
  public readonly logGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: ParquetDeliveryProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { bucket, schema } = props;
    const bufferingInterval = props.bufferingInterval ?? Duration.seconds(300);
    if (!bufferingInterval.isUnresolved() && (bufferingInterval.toSeconds() < 60 || bufferingInterval.toSeconds() > 900)) {
      throw new Error(`bufferingInterval must be 60-900 seconds with dynamic partitioning (got ${bufferingInterval.toSeconds()})`);
    }
    this.logGroup = new SecureLogGroup(this, 'Logs', {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Firehose: read the stream, read the Glue schema, write the lake',
    });
    const partitionKeys = schema.partition_keys.map((k) => k.name);
    const timeColumn = schema.columns.find((c) => c.role === 'time')?.name ?? 'event_time';
    // Slices of the ISO-8601 timestamp: 2026-11-25T... -> year 2026, month 11, day 25. A record
    // without one fails the query and goes to the error prefix instead of a wrong partition.
    const slices: Record<string, string> = { year: '[0:4]', month: '[5:7]', day: '[8:10]' };
    const jq = Object.fromEntries(partitionKeys.map((k) => [k, `.${timeColumn}${slices[k]}`]));
    // The Firehose L2 reads aws-cdk-lib's table of Firehose CIDR blocks for a pinned region.
    requireRegionIn(this, 'aws-cdk-lib\'s table of Firehose CIDR blocks (region-info FIREHOSE_CIDR_BLOCK)', (r) => RegionInfo.get(r).firehoseCidrBlock !== undefined);
    this.deliveryStream = new firehose.DeliveryStream(this, 'DeliveryStream', {
      source: new firehose.KinesisStreamSource(props.source),
      role: this.role,
      destination: new firehose.S3Bucket(bucket, {
        role: this.role,
        dataOutputPrefix: `${ZONES.raw}${partitionKeys.map((k) => `${k}=!{partitionKeyFromQuery:${k}}`).join('/')}/`,
        errorOutputPrefix: `${ZONES.errors}!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/`,
        // Conversion and dynamic partitioning both need at least 64 MiB.
        bufferingSize: Size.mebibytes(64),
        bufferingInterval,
        encryptionKey: props.encryptionKey,
        loggingConfig: new firehose.EnableLogging(this.logGroup),
        dynamicPartitioning: { enabled: true, retryDuration: Duration.seconds(300) },
        processors: [
          firehose.MetadataExtractionProcessor.jq16(jq),
        ],
        // Parquet compresses itself (SNAPPY below); conversion needs UNCOMPRESSED at the Firehose level.
        compression: firehose.Compression.UNCOMPRESSED,
      }),
    });
    const deliveryCfn = this.deliveryStream.node.defaultChild as firehose.CfnDeliveryStream;
    // The L2 creates the delivery log stream inside the log group, retained by default: it
    // follows the removal policy like its group.
    for (const stream of this.logGroup.node.children.filter((c): c is logs.LogStream => c instanceof logs.LogStream)) {
      stream.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    }
    // The L2 adds a region -> Firehose CIDR mapping to the stack for `connections` (Redshift/HTTP
    // destinations in a VPC). An S3 destination never uses it, and CloudFormation warns on an unused mapping.
    const cidrMapping = stack.node.children.find((c) => c instanceof CfnMapping && c.node.id.endsWith('aws-kinesisfirehose.CidrBlocks'));
    if (cidrMapping) {
      stack.node.tryRemoveChild(cidrMapping.node.id);
    }
    // Record format conversion against the Glue table, written here rather than through the L2's
    // SchemaConfiguration, which also grants glue:GetSchemaVersion on "*" (a schema-registry
    // action this conversion never uses). The role reads exactly this table.
    deliveryCfn.addPropertyOverride('ExtendedS3DestinationConfiguration.DataFormatConversionConfiguration', {
      Enabled: true,
      SchemaConfiguration: {
        CatalogId: stack.account,
        DatabaseName: props.database.databaseName,
        TableName: props.table.tableName,
        Region: stack.region,
        RoleARN: this.role.roleArn,
        VersionId: 'LATEST',
      },
      // CaseInsensitive is the default, written out: an empty OpenXJsonSerDe object is dropped from
      // the template, and the conversion then lacks its (required) input format.
      InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: { CaseInsensitive: true } } },
      OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
    });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
      resources: [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        props.database.databaseArn,
        props.table.tableArn,
      ],
    }));
    // The table must exist before Firehose starts converting against it.
    deliveryCfn.addResourceDependency(props.table.node.defaultChild as glue.CfnTable);

    acknowledgeBucketGrant(this.role, bucket, 'readWrite');
    acknowledgeStreamReadGrant(this.role);
    acknowledge(this.role, 'NIST.800.53.R5-IAMNoInlinePolicy', INLINE_POLICY);
    acknowledge(this.deliveryStream, 'AwsSolutions-KDF1',
      'The source is a Kinesis stream encrypted with the CMK; Firehose cannot add its own server-side encryption on a Kinesis source, and it writes SSE-KMS objects with the same key');
  }
}

/** Why the roles of the lake keep CDK's inline default policies. */
export const INLINE_POLICY = 'CDK grants write this role\'s policy, attached to this one role and scoped to the named resources; a managed policy would hold the same statements';
