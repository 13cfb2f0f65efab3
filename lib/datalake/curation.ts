import * as path from 'node:path';
import { Aws, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as emrs from 'aws-cdk-lib/aws-emrserverless';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { SecureLogGroup } from '../constructs/secure-log-group';
import { acknowledge, acknowledgeBucketGrant, acknowledgeResource } from '../gates';
import { INLINE_POLICY } from './parquet-delivery';
import { GLUE_DIR, ZONES } from './schema';

export interface CurationProps {
  /** The lake bucket: read raw/ and landing/events/, write curated/. */
  readonly bucket: s3.IBucket;
  readonly encryptionKey: kms.IKey;
  /** Glue security configuration (KMS for S3, CloudWatch logs, bookmarks). */
  readonly securityConfiguration: glue.ISecurityConfiguration;
  /**
   * Workers of the Glue job (G.1X; 2 is the Glue minimum).
   * @default 2
   */
  readonly glueWorkers?: number;
  /**
   * Upper bound of what the EMR Serverless application may run at once.
   * @default - 64 vCPU / 256 GB
   */
  readonly emrMaximumCapacity?: { readonly cpu: string; readonly memory: string };
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** Of the log groups. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Curate: one PySpark transformation (the `curate` package, zipped once) on two engines, a Glue
 * 5.0 job and an EMR Serverless application for large histories. Each run reads the raw and
 * landing events and writes a complete set of model-ready splits.
 */
export class Curation extends Construct {
  public readonly job: glue.PySparkEtlJob;
  public readonly jobRole: iam.Role;
  public readonly emrApplication: emrs.CfnApplication;
  public readonly emrJobRole: iam.Role;
  /** The EMR Serverless entry point script. */
  public readonly emrEntryPoint: s3assets.Asset;
  /** The `curate` package zip (Glue --extra-py-files, EMR spark.submit.pyFiles). */
  public readonly curatePackage: s3assets.Asset;
  /** The two groups Glue 5.0 writes the job's logs to: `<prefix>/error` and `<prefix>/output`. */
  public readonly jobLogs: logs.ILogGroup;
  public readonly jobOutputLogs: logs.ILogGroup;
  public readonly emrLogs: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: CurationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { bucket } = props;
    const glueWorkers = props.glueWorkers ?? 2;
    if (glueWorkers < 2) {
      throw new Error(`glueWorkers must be >= 2, the Glue minimum for G.1X (got ${glueWorkers})`);
    }
    const logGroup = (logId: string, logGroupName?: string) => new SecureLogGroup(this, logId, {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
      logGroupName,
    });

    // The curate package, zipped: `curate/` at the root of the archive so `import curate` works
    // on Glue (--extra-py-files) and on EMR Serverless (spark.submit.pyFiles). An s3 asset, so no
    // deployment Lambda is needed to upload it.
    this.curatePackage = new s3assets.Asset(this, 'Package', {
      path: GLUE_DIR,
      exclude: ['jobs', '**/__pycache__', '**/*.pyc'],
    });

    // ------------------------------------------------------------ Glue job
    // Glue 5.0 writes a job's logs to /aws-glue/jobs/error and /aws-glue/jobs/output, groups the whole
    // account shares and that never expire, unless the job names a prefix of its own with
    // --custom-logGroup-prefix: then <prefix>/error and <prefix>/output ("Logging for AWS Glue jobs":
    // https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html; the 4.0-era
    // --continuous-log-logGroup is ignored by 5.0). The stack owns both groups, under a prefix
    // unique to this deployment (the stack id's UUID).
    const glueLogPrefix = Fn.join('', ['/aws-glue/jobs/', stack.stackName, '-', Fn.select(2, Fn.split('/', Aws.STACK_ID))]);
    this.jobLogs = logGroup('JobLogs', Fn.join('/', [glueLogPrefix, 'error']));
    this.jobOutputLogs = logGroup('JobOutputLogs', Fn.join('/', [glueLogPrefix, 'output']));
    this.jobRole = new iam.Role(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description: 'Glue curation job: read raw and landing events, write the curated zone',
    });
    this.grantCurationAccess(this.jobRole, props);
    // Driver and executor streams in the two groups; with the security configuration's CloudWatch
    // encryption Glue also (re)associates the key with the group it writes to.
    const jobLogGroups = [this.jobLogs, this.jobOutputLogs];
    for (const group of jobLogGroups) {
      group.grantWrite(this.jobRole);
    }
    this.jobRole.addToPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogGroup', 'logs:AssociateKmsKey'],
      resources: jobLogGroups.map((g) => g.logGroupArn),
    }));
    this.jobRole.addToPolicy(new iam.PolicyStatement({
      // cloudwatch:PutMetricData has no resource-level permissions; the namespace condition scopes it.
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': 'Glue' } },
    }));
    acknowledge(this.jobRole, 'AwsSolutions-IAM5[Resource::*]',
      'cloudwatch:PutMetricData has no resource-level permissions; the statement is limited to the Glue namespace by condition');
    this.job = new glue.PySparkEtlJob(this, 'Job', {
      description: 'Curate raw session events into train/validation/test splits for SageMaker',
      role: this.jobRole,
      script: glue.Code.fromAsset(path.join(GLUE_DIR, 'jobs/curate_job.py')),
      extraPythonFiles: [glue.Code.fromBucket(this.curatePackage.bucket, this.curatePackage.s3ObjectKey)],
      glueVersion: glue.GlueVersion.V5_0,
      workerConfiguration: { workerType: glue.WorkerType.G_1X, numberOfWorkers: glueWorkers },
      maxConcurrentRuns: 1,
      maxRetries: 0,
      timeout: Duration.hours(1),
      securityConfiguration: props.securityConfiguration,
      defaultArguments: {
        '--custom-logGroup-prefix': glueLogPrefix,
        // Each run curates the whole history: a run is a complete, reproducible training dataset
        // whose encodings and imputation means are fitted on all of it (SageMaker trains on one
        // run). Bookmarks stay available per run (--job-bookmark-option job-bookmark-enable) for
        // incremental processing; such a run holds only the new events and is not a training set.
        '--job-bookmark-option': 'job-bookmark-disable',
        '--raw_path': bucket.s3UrlForObject(ZONES.raw),
        '--landing_path': bucket.s3UrlForObject(ZONES.landingEvents),
        '--output_path': bucket.s3UrlForObject(ZONES.curated),
        '--seed': '42',
      },
    });

    // ------------------------------------------------------------ EMR Serverless (large histories)
    this.emrLogs = logGroup('EmrLogs');
    const capacity = props.emrMaximumCapacity ?? { cpu: '64 vCPU', memory: '256 GB' };
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
          logGroupName: this.emrLogs.logGroupName,
          encryptionKeyArn: props.encryptionKey.keyArn,
        },
        s3MonitoringConfiguration: { logUri: bucket.s3UrlForObject(ZONES.emrLogs), encryptionKeyArn: props.encryptionKey.keyArn },
      },
    });
    this.emrEntryPoint = new s3assets.Asset(this, 'EmrScript', { path: path.join(GLUE_DIR, 'jobs/curate_emr.py') });
    this.emrJobRole = new iam.Role(this, 'EmrJobRole', {
      assumedBy: new iam.ServicePrincipal('emr-serverless.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': this.emrApplication.attrArn },
        },
      }),
      description: 'EMR Serverless job runtime role: the curation over the whole history',
    });
    this.grantCurationAccess(this.emrJobRole, props);
    this.emrEntryPoint.grantRead(this.emrJobRole);
    bucket.grantReadWrite(this.emrJobRole, `${ZONES.emrLogs}*`);
    acknowledgeBucketGrant(this.emrJobRole, bucket, 'readWrite', `${ZONES.emrLogs}*`);
    this.emrLogs.grantWrite(this.emrJobRole);
    this.emrJobRole.addToPolicy(new iam.PolicyStatement({
      actions: ['logs:DescribeLogStreams'],
      resources: [this.emrLogs.logGroupArn],
    }));
    // EMR Serverless looks the log group up before writing to it. logs:DescribeLogGroups takes no
    // resource type (Service Authorization Reference, CloudWatch Logs): on one log group's ARN it
    // authorizes nothing, so it is granted on the account-wide ARN the EMR Serverless guide uses
    // ("Logging for EMR Serverless with Amazon CloudWatch":
    // https://docs.aws.amazon.com/emr/latest/EMR-Serverless-UserGuide/logging.html).
    const accountLogGroups = stack.formatArn({ service: 'logs', resource: '*' });
    this.emrJobRole.addToPolicy(new iam.PolicyStatement({ actions: ['logs:DescribeLogGroups'], resources: [accountLogGroups] }));
    acknowledgeResource(this.emrJobRole, accountLogGroups,
      'logs:DescribeLogGroups (a list action, read-only) has no resource-level permissions; the account-wide logs ARN of this region is the narrowest it accepts');
  }

  /** What both engines need: read the inputs and the code, write the curated zone. */
  private grantCurationAccess(role: iam.Role, props: CurationProps): void {
    const { bucket } = props;
    bucket.grantRead(role, `${ZONES.raw}*`);
    bucket.grantRead(role, `${ZONES.landingEvents}*`);
    bucket.grantReadWrite(role, `${ZONES.curated}*`);
    this.curatePackage.grantRead(role);
    props.encryptionKey.grantEncryptDecrypt(role);
    acknowledgeBucketGrant(role, bucket, 'read', `${ZONES.raw}*`);
    acknowledgeBucketGrant(role, bucket, 'read', `${ZONES.landingEvents}*`);
    acknowledgeBucketGrant(role, bucket, 'readWrite', `${ZONES.curated}*`);
    acknowledge(role, 'NIST.800.53.R5-IAMNoInlinePolicy', INLINE_POLICY);
    // The bootstrap asset bucket's objects, as the asset grants wrote them.
    acknowledgeResource(role, this.curatePackage.bucket.arnForObjects('*'),
      'Read of the CDK bootstrap asset bucket, where the Spark scripts are uploaded; object keys are content hashes only known at publish time (s3:GetObject*, s3:List* only)');
  }
}
