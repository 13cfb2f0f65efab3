/**
 * Streaming data lake: Kinesis Data Streams -> Amazon Data Firehose (JSON -> Parquet, dynamic
 * partitioning on the event date) -> S3 raw zone -> Glue Data Catalog (partition projection) ->
 * Athena; a Glue Spark job and the same script on EMR Serverless curate the raw events into
 * model-ready train/validation/test splits that the SageMaker architecture reads.
 *
 * Codifies the study notes' "Kinesis sample architecture" (Kinesis captures, S3 stores, Glue
 * catalogs, Athena queries simply, EMR for large or complex jobs, SageMaker models) and the data
 * preparation chapter (feature engineering, missing data, encoding, randomised splits).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, Aws, CfnMapping, CfnOutput, Duration, Fn, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as emrs from 'aws-cdk-lib/aws-emrserverless';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { requireRegionIn } from '../config/regions';
import { AccessLogsBucket, SecureBucket } from '../constructs/secure-bucket';
import { SecureKey } from '../constructs/secure-key';
import { SecureLogGroup } from '../constructs/secure-log-group';
import { acknowledge, acknowledgeBucketGrant, acknowledgeKeyGrant, acknowledgeResource, acknowledgeStreamReadGrant } from '../gates';
import { ArchitectureStack, ArchitectureStackProps } from './architecture';

const GLUE_DIR = path.join(__dirname, '../../glue');

/** One column of glue/curate/event_schema.json, the single definition of the event. */
export interface EventColumn {
  readonly name: string;
  readonly type: string;
  readonly role?: string;
  readonly comment?: string;
  readonly min?: number;
  readonly max?: number;
  readonly digits?: number;
  readonly categories?: string[];
}

/** glue/curate/event_schema.json, shared by this stack, the Spark transformation and the CLIs. */
export interface EventSchema {
  readonly table: string;
  readonly label: string;
  readonly columns: EventColumn[];
  readonly partition_keys: EventColumn[];
}

export function loadEventSchema(file = path.join(GLUE_DIR, 'curate/event_schema.json')): EventSchema {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as EventSchema;
}

const GLUE_TYPES: Readonly<Record<string, glue.Type>> = {
  string: glue.Schema.STRING,
  int: glue.Schema.INTEGER,
  bigint: glue.Schema.BIG_INT,
  double: glue.Schema.DOUBLE,
  timestamp: glue.Schema.TIMESTAMP,
};

/** Glue columns from the schema file: the one place column lists come from. */
export function glueColumns(columns: EventColumn[]): glue.Column[] {
  return columns.map((c) => {
    const type = GLUE_TYPES[c.type];
    if (type === undefined) {
      throw new Error(`Event schema column ${c.name} has unsupported type ${JSON.stringify(c.type)} (use one of ${Object.keys(GLUE_TYPES).join(', ')})`);
    }
    return { name: c.name, type, comment: c.comment };
  });
}

/** Zones of the lake bucket. Prefixes, not buckets: one key, one policy, one place to look. */
export const ZONES = {
  /** Firehose's Parquet output, partitioned year=/month=/day=. */
  raw: 'raw/events/',
  /** Records Firehose could not convert or partition, by error type. */
  errors: 'errors/events/',
  /** JSON-lines backfills the curation job reads besides the raw zone. */
  landingEvents: 'landing/events/',
  /** Ad-hoc CSV uploads the crawler catalogs. */
  landingCsv: 'landing/csv/',
  /** Model-ready datasets, one run= prefix per job run, each with a manifest.json. */
  curated: 'curated/events/',
  /** EMR Serverless job logs. */
  emrLogs: 'logs/emr/',
} as const;

