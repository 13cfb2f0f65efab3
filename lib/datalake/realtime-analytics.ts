import { ArnFormat, AssetHashType, DockerImage, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kda from 'aws-cdk-lib/aws-kinesisanalyticsv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { SecureLogGroup } from '../constructs/secure-log-group';
import { acknowledge, acknowledgeBucketGrant, acknowledgeResource, acknowledgeStreamReadGrant } from '../gates';
import { INLINE_POLICY } from './parquet-delivery';
import { connectorJar, ConnectorJarOptions, FLINK_REALTIME_DIR, jarName, loadConnectorPin, MavenArtifact, stageApplication } from './realtime-package';
import { glueColumnsOf, sinkTables } from './realtime-sql';
import { ZONES } from './schema';

/**
 * The Flink runtime of Managed Service for Apache Flink the application runs on. It must match the
 * PyFlink the tests run the SQL on (requirements-flink.txt: apache-flink 2.2.x) and the connector
 * pinned in flink/realtime/connector.json (flink-connector-aws 6.x, the Flink 2.x line). Supported
 * runtimes: https://docs.aws.amazon.com/managed-flink/latest/java/flink-2-2.html
 */
export const FLINK_RUNTIME = 'FLINK-2_2';

export interface RealtimeAnalyticsProps {
  /** The stream of session events the application reads. */
  readonly stream: kinesis.IStream;
  /** The lake bucket: results go under its realtime/ zone. */
  readonly bucket: s3.IBucket;
  readonly encryptionKey: kms.IKey;
  /** The lake's database, where a Glue table per result table is made for Athena. */
  readonly database: glue.IDatabase;
  /**
   * Parallel tasks (one KPU runs one here): 1 fits one shard of a few hundred events a second.
   * @default 1
   */
  readonly parallelism?: number;
  /**
   * Let the service add KPUs when the application falls behind (each bills by the hour).
   * @default false
   */
  readonly autoScaling?: boolean;
  /**
   * How often state is checkpointed, which is also how often result files are finished and
   * become visible in S3.
   * @default Duration.minutes(1)
   */
  readonly checkpointInterval?: Duration;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** Of the application (its snapshots) and the log group. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The connector JAR packaged with the application, and where it is cached and fetched from.
   * @default - the pin in flink/realtime/connector.json, fetched by Maven into node_modules/.cache/flink-connectors
   */
  readonly connector?: ConnectorJarOptions & { readonly artifact?: MavenArtifact };
}

/**
 * Real-time analytics: a Managed Service for Apache Flink application that runs
 * flink/realtime/analytics.sql on the event stream and writes its results (per-minute metrics, a
 * country leaderboard, conversion anomalies, the events no window counted) as JSON into the lake,
 * each with a Glue table Athena queries. The notes' "Kinesis Data Analytics", whose SQL
 * applications are discontinued: its successor runs Flink SQL.
 *
 * CloudFormation creates the application READY, not running: it bills nothing until started
 * (docs/datalake.md, `aws kinesisanalyticsv2 start-application`), and deleting the stack deletes it
 * whether it runs or not.
 */
export class RealtimeAnalytics extends Construct {
  public readonly application: kda.CfnApplication;
  public readonly role: iam.Role;
  public readonly logGroup: logs.ILogGroup;
  /** The Glue tables of the results, by result table name (`country_leaderboard`, ...). */
  public readonly tables: Readonly<Record<string, glue.S3Table>>;
  /** s3:// URI under which each result table has its folder. */
  public readonly resultsS3Uri: string;

  constructor(scope: Construct, id: string, props: RealtimeAnalyticsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const parallelism = props.parallelism ?? 1;
    if (parallelism < 1) {
      throw new Error(`parallelism must be >= 1 (got ${parallelism})`);
    }
    const checkpointInterval = props.checkpointInterval ?? Duration.minutes(1);
    if (!checkpointInterval.isUnresolved() && checkpointInterval.toSeconds() < 10) {
      throw new Error(`checkpointInterval must be at least 10 seconds (got ${checkpointInterval.toSeconds()})`);
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const { bucket } = props;
    this.resultsS3Uri = bucket.s3UrlForObject(ZONES.realtime);

    // The application zip: main.py, job.py and analytics.sql, and the pinned connector JAR under
    // lib/, put together when CDK bundles this stack (see realtime-package.ts).
    const pin = props.connector?.artifact ?? loadConnectorPin();
    const connector = props.connector;
    const code = new s3assets.Asset(this, 'Code', {
      path: FLINK_REALTIME_DIR,
      exclude: ['**/__pycache__', '**/*.pyc'],
      assetHashType: AssetHashType.SOURCE,
      bundling: {
        // Never pulled: local bundling always succeeds or throws. Required by the BundlingOptions type.
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/python:3.12'),
        command: ['stage', jarName(pin)],
        local: {
          tryBundle(outputDir: string): boolean {
            stageApplication(outputDir, connectorJar(pin, connector), pin);
            return true;
          },
        },
      },
    });

    this.logGroup = new SecureLogGroup(this, 'Logs', {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention,
      removalPolicy,
    });
    const logStream = new logs.LogStream(this, 'LogStream', { logGroup: this.logGroup, removalPolicy });
    const logStreamArn = stack.formatArn({
      service: 'logs', resource: 'log-group', arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      resourceName: `${this.logGroup.logGroupName}:log-stream:${logStream.logStreamName}`,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('kinesisanalytics.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Managed Service for Apache Flink: read the event stream, write realtime/ in the lake, log',
    });
    props.stream.grantRead(this.role);
    acknowledgeStreamReadGrant(this.role);
    // The filesystem sink writes, lists and (for multipart uploads it abandons) deletes under realtime/.
    bucket.grantReadWrite(this.role, `${ZONES.realtime}*`);
    acknowledgeBucketGrant(this.role, bucket, 'readWrite', `${ZONES.realtime}*`);
    code.grantRead(this.role);
    acknowledgeResource(this.role, code.bucket.arnForObjects('*'),
      'Read of the CDK bootstrap asset bucket, where the application zip is uploaded; object keys are content hashes only known at publish time (s3:GetObject*, s3:List* only)');
    // What the service needs to deliver the application's logs ("Set up application logging",
    // https://docs.aws.amazon.com/managed-flink/latest/java/cloudwatch-logs.html): find the group
    // and the stream, put events into the stream.
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:DescribeLogStreams'], resources: [this.logGroup.logGroupArn] }));
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:PutLogEvents'], resources: [logStreamArn] }));
    // logs:DescribeLogGroups takes no resource type (Service Authorization Reference, CloudWatch
    // Logs): on one group's ARN it authorizes nothing, so it goes on the account-wide ARN.
    const accountLogGroups = stack.formatArn({ service: 'logs', resource: '*' });
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:DescribeLogGroups'], resources: [accountLogGroups] }));
    acknowledgeResource(this.role, accountLogGroups,
      'logs:DescribeLogGroups (a list action, read-only) has no resource-level permissions; the account-wide logs ARN of this region is the narrowest it accepts');
    acknowledge(this.role, 'NIST.800.53.R5-IAMNoInlinePolicy', INLINE_POLICY);

    const tables: Record<string, glue.S3Table> = {};
    const tablesScope = new Construct(this, 'Tables');
    for (const t of sinkTables()) {
      tables[t.name] = new glue.S3Table(tablesScope, t.name, {
        // Fixed names inside the stack's own database: the docs and the leaderboard CLI query them.
        tableName: `realtime_${t.name}`,
        description: `Real-time analytics (Managed Service for Apache Flink): ${t.name}, JSON, one dt= partition per day`,
        database: props.database,
        columns: glueColumnsOf(t, 'data'),
        partitionKeys: glueColumnsOf(t, 'partition'),
        dataFormat: glue.DataFormat.JSON,
        storage: glue.S3TableStorage.fromBucket(bucket),
        s3Prefix: `${ZONES.realtime}${t.name}/`,
        partitionProjection: Object.fromEntries(t.partitionKeys.map((k) => [
          k, glue.PartitionProjectionConfiguration.date({ min: '2024-01-01', max: 'NOW', format: 'yyyy-MM-dd' }),
        ])),
      });
    }
    this.tables = tables;

    this.application = new kda.CfnApplication(this, 'Application', {
      runtimeEnvironment: FLINK_RUNTIME,
      serviceExecutionRole: this.role.roleArn,
      applicationMode: 'STREAMING',
      applicationDescription: 'Real-time analytics on the data lake stream: per-minute metrics, country leaderboard, conversion anomalies (flink/realtime/analytics.sql)',
      applicationConfiguration: {
        applicationCodeConfiguration: {
          codeContentType: 'ZIPFILE',
          codeContent: { s3ContentLocation: { bucketArn: code.bucket.bucketArn, fileKey: code.s3ObjectKey } },
        },
        flinkApplicationConfiguration: {
          checkpointConfiguration: {
            configurationType: 'CUSTOM',
            checkpointingEnabled: true,
            checkpointInterval: checkpointInterval.toMilliseconds(),
            minPauseBetweenCheckpoints: 5000,
          },
          parallelismConfiguration: {
            configurationType: 'CUSTOM',
            parallelism,
            parallelismPerKpu: 1,
            autoScalingEnabled: props.autoScaling ?? false,
          },
          monitoringConfiguration: { configurationType: 'CUSTOM', logLevel: 'INFO', metricsLevel: 'APPLICATION' },
        },
        // A snapshot is taken when the application stops and restored when it starts again, so
        // windows in progress and the stream position survive a stop/start.
        applicationSnapshotConfiguration: { snapshotsEnabled: true },
        environmentProperties: {
          propertyGroups: [
            {
              // How the service runs a Python application: the script, and the JAR it adds to the classpath.
              propertyGroupId: 'kinesis.analytics.flink.run.options',
              propertyMap: { python: 'main.py', jarfile: `lib/${jarName(pin)}` },
            },
            {
              // Read by flink/realtime/main.py.
              propertyGroupId: 'realtime',
              propertyMap: {
                'stream.arn': props.stream.streamArn,
                'aws.region': stack.region,
                'sink.root': this.resultsS3Uri,
                'source.init.position': 'LATEST',
              },
            },
          ],
        },
      },
    });
    // Applied by CloudFormation only when it updates a running application (new code or SQL): the
    // service restarts it from its latest snapshot, dropping state a changed query no longer has
    // (windows in progress of a removed result table) instead of failing the update.
    this.application.runConfiguration = {
      applicationRestoreConfiguration: { applicationRestoreType: 'RESTORE_FROM_LATEST_SNAPSHOT' },
      flinkRunConfiguration: { allowNonRestoredState: true },
    };
    this.application.applyRemovalPolicy(removalPolicy);
    // The policy must exist before the service first assumes the role.
    this.application.node.addDependency(this.role);
    const logging = new kda.CfnApplicationCloudWatchLoggingOption(this, 'Logging', {
      applicationName: this.application.ref,
      cloudWatchLoggingOption: { logStreamArn },
    });
    logging.applyRemovalPolicy(removalPolicy);
  }
}
