import { Aws, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledgeBucketGrant } from '../gates';
import { buildEvaluationRequest } from './evaluation-request';
import { frameworkImageFor } from './images';
import { dataCapture, pipelineModel, VARIANT_NAME } from './pipeline-model';
import {
  acknowledgeJobRole, guardrailsFor, loggedStateMachine, passExecutionRole, PlatformResources, s3Uri, sageMakerArn,
} from './platform';
import { SageMakerTasks } from './sagemaker-tasks';
import { buildTrainingRequest, TrainingRequestInput } from './training-request';

export interface TrainingWorkflowProps extends PlatformResources {
  /**
   * The endpoint the "endpoint" branch updates with the newly trained model.
   * @default - no endpoint: an execution asking for deploy "endpoint" fails before training
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
  /**
   * Share of the variance the PCA stage keeps: the fewest principal components that explain at
   * least this much (fitted on the training split). Between 0 and 1, exclusive.
   * @default 0.95
   */
  readonly pcaVarianceTarget?: number;
}

/** Where the CLI uploads sagemaker/ as sourcedir.tar.gz for script mode. */
export const SOURCE_DIR_KEY = 'code/sourcedir.tar.gz';
/** Where the CLI uploads sagemaker/evaluate.py, alone under its prefix (the processing job's code input). */
export const EVALUATION_CODE_PREFIX = 'code/evaluation/';
/** Where batch transform writes the scored test split, one prefix per run, in the inference bucket. */
export const BATCH_OUTPUT_PREFIX = 'batch-output/';

/**
 * The training state machine, the notes' lifecycle in one run: train (script mode, Managed Spot
 * Training, checkpoints per run) -> the serial inference pipeline model (preprocess -> PCA ->
 * XGBoost) -> batch transform of the held-out test split -> evaluation (processing job) -> read
 * the figures into the execution output -> optionally update the endpoint.
 *
 * Every SageMaker resource of a run is named after the run (the training job `<runName>-<retry>`,
 * everything else `<runName>`: each type has its own namespace), so the first call, CreateTrainingJob,
 * rejects a bad or reused run name before anything is billed, and no later call can.
 */
export class TrainingWorkflow extends Construct {
  public readonly trainingStateMachine: sfn.StateMachine;
  /** The request template both the state machine and the CLI start from (tokens for per-run values). */
  public readonly trainingRequest: TrainingRequestInput;

  constructor(scope: Construct, id: string, props: TrainingWorkflowProps) {
    super(scope, id);
    const variance = props.pcaVarianceTarget ?? 0.95;
    if (!(variance > 0 && variance < 1)) {
      throw new Error(`${this.node.path}: pcaVarianceTarget must be between 0 and 1, exclusive (got ${variance})`);
    }
    const runName = sfn.JsonPath.stringAt('$.runName');
    this.trainingRequest = {
      jobName: sfn.JsonPath.format('{}-{}', runName, sfn.JsonPath.stringAt('$$.State.RetryCount')),
      roleArn: props.executionRole.roleArn,
      algorithm: { kind: 'script', image: frameworkImageFor(this, 'xgboost'), sourceDirUri: s3Uri(props.modelsBucket, SOURCE_DIR_KEY), entryPoint: 'train.py' },
      hyperparameters: {
        'num-round': '150', 'max-depth': '5', eta: '0.2', objective: 'binary:logistic', 'eval-metric': 'auc', 'checkpoint-every': '10',
        'pca-variance': String(variance), 'scale-pos-weight': 'auto',
      },
      trainUri: s3Uri(props.trainingData.bucket, `${props.trainingData.prefix}train/`),
      validationUri: s3Uri(props.trainingData.bucket, `${props.trainingData.prefix}validation/`),
      outputUri: s3Uri(props.modelsBucket, 'training-output/'),
      // One prefix per run, not per job: a retried job (new name) resumes the run's checkpoints.
      checkpointUri: sfn.JsonPath.format(`s3://${props.checkpointsBucket.bucketName}/runs/{}/`, runName),
      inputMode: props.inputMode ?? 'File',
      instanceType: props.instanceType ?? 'ml.m5.large',
      maxRuntimeInSeconds: props.maxRuntimeInSeconds ?? 3600,
      maxWaitTimeInSeconds: props.maxWaitTimeInSeconds ?? 7200,
      spot: true,
      subnetIds: props.vpc.isolatedSubnets.map((s) => s.subnetId),
      securityGroupIds: [props.securityGroup.securityGroupId],
      kmsKeyId: props.encryptionKey.keyArn,
    };

    const tasks = new SageMakerTasks(this);
    const definition = this.definition(tasks, props, runName);
    this.trainingStateMachine = loggedStateMachine(this, 'TrainingStateMachine', 'TrainingLogs', definition, Duration.hours(12), props);
    this.grant(tasks, props);
  }