export interface DataLakeStackProps extends ArchitectureStackProps {
  /**
   * On-demand capacity for the stream instead of one provisioned shard. On-demand bills
   * ~$29.20/month per stream even when idle, one shard ~$10.95/month.
   * @default false
   */
  readonly onDemandStream?: boolean;
  /**
   * Shards of the provisioned stream (1 MB/s or 1,000 records/s in, each).
   * @default 1
   */
  readonly shardCount?: number;
  /**
   * How long Firehose buffers before writing a file (60-900 s with dynamic partitioning).
   * @default - 60 seconds in sandbox (see data quickly), 300 in production (fewer, larger files)
   */
  readonly bufferingInterval?: Duration;
  /**
   * Schedule of the landing-CSV crawler, a Glue cron expression.
   * @default - none in sandbox (run it on demand: a schedule bills each run), daily at 03:00 UTC in production
   */
  readonly crawlerSchedule?: string;
  /**
   * Athena cancels a query in the workgroup that scans more than this (it still bills what it scanned).
   * @default Size.gibibytes(1)
   */
  readonly bytesScannedCutoff?: Size;
  /**
   * Workers of the Glue job (G.1X; 2 is the Glue minimum).
   * @default 2
   */
  readonly glueWorkers?: number;
  /**
   * Upper bound of what the EMR Serverless application may run at once.
   * @default - 8 vCPU / 32 GB in sandbox, 64 vCPU / 256 GB in production
   */
  readonly emrMaximumCapacity?: { readonly cpu: string; readonly memory: string };
}

/** The streaming data lake of the notes' Kinesis sample architecture. */
export class DataLakeStack extends ArchitectureStack {
  public readonly key: SecureKey;
  public readonly stream: kinesis.Stream;
  public readonly lakeBucket: s3.IBucket;
  /** Prefix of the curated zone in `lakeBucket` (ends with '/'). */
  public readonly curatedPrefix: string = ZONES.curated;
  /** s3:// URI of the curated zone. */
  public readonly curatedS3Uri: string;
  public readonly database: glue.Database;
  public readonly eventsTable: glue.S3Table;
  public readonly deliveryStream: firehose.DeliveryStream;
  public readonly curateJob: glue.PySparkEtlJob;
  public readonly workGroup: athena.CfnWorkGroup;
  /** Where the workgroup writes query results (under `athena/`). */
  public readonly queryResultsBucket: s3.IBucket;
  public readonly emrApplication: emrs.CfnApplication;

