/**
 * Secure SageMaker platform: a private VPC with no internet (isolated subnets, flow logs, an S3
 * gateway endpoint limited to the project's buckets), a KMS key and buckets for training data,
 * checkpoints, models and inference output, a least-privilege execution role, a Standard state
 * machine that trains with Managed Spot Training and checkpoints, builds the serial inference
 * pipeline (preprocess -> PCA -> XGBoost), scores the held-out test split by batch transform,
 * evaluates it (confusion matrix, precision, recall, F1, ROC AUC) and optionally updates an
 * endpoint, and a second one for Bayesian hyperparameter tuning; opt-in: a locked-down notebook
 * (`-c sagemaker.notebook=true`, brings the interface endpoints it needs) and a real-time endpoint
 * with auto scaling (`-c sagemaker.endpoint=true -c sagemaker.modelDataUrl=s3://...`).
 * Codifies the study notes' SageMaker chapters: build (notebooks, built-in algorithms), train
 * (containers, S3 input in File/Pipe mode, spot with checkpoints, tuning), the inference figure
 * (pre-processing, PCA, XGBoost), model performance (confusion matrix, ROC, class imbalance),
 * deploy (endpoints, auto scaling, batch transform, inference pipelines) and security (root access,
 * IMDSv2, least privilege, private VPC, encryption between instances).
 */
import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { PrivateVpc } from '../constructs/private-vpc';
import { SageMakerExecutionRole } from '../sagemaker/execution-role';
import { RealtimeEndpoint } from '../sagemaker/hosting';
import { LockedDownNotebook } from '../sagemaker/notebook';
import { PlatformResources, TrainingDataLocation } from '../sagemaker/platform';
import { EVALUATION_CODE_PREFIX, SOURCE_DIR_KEY, TrainingWorkflow, TrainingWorkflowProps } from '../sagemaker/training-workflow';
import { TuningBudget, TuningWorkflow } from '../sagemaker/tuning-workflow';
import { ArchitectureStack, ArchitectureStackProps } from './architecture';

/**
 * Interface endpoints the notebook needs, and why: the notebook calls the SageMaker API (start
 * and follow jobs, and auto-stop itself), invokes endpoints, asks STS who it is (SageMaker Python
 * SDK's get_execution_role), and ships Jupyter and lifecycle logs to CloudWatch Logs. Training,
 * tuning, processing, transform and hosting containers need none: SageMaker pulls its images with
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
   * Data from elsewhere, e.g. one data-lake curation run: `<prefix>train/`, `<prefix>validation/`
   * and `<prefix>test/` (CSV, label first, no header), one complete dataset.
   * @default - a training-data bucket of this stack, prefix 'datasets/'
   */
  readonly trainingData?: TrainingDataLocation;
  /** Locked-down notebook plus the interface endpoints it needs (billed hourly). @default false */
  readonly notebook?: boolean;
  /** Real-time endpoint with auto scaling (billed hourly). Needs `modelDataUrl`. @default false */
  readonly endpoint?: boolean;
  /**
   * Training settings of the state machine, validated at synth (whole seconds, wait >= runtime, ...).
   * @default - ml.m5.large, File mode, 3600 s runtime, 7200 s spot wait, PCA keeping 95 % of the variance
   */
  readonly training?: Pick<TrainingWorkflowProps, 'instanceType' | 'inputMode' | 'maxRuntimeInSeconds' | 'maxWaitTimeInSeconds' | 'pcaVarianceTarget'>;
  /**
   * Budget of the tuning state machine (training jobs in all, and at once).
   * @default { maxJobs: 10, maxParallelJobs: 2 }
   */
  readonly tuningBudget?: TuningBudget;
  /** model.tar.gz the endpoint serves (from a training run). @default - none; required with `endpoint` */
  readonly modelDataUrl?: string;
}

/**
 * The platform as its diagram draws it: key and buckets, the network, the execution role, the
 * training workflow, tuning, and the opt-in endpoint and notebook, one construct each.
 */
export class SageMakerPlatformStack extends ArchitectureStack {
  public readonly vpc: PrivateVpc;
  public readonly workflow: TrainingWorkflow;
  public readonly tuning: TuningWorkflow;
  public readonly trainingData: TrainingDataLocation;
  /** The key, buckets and network every job of the platform uses. */
  public readonly resources: PlatformResources;