  private definition(tasks: SageMakerTasks, props: TrainingWorkflowProps, runName: string): sfn.IChainable {
    const failed = new sfn.Fail(this, 'RunFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const catchAll = { errors: [sfn.Errors.ALL], resultPath: '$.error' };
    const trainingJob = sfn.JsonPath.stringAt('$.training.TrainingJobName');
    const evaluationUri = sfn.JsonPath.format(`s3://${props.modelsBucket.bucketName}/training-output/{}/evaluation/`, trainingJob);

    const train = tasks.task('Train', 'createTrainingJob.sync', buildTrainingRequest(this.trainingRequest), {
      fields: {
        ResultSelector: {
          'TrainingJobName.$': '$.TrainingJobName',
          'ModelDataUrl.$': '$.ModelArtifacts.S3ModelArtifacts',
          'TrainingTimeInSeconds.$': '$.TrainingTimeInSeconds',
          'BillableTimeInSeconds.$': '$.BillableTimeInSeconds',
        },
        ResultPath: '$.training',
      },
      // A job that failed or ran out of spot wait: one more job (new name) resumes the run's checkpoints.
      jobFailureRetries: 1,
    }).addCatch(failed, catchAll);

    const createModel = tasks.task('CreateModel', 'createModel',
      pipelineModel(this, props, runName, sfn.JsonPath.stringAt('$.training.ModelDataUrl')),
      { fields: { ResultSelector: { 'ModelArn.$': '$.ModelArn' }, ResultPath: '$.model' } },
    ).addCatch(failed, catchAll);

    // The curated test split as it is, label first: DataProcessing drops the label on the way in
    // and joins the input back on the way out, keeping label and score ("Associate prediction
    // results with input records": https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html).
    const transform = tasks.task('BatchTransform', 'createTransformJob.sync', {
      TransformJobName: runName,
      ModelName: runName,
      TransformInput: {
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: s3Uri(props.trainingData.bucket, `${props.trainingData.prefix}test/`) } },
        ContentType: 'text/csv',
        SplitType: 'Line',
      },
      DataProcessing: { InputFilter: '$[1:]', JoinSource: 'Input', OutputFilter: '$[0,-1]' },
      TransformOutput: {
        S3OutputPath: sfn.JsonPath.format(`s3://${props.inferenceBucket.bucketName}/${BATCH_OUTPUT_PREFIX}{}/`, runName),
        Accept: 'text/csv',
        AssembleWith: 'Line',
        KmsKeyId: props.encryptionKey.keyArn,
      },
      TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeKmsKeyId: props.encryptionKey.keyArn },
    }, {
      fields: { ResultSelector: { 'TransformJobName.$': '$.TransformJobName', 'S3OutputPath.$': '$.TransformOutput.S3OutputPath' }, ResultPath: '$.transform' },
    }).addCatch(failed, catchAll);

    const evaluate = tasks.task('Evaluate', 'createProcessingJob.sync', buildEvaluationRequest({
      jobName: runName,
      roleArn: props.executionRole.roleArn,
      image: frameworkImageFor(this, 'xgboost'),
      codeUri: s3Uri(props.modelsBucket, EVALUATION_CODE_PREFIX),
      scoredUri: sfn.JsonPath.stringAt('$.transform.S3OutputPath'),
      // Next to the model: training-output/<job>/output/model.tar.gz and training-output/<job>/evaluation/.
      outputUri: evaluationUri,
      kmsKeyId: props.encryptionKey.keyArn,
      subnetIds: props.vpc.isolatedSubnets.map((s) => s.subnetId),
      securityGroupIds: [props.securityGroup.securityGroupId],
    }), {
      fields: { ResultSelector: { 'ProcessingJobName.$': '$.ProcessingJobName', 'Uri.$': '$.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri' }, ResultPath: '$.evaluation' },
    }).addCatch(failed, catchAll);

    // The figures into the execution output: evaluation.json is a few hundred bytes.
    const readEvaluation = new sfn.CustomState(this, 'ReadEvaluation', {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Aws.PARTITION}:states:::aws-sdk:s3:getObject`,
        Parameters: sfn.FieldUtils.renderObject({
          Bucket: props.modelsBucket.bucketName,
          Key: sfn.JsonPath.format('training-output/{}/evaluation/evaluation.json', trainingJob),
        }),
        ResultSelector: { 'TestSplit.$': 'States.StringToJson($.Body)' },
        ResultPath: '$.metrics',
      },
    })
      .addRetry({ errors: ['S3.NoSuchKey'], maxAttempts: 0 })
      .addRetry({ errors: ['S3.S3Exception', 'S3.SdkClientException'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2, jitterStrategy: sfn.JitterType.FULL })
      .addCatch(failed, catchAll);

    const batchDone = new sfn.Succeed(this, 'BatchDone');
    const finish = props.endpoint === undefined ? batchDone : new sfn.Choice(this, 'Deploy?')
      .when(sfn.Condition.stringEquals('$.deploy', 'endpoint'), this.endpointUpdate(tasks, props, runName, failed))
      .otherwise(batchDone);
    const run = train.next(createModel).next(transform).next(evaluate).next(readEvaluation).next(finish);

    const valid = (deploy: string) => sfn.Condition.and(
      sfn.Condition.isPresent('$.runName'), sfn.Condition.isString('$.runName'),
      sfn.Condition.isPresent('$.deploy'), sfn.Condition.stringEquals('$.deploy', deploy),
    );
    // Checked before anything is billed: asking for an endpoint update without an endpoint fails
    // here, not after training.
    return new sfn.Choice(this, 'ValidInput?')
      .when(valid('batch'), run)
      .when(valid('endpoint'), props.endpoint ? run : new sfn.Fail(this, 'NoEndpoint', {
        error: 'EndpointNotDeployed',
        cause: 'deploy "endpoint" needs the stack deployed with -c sagemaker.endpoint=true; nothing was started',
      }))
      .otherwise(new sfn.Fail(this, 'BadInput', {
        error: 'BadInput',
        cause: 'Input must be {"runName": "<1-61 letters, digits, hyphens>", "deploy": "batch" | "endpoint"}',
      }));
  }

  /** A new endpoint configuration (same variant and instance type, so auto scaling stays valid), then UpdateEndpoint. */
  private endpointUpdate(tasks: SageMakerTasks, props: TrainingWorkflowProps, runName: string, failed: sfn.Fail): sfn.IChainable {
    const createConfig = tasks.task('CreateEndpointConfig', 'createEndpointConfig', {
      EndpointConfigName: runName,
      KmsKeyId: props.encryptionKey.keyArn,
      ProductionVariants: [{ VariantName: VARIANT_NAME, ModelName: runName, InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
      DataCaptureConfig: dataCapture(props),
    }, { fields: { ResultPath: sfn.JsonPath.DISCARD } }).addCatch(failed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    const update = tasks.task('UpdateEndpoint', 'updateEndpoint', {
      EndpointName: props.endpoint!.name,
      EndpointConfigName: runName,
    }, { fields: { ResultPath: '$.endpoint' } }).addCatch(failed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    return createConfig.next(update).next(new sfn.Succeed(this, 'EndpointUpdating'));
  }

  /** Create what a run creates, only with the guardrail conditions; follow, stop and tag it; read its evaluation. */
  private grant(tasks: SageMakerTasks, props: TrainingWorkflowProps): void {
    const machine = this.trainingStateMachine;
    const guard = guardrailsFor(props);
    const arn = (kind: string) => sageMakerArn(this, kind);
    const created = ['training-job', 'processing-job', 'model', 'transform-job', ...(props.endpoint ? ['endpoint-config'] : [])];
    const statements = [
      new iam.PolicyStatement({ sid: 'TrainInVpcOnly', actions: ['sagemaker:CreateTrainingJob'], resources: [arn('training-job')], conditions: guard.job() }),
      new iam.PolicyStatement({ sid: 'EvaluateInVpcOnly', actions: ['sagemaker:CreateProcessingJob'], resources: [arn('processing-job')], conditions: guard.job() }),
      new iam.PolicyStatement({ sid: 'ModelsInVpcOnly', actions: ['sagemaker:CreateModel'], resources: [arn('model')], conditions: guard.model() }),
      new iam.PolicyStatement({ sid: 'TransformWithKeyOnly', actions: ['sagemaker:CreateTransformJob'], resources: [arn('transform-job')], conditions: guard.transform() }),
      new iam.PolicyStatement({
        sid: 'FollowAndStopJobs',
        actions: [
          'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob', 'sagemaker:DescribeTransformJob', 'sagemaker:StopTransformJob',
          'sagemaker:DescribeProcessingJob', 'sagemaker:StopProcessingJob',
        ],
        resources: [arn('training-job'), arn('transform-job'), arn('processing-job')],
      }),
      passExecutionRole(props),
      ...guard.denies(['sagemaker:CreateTrainingJob', 'sagemaker:CreateProcessingJob', 'sagemaker:CreateModel']),
      ...(props.endpoint === undefined ? [] : [
        new iam.PolicyStatement({ sid: 'EndpointConfigWithKey', actions: ['sagemaker:CreateEndpointConfig'], resources: [arn('endpoint-config')], conditions: guard.endpointConfig() }),
        new iam.PolicyStatement({ sid: 'UpdateThisEndpoint', actions: ['sagemaker:UpdateEndpoint', 'sagemaker:DescribeEndpoint'], resources: [props.endpoint.arn, arn('endpoint-config')] }),
      ]),
    ];
    for (const st of statements) {
      machine.addToRolePolicy(st);
    }
    // Step Functions tags what it creates (AddTags is a dependent action of every Create* here).
    tasks.grantStepFunctionsAccess(machine.role, [...created.map(arn), ...(props.endpoint ? [props.endpoint.arn] : [])]);
    const evaluations = 'training-output/*/evaluation/*';
    props.modelsBucket.grantRead(machine.role, evaluations);
    acknowledgeBucketGrant(machine.role, props.modelsBucket, 'read', evaluations);
    acknowledgeJobRole(machine, created);
  }
}
