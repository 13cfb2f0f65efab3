import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SecureLogGroup, vendedLogGroupName } from '../constructs/secure-log-group';
import { acknowledge, acknowledgeResource } from '../gates';
import { frameworkImageFor } from './images';
import { buildTrainingRequest, staticHyperparameters, trainingDefinition, TrainingRequestInput } from './training-request';

/** Where the training data is read from: the data lake's curated prefix, or the stack's own bucket. */
export interface TrainingDataLocation {
  readonly bucket: s3.IBucket;
  /** Prefix holding train/ and validation/ (CSV, label first, no header). '' for the bucket root. */
  readonly prefix: string;
}

export interface TrainingWorkflowProps {
  readonly executionRole: iam.IRole;
  readonly encryptionKey: kms.IKey;
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly trainingData: TrainingDataLocation;
  readonly checkpointsBucket: s3.IBucket;
  readonly modelsBucket: s3.IBucket;
  readonly inferenceBucket: s3.IBucket;
  /**
   * The endpoint the "endpoint" branch updates with the newly trained model.
   * @default - no endpoint: asking for deploy "endpoint" fails with a clear error
   */
  readonly endpoint?: { readonly name: string; readonly arn: string };
  /** @default 'ml.m5.large' */
  readonly instanceType?: string;
  /** @default 3600 */
  readonly maxRuntimeInSeconds?: number;
  /** @default 7200 */
  readonly maxWaitTimeInSeconds?: number;
  /** File copies the channel to the volume, Pipe streams it. @default 'File' */
  readonly inputMode?: 'File' | 'Pipe';
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Budget of the tuning state machine's Bayesian search: training jobs in all, and at once (each
   * is one instance of `instanceType`, counted against the account's training quota).
   * @default { maxJobs: 10, maxParallelJobs: 2 }
   */
  readonly tuningBudget?: TuningBudget;
}

export interface TuningBudget {
  readonly maxJobs: number;
  readonly maxParallelJobs: number;
}

/** Variant name shared by the CloudFormation endpoint and the configs the state machine creates. */
export const VARIANT_NAME = 'AllTraffic';
/** Where the CLI uploads sagemaker/ as sourcedir.tar.gz for script mode. */
export const SOURCE_DIR_KEY = 'code/sourcedir.tar.gz';
/** Where batch transform reads its input and writes its output in the inference bucket. */
export const BATCH_INPUT_PREFIX = 'batch-input/';
export const BATCH_OUTPUT_PREFIX = 'batch-output/';

const s3Uri = (bucket: s3.IBucket, key: string) => `s3://${bucket.bucketName}/${key}`;

/**
 * Two Standard state machines. Training: input validation, a custom state for
 * createTrainingJob.sync (script mode, Managed Spot Training, checkpoints per run), CreateModel
 * (serial inference pipeline: scaler then XGBoost, from the one artifact), then batch transform
 * (.sync) or an endpoint update. Tuning: createHyperParameterTuningJob.sync with Bayesian search
 * over the same training definition (spot, checkpoints, VPC, KMS).
 */
export class TrainingWorkflow extends Construct {
  public readonly trainingStateMachine: sfn.StateMachine;
  public readonly tuningStateMachine: sfn.StateMachine;
  /** The request template both the state machine and the CLI start from (tokens for per-run values). */
  public readonly trainingRequest: TrainingRequestInput;

