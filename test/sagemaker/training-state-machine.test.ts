import { Template } from 'aws-cdk-lib/assertions';
import { SageMakerPlatformStack } from '../../lib/stacks/sagemaker-stack';
import { SAGEMAKER_ERRORS } from '../../lib/sagemaker/sagemaker-tasks';
import { SANDBOX, testApp } from '../helpers/app';
import { Definition, definitionFrom, runLocally, taskError, validateDefinition } from '../helpers/asl';

type Json = Parameters<typeof runLocally>[1];

const MODEL_DATA = 's3://models/training-output/run-1-0/output/model.tar.gz';
const EVALUATION = { roc_auc: 0.9631, f1: 0.7629, confusion_matrix: { tn: 1500, fp: 80, fn: 35, tp: 185 }, threshold: 0.5 };

function build(endpoint: boolean) {
  const app = testApp({ gates: false });
  const stack = new SageMakerPlatformStack(app, 'SageMakerPlatform', { profile: SANDBOX, endpoint, modelDataUrl: endpoint ? MODEL_DATA : undefined });
  const template = Template.fromStack(stack);
  return {
    template,
    training: definitionFrom(template, 'WorkflowTrainingStateMachine'),
    tuning: definitionFrom(template, 'TuningStateMachine'),
  };
}

const trained = (input: Json): Json => ({
  TrainingJobName: (input as { TrainingJobName: string }).TrainingJobName,
  TrainingJobStatus: 'Completed',
  ModelArtifacts: { S3ModelArtifacts: MODEL_DATA },
  TrainingTimeInSeconds: 600,
  BillableTimeInSeconds: 180,
});
// What each .sync/SDK call returns (the fields the state machine selects from AWS's responses).
const handlers = {
  Train: trained,
  CreateModel: () => ({ ModelArn: 'arn:aws:sagemaker:us-east-1:123456789012:model/run-1' }),
  BatchTransform: (i: Json) => ({ TransformJobName: (i as { TransformJobName: string }).TransformJobName, TransformOutput: { S3OutputPath: 's3://inference/batch-output/run-1/' } }),
  Evaluate: (i: Json) => ({
    ProcessingJobName: (i as { ProcessingJobName: string }).ProcessingJobName,
    ProcessingOutputConfig: (i as { ProcessingOutputConfig: Json }).ProcessingOutputConfig,
  }),
  ReadEvaluation: () => ({ Body: JSON.stringify(EVALUATION), ContentType: 'application/json' }),
};
const sageMakerTasks = (d: Definition) => Object.entries(d.States).filter(([, s]) => s.Type === 'Task' && String(s.Resource).includes(':states:::sagemaker:'));

