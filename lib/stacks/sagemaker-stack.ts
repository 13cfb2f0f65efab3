/**
 * Secure SageMaker platform: a private VPC with no internet (isolated subnets, flow logs, an S3
 * gateway endpoint limited to the project's buckets), a KMS key and buckets for training data,
 * checkpoints, models and inference output, a least-privilege execution role, a Standard state
 * machine that trains with Managed Spot Training and checkpoints, builds a serial inference
 * pipeline model and runs batch transform or updates an endpoint, a second one for Bayesian
 * hyperparameter tuning; opt-in: a locked-down notebook (`-c sagemaker.notebook=true`, brings the
 * interface endpoints it needs) and a real-time endpoint with auto scaling
 * (`-c sagemaker.endpoint=true -c sagemaker.modelDataUrl=s3://...`).
 * Codifies the study notes' SageMaker chapters: build (notebooks, built-in algorithms), train
 * (containers, S3 input in File/Pipe mode, spot with checkpoints, tuning), deploy (endpoints,
 * auto scaling, batch transform, inference pipelines) and security (root access, least privilege,
 * private VPC).
 */
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PrivateVpc } from '../constructs/private-vpc';
import { AccessLogsBucket, SecureBucket } from '../constructs/secure-bucket';
import { SecureKey } from '../constructs/secure-key';
import { acknowledge, acknowledgeBucketGrant, acknowledgeResource } from '../gates';
import { SageMakerExecutionRole } from '../sagemaker/execution-role';
import { RealtimeEndpoint } from '../sagemaker/hosting';
import { LockedDownNotebook } from '../sagemaker/notebook';
import { BATCH_INPUT_PREFIX, SOURCE_DIR_KEY, TrainingDataLocation, TrainingWorkflow, TrainingWorkflowProps } from '../sagemaker/training-workflow';
import { ArchitectureStack, ArchitectureStackProps } from './architecture';

/**
 * Interface endpoints the notebook needs, and why: the notebook calls the SageMaker API (start
 * and follow jobs, and auto-stop itself), invokes endpoints, asks STS who it is (SageMaker Python
 * SDK's get_execution_role), and ships Jupyter and lifecycle logs to CloudWatch Logs. Training,
 * tuning, transform and hosting containers need none: SageMaker pulls its images with
 * service-owned credentials and the containers reach S3 through the free gateway endpoint.
 */
export const NOTEBOOK_ENDPOINTS: Readonly<Record<string, ec2.InterfaceVpcEndpointAwsService>> = {
  SageMakerApi: ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API,
  SageMakerRuntime: ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
  Sts: ec2.InterfaceVpcEndpointAwsService.STS,
  Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
};

export interface SageMakerPlatformStackProps extends ArchitectureStackProps {
  /**
   * Training data from elsewhere, e.g. the data lake's curated bucket: `<prefix>train/` and
   * `<prefix>validation/` (CSV, label first, no header).
   * @default - a training-data bucket of this stack, prefix 'datasets/'
   */
  readonly trainingData?: TrainingDataLocation;
  /** Locked-down notebook plus the interface endpoints it needs (billed hourly). @default false */
  readonly notebook?: boolean;
  /** Real-time endpoint with auto scaling (billed hourly). Needs `modelDataUrl`. @default false */
  readonly endpoint?: boolean;
  /**
   * Training settings of the state machines, validated at synth (wait >= runtime, ...).
   * @default - ml.m5.large, File mode, 3600 s runtime, 7200 s spot wait, tuning 10 jobs (2 at once)
   */
  readonly training?: Pick<TrainingWorkflowProps, 'instanceType' | 'inputMode' | 'maxRuntimeInSeconds' | 'maxWaitTimeInSeconds' | 'tuningBudget'>;
  /** model.tar.gz the endpoint serves (from a training run). @default - none; required with `endpoint` */
  readonly modelDataUrl?: string;
}

export class SageMakerPlatformStack extends ArchitectureStack {
  public readonly vpc: PrivateVpc;
  public readonly workflow: TrainingWorkflow;
  public readonly trainingData: TrainingDataLocation;
  public readonly key: SecureKey;
  /** Script-mode code (`code/sourcedir.tar.gz`) and training output (`training-output/`). */
  public readonly modelsBucket: s3.IBucket;
  /** Batch transform input (`batch-input/`) and output (`batch-output/<run>/`). */
  public readonly inferenceBucket: s3.IBucket;