  constructor(scope: Construct, id: string, props: SageMakerPlatformStackProps) {
    super(scope, id, 'sagemaker', props, { protects: 'SageMaker buckets, training volumes, artifacts, endpoint, notebook, logs' });
    const { profile } = props;
    if (props.endpoint && props.modelDataUrl === undefined) {
      throw new Error('sagemaker.endpoint=true needs -c sagemaker.modelDataUrl=s3://<models bucket>/training-output/<job>/output/model.tar.gz (the ModelDataUrl of a training run)');
    }
    const { key } = this;
    this.trainingData = props.trainingData ?? { bucket: this.dataBucket('TrainingData'), prefix: 'datasets/' };
    const checkpoints = this.dataBucket('Checkpoints');
    const models = this.dataBucket('Models');
    const inference = this.dataBucket('Inference');

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

    const execution = new SageMakerExecutionRole(this, 'Execution', { vpc: this.vpc.vpc, securityGroup: this.vpc.securityGroup, encryptionKey: key });
    execution.grantDataAccess(this.trainingData, [checkpoints, models, inference]);
    const platform: PlatformResources = {
      executionRole: execution.role, encryptionKey: key, vpc: this.vpc.vpc, securityGroup: this.vpc.securityGroup,
      trainingData: this.trainingData, checkpointsBucket: checkpoints, modelsBucket: models, inferenceBucket: inference,
      logRetention: profile.logRetention, removalPolicy: profile.removalPolicy,
    };
    this.resources = platform;

    const endpoint = props.endpoint ? new RealtimeEndpoint(this, 'Hosting', {
      ...platform,
      modelDataUrl: props.modelDataUrl!,
      minInstances: profile.endpointInstances.min,
      maxInstances: profile.endpointInstances.max,
    }) : undefined;
    // CreateModel and CreateEndpoint check the role's access to the artifact: its policy comes first.
    endpoint?.node.addDependency(execution.role);
    this.workflow = new TrainingWorkflow(this, 'Workflow', {
      ...platform,
      ...props.training,
      // Ref of AWS::SageMaker::Endpoint is its ARN.
      endpoint: endpoint && { name: endpoint.endpoint.attrEndpointName, arn: endpoint.endpoint.ref },
    });
    this.tuning = new TuningWorkflow(this, 'Tuning', { ...platform, trainingRequest: this.workflow.trainingRequest, budget: props.tuningBudget });

    if (props.notebook) {
      const notebook = new LockedDownNotebook(this, 'Notebook', {
        ...platform,
        readBuckets: [this.trainingData.bucket, models, inference],
        idleTimeout: Duration.hours(1),
        subnetIds: this.vpc.vpc.isolatedSubnets.map((s) => s.subnetId),
      });
      // The notebook's own interface endpoints must exist before it starts (its lifecycle script logs).
      notebook.node.addDependency(...Object.values(this.vpc.interfaceEndpoints));
      new CfnOutput(this, 'NotebookName', { value: notebook.notebook.attrNotebookInstanceName });
    }
    this.addOutputs(platform, endpoint);
  }

  /** What the CLI and a user need from a deployed platform (lib/sagemaker/cli.ts reads them). */
  private addOutputs(p: PlatformResources, endpoint?: RealtimeEndpoint): void {
    const outputs: Record<string, string> = {
      TrainingStateMachineArn: this.workflow.trainingStateMachine.stateMachineArn,
      TuningStateMachineArn: this.tuning.stateMachine.stateMachineArn,
      ExecutionRoleArn: p.executionRole.roleArn,
      TrainingDataUri: `s3://${p.trainingData.bucket.bucketName}/${p.trainingData.prefix}`,
      CheckpointsBucketName: p.checkpointsBucket.bucketName,
      ModelsBucketName: p.modelsBucket.bucketName,
      SourceDirUri: `s3://${p.modelsBucket.bucketName}/${SOURCE_DIR_KEY}`,
      EvaluationCodeUri: `s3://${p.modelsBucket.bucketName}/${EVALUATION_CODE_PREFIX}`,
      InferenceBucketName: p.inferenceBucket.bucketName,
      KeyArn: p.encryptionKey.keyArn,
      SubnetIds: p.vpc.isolatedSubnets.map((s) => s.subnetId).join(','),
      SecurityGroupId: p.securityGroup.securityGroupId,
      ...(endpoint ? { EndpointName: endpoint.endpoint.attrEndpointName } : {}),
    };
    for (const [name, value] of Object.entries(outputs)) {
      new CfnOutput(this, name, { value });
    }
  }
}
