/**
 * Streaming data lake: Kinesis Data Streams -> Amazon Data Firehose (JSON -> Parquet, dynamic
 * partitioning on the event date) -> S3 raw zone -> Glue Data Catalog (partition projection) ->
 * Athena; a Glue Spark job and the same script on EMR Serverless curate the raw events into
 * model-ready train/validation/test splits that the SageMaker architecture reads; opt-in
 * (`-c datalake.realtime=true`), a Managed Service for Apache Flink application runs Flink SQL on
 * the stream (per-minute metrics, a leaderboard, an anomaly flag) into the lake.
 *
 * Codifies the study notes' "Kinesis sample architecture" (Kinesis captures, S3 stores, Glue
 * catalogs, Athena queries simply, EMR for large or complex jobs, SageMaker models), their Kinesis
 * Data Analytics ("analyse data on the fly using SQL", now Managed Service for Apache Flink) and
 * the data preparation chapter (feature engineering, missing data, encoding, randomised splits).
 */
import { CfnOutput, Duration, Size } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as emrs from 'aws-cdk-lib/aws-emrserverless';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { keepLogicalId } from '../constructs/logical-id';
import { Curation } from '../datalake/curation';
import { EventCatalog } from '../datalake/event-catalog';
import { EventStream } from '../datalake/event-stream';
import { LandingCrawler } from '../datalake/landing-crawler';
import { ParquetDelivery } from '../datalake/parquet-delivery';
import { QueryWorkgroup } from '../datalake/query-workgroup';
import { RealtimeAnalytics } from '../datalake/realtime-analytics';
import { loadEventSchema, ZONES } from '../datalake/schema';
import { ArchitectureStack, ArchitectureStackProps } from './architecture';

export type { EventColumn, EventSchema } from '../datalake/schema';
export { glueColumns, loadEventSchema, ZONES } from '../datalake/schema';

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
   * @default - the profile's deliveryBufferInterval (60 s in sandbox, 300 s in production)
   */
  readonly bufferingInterval?: Duration;
  /**
   * Schedule of the landing-CSV crawler, a Glue cron expression.
   * @default - the profile's crawlerSchedule (none in sandbox: a schedule bills each run; daily at 03:00 UTC in production)
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
   * @default - the profile's sparkMaximumCapacity (8 vCPU / 32 GB in sandbox, 64 vCPU / 256 GB in production)
   */
  readonly emrMaximumCapacity?: { readonly cpu: string; readonly memory: string };
  /**
   * The real-time analytics application (Managed Service for Apache Flink). It bills per KPU-hour
   * while running; synthesizing it fetches the Kinesis connector JAR with Maven.
   * @default false
   */
  readonly realtime?: boolean;
}

/** The streaming data lake of the notes' Kinesis sample architecture. */
export class DataLakeStack extends ArchitectureStack {
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
  /** Set when `realtime` is on. */
  public readonly realtime?: RealtimeAnalytics;