describe('training state machine', () => {
  let plain: ReturnType<typeof build>;
  let withEndpoint: ReturnType<typeof build>;
  beforeAll(() => {
    plain = build(false);
    withEndpoint = build(true);
  });

  it('is valid Amazon States Language (asl-validator), with and without the endpoint branch', () => {
    expect(validateDefinition(plain.training)).toEqual([]);
    expect(validateDefinition(withEndpoint.training)).toEqual([]);
    expect(validateDefinition(plain.tuning)).toEqual([]);
  });

  it('trains with a custom createTrainingJob.sync state: spot, checkpoints per run, VPC, isolation, encryption between instances, KMS, PCA and class weighting', () => {
    const train = plain.training.States.Train as unknown as { Resource: string; Parameters: Record<string, unknown> };
    expect(train.Resource).toBe('arn:aws:states:::sagemaker:createTrainingJob.sync');
    expect(train.Parameters).toEqual(expect.objectContaining({
      'TrainingJobName.$': "States.Format('{}-{}', $.runName, $$.State.RetryCount)",
      EnableManagedSpotTraining: true,
      EnableNetworkIsolation: true,
      EnableInterContainerTrafficEncryption: true,
      StoppingCondition: { MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 },
      CheckpointConfig: { 'S3Uri.$': expect.stringMatching(/^States\.Format\('s3:\/\/checkpoints[a-z0-9]+\/runs\/\{\}\/', \$\.runName\)$/), LocalPath: '/opt/ml/checkpoints' },
      VpcConfig: { Subnets: [expect.stringMatching(/isolatedsubnet1/)], SecurityGroupIds: [expect.stringMatching(/workloadsecuritygroup/)] },
      AlgorithmSpecification: { TrainingImage: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1', TrainingInputMode: 'File' },
      HyperParameters: expect.objectContaining({ 'pca-variance': '0.95', 'scale-pos-weight': 'auto', sagemaker_program: '"train.py"' }),
    }));
  });

  it('retries only what a retry can fix: permanent errors never, unmodelled API errors within seconds, a failed job (Train only) last', () => {
    for (const d of [plain.training, withEndpoint.training, plain.tuning]) {
      for (const [name, state] of sageMakerTasks(d)) {
        const retry = state.Retry as Array<{ ErrorEquals: string[]; MaxAttempts: number; IntervalSeconds?: number; MaxDelaySeconds?: number; JitterStrategy?: string }>;
        expect({ name, permanent: retry[0] }).toEqual({ name, permanent: { ErrorEquals: [...SAGEMAKER_ERRORS.permanent], MaxAttempts: 0 } });
        expect(retry[0].ErrorEquals).toEqual(expect.arrayContaining(['SageMaker.ResourceInUseException', 'SageMaker.ResourceLimitExceededException']));
        expect({ name, unmodelled: retry[1] }).toEqual({ name, unmodelled: expect.objectContaining({ ErrorEquals: ['SageMaker.AmazonSageMakerException'], IntervalSeconds: 2, MaxAttempts: 3, MaxDelaySeconds: 10, JitterStrategy: 'FULL' }) });
        // States.TaskFailed matches every error but States.Timeout: only Train has it, and last.
        expect({ name, taskFailed: retry.slice(2).map((r) => r.ErrorEquals) }).toEqual({ name, taskFailed: name === 'Train' ? [['States.TaskFailed']] : [] });
        expect({ name, catch: (state.Catch as Array<{ ErrorEquals: string[] }>).map((c) => c.ErrorEquals) }).toEqual({ name, catch: [['States.ALL']] });
      }
    }
    expect(sageMakerTasks(withEndpoint.training).map(([n]) => n).sort()).toEqual(['BatchTransform', 'CreateEndpointConfig', 'CreateModel', 'Evaluate', 'Train', 'UpdateEndpoint']);
  });

  it('runs: train, pipeline model, batch transform of the test split, evaluation, figures in the output', async () => {
    const run = await runLocally(plain.training, { runName: 'run-1', deploy: 'batch' }, { handlers });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual(['ValidInput?', 'Train', 'CreateModel', 'BatchTransform', 'Evaluate', 'ReadEvaluation', 'BatchDone']);
    expect(run.calls.Train[0]).toEqual(expect.objectContaining({
      TrainingJobName: 'run-1-0',
      CheckpointConfig: { S3Uri: expect.stringMatching(/^s3:\/\/checkpoints[a-z0-9]+\/runs\/run-1\/$/), LocalPath: '/opt/ml/checkpoints' },
    }));
    expect(run.calls.CreateModel[0]).toEqual(expect.objectContaining({
      ModelName: 'run-1',
      InferenceExecutionConfig: { Mode: 'Serial' },
      EnableNetworkIsolation: true,
      Containers: [
        expect.objectContaining({
          Image: expect.stringContaining('/sagemaker-scikit-learn:1.2-1-cpu-py3'), ModelDataUrl: MODEL_DATA,
          Environment: expect.objectContaining({ SAGEMAKER_PROGRAM: 'preprocess.py', SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: 'text/csv' }),
        }),
        expect.objectContaining({ Image: expect.stringContaining('/sagemaker-xgboost:1.7-1'), ModelDataUrl: MODEL_DATA, Environment: expect.objectContaining({ SAGEMAKER_PROGRAM: 'train.py' }) }),
      ],
    }));
    // The curated test split as it is: the label is dropped on the way in and joined back with the score.
    expect(run.calls.BatchTransform[0]).toEqual(expect.objectContaining({
      ModelName: 'run-1',
      TransformInput: expect.objectContaining({ DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: expect.stringMatching(/^s3:\/\/trainingdata[a-z0-9]+\/datasets\/test\/$/) } }, ContentType: 'text/csv', SplitType: 'Line' }),
      DataProcessing: { InputFilter: '$[1:]', JoinSource: 'Input', OutputFilter: '$[0,-1]' },
      TransformOutput: expect.objectContaining({ S3OutputPath: expect.stringMatching(/batch-output\/run-1\/$/), KmsKeyId: expect.stringMatching(/^arn:aws:kms:/) }),
    }));
    const evaluate = run.calls.Evaluate[0] as { ProcessingInputs: Array<{ InputName: string; S3Input: { S3Uri: string } }>; ProcessingOutputConfig: { Outputs: Array<{ S3Output: { S3Uri: string } }> } };
    expect(evaluate).toEqual(expect.objectContaining({
      ProcessingJobName: 'run-1',
      AppSpecification: expect.objectContaining({ ImageUri: expect.stringContaining('/sagemaker-xgboost:1.7-1'), ContainerEntrypoint: ['python3', '/opt/ml/processing/code/evaluate.py'] }),
      NetworkConfig: expect.objectContaining({ EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true }),
    }));
    expect(evaluate.ProcessingInputs.map((i) => [i.InputName, i.S3Input.S3Uri])).toEqual([
      ['code', expect.stringMatching(/^s3:\/\/models[a-z0-9]+\/code\/evaluation\/$/)],
      ['scored', 's3://inference/batch-output/run-1/'],
    ]);
    // Next to the model: training-output/<job>/output/model.tar.gz and training-output/<job>/evaluation/.
    expect(evaluate.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri).toMatch(/^s3:\/\/models[a-z0-9]+\/training-output\/run-1-0\/evaluation\/$/);
    expect(run.calls.ReadEvaluation[0]).toEqual({ Bucket: expect.stringMatching(/^models/), Key: 'training-output/run-1-0/evaluation/evaluation.json' });
    expect(run.output).toEqual(expect.objectContaining({
      training: { TrainingJobName: 'run-1-0', ModelDataUrl: MODEL_DATA, TrainingTimeInSeconds: 600, BillableTimeInSeconds: 180 },
      evaluation: { ProcessingJobName: 'run-1', Uri: expect.stringMatching(/training-output\/run-1-0\/evaluation\/$/) },
      metrics: { TestSplit: EVALUATION },
    }));
  });

  it('retries a job that failed (e.g. out of spot wait) once, on the same run checkpoints', async () => {
    let attempts = 0;
    const run = await runLocally(plain.training, { runName: 'run-2', deploy: 'batch' }, { handlers: {
      ...handlers,
      Train: (i) => {
        attempts += 1;
        if (attempts === 1) throw taskError('States.TaskFailed', 'Training job run-2-0: MaxWaitTimeInSeconds exceeded waiting for spot capacity');
        return trained(i);
      },
    } });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.calls.Train).toHaveLength(2);
    const uris = run.calls.Train.map((c) => (c as { CheckpointConfig: { S3Uri: string } }).CheckpointConfig.S3Uri);
    expect(uris[0]).toBe(uris[1]); // the second job resumes the first one's checkpoints
  });

  it('retries throttling within seconds, then carries on', async () => {
    let attempts = 0;
    const run = await runLocally(plain.training, { runName: 'run-3', deploy: 'batch' }, { handlers: {
      ...handlers,
      CreateModel: () => {
        attempts += 1;
        if (attempts < 3) throw taskError('SageMaker.AmazonSageMakerException', 'Rate exceeded (Service: AmazonSageMaker; Status Code: 400; Error Code: ThrottlingException)');
        return { ModelArn: 'arn' };
      },
    } });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.calls.CreateModel).toHaveLength(3);
  });

  it('fails fast on a reused run name and gives up on a validation error after three quick tries, starting no second job', async () => {
    const reused = await runLocally(plain.training, { runName: 'run-1', deploy: 'batch' }, { handlers: {
      ...handlers,
      Train: () => { throw taskError('SageMaker.ResourceInUseException', 'Training job names must be unique within an AWS account and region, and a training job with this name already exists (arn:...:training-job/run-1-0)'); },
    } });
    expect(reused).toEqual(expect.objectContaining({ status: 'FAILED', error: 'SageMaker.ResourceInUseException' }));
    expect(reused.calls.Train).toHaveLength(1);
    const invalid = await runLocally(plain.training, { runName: 'run_1', deploy: 'batch' }, { handlers: {
      ...handlers,
      Train: () => { throw taskError('SageMaker.AmazonSageMakerException', "Value 'run_1-0' at 'trainingJobName' failed to satisfy constraint (Error Code: ValidationException)"); },
    } });
    expect(invalid).toEqual(expect.objectContaining({ status: 'FAILED', error: 'SageMaker.AmazonSageMakerException', cause: expect.stringContaining('ValidationException') }));
    expect(invalid.calls.Train).toHaveLength(4); // 1 + 3 retries of the unmodelled retrier; the job-failure retrier never sees it
    expect(invalid.calls.CreateModel).toBeUndefined();
  });

  it('fails with the job error when training fails twice, and builds no model', async () => {
    const run = await runLocally(plain.training, { runName: 'run-4', deploy: 'batch' }, { handlers: {
      ...handlers,
      Train: () => { throw taskError('States.TaskFailed', 'AlgorithmError: train.py exited with 1'); },
    } });
    expect(run).toEqual(expect.objectContaining({ status: 'FAILED', error: 'States.TaskFailed', cause: 'AlgorithmError: train.py exited with 1' }));
    expect(run.calls.Train).toHaveLength(2);
    expect(run.calls.CreateModel).toBeUndefined();
    expect(run.path.at(-1)).toBe('RunFailed');
  });

  it('fails the run, naming the error, when evaluation.json is missing', async () => {
    const run = await runLocally(plain.training, { runName: 'run-7', deploy: 'batch' }, { handlers: {
      ...handlers,
      ReadEvaluation: () => { throw taskError('S3.NoSuchKey', 'The specified key does not exist.'); },
    } });
    expect(run).toEqual(expect.objectContaining({ status: 'FAILED', error: 'S3.NoSuchKey' }));
    expect(run.calls.ReadEvaluation).toHaveLength(1);
  });

  it('rejects bad input before starting anything', async () => {
    for (const input of [{}, { runName: 'x', deploy: 'realtime' }, { runName: 7, deploy: 'batch' }, { runName: 'x' }]) {
      const run = await runLocally(plain.training, input as Json, { handlers });
      expect(run).toEqual(expect.objectContaining({ status: 'FAILED', error: 'BadInput' }));
      expect(run.calls).toEqual({});
    }
  });

  it('refuses deploy "endpoint" without the endpoint before training: nothing is billed', async () => {
    const none = await runLocally(plain.training, { runName: 'run-6', deploy: 'endpoint' }, { handlers });
    expect(none).toEqual(expect.objectContaining({ status: 'FAILED', error: 'EndpointNotDeployed', cause: expect.stringContaining('-c sagemaker.endpoint=true') }));
    expect(none.calls).toEqual({});
    expect(none.path).toEqual(['ValidInput?', 'NoEndpoint']);
  });

  it('updates the endpoint (same variant) after the evaluation when deployed with one', async () => {
    const run = await runLocally(withEndpoint.training, { runName: 'run-5', deploy: 'endpoint' }, { handlers: {
      ...handlers,
      CreateEndpointConfig: () => ({ EndpointConfigArn: 'arn' }),
      UpdateEndpoint: () => ({ EndpointArn: 'arn' }),
    } });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path.slice(-5)).toEqual(['ReadEvaluation', 'Deploy?', 'CreateEndpointConfig', 'UpdateEndpoint', 'EndpointUpdating']);
    expect(run.calls.CreateEndpointConfig[0]).toEqual(expect.objectContaining({
      EndpointConfigName: 'run-5',
      KmsKeyId: expect.stringMatching(/^arn:aws:kms:/),
      ProductionVariants: [expect.objectContaining({ VariantName: 'AllTraffic', ModelName: 'run-5', InstanceType: 'ml.m5.large' })],
      DataCaptureConfig: expect.objectContaining({ EnableCapture: true, DestinationS3Uri: expect.stringMatching(/data-capture\/$/) }),
    }));
    expect(run.calls.UpdateEndpoint[0]).toEqual({ EndpointName: expect.stringMatching(/endpoint/), EndpointConfigName: 'run-5' });
    const batch = await runLocally(withEndpoint.training, { runName: 'run-8', deploy: 'batch' }, { handlers: { ...handlers, CreateEndpointConfig: () => ({}), UpdateEndpoint: () => ({}) } });
    expect(batch.path.slice(-2)).toEqual(['Deploy?', 'BatchDone']);
  });
});