  constructor(scope: Construct, id: string, props: TrainingWorkflowProps) {
    super(scope, id);
    const budget = props.tuningBudget ?? { maxJobs: 10, maxParallelJobs: 2 };
    if (!Number.isInteger(budget.maxJobs) || !Number.isInteger(budget.maxParallelJobs) || budget.maxParallelJobs < 1 || budget.maxParallelJobs > budget.maxJobs) {
      throw new Error(`tuningBudget needs whole numbers with 1 <= maxParallelJobs <= maxJobs (got maxJobs ${budget.maxJobs}, maxParallelJobs ${budget.maxParallelJobs})`);
    }
    const subnetIds = props.vpc.isolatedSubnets.map((s) => s.subnetId);
    const runName = sfn.JsonPath.stringAt('$.runName');
    const dataPrefix = props.trainingData.prefix;

    this.trainingRequest = {
      jobName: sfn.JsonPath.format('{}-{}', runName, sfn.JsonPath.stringAt('$$.State.RetryCount')),
      roleArn: props.executionRole.roleArn,
      algorithm: { kind: 'script', image: frameworkImageFor(this, 'xgboost'), sourceDirUri: s3Uri(props.modelsBucket, SOURCE_DIR_KEY), entryPoint: 'train.py' },
      hyperparameters: { 'num-round': '150', 'max-depth': '5', eta: '0.2', objective: 'binary:logistic', 'eval-metric': 'auc', 'checkpoint-every': '10' },
      trainUri: s3Uri(props.trainingData.bucket, `${dataPrefix}train/`),
      validationUri: s3Uri(props.trainingData.bucket, `${dataPrefix}validation/`),
      outputUri: s3Uri(props.modelsBucket, 'training-output/'),
      // One prefix per run, not per job: a retried job (new name) resumes the run's checkpoints.
      checkpointUri: sfn.JsonPath.format(`s3://${props.checkpointsBucket.bucketName}/runs/{}/`, runName),
      inputMode: props.inputMode ?? 'File',
      instanceType: props.instanceType ?? 'ml.m5.large',
      maxRuntimeInSeconds: props.maxRuntimeInSeconds ?? 3600,
      maxWaitTimeInSeconds: props.maxWaitTimeInSeconds ?? 7200,
      spot: true,
      subnetIds,
      securityGroupIds: [props.securityGroup.securityGroupId],
      kmsKeyId: props.encryptionKey.keyArn,
    };

    this.trainingStateMachine = this.buildTrainingStateMachine(props, runName);
    this.tuningStateMachine = this.buildTuningStateMachine(props, runName, budget);
    this.grantJobs(props, subnetIds);
  }

  private buildTrainingStateMachine(props: TrainingWorkflowProps, runName: string): sfn.StateMachine {
    const failed = new sfn.Fail(this, 'RunFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const badInput = new sfn.Fail(this, 'BadInput', {
      error: 'BadInput',
      cause: 'Input must be {"runName": "<1-50 letters, digits, hyphens>", "deploy": "batch" | "endpoint"}',
    });
    const catchAll = { errors: [sfn.Errors.ALL], resultPath: '$.error' };

    const train = task(this, 'Train', 'sagemaker:createTrainingJob.sync', buildTrainingRequest(this.trainingRequest), {
      ResultSelector: {
        'TrainingJobName.$': '$.TrainingJobName',
        'ModelDataUrl.$': '$.ModelArtifacts.S3ModelArtifacts',
        'TrainingTimeInSeconds.$': '$.TrainingTimeInSeconds',
        'BillableTimeInSeconds.$': '$.BillableTimeInSeconds',
      },
      ResultPath: '$.training',
    })
      // Throttling and capacity errors of the API call itself.
      .addRetry(apiRetry(30, 5))
      // A job that failed or ran out of spot wait: one more job (new name, RetryCount in it) that
      // resumes from this run's checkpoints instead of starting over.
      .addRetry({ errors: ['States.TaskFailed'], interval: Duration.minutes(1), maxAttempts: 1, jitterStrategy: sfn.JitterType.FULL })
      .addCatch(failed, catchAll);

    const createModel = task(this, 'CreateModel', 'sagemaker:createModel', pipelineModel(this, props, sfn.JsonPath.format('{}-model', runName), sfn.JsonPath.stringAt('$.training.ModelDataUrl')), {
      ResultSelector: { 'ModelArn.$': '$.ModelArn' },
      ResultPath: '$.model',
    })
      .addRetry(apiRetry(10, 2))
      .addCatch(failed, catchAll);