  constructor(scope: Construct, id: string, props: DataLakeStackProps) {
    super(scope, id, 'datalake', props, { protects: 'stream, buckets, logs, Glue, Athena results' });
    const { profile } = props;
    const schema = loadEventSchema();
    const { key, lifecycle } = this;

    // Storage: the lake bucket (zones are prefixes) and the Athena results bucket.
    const lake = this.dataBucket('Lake', {
      lifecycleRules: [
        // Firehose's failed records are for diagnosis, not for keeping.
        { id: 'ExpireDeliveryErrors', prefix: ZONES.errors, expiration: Duration.days(30) },
      ],
    });
    this.lakeBucket = lake;
    this.curatedS3Uri = lake.s3UrlForObject(ZONES.curated);
    const results = this.dataBucket('QueryResults', {
      noncurrentVersionExpiration: Duration.days(1),
      // Athena results are caches of queries, re-runnable at will.
      lifecycleRules: [{ id: 'ExpireQueryResults', expiration: Duration.days(30) }],
    });
    this.queryResultsBucket = results;
    // KMS for S3, CloudWatch logs and bookmarks of everything Glue runs: the job and the crawler.
    const glueSecurity = new glue.SecurityConfiguration(this, 'GlueSecurity', {
      s3Encryption: glue.S3Encryption.kms(key),
      cloudWatchEncryption: glue.CloudWatchEncryption.kms(key),
      jobBookmarksEncryption: glue.JobBookmarksEncryption.clientSideKms(key),
    });
    // Retained by default in aws-cdk-lib, under a name fixed at creation: a retained one would make
    // the next deploy fail with AlreadyExistsException.
    glueSecurity.applyRemovalPolicy(profile.removalPolicy);

    // The diagram, left to right: ingest -> catalog + Parquet delivery -> curation, crawler, queries.
    const ingest = new EventStream(this, 'Ingest', {
      encryptionKey: key,
      onDemand: props.onDemandStream,
      shardCount: props.shardCount,
      removalPolicy: profile.removalPolicy,
    });
    this.stream = ingest.stream;
    const catalog = new EventCatalog(this, 'Catalog', { bucket: lake, schema, removalPolicy: profile.removalPolicy });
    this.database = catalog.database;
    this.eventsTable = catalog.eventsTable;
    const delivery = new ParquetDelivery(this, 'Delivery', {
      ...lifecycle,
      source: ingest.stream,
      bucket: lake,
      encryptionKey: key,
      table: catalog.eventsTable,
      database: catalog.database,
      schema,
      bufferingInterval: props.bufferingInterval ?? profile.deliveryBufferInterval,
    });
    this.deliveryStream = delivery.deliveryStream;
    const curation = new Curation(this, 'Curation', {
      ...lifecycle,
      bucket: lake,
      encryptionKey: key,
      securityConfiguration: glueSecurity,
      glueWorkers: props.glueWorkers,
      emrMaximumCapacity: props.emrMaximumCapacity ?? profile.sparkMaximumCapacity,
    });
    this.curateJob = curation.job;
    this.emrApplication = curation.emrApplication;
    const landing = new LandingCrawler(this, 'Landing', {
      bucket: lake,
      encryptionKey: key,
      database: catalog.database,
      securityConfiguration: glueSecurity,
      schedule: props.crawlerSchedule ?? profile.crawlerSchedule,
    });
    const query = new QueryWorkgroup(this, 'Query', {
      resultsBucket: results,
      encryptionKey: key,
      database: catalog.database,
      eventsTable: schema.table,
      bytesScannedCutoff: props.bytesScannedCutoff,
      removalPolicy: profile.removalPolicy,
    });
    this.workGroup = query.workGroup;
    if (props.realtime) {
      this.realtime = new RealtimeAnalytics(this, 'Realtime', {
        ...lifecycle,
        stream: ingest.stream,
        bucket: lake,
        encryptionKey: key,
        database: catalog.database,
        parallelism: 1,
        autoScaling: profile.realtimeAutoScaling,
      });
    }

    // Resources that hold data or state keep the logical ids they had before the stack was split
    // into constructs: a new id would make CloudFormation replace them (an empty stream, table or
    // log group in place of the full one, a Glue job without its bookmarks).
    keepLogicalId(ingest.stream, 'Stream');
    keepLogicalId(catalog.database, 'Catalog');
    keepLogicalId(catalog.eventsTable, 'EventsTable');
    keepLogicalId(delivery.deliveryStream, 'DeliveryStream');
    // Its source configuration names the role, and Firehose replaces a delivery stream whose
    // source configuration changes: the role keeps its id so the stream is updated, not replaced.
    keepLogicalId(delivery.role, 'DeliveryRole');
    keepLogicalId(delivery.logGroup, 'DeliveryLogs');
    keepLogicalId(delivery.logGroup.node.findChild('S3Destination'), 'DeliveryLogs/S3Destination');
    keepLogicalId(curation.job, 'CurateJob');
    keepLogicalId(curation.jobLogs, 'CurateJobLogs');
    keepLogicalId(curation.jobOutputLogs, 'CurateJobOutputLogs');
    keepLogicalId(curation.emrLogs, 'EmrLogs');
    keepLogicalId(curation.emrApplication, 'SparkApplication');
    keepLogicalId(landing.crawler, 'LandingCrawler');
    keepLogicalId(query.workGroup, 'WorkGroup');

    const outputs: Record<string, [string, string]> = {
      StreamName: [ingest.stream.streamName, 'Kinesis stream the producer CLI writes to'],
      DeliveryStreamName: [delivery.deliveryStream.deliveryStreamName, 'Firehose stream: Kinesis -> Parquet in the raw zone'],
      LakeBucketName: [lake.bucketName, 'Data lake bucket (raw/, errors/, landing/, curated/)'],
      CuratedS3Uri: [this.curatedS3Uri, 'Curated zone: run=<id>/csv|parquet/<split>/ and manifest.json'],
      LandingCsvS3Uri: [lake.s3UrlForObject(ZONES.landingCsv), 'Upload CSV here, then start the crawler'],
      DatabaseName: [catalog.database.databaseName, 'Glue database'],
      EventsTableName: [schema.table, 'Glue table of the raw events (partition projection)'],
      WorkGroupName: [query.workGroup.ref, 'Athena workgroup the query CLI uses'],
      CurateJobName: [curation.job.jobName, 'Glue ETL job'],
      CrawlerName: [landing.crawler.ref, 'Glue crawler over landing/csv/'],
      EmrApplicationId: [curation.emrApplication.attrApplicationId, 'EMR Serverless Spark application'],
      EmrJobRoleArn: [curation.emrJobRole.roleArn, 'Execution role for EMR Serverless job runs'],
      EmrEntryPoint: [curation.emrEntryPoint.s3ObjectUrl, 'EMR Serverless entry point script'],
      CuratePackageS3Uri: [curation.curatePackage.s3ObjectUrl, 'The curate package zip (spark.submit.pyFiles)'],
      RawS3Uri: [lake.s3UrlForObject(ZONES.raw), 'Raw zone (Firehose Parquet)'],
      LandingEventsS3Uri: [lake.s3UrlForObject(ZONES.landingEvents), 'JSON-lines backfills the curation reads'],
    };
    if (this.realtime) {
      outputs.RealtimeApplicationName = [this.realtime.application.ref, 'Managed Service for Apache Flink application (start it to see results)'];
      outputs.RealtimeResultsS3Uri = [this.realtime.resultsS3Uri, 'Results of the real-time SQL, one folder per table'];
      outputs.LeaderboardTableName = [this.realtime.tables.country_leaderboard.tableName, 'Glue table of the leaderboard'];
    }
    for (const [outputId, [value, description]] of Object.entries(outputs)) {
      new CfnOutput(this, outputId, { value, description });
    }
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
}