  constructor(scope: Construct, id: string, props: SageMakerPlatformStackProps) {
    super(scope, id, 'sagemaker', props);
    const { profile } = props;
    if (props.endpoint && props.modelDataUrl === undefined) {
      throw new Error('sagemaker.endpoint=true needs -c sagemaker.modelDataUrl=s3://<models bucket>/training-output/<job>/output/model.tar.gz (the ModelDataUrl of a training run)');
    }
    const key = new SecureKey(this, 'Key', {
      description: 'SageMaker platform: buckets, training volumes, artifacts, endpoint, notebook, logs',
      removalPolicy: profile.removalPolicy,
      pendingWindow: profile.keyPendingWindow,
    });
    const accessLogs = new AccessLogsBucket(this, 'AccessLogs', {
      removalPolicy: profile.removalPolicy,
      autoDeleteObjects: profile.autoDeleteObjects,
    });
    const bucket = (bucketId: string) => new SecureBucket(this, bucketId, {
      encryptionKey: key,
      serverAccessLogsBucket: accessLogs,
      removalPolicy: profile.removalPolicy,
      autoDeleteObjects: profile.autoDeleteObjects,
      noncurrentVersionExpiration: profile.noncurrentVersionExpiration,
    });
    this.trainingData = props.trainingData ?? { bucket: bucket('TrainingData'), prefix: 'datasets/' };
    const checkpoints = bucket('Checkpoints');
    const models = bucket('Models');
    const inference = bucket('Inference');
    this.key = key;
    this.modelsBucket = models;
    this.inferenceBucket = inference;

    this.vpc = new PrivateVpc(this, 'Network', {
      encryptionKey: key,
      maxAzs: profile.maxAzs,
      interfaceEndpoints: props.notebook ? NOTEBOOK_ENDPOINTS : undefined,
      logRetention: profile.logRetention,
      removalPolicy: profile.removalPolicy,
    });
    for (const b of [this.trainingData.bucket, checkpoints, models, inference]) {
      this.vpc.allowBucket(b);
    }

    const execution = new SageMakerExecutionRole(this, 'Execution', {
      vpc: this.vpc.vpc,
      securityGroup: this.vpc.securityGroup,
      encryptionKey: key,
    });
    const role = execution.role;
    grantTrainingDataRead(role, this.trainingData);
    checkpoints.grantReadWrite(role);
    acknowledgeBucketGrant(role, checkpoints, 'readWrite');
    models.grantReadWrite(role);
    acknowledgeBucketGrant(role, models, 'readWrite');
    inference.grantReadWrite(role);
    acknowledgeBucketGrant(role, inference, 'readWrite');

    const hostingInstanceType = 'ml.m5.large';
    let endpoint: RealtimeEndpoint | undefined;
    if (props.endpoint) {
      endpoint = new RealtimeEndpoint(this, 'Hosting', {
        vpc: this.vpc.vpc,
        securityGroup: this.vpc.securityGroup,
        executionRole: role,
        encryptionKey: key,
        inferenceBucket: inference,
        modelDataUrl: props.modelDataUrl!,
        instanceType: hostingInstanceType,
        minInstances: profile.maxAzs,
        maxInstances: profile.maxAzs * 2,
        removalPolicy: profile.removalPolicy,
      });
      endpoint.node.addDependency(role);
      new CfnOutput(this, 'EndpointName', { value: endpoint.endpoint.attrEndpointName });
    }

    this.workflow = new TrainingWorkflow(this, 'Workflow', {
      ...props.training,
      executionRole: role,
      encryptionKey: key,
      vpc: this.vpc.vpc,
      securityGroup: this.vpc.securityGroup,
      trainingData: this.trainingData,
      checkpointsBucket: checkpoints,
      modelsBucket: models,
      inferenceBucket: inference,
      endpoint: endpoint && {
        name: endpoint.endpoint.attrEndpointName,
        arn: endpoint.endpoint.ref, // Ref of AWS::SageMaker::Endpoint is its ARN
      },
      logRetention: profile.logRetention,
      removalPolicy: profile.removalPolicy,
    });

    if (props.notebook) {
      const notebook = new LockedDownNotebook(this, 'Notebook', {
        vpc: this.vpc.vpc,
        securityGroup: this.vpc.securityGroup,
        encryptionKey: key,
        executionRole: role,
        readBuckets: [this.trainingData.bucket, models, inference],
        idleTimeout: Duration.hours(1),
        subnetIds: this.vpc.vpc.isolatedSubnets.map((s) => s.subnetId),
      });
      for (const b of [this.trainingData.bucket, models, inference]) {
        acknowledgeBucketGrant(notebook.role, b, 'read');
      }
      // The notebook's own interface endpoints must exist before it starts (its lifecycle script logs).
      notebook.node.addDependency(...Object.values(this.vpc.interfaceEndpoints));
      new CfnOutput(this, 'NotebookName', { value: notebook.notebook.attrNotebookInstanceName });
    }

    const outputs: Record<string, string> = {
      TrainingStateMachineArn: this.workflow.trainingStateMachine.stateMachineArn,
      TuningStateMachineArn: this.workflow.tuningStateMachine.stateMachineArn,
      ExecutionRoleArn: role.roleArn,
      TrainingDataUri: `s3://${this.trainingData.bucket.bucketName}/${this.trainingData.prefix}`,
      CheckpointsBucketName: checkpoints.bucketName,
      ModelsBucketName: models.bucketName,
      SourceDirUri: `s3://${models.bucketName}/${SOURCE_DIR_KEY}`,
      BatchInputUri: `s3://${inference.bucketName}/${BATCH_INPUT_PREFIX}`,
      InferenceBucketName: inference.bucketName,
      KeyArn: key.keyArn,
      SubnetIds: this.vpc.vpc.isolatedSubnets.map((s) => s.subnetId).join(','),
      SecurityGroupId: this.vpc.securityGroup.securityGroupId,
    };
    for (const [name, value] of Object.entries(outputs)) {
      new CfnOutput(this, name, { value });
    }
  }
}

/**
 * Read on the training-data prefix only. A bucket of this stack is acknowledged by its logical id;
 * one from elsewhere (the data lake's curated bucket, imported or in another stack) only has a
 * name once references are resolved, so its wildcard findings are computed then, in the same
 * form cdk-nag reports them.
 */
function grantTrainingDataRead(role: iam.Role, location: TrainingDataLocation): void {
  const pattern = `${location.prefix}*`;
  location.bucket.grantRead(role, pattern);
  const stack = Stack.of(role);
  if (location.bucket.node.scope !== undefined && Stack.of(location.bucket) === stack) {
    acknowledgeBucketGrant(role, location.bucket, 'read', pattern);
    return;
  }
  const reason = `Read-only grant on the training-data prefix "${pattern}" of the external bucket ${location.bucket.node.path}; the wildcards are the action family and the object keys`;
  for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*']) {
    acknowledge(role, `AwsSolutions-IAM5[Action::${action}]`, reason);
  }
  acknowledgeResource(role, location.bucket.arnForObjects(pattern), reason);
}