    const transform = task(this, 'BatchTransform', 'sagemaker:createTransformJob.sync', {
      TransformJobName: sfn.JsonPath.format('{}-transform', runName),
      ModelName: sfn.JsonPath.format('{}-model', runName),
      TransformInput: {
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: s3Uri(props.inferenceBucket, BATCH_INPUT_PREFIX) } },
        ContentType: 'text/csv',
        SplitType: 'Line',
      },
      TransformOutput: {
        S3OutputPath: sfn.JsonPath.format(`s3://${props.inferenceBucket.bucketName}/${BATCH_OUTPUT_PREFIX}{}/`, runName),
        Accept: 'text/csv',
        AssembleWith: 'Line',
        KmsKeyId: props.encryptionKey.keyArn,
      },
      TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeKmsKeyId: props.encryptionKey.keyArn },
    }, { ResultSelector: { 'TransformJobName.$': '$.TransformJobName', 'S3OutputPath.$': '$.TransformOutput.S3OutputPath' }, ResultPath: '$.transform' })
      .addRetry(apiRetry(30, 5))
      .addCatch(failed, catchAll);

    let endpointBranch: sfn.IChainable;
    if (props.endpoint !== undefined) {
      const configName = sfn.JsonPath.format('{}-config', runName);
      const createConfig = task(this, 'CreateEndpointConfig', 'sagemaker:createEndpointConfig', {
        EndpointConfigName: configName,
        KmsKeyId: props.encryptionKey.keyArn,
        ProductionVariants: [{ VariantName: VARIANT_NAME, ModelName: sfn.JsonPath.format('{}-model', runName), InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
        DataCaptureConfig: dataCapture(props),
      }, { ResultPath: sfn.JsonPath.DISCARD })
        .addRetry(apiRetry(10, 2))
        .addCatch(failed, catchAll);
      // Same variant name and instance type as the CloudFormation endpoint, so its auto scaling
      // target stays valid across the update.
      const update = task(this, 'UpdateEndpoint', 'sagemaker:updateEndpoint', {
        EndpointName: props.endpoint.name,
        EndpointConfigName: configName,
      }, { ResultPath: '$.endpoint' })
        .addRetry(apiRetry(30, 5))
        .addCatch(failed, catchAll);
      endpointBranch = createConfig.next(update).next(new sfn.Succeed(this, 'EndpointUpdating'));
    } else {
      endpointBranch = new sfn.Fail(this, 'NoEndpoint', {
        error: 'EndpointNotDeployed',
        cause: 'deploy "endpoint" needs the stack deployed with -c sagemaker.endpoint=true',
      });
    }

    const definition = new sfn.Choice(this, 'ValidInput?')
      .when(sfn.Condition.and(
        sfn.Condition.isPresent('$.runName'), sfn.Condition.isString('$.runName'),
        sfn.Condition.isPresent('$.deploy'),
        sfn.Condition.or(sfn.Condition.stringEquals('$.deploy', 'batch'), sfn.Condition.stringEquals('$.deploy', 'endpoint')),
      ), train.next(createModel).next(new sfn.Choice(this, 'Deploy?')
        .when(sfn.Condition.stringEquals('$.deploy', 'endpoint'), endpointBranch)
        .otherwise(transform.next(new sfn.Succeed(this, 'BatchDone')))))
      .otherwise(badInput);

    return this.stateMachine('TrainingStateMachine', 'TrainingLogs', definition, Duration.hours(12), props);
  }

  private buildTuningStateMachine(props: TrainingWorkflowProps, runName: string, budget: TuningBudget): sfn.StateMachine {
    // Built-in XGBoost (checkpoints supported) with its own validation:auc metric: no regex needed.
    const builtin: TrainingRequestInput = {
      ...this.trainingRequest,
      algorithm: { kind: 'builtin', image: frameworkImageFor(this, 'xgboost'), supportsCheckpoints: true },
      hyperparameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: '150' },
      // Each training job of the tuning job gets its own subfolder under this prefix.
      checkpointUri: sfn.JsonPath.format(`s3://${props.checkpointsBucket.bucketName}/tuning/{}/`, runName),
    };
    const { AlgorithmSpecification, ...definition } = trainingDefinition(builtin);
    const tune = task(this, 'Tune', 'sagemaker:createHyperParameterTuningJob.sync', {
      // Tuning job names are limited to 32 characters.
      HyperParameterTuningJobName: runName,
      HyperParameterTuningJobConfig: {
        Strategy: 'Bayesian',
        HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'validation:auc' },
        ResourceLimits: { MaxNumberOfTrainingJobs: budget.maxJobs, MaxParallelTrainingJobs: budget.maxParallelJobs },
        ParameterRanges: {
          IntegerParameterRanges: [{ Name: 'max_depth', MinValue: '3', MaxValue: '9', ScalingType: 'Auto' }],
          ContinuousParameterRanges: [
            { Name: 'eta', MinValue: '0.05', MaxValue: '0.5', ScalingType: 'Logarithmic' },
            { Name: 'min_child_weight', MinValue: '1', MaxValue: '10', ScalingType: 'Auto' },
          ],
        },
        TrainingJobEarlyStoppingType: 'Auto',
      },
      TrainingJobDefinition: {
        ...definition,
        AlgorithmSpecification: { TrainingImage: AlgorithmSpecification!.TrainingImage, TrainingInputMode: AlgorithmSpecification!.TrainingInputMode },
        StaticHyperParameters: staticHyperparameters(builtin),
      },
    }, {
      ResultSelector: {
        'HyperParameterTuningJobName.$': '$.HyperParameterTuningJobName',
        'BestTrainingJob.$': '$.BestTrainingJob',
      },
      ResultPath: '$.tuning',
    })
      .addRetry(apiRetry(30, 5))
      .addCatch(new sfn.Fail(this, 'TuningFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }), { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const definitionChain = new sfn.Choice(this, 'ValidTuningInput?')
      .when(sfn.Condition.and(sfn.Condition.isPresent('$.runName'), sfn.Condition.isString('$.runName')), tune.next(new sfn.Succeed(this, 'TuningDone')))
      .otherwise(new sfn.Fail(this, 'BadTuningInput', { error: 'BadInput', cause: 'Input must be {"runName": "<1-32 letters, digits, hyphens>"}' }));

    return this.stateMachine('TuningStateMachine', 'TuningLogs', definitionChain, Duration.hours(24), props);
  }

  /** A Standard state machine with X-Ray and every event logged to its own encrypted log group. */
  private stateMachine(id: string, logsId: string, definition: sfn.IChainable, timeout: Duration, props: TrainingWorkflowProps): sfn.StateMachine {
    const destination = new SecureLogGroup(this, logsId, {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
      logGroupName: vendedLogGroupName(this, id, 'states'),
    });
    return new sfn.StateMachine(this, id, {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      tracingEnabled: true,
      logs: { destination, level: sfn.LogLevel.ALL, includeExecutionData: true },
      timeout,
    });
  }

  /** IAM of both state machines: scoped actions, .sync's event rules, PassRole with a condition, guardrails. */
  private grantJobs(props: TrainingWorkflowProps, subnetIds: string[]): void {
    const stack = Stack.of(this);
    const arn = (resource: string) => stack.formatArn({ service: 'sagemaker', resource, resourceName: '*' });
    const keyArn = props.encryptionKey.keyArn;
    // Preventive guardrails: a job or model outside this VPC, without network isolation or with
    // another (or no) volume key is not allowed (Allow carries the conditions, Deny backs it up).
    const inVpc = {
      Null: { 'sagemaker:VpcSubnets': 'false', 'sagemaker:VpcSecurityGroupIds': 'false' },
      'ForAllValues:StringEquals': { 'sagemaker:VpcSubnets': subnetIds, 'sagemaker:VpcSecurityGroupIds': [props.securityGroup.securityGroupId] },
    };
    const guarded = {
      ...inVpc,
      Bool: { 'sagemaker:NetworkIsolation': 'true', 'sagemaker:InterContainerTrafficEncryption': 'true' },
      StringEquals: { 'sagemaker:VolumeKmsKey': keyArn },
    };
    const syncRules = (kinds: string[]) => new iam.PolicyStatement({
      sid: 'SyncEventRules',
      // What .sync uses to learn that a job finished: Step Functions' own managed rules.
      actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      resources: kinds.map((kind) => stack.formatArn({ service: 'events', resource: 'rule', resourceName: `StepFunctionsGetEventsForSageMaker${kind}Rule` })),
    });
    const passRole = new iam.PolicyStatement({
      sid: 'PassExecutionRoleToSageMakerOnly',
      actions: ['iam:PassRole'],
      resources: [props.executionRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    });
    const denies = (actions: string[]) => [
      new iam.PolicyStatement({
        sid: 'DenyJobsOutsideVpc', effect: iam.Effect.DENY, actions, resources: ['*'],
        conditions: { Null: { 'sagemaker:VpcSubnets': 'true' } },
      }),
      new iam.PolicyStatement({
        sid: 'DenyJobsWithoutNetworkIsolation', effect: iam.Effect.DENY, actions, resources: ['*'],
        conditions: { Bool: { 'sagemaker:NetworkIsolation': 'false' } },
      }),
    ];
    const training = [
      new iam.PolicyStatement({ sid: 'TrainInVpcOnly', actions: ['sagemaker:CreateTrainingJob'], resources: [arn('training-job')], conditions: guarded }),
      new iam.PolicyStatement({ sid: 'ModelsInVpcOnly', actions: ['sagemaker:CreateModel'], resources: [arn('model')], conditions: { ...inVpc, Bool: { 'sagemaker:NetworkIsolation': 'true' } } }),
      new iam.PolicyStatement({ sid: 'TransformWithKeyOnly', actions: ['sagemaker:CreateTransformJob'], resources: [arn('transform-job')], conditions: { StringEquals: { 'sagemaker:VolumeKmsKey': keyArn } } }),
      new iam.PolicyStatement({
        sid: 'FollowAndStopJobs',
        actions: ['sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob', 'sagemaker:DescribeTransformJob', 'sagemaker:StopTransformJob', 'sagemaker:AddTags'],
        resources: [arn('training-job'), arn('transform-job'), arn('model')],
      }),
      syncRules(['TrainingJobs', 'TransformJobs']),
      passRole,
      ...denies(['sagemaker:CreateTrainingJob', 'sagemaker:CreateModel']),
      ...(props.endpoint === undefined ? [] : [
        new iam.PolicyStatement({ sid: 'EndpointConfigWithKey', actions: ['sagemaker:CreateEndpointConfig'], resources: [arn('endpoint-config')], conditions: { StringEquals: { 'sagemaker:VolumeKmsKey': keyArn } } }),
        new iam.PolicyStatement({
          sid: 'UpdateThisEndpoint',
          actions: ['sagemaker:UpdateEndpoint', 'sagemaker:DescribeEndpoint'],
          resources: [props.endpoint.arn, arn('endpoint-config')],
        }),
      ]),
    ];
    const tuning = [
      new iam.PolicyStatement({ sid: 'TuneInVpcOnly', actions: ['sagemaker:CreateHyperParameterTuningJob'], resources: [arn('hyper-parameter-tuning-job')], conditions: guarded }),
      new iam.PolicyStatement({
        sid: 'FollowAndStopTuning',
        actions: ['sagemaker:DescribeHyperParameterTuningJob', 'sagemaker:StopHyperParameterTuningJob', 'sagemaker:ListTrainingJobsForHyperParameterTuningJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:AddTags'],
        resources: [arn('hyper-parameter-tuning-job'), arn('training-job')],
      }),
      syncRules(['HyperParameterTuningJobs']),
      passRole,
      ...denies(['sagemaker:CreateHyperParameterTuningJob']),
    ];
    const grants: Array<[sfn.StateMachine, iam.PolicyStatement[], string[]]> = [
      [this.trainingStateMachine, training, ['training-job', 'transform-job', 'model', ...(props.endpoint ? ['endpoint-config'] : [])]],
      [this.tuningStateMachine, tuning, ['hyper-parameter-tuning-job', 'training-job']],
    ];
    for (const [machine, statements, kinds] of grants) {
      for (const st of statements) {
        machine.addToRolePolicy(st);
      }
      acknowledge(machine.role, 'AwsSolutions-IAM5[Resource::*]',
        'Added by CDK for state machine logging and tracing: the CloudWatch Logs delivery APIs (logs:CreateLogDelivery, DescribeLogGroups, ...) and xray:GetSampling* accept no resource');
      for (const kind of kinds) {
        acknowledgeResource(machine.role, arn(kind),
          `Job and model names come from the run name at execution time; creation is conditioned on this VPC, network isolation and the stack key`);
      }
      acknowledge(machine.role, 'NIST.800.53.R5-IAMNoInlinePolicy',
        'The policy is attached to this one state machine role and scoped to SageMaker resources, the .sync rules and one PassRole');
    }
  }
}

/** Retry of SageMaker API errors (throttling, capacity) with backoff and full jitter. */
function apiRetry(intervalSeconds: number, maxDelayMinutes: number): sfn.RetryProps {
  return {
    errors: ['SageMaker.AmazonSageMakerException'],
    interval: Duration.seconds(intervalSeconds),
    maxAttempts: 3,
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.FULL,
    maxDelay: Duration.minutes(maxDelayMinutes),
  };
}

/** A Task state in Amazon States Language with the given optimized-integration resource. */
function task(scope: Construct, id: string, integration: string, parameters: object, extra: Record<string, unknown> = {}): sfn.CustomState {
  return new sfn.CustomState(scope, id, {
    stateJson: {
      Type: 'Task',
      Resource: `arn:${Aws.PARTITION}:states:::${integration}`,
      Parameters: sfn.FieldUtils.renderObject(parameters as Record<string, unknown>),
      ...extra,
    },
  });
}

/**
 * The serial inference pipeline model: the scikit-learn container standardises the CSV features
 * (sagemaker/preprocess.py) and hands them to the XGBoost container. Both read the same
 * model.tar.gz (train.py writes the booster, scaler.json and both scripts under code/), and with
 * network isolation the code comes from the artifact, not from S3.
 */
export function pipelineModel(
  scope: Construct,
  props: Pick<TrainingWorkflowProps, 'executionRole' | 'vpc' | 'securityGroup'>,
  modelName: string | undefined,
  modelDataUrl: string,
): Record<string, unknown> {
  const code = '/opt/ml/model/code';
  return {
    ...(modelName !== undefined ? { ModelName: modelName } : {}),
    ExecutionRoleArn: props.executionRole.roleArn,
    Containers: [
      {
        Image: frameworkImageFor(scope, 'sklearn'),
        ModelDataUrl: modelDataUrl,
        Environment: { SAGEMAKER_PROGRAM: 'preprocess.py', SAGEMAKER_SUBMIT_DIRECTORY: code, SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: 'text/csv' },
      },
      {
        Image: frameworkImageFor(scope, 'xgboost'),
        ModelDataUrl: modelDataUrl,
        Environment: { SAGEMAKER_PROGRAM: 'train.py', SAGEMAKER_SUBMIT_DIRECTORY: code },
      },
    ],
    InferenceExecutionConfig: { Mode: 'Serial' },
    VpcConfig: { Subnets: props.vpc.isolatedSubnets.map((s) => s.subnetId), SecurityGroupIds: [props.securityGroup.securityGroupId] },
    EnableNetworkIsolation: true,
  };
}

/** Data capture of an endpoint: requests and responses sampled into the inference bucket, encrypted. */
export function dataCapture(props: Pick<TrainingWorkflowProps, 'inferenceBucket' | 'encryptionKey'>): Record<string, unknown> {
  return {
    EnableCapture: true,
    InitialSamplingPercentage: 100,
    DestinationS3Uri: `s3://${props.inferenceBucket.bucketName}/data-capture/`,
    KmsKeyId: props.encryptionKey.keyArn,
    CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
    CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'] },
  };
}