describe('tuning state machine', () => {
  let tuning: Definition;
  beforeAll(() => {
    ({ tuning } = build(false));
  });

  it('runs a Bayesian tuning job over max_depth 3-9 on validation:auc with spot and checkpoints', async () => {
    const run = await runLocally(tuning, { runName: 'tune-1' }, { handlers: {
      Tune: (i) => ({ HyperParameterTuningJobName: (i as { HyperParameterTuningJobName: string }).HyperParameterTuningJobName, BestTrainingJob: { TrainingJobName: 'tune-1-003-abc', FinalHyperParameterTuningJobObjectiveMetric: { MetricName: 'validation:auc', Value: 0.94 } } }),
    } });
    expect(run.status).toBe('SUCCEEDED');
    const call = run.calls.Tune[0] as Record<string, Record<string, unknown>>;
    expect(call.HyperParameterTuningJobConfig).toEqual(expect.objectContaining({
      Strategy: 'Bayesian',
      HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'validation:auc' },
      ParameterRanges: expect.objectContaining({ IntegerParameterRanges: [{ Name: 'max_depth', MinValue: '3', MaxValue: '9', ScalingType: 'Auto' }] }),
    }));
    expect(call.TrainingJobDefinition).toEqual(expect.objectContaining({
      EnableManagedSpotTraining: true,
      EnableNetworkIsolation: true,
      EnableInterContainerTrafficEncryption: true,
      CheckpointConfig: { S3Uri: expect.stringMatching(/\/tuning\/tune-1\/$/), LocalPath: '/opt/ml/checkpoints' },
      StoppingCondition: { MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 },
      StaticHyperParameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: '150' },
    }));
    expect(run.output).toEqual(expect.objectContaining({ tuning: expect.objectContaining({ BestTrainingJob: expect.anything() }) }));
  });

  it('fails clearly when the tuning job fails', async () => {
    const run = await runLocally(tuning, { runName: 'tune-2' }, { handlers: { Tune: () => { throw taskError('SageMaker.ResourceLimitExceededException', 'ResourceLimitExceeded: ml.m5.large spot'); } } });
    expect(run).toEqual(expect.objectContaining({ status: 'FAILED', error: 'SageMaker.ResourceLimitExceededException', cause: 'ResourceLimitExceeded: ml.m5.large spot' }));
    expect(run.calls.Tune).toHaveLength(1);
  });
});