  constructor(scope: Construct, id: string, props: DataLakeStackProps) {
    super(scope, id, 'datalake', props);
    const { profile } = props;
    const sandbox = profile.name === 'sandbox';
    const shardCount = props.shardCount ?? 1;
    if (shardCount < 1) {
      throw new Error(`shardCount must be >= 1 (got ${shardCount})`);
    }
    const bufferingInterval = props.bufferingInterval ?? Duration.seconds(sandbox ? 60 : 300);
    if (!bufferingInterval.isUnresolved() && (bufferingInterval.toSeconds() < 60 || bufferingInterval.toSeconds() > 900)) {
      throw new Error(`bufferingInterval must be 60-900 seconds with dynamic partitioning (got ${bufferingInterval.toSeconds()})`);
    }
    const cutoff = props.bytesScannedCutoff ?? Size.gibibytes(1);
    if (cutoff.toBytes() < 10_000_000) {
      throw new Error(`bytesScannedCutoff must be at least 10 MB, the Athena minimum (got ${cutoff.toBytes()} bytes)`);
    }
    const glueWorkers = props.glueWorkers ?? 2;
    if (glueWorkers < 2) {
      throw new Error(`glueWorkers must be >= 2, the Glue minimum for G.1X (got ${glueWorkers})`);
    }
    const schema = loadEventSchema();

    this.key = new SecureKey(this, 'Key', {
      description: `Data lake key of ${this.stackName}: stream, buckets, logs, Glue, Athena results`,
      removalPolicy: profile.removalPolicy,
      pendingWindow: profile.keyPendingWindow,
    });
    const key = this.key;
    const removal = { removalPolicy: profile.removalPolicy, autoDeleteObjects: profile.autoDeleteObjects };
    const accessLogs = new AccessLogsBucket(this, 'AccessLogs', removal);
    const lake = new SecureBucket(this, 'Lake', {
      ...removal,
      encryptionKey: key,
      serverAccessLogsBucket: accessLogs,
      noncurrentVersionExpiration: profile.noncurrentVersionExpiration,
      lifecycleRules: [
        // Firehose's failed records are for diagnosis, not for keeping.
        { id: 'ExpireDeliveryErrors', prefix: ZONES.errors, expiration: Duration.days(30) },
      ],
    });
    this.lakeBucket = lake;
    this.curatedS3Uri = lake.s3UrlForObject(ZONES.curated);
    const results = new SecureBucket(this, 'QueryResults', {
      ...removal,
      encryptionKey: key,
      serverAccessLogsBucket: accessLogs,
      noncurrentVersionExpiration: Duration.days(1),
      // Athena results are caches of queries, re-runnable at will.
      lifecycleRules: [{ id: 'ExpireQueryResults', expiration: Duration.days(30) }],
    });
    this.queryResultsBucket = results;

    // ---------------------------------------------------------------- Kinesis
    this.stream = new kinesis.Stream(this, 'Stream', {
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: key,
      streamMode: props.onDemandStream ? kinesis.StreamMode.ON_DEMAND : kinesis.StreamMode.PROVISIONED,
      shardCount: props.onDemandStream ? undefined : shardCount,
      retentionPeriod: Duration.hours(24),
      removalPolicy: profile.removalPolicy,
    });

    // ---------------------------------------------------------------- Glue catalog
    this.database = new glue.Database(this, 'Catalog', {
      description: 'Data lake of the Kinesis sample architecture: raw events (Firehose) and crawled landing CSV',
    });
    // aws-cdk-lib retains a Glue database by default; in sandbox it goes with the stack.
    this.database.applyRemovalPolicy(profile.removalPolicy);
    const partitionProjection: glue.PartitionProjection = Object.fromEntries(
      schema.partition_keys.map((k) => [
        k.name,
        glue.PartitionProjectionConfiguration.integer({ min: k.min ?? 0, max: k.max ?? 0, digits: k.digits }),
      ]),
    );
    // Partition projection: Athena computes partitions from these ranges, so a new day is
    // queryable the moment Firehose writes it, with no crawler and no MSCK REPAIR TABLE.
    this.eventsTable = new glue.S3Table(this, 'EventsTable', {
      // A fixed name inside the stack's own database: the named queries, the docs and the users'
      // SQL refer to it, and the database (generated name) keeps it unique.
      tableName: schema.table,
      description: 'Session events delivered by Firehose as Parquet, partitioned by event date',
      database: this.database,
      columns: glueColumns(schema.columns),
      partitionKeys: glueColumns(schema.partition_keys),
      dataFormat: glue.DataFormat.PARQUET,
      storage: glue.S3TableStorage.fromBucket(lake),
      s3Prefix: ZONES.raw,
      partitionProjection,
    });
    const eventsCfnTable = this.eventsTable.node.defaultChild as glue.CfnTable;

    // ---------------------------------------------------------------- Firehose
    const firehoseLogGroup = new SecureLogGroup(this, 'DeliveryLogs', {
      encryptionKey: key,
      retention: profile.logRetention,
      removalPolicy: profile.removalPolicy,
    });
    const firehoseRole = new iam.Role(this, 'DeliveryRole', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
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
      source: new firehose.KinesisStreamSource(this.stream),
      role: firehoseRole,
      destination: new firehose.S3Bucket(lake, {
        role: firehoseRole,
        dataOutputPrefix: `${ZONES.raw}${partitionKeys.map((k) => `${k}=!{partitionKeyFromQuery:${k}}`).join('/')}/`,
        errorOutputPrefix: `${ZONES.errors}!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/`,
        // Conversion and dynamic partitioning both need at least 64 MiB.
        bufferingSize: Size.mebibytes(64),
        bufferingInterval,
        encryptionKey: key,
        loggingConfig: new firehose.EnableLogging(firehoseLogGroup),
        dynamicPartitioning: { enabled: true, retryDuration: Duration.seconds(300) },
        processors: [
          firehose.MetadataExtractionProcessor.jq16(jq),
        ],
        // Parquet compresses itself (SNAPPY below); conversion needs UNCOMPRESSED at the Firehose level.
        compression: firehose.Compression.UNCOMPRESSED,
      }),
    });
    const deliveryCfn = this.deliveryStream.node.defaultChild as firehose.CfnDeliveryStream;
    // The L2 creates the delivery log stream inside the log group, retained by default: in sandbox
    // it goes with the stack like its group.
    for (const stream of firehoseLogGroup.node.children.filter((c): c is logs.LogStream => c instanceof logs.LogStream)) {
      stream.applyRemovalPolicy(profile.removalPolicy);
    }
    // The L2 adds a region -> Firehose CIDR mapping for `connections` (Redshift/HTTP destinations
    // in a VPC). An S3 destination never uses it, and CloudFormation warns on an unused mapping.
    const cidrMapping = this.node.children.find((c) => c instanceof CfnMapping && c.node.id.endsWith('aws-kinesisfirehose.CidrBlocks'));
    if (cidrMapping) {
      this.node.tryRemoveChild(cidrMapping.node.id);
    }
    // Record format conversion against the Glue table, written here rather than through the L2's
    // SchemaConfiguration, which also grants glue:GetSchemaVersion on "*" (a schema-registry
    // action this conversion never uses). The role reads exactly this table.
    deliveryCfn.addPropertyOverride('ExtendedS3DestinationConfiguration.DataFormatConversionConfiguration', {
      Enabled: true,
      SchemaConfiguration: {
        CatalogId: this.account,
        DatabaseName: this.database.databaseName,
        TableName: this.eventsTable.tableName,
        Region: this.region,
        RoleARN: firehoseRole.roleArn,
        VersionId: 'LATEST',
      },
      // CaseInsensitive is the default, written out: an empty OpenXJsonSerDe object is dropped from
      // the template, and the conversion then lacks its (required) input format.
      InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: { CaseInsensitive: true } } },
      OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
    });
    firehoseRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
      resources: [
        this.formatArn({ service: 'glue', resource: 'catalog' }),
        this.database.databaseArn,
        this.eventsTable.tableArn,
      ],
    }));
    // The table must exist before Firehose starts converting against it.
    deliveryCfn.addResourceDependency(eventsCfnTable);
    acknowledgeBucketGrant(firehoseRole, lake, 'readWrite');
    acknowledgeStreamReadGrant(firehoseRole);
    acknowledge(this.deliveryStream, 'AwsSolutions-KDF1',
      'The source is a Kinesis stream encrypted with the CMK; Firehose cannot add its own server-side encryption on a Kinesis source, and it writes SSE-KMS objects with the same key');

    // ---------------------------------------------------------------- Glue ETL (curation)
    const glueSecurity = new glue.SecurityConfiguration(this, 'GlueSecurity', {
      s3Encryption: glue.S3Encryption.kms(key),
      cloudWatchEncryption: glue.CloudWatchEncryption.kms(key),
      jobBookmarksEncryption: glue.JobBookmarksEncryption.clientSideKms(key),
    });
    // Retained by default in aws-cdk-lib, under a name fixed at creation: a retained one would make
    // the next deploy fail with AlreadyExistsException.
    glueSecurity.applyRemovalPolicy(profile.removalPolicy);
    // The curate package, zipped: `curate/` at the root of the archive so `import curate` works
    // on Glue (--extra-py-files) and on EMR Serverless (spark.submit.pyFiles). An s3 asset, so no
    // deployment Lambda is needed to upload it.
    const curatePackage = new s3assets.Asset(this, 'CuratePackage', {
      path: GLUE_DIR,
      exclude: ['jobs', '**/__pycache__', '**/*.pyc'],
    });
    // Glue 5.0 writes a job's logs to /aws-glue/jobs/error and /aws-glue/jobs/output, groups the whole
    // account shares and that never expire, unless the job names a prefix of its own with
    // --custom-logGroup-prefix: then <prefix>/error and <prefix>/output ("Logging for AWS Glue jobs":
    // https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html; the 4.0-era
    // --continuous-log-logGroup is ignored by 5.0). The stack owns both groups, under a prefix
    // unique to this deployment (the stack id's UUID).
    const glueLogPrefix = Fn.join('', ['/aws-glue/jobs/', this.stackName, '-', Fn.select(2, Fn.split('/', Aws.STACK_ID))]);
    const jobLogs = (['error', 'output'] as const).map((kind) => new SecureLogGroup(this, kind === 'error' ? 'CurateJobLogs' : 'CurateJobOutputLogs', {
      encryptionKey: key,
      retention: profile.logRetention,
      removalPolicy: profile.removalPolicy,
      logGroupName: Fn.join('/', [glueLogPrefix, kind]),
    }));
    const jobRole = new iam.Role(this, 'CurateJobRole', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description: 'Glue curation job: read raw and landing events, write the curated zone',
    });
    this.grantCurationAccess(jobRole, lake, curatePackage);
    // Driver and executor streams in the two groups; with the security configuration's CloudWatch
    // encryption Glue also (re)associates the key with the group it writes to.
    for (const group of jobLogs) {
      group.grantWrite(jobRole);
    }
    jobRole.addToPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogGroup', 'logs:AssociateKmsKey'],
      resources: jobLogs.map((g) => g.logGroupArn),
    }));
    jobRole.addToPolicy(new iam.PolicyStatement({
      // cloudwatch:PutMetricData has no resource-level permissions; the namespace condition scopes it.
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': 'Glue' } },
    }));
    this.curateJob = new glue.PySparkEtlJob(this, 'CurateJob', {
      description: 'Curate raw session events into train/validation/test splits for SageMaker',
      role: jobRole,
      script: glue.Code.fromAsset(path.join(GLUE_DIR, 'jobs/curate_job.py')),
      extraPythonFiles: [glue.Code.fromBucket(curatePackage.bucket, curatePackage.s3ObjectKey)],
      glueVersion: glue.GlueVersion.V5_0,
      workerConfiguration: { workerType: glue.WorkerType.G_1X, numberOfWorkers: glueWorkers },
      maxConcurrentRuns: 1,
      maxRetries: 0,
      timeout: Duration.hours(1),
      securityConfiguration: glueSecurity,
      defaultArguments: {
        '--custom-logGroup-prefix': glueLogPrefix,
        // Each run curates the whole history: a run is a complete, reproducible training dataset
        // whose encodings and imputation means are fitted on all of it (SageMaker trains on one
        // run). Bookmarks stay available per run (--job-bookmark-option job-bookmark-enable) for
        // incremental processing; such a run holds only the new events and is not a training set.
        '--job-bookmark-option': 'job-bookmark-disable',
        '--raw_path': lake.s3UrlForObject(ZONES.raw),
        '--landing_path': lake.s3UrlForObject(ZONES.landingEvents),
        '--output_path': lake.s3UrlForObject(ZONES.curated),
        '--seed': '42',
      },
    });

    // ---------------------------------------------------------------- Glue crawler (landing CSV)
    const csvClassifier = new glue.CfnClassifier(this, 'CsvClassifier', {
      csvClassifier: {
        containsHeader: 'PRESENT',
        delimiter: ',',
        quoteSymbol: '"',
        allowSingleColumn: false,
      },
    });
    const crawlerRole = new iam.Role(this, 'CrawlerRole', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description: 'Glue crawler: read landing CSV, maintain landing_* tables in the data lake database',
    });
    lake.grantRead(crawlerRole, `${ZONES.landingCsv}*`);
    acknowledgeBucketGrant(crawlerRole, lake, 'read', `${ZONES.landingCsv}*`);
    key.grantEncryptDecrypt(crawlerRole);
    const landingTables = this.formatArn({ service: 'glue', resource: 'table', resourceName: `${this.database.databaseName}/landing_*` });
    crawlerRole.addToPolicy(new iam.PolicyStatement({
      actions: [
        'glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:CreateTable', 'glue:UpdateTable',
        'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition', 'glue:BatchCreatePartition', 'glue:UpdatePartition',
      ],
      resources: [
        this.formatArn({ service: 'glue', resource: 'catalog' }),
        this.database.databaseArn,
        landingTables,
      ],
    }));
    const crawlerLogs = this.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws-glue/crawlers*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    crawlerRole.addToPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
      resources: [crawlerLogs],
    }));
    const crawlerSchedule = props.crawlerSchedule ?? (sandbox ? undefined : 'cron(0 3 * * ? *)');
    const crawler = new glue.CfnCrawler(this, 'LandingCrawler', {
      description: 'Catalogs ad-hoc CSV uploaded under landing/csv/ as landing_* tables',
      role: crawlerRole.roleArn,
      databaseName: this.database.databaseName,
      tablePrefix: 'landing_',
      classifiers: [csvClassifier.ref],
      crawlerSecurityConfiguration: glueSecurity.securityConfigurationName,
      targets: { s3Targets: [{ path: lake.s3UrlForObject(ZONES.landingCsv) }] },
      schemaChangePolicy: { updateBehavior: 'UPDATE_IN_DATABASE', deleteBehavior: 'LOG' },
      recrawlPolicy: { recrawlBehavior: 'CRAWL_EVERYTHING' },
      schedule: crawlerSchedule ? { scheduleExpression: crawlerSchedule } : undefined,
    });

    // ---------------------------------------------------------------- EMR Serverless
    const emrLogs = new SecureLogGroup(this, 'EmrLogs', {
      encryptionKey: key,
      retention: profile.logRetention,
      removalPolicy: profile.removalPolicy,
    });
    const capacity = props.emrMaximumCapacity ?? (sandbox ? { cpu: '8 vCPU', memory: '32 GB' } : { cpu: '64 vCPU', memory: '256 GB' });
    // No initial capacity: nothing runs (or bills) until a job is submitted; auto-start on
    // submit, auto-stop after 5 idle minutes; the maximum caps what a runaway job can cost.
    this.emrApplication = new emrs.CfnApplication(this, 'SparkApplication', {
      releaseLabel: 'emr-7.5.0',
      type: 'SPARK',
      architecture: 'ARM64',
      autoStartConfiguration: { enabled: true },
      autoStopConfiguration: { enabled: true, idleTimeoutMinutes: 5 },
      maximumCapacity: { cpu: capacity.cpu, memory: capacity.memory },
      monitoringConfiguration: {
        cloudWatchLoggingConfiguration: {
          enabled: true,
          logGroupName: emrLogs.logGroupName,
          encryptionKeyArn: key.keyArn,
        },
        s3MonitoringConfiguration: { logUri: lake.s3UrlForObject(ZONES.emrLogs), encryptionKeyArn: key.keyArn },
      },
    });
    const emrEntry = new s3assets.Asset(this, 'EmrScript', { path: path.join(GLUE_DIR, 'jobs/curate_emr.py') });
    const emrJobRole = new iam.Role(this, 'EmrJobRole', {
      assumedBy: new iam.ServicePrincipal('emr-serverless.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnLike: { 'aws:SourceArn': this.emrApplication.attrArn },
        },
      }),
      description: 'EMR Serverless job runtime role: the curation over the whole history',
    });
    this.grantCurationAccess(emrJobRole, lake, curatePackage);
    emrEntry.grantRead(emrJobRole);
    lake.grantReadWrite(emrJobRole, `${ZONES.emrLogs}*`);
    acknowledgeBucketGrant(emrJobRole, lake, 'readWrite', `${ZONES.emrLogs}*`);
    emrLogs.grantWrite(emrJobRole);
    emrJobRole.addToPolicy(new iam.PolicyStatement({
      actions: ['logs:DescribeLogStreams'],
      resources: [emrLogs.logGroupArn],
    }));
    // EMR Serverless looks the log group up before writing to it. logs:DescribeLogGroups takes no
    // resource type (Service Authorization Reference, CloudWatch Logs): on one log group's ARN it
    // authorizes nothing, so it is granted on the account-wide ARN the EMR Serverless guide uses
    // ("Logging for EMR Serverless with Amazon CloudWatch":
    // https://docs.aws.amazon.com/emr/latest/EMR-Serverless-UserGuide/logging.html).
    const accountLogGroups = this.formatArn({ service: 'logs', resource: '*' });
    emrJobRole.addToPolicy(new iam.PolicyStatement({ actions: ['logs:DescribeLogGroups'], resources: [accountLogGroups] }));
    acknowledgeResource(emrJobRole, accountLogGroups,
      'logs:DescribeLogGroups (a list action, read-only) has no resource-level permissions; the account-wide logs ARN of this region is the narrowest it accepts');

    // ---------------------------------------------------------------- Athena
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      // Athena requires a name; the stack name keeps two deployments apart.
      name: `${this.stackName}-datalake`,
      description: 'Queries over the data lake: results encrypted with the CMK, scan cutoff enforced',
      state: 'ENABLED',
      // A workgroup that has run queries cannot be deleted without this.
      recursiveDeleteOption: profile.removalPolicy === RemovalPolicy.DESTROY,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: cutoff.toBytes(),
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: results.s3UrlForObject('athena/'),
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: key.keyArn },
        },
      },
    });
    this.workGroup.applyRemovalPolicy(profile.removalPolicy);
    const table = `"${this.database.databaseName}"."${schema.table}"`;
    const namedQueries: Record<string, { description: string; sql: string }> = {
      OneDayQuery: {
        description: 'Partition pruning: reads only one day of Parquet (compare bytes scanned with the whole-table query)',
        sql: `SELECT device, count(*) AS sessions, avg(cart_value) AS avg_cart, avg(purchased) AS conversion\nFROM ${table}\nWHERE year = '2026' AND month = '11' AND day = '25'\nGROUP BY device\nORDER BY sessions DESC;`,
      },
      DateRangeQuery: {
        description: 'Partition pruning over a range of days: projection computes the partitions, no crawler needed',
        sql: `SELECT year, month, day, channel, count(*) AS sessions\nFROM ${table}\nWHERE year = '2026' AND month = '11' AND day BETWEEN '20' AND '26'\nGROUP BY year, month, day, channel\nORDER BY year, month, day, channel;`,
      },
      WholeTableQuery: {
        description: 'No partition filter: scans every file, the baseline for the pruned queries',
        sql: `SELECT count(*) AS sessions, sum(purchased) AS orders\nFROM ${table};`,
      },
    };
    const queries = new Construct(this, 'NamedQueries');
    for (const [queryId, q] of Object.entries(namedQueries)) {
      const named = new athena.CfnNamedQuery(queries, queryId, {
        database: this.database.databaseName,
        workGroup: this.workGroup.ref,
        description: q.description,
        queryString: q.sql,
      });
      named.addResourceDependency(this.workGroup);
    }

    // ---------------------------------------------------------------- Outputs
    const outputs: Record<string, [string, string]> = {
      StreamName: [this.stream.streamName, 'Kinesis stream the producer CLI writes to'],
      DeliveryStreamName: [this.deliveryStream.deliveryStreamName, 'Firehose stream: Kinesis -> Parquet in the raw zone'],
      LakeBucketName: [lake.bucketName, 'Data lake bucket (raw/, errors/, landing/, curated/)'],
      CuratedS3Uri: [this.curatedS3Uri, 'Curated zone: run=<id>/csv|parquet/<split>/ and manifest.json'],
      LandingCsvS3Uri: [lake.s3UrlForObject(ZONES.landingCsv), 'Upload CSV here, then start the crawler'],
      DatabaseName: [this.database.databaseName, 'Glue database'],
      EventsTableName: [schema.table, 'Glue table of the raw events (partition projection)'],
      WorkGroupName: [this.workGroup.ref, 'Athena workgroup the query CLI uses'],
      CurateJobName: [this.curateJob.jobName, 'Glue ETL job'],
      CrawlerName: [crawler.ref, 'Glue crawler over landing/csv/'],
      EmrApplicationId: [this.emrApplication.attrApplicationId, 'EMR Serverless Spark application'],
      EmrJobRoleArn: [emrJobRole.roleArn, 'Execution role for EMR Serverless job runs'],
      EmrEntryPoint: [emrEntry.s3ObjectUrl, 'EMR Serverless entry point script'],
      CuratePackageS3Uri: [curatePackage.s3ObjectUrl, 'The curate package zip (spark.submit.pyFiles)'],
      RawS3Uri: [lake.s3UrlForObject(ZONES.raw), 'Raw zone (Firehose Parquet)'],
      LandingEventsS3Uri: [lake.s3UrlForObject(ZONES.landingEvents), 'JSON-lines backfills the curation reads'],
    };
    for (const [outputId, [value, description]] of Object.entries(outputs)) {
      new CfnOutput(this, outputId, { value, description });
    }

    // ---------------------------------------------------------------- Acknowledgements
    acknowledge(this.stream, 'AwsSolutions-KDS3',
      'Encrypted with the stack CMK on purpose (rotation, key policy, one key for the whole flow) instead of the AWS managed aws/kinesis key');
    const inline = 'CDK grants write this role\'s policy, attached to this one role and scoped to the named resources; a managed policy would hold the same statements';
    for (const role of [firehoseRole, jobRole, crawlerRole, emrJobRole]) {
      acknowledge(role, 'NIST.800.53.R5-IAMNoInlinePolicy', inline);
    }
    for (const role of [jobRole, emrJobRole]) {
      // The bootstrap asset bucket's objects, as the asset grants wrote them.
      acknowledgeResource(role, curatePackage.bucket.arnForObjects('*'),
        'Read of the CDK bootstrap asset bucket, where the Spark scripts are uploaded; object keys are content hashes only known at publish time (s3:GetObject*, s3:List* only)');
    }
    acknowledge(jobRole, 'AwsSolutions-IAM5[Resource::*]',
      'cloudwatch:PutMetricData has no resource-level permissions; the statement is limited to the Glue namespace by condition');
    acknowledgeResource(crawlerRole, crawlerLogs,
      'Crawlers log to /aws-glue/crawlers (suffixed with the security configuration when logs are encrypted); the role may write only there');
    acknowledgeResource(crawlerRole, landingTables,
      'The crawler creates a table per uploaded CSV folder; it may only create and update tables named landing_* in this database');
    acknowledgeKeyGrant(crawlerRole, 'The crawler encrypts its logs with the stack key through the security configuration');
  }

  /**
   * Let a principal read the curated zone (e.g. a SageMaker training role): objects under
   * `curatedPrefix` and decryption with the lake key.
   */
  public grantReadCurated(grantee: iam.IGrantable): iam.Grant {
    return this.lakeBucket.grantRead(grantee, `${this.curatedPrefix}*`);
  }

  /**
   * The XGBoost CSV splits (`train/`, `validation/`, `test/`) one curation run wrote, in the shape
   * the SageMaker platform's `trainingData` prop takes. `runId` is the Glue JOB_RUN_ID or the EMR
   * Serverless job run id named in the run's manifest.
   */
  public curatedCsvDataset(runId: string): { readonly bucket: s3.IBucket; readonly prefix: string } {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(runId)) {
      throw new Error(`Curation run id must be 1-128 characters of [A-Za-z0-9_-] (got ${JSON.stringify(runId)})`);
    }
    return { bucket: this.lakeBucket, prefix: `${this.curatedPrefix}run=${runId}/csv/` };
  }

  /** What both curation engines need: read the inputs and the code, write the curated zone. */
  private grantCurationAccess(role: iam.Role, lake: s3.IBucket, code: s3assets.Asset): void {
    lake.grantRead(role, `${ZONES.raw}*`);
    lake.grantRead(role, `${ZONES.landingEvents}*`);
    lake.grantReadWrite(role, `${ZONES.curated}*`);
    code.grantRead(role);
    this.key.grantEncryptDecrypt(role);
    acknowledgeBucketGrant(role, lake, 'read', `${ZONES.raw}*`);
    acknowledgeBucketGrant(role, lake, 'read', `${ZONES.landingEvents}*`);
    acknowledgeBucketGrant(role, lake, 'readWrite', `${ZONES.curated}*`);
  }
}
