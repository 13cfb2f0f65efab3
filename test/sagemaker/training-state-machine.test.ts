import { Match, Template } from 'aws-cdk-lib/assertions';
import { SageMakerPlatformStack } from '../../lib/stacks/sagemaker-stack';
import { SANDBOX, testApp } from '../helpers/app';

type Json = Parameters<typeof runLocally>[1];
import { Definition, definitionFrom, runLocally, taskError, validateDefinition } from '../helpers/asl';

const MODEL_DATA = 's3://models/training-output/run-1-0/output/model.tar.gz';

function build(endpoint: boolean) {
  const app = testApp({ gates: false });
  const stack = new SageMakerPlatformStack(app, 'SageMakerPlatform', { profile: SANDBOX, endpoint, modelDataUrl: endpoint ? MODEL_DATA : undefined });
  const template = Template.fromStack(stack);
  return {
    template,
    training: definitionFrom(template, 'WorkflowTrainingStateMachine'),
    tuning: definitionFrom(template, 'WorkflowTuningStateMachine'),
  };
}

const trained = (input: Json): Json => ({
  TrainingJobName: (input as { TrainingJobName: string }).TrainingJobName,
  TrainingJobStatus: 'Completed',
  ModelArtifacts: { S3ModelArtifacts: MODEL_DATA },
  TrainingTimeInSeconds: 600,
  BillableTimeInSeconds: 180,
});
const handlers = {
  Train: trained,
  CreateModel: () => ({ ModelArn: 'arn:aws:sagemaker:eu-west-1:123456789012:model/run-1-model' }),
  BatchTransform: (i: Json) => ({ TransformJobName: (i as { TransformJobName: string }).TransformJobName, TransformOutput: { S3OutputPath: 's3://inference/batch-output/run-1/' } }),
};

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

  it('trains with a custom createTrainingJob.sync state: spot, checkpoints per run, VPC, isolation, KMS', () => {
    const train = plain.training.States.Train as unknown as { Resource: string; Parameters: Record<string, unknown>; Retry: unknown[]; Catch: unknown[] };
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
    }));
    expect(JSON.stringify(train.Retry)).toContain('"JitterStrategy":"FULL"');
    expect(train.Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'RunFailed' })]);
    // Every Task has a Retry and a Catch.
    for (const [name, state] of Object.entries(withEndpoint.training.States).filter(([, s]) => s.Type === 'Task')) {
      expect({ name, retry: Array.isArray(state.Retry), catch: Array.isArray(state.Catch) }).toEqual({ name, retry: true, catch: true });
    }
  });

  it('runs: train, serial pipeline model, batch transform', async () => {
    const run = await runLocally(plain.training, { runName: 'run-1', deploy: 'batch' }, { handlers });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual(['ValidInput?', 'Train', 'CreateModel', 'Deploy?', 'BatchTransform', 'BatchDone']);
    expect(run.calls.Train[0]).toEqual(expect.objectContaining({
      TrainingJobName: 'run-1-0',
      CheckpointConfig: { S3Uri: expect.stringMatching(/^s3:\/\/checkpoints[a-z0-9]+\/runs\/run-1\/$/), LocalPath: '/opt/ml/checkpoints' },
    }));
    expect(run.calls.CreateModel[0]).toEqual(expect.objectContaining({
      ModelName: 'run-1-model',
      InferenceExecutionConfig: { Mode: 'Serial' },
      EnableNetworkIsolation: true,
      Containers: [
        expect.objectContaining({ Image: expect.stringContaining('/sagemaker-scikit-learn:1.2-1-cpu-py3'), ModelDataUrl: MODEL_DATA, Environment: expect.objectContaining({ SAGEMAKER_PROGRAM: 'preprocess.py' }) }),
        expect.objectContaining({ Image: expect.stringContaining('/sagemaker-xgboost:1.7-1'), ModelDataUrl: MODEL_DATA, Environment: expect.objectContaining({ SAGEMAKER_PROGRAM: 'train.py' }) }),
      ],
    }));
    expect(run.calls.BatchTransform[0]).toEqual(expect.objectContaining({
      ModelName: 'run-1-model',
      TransformOutput: expect.objectContaining({ S3OutputPath: expect.stringMatching(/batch-output\/run-1\/$/), KmsKeyId: expect.stringMatching(/^arn:aws:kms:/) }),
    }));
    expect(run.output).toEqual(expect.objectContaining({
      training: { TrainingJobName: 'run-1-0', ModelDataUrl: MODEL_DATA, TrainingTimeInSeconds: 600, BillableTimeInSeconds: 180 },
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

  it('retries API throttling with backoff, then carries on', async () => {
    let attempts = 0;
    const run = await runLocally(plain.training, { runName: 'run-3', deploy: 'batch' }, { handlers: {
      ...handlers,
      CreateModel: () => {
        attempts += 1;
        if (attempts < 3) throw taskError('SageMaker.AmazonSageMakerException', 'Rate exceeded');
        return { ModelArn: 'arn' };
      },
    } });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.calls.CreateModel).toHaveLength(3);
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

  it('rejects bad input before starting anything', async () => {
    for (const input of [{}, { runName: 'x', deploy: 'realtime' }, { runName: 7, deploy: 'batch' }]) {
      const run = await runLocally(plain.training, input as Json, { handlers });
      expect(run).toEqual(expect.objectContaining({ status: 'FAILED', error: 'BadInput' }));
      expect(run.calls).toEqual({});
    }
  });

  it('updates the endpoint (same variant) when deployed with one, and says why not without', async () => {
    const run = await runLocally(withEndpoint.training, { runName: 'run-5', deploy: 'endpoint' }, { handlers: {
      ...handlers,
      CreateEndpointConfig: () => ({ EndpointConfigArn: 'arn' }),
      UpdateEndpoint: () => ({ EndpointArn: 'arn' }),
    } });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path.slice(-3)).toEqual(['CreateEndpointConfig', 'UpdateEndpoint', 'EndpointUpdating']);
    expect(run.calls.CreateEndpointConfig[0]).toEqual(expect.objectContaining({
      EndpointConfigName: 'run-5-config',
      KmsKeyId: expect.stringMatching(/^arn:aws:kms:/),
      ProductionVariants: [expect.objectContaining({ VariantName: 'AllTraffic', ModelName: 'run-5-model', InstanceType: 'ml.m5.large' })],
      DataCaptureConfig: expect.objectContaining({ EnableCapture: true, DestinationS3Uri: expect.stringMatching(/data-capture\/$/) }),
    }));
    expect(run.calls.UpdateEndpoint[0]).toEqual({ EndpointName: expect.stringMatching(/endpoint/), EndpointConfigName: 'run-5-config' });

    const none = await runLocally(plain.training, { runName: 'run-6', deploy: 'endpoint' }, { handlers });
    expect(none).toEqual(expect.objectContaining({ status: 'FAILED', error: 'EndpointNotDeployed', cause: expect.stringContaining('-c sagemaker.endpoint=true') }));
  });
});

describe('tuning state machine', () => {
  let tuning: Definition;
  let template: Template;
  beforeAll(() => {
    ({ tuning, template } = build(false));
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
      CheckpointConfig: { S3Uri: expect.stringMatching(/\/tuning\/tune-1\/$/), LocalPath: '/opt/ml/checkpoints' },
      StoppingCondition: { MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 },
      StaticHyperParameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: '150' },
    }));
    expect(run.output).toEqual(expect.objectContaining({ tuning: expect.objectContaining({ BestTrainingJob: expect.anything() }) }));
  });

  it('fails clearly when the tuning job fails', async () => {
    const run = await runLocally(tuning, { runName: 'tune-2' }, { handlers: { Tune: () => { throw taskError('States.TaskFailed', 'ResourceLimitExceeded: ml.m5.large spot'); } } });
    expect(run).toEqual(expect.objectContaining({ status: 'FAILED', error: 'States.TaskFailed', cause: 'ResourceLimitExceeded: ml.m5.large spot' }));
  });

  it('guards the launching roles: VPC subnets, network isolation and the volume key are conditions; PassRole only to SageMaker', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('WorkflowTrainingStateMachineRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'TrainInVpcOnly',
            Action: 'sagemaker:CreateTrainingJob',
            Condition: {
              Null: { 'sagemaker:VpcSubnets': 'false', 'sagemaker:VpcSecurityGroupIds': 'false' },
              'ForAllValues:StringEquals': { 'sagemaker:VpcSubnets': [{ Ref: Match.stringLikeRegexp('IsolatedSubnet1') }], 'sagemaker:VpcSecurityGroupIds': Match.anyValue() },
              Bool: { 'sagemaker:NetworkIsolation': 'true', 'sagemaker:InterContainerTrafficEncryption': 'true' },
              StringEquals: { 'sagemaker:VolumeKmsKey': { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } },
            },
          }),
          Match.objectLike({
            Sid: 'SyncEventRules',
            Action: ['events:DescribeRule', 'events:PutRule', 'events:PutTargets'],
            Resource: Match.arrayWith([{ 'Fn::Join': ['', Match.arrayWith([':rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule'])] }]),
          }),
          Match.objectLike({ Sid: 'PassExecutionRoleToSageMakerOnly', Action: 'iam:PassRole', Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } } }),
          Match.objectLike({ Sid: 'DenyJobsOutsideVpc', Effect: 'Deny', Condition: { Null: { 'sagemaker:VpcSubnets': 'true' } } }),
          Match.objectLike({ Sid: 'DenyJobsWithoutNetworkIsolation', Effect: 'Deny', Condition: { Bool: { 'sagemaker:NetworkIsolation': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('WorkflowTuningStateMachineRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'TuneInVpcOnly', Action: 'sagemaker:CreateHyperParameterTuningJob' })]) },
    });
  });
});
