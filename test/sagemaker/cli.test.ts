import * as fs from 'node:fs';
import * as path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand, DescribeStacksCommandOutput } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import {
  CreateTrainingJobCommand, DescribeHyperParameterTuningJobCommand, DescribeTrainingJobCommand, ListTrainingJobsForHyperParameterTuningJobCommand, SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  evaluationLines, invoke, leaderboard, leaderboardLines, parseWholeSeconds, PlatformOutputs, readEvaluation, readOutputs, spotSavings, trainAndFollow,
  trainingRequestFromOutputs, TrainOptions,
} from '../../lib/sagemaker/cli';

const STACK = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/sagemaker/stack-outputs.json'), 'utf8')) as DescribeStacksCommandOutput;
const cfn = mockClient(CloudFormationClient);
const sm = mockClient(SageMakerClient);
const runtime = mockClient(SageMakerRuntimeClient);
const s3 = mockClient(S3Client);
const OPTIONS: TrainOptions = {
  region: 'eu-west-1', runName: 'churn-1', algorithm: 'builtin', maxRuntimeInSeconds: 3600, spot: true,
  inputMode: 'File', instanceType: 'ml.m5.large', hyperparameters: { max_depth: '6' },
};

beforeEach(() => {
  cfn.reset();
  sm.reset();
  runtime.reset();
  s3.reset();
});

async function outputs(): Promise<PlatformOutputs> {
  cfn.on(DescribeStacksCommand).resolves(STACK);
  return readOutputs(new CloudFormationClient({}), 'SageMakerPlatform');
}

describe('CLI', () => {
  it('reads the stack outputs and names the missing ones', async () => {
    expect((await outputs()).SubnetIds).toBe('subnet-0a1,subnet-0b2');
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{ ...STACK.Stacks![0], Outputs: STACK.Stacks![0].Outputs!.filter((o) => o.OutputKey !== 'KeyArn') }] });
    await expect(readOutputs(new CloudFormationClient({}), 'SageMakerPlatform')).rejects.toThrow('Stack SageMakerPlatform has no output(s) KeyArn');
  });

  it('builds the same kind of request as the state machine: spot, checkpoints per run, VPC, isolation, KMS', async () => {
    const req = trainingRequestFromOutputs(await outputs(), OPTIONS);
    expect(req).toEqual(expect.objectContaining({
      TrainingJobName: 'churn-1',
      EnableManagedSpotTraining: true,
      EnableNetworkIsolation: true,
      EnableInterContainerTrafficEncryption: true,
      StoppingCondition: { MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 },
      CheckpointConfig: { S3Uri: 's3://sagemakerplatform-checkpoints-abc/runs/churn-1/', LocalPath: '/opt/ml/checkpoints' },
      VpcConfig: { Subnets: ['subnet-0a1', 'subnet-0b2'], SecurityGroupIds: ['sg-0c3'] },
      AlgorithmSpecification: { TrainingImage: '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1', TrainingInputMode: 'File' },
      HyperParameters: expect.objectContaining({ max_depth: '6', eval_metric: 'auc' }),
    }));
    expect(req.InputDataConfig?.[0].DataSource?.S3DataSource?.S3Uri).toBe('s3://sagemakerplatform-trainingdata-abc/datasets/train/');
    const script = trainingRequestFromOutputs(await outputs(), { ...OPTIONS, algorithm: 'script', spot: false, inputMode: 'Pipe' });
    expect(script.EnableManagedSpotTraining).toBe(false);
    expect(script.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 3600 });
    expect(script.InputDataConfig?.map((c) => c.ChannelName)).toEqual(['train', 'validation', 'code']);
    expect(script.HyperParameters).toEqual(expect.objectContaining({ 'pca-variance': '0.95', 'scale-pos-weight': 'auto' }));
  });

  it('reads --max-runtime and --max-wait as whole seconds and names a bad flag before calling AWS', () => {
    expect(parseWholeSeconds('--max-wait', '7200')).toBe(7200);
    expect(parseWholeSeconds('--max-wait', undefined)).toBeUndefined();
    for (const bad of ['abc', '7200.5', '0', '-5', '', '1e4']) {
      expect(() => parseWholeSeconds('--max-wait', bad)).toThrow(`--max-wait must be a whole number of seconds >= 1 (got ${JSON.stringify(bad)})`);
    }
    // What slipped through before: Number('abc') is NaN, which the builder refuses too.
    expect(() => trainingRequestFromOutputs(fixtureOutputs(), { ...OPTIONS, maxWaitTimeInSeconds: Number('abc') }))
      .toThrow('maxWaitTimeInSeconds must be a whole number of seconds >= 1 (got NaN)');
  });

  it('rejects MaxWait < MaxRuntime before calling AWS', async () => {
    expect(() => trainingRequestFromOutputs(fixtureOutputs(), { ...OPTIONS, maxRuntimeInSeconds: 7200, maxWaitTimeInSeconds: 3600 }))
      .toThrow('maxWaitTimeInSeconds must be >= maxRuntimeInSeconds (got 3600 < 7200)');
  });

  it('starts the job, prints each status change once and the spot savings at the end', async () => {
    sm.on(CreateTrainingJobCommand).resolves({ TrainingJobArn: 'arn' });
    sm.on(DescribeTrainingJobCommand)
      .resolvesOnce({ TrainingJobStatus: 'InProgress', SecondaryStatus: 'Starting' })
      .resolvesOnce({ TrainingJobStatus: 'InProgress', SecondaryStatus: 'Starting' })
      .resolvesOnce({ TrainingJobStatus: 'InProgress', SecondaryStatus: 'Training' })
      .resolvesOnce({ TrainingJobStatus: 'InProgress', SecondaryStatus: 'Interrupted', SecondaryStatusTransitions: [{ Status: 'Interrupted', StartTime: new Date(), StatusMessage: 'Spot capacity reclaimed; resuming from checkpoint' }] })
      .resolves({ TrainingJobStatus: 'Completed', SecondaryStatus: 'Completed', TrainingTimeInSeconds: 1000, BillableTimeInSeconds: 300, ModelArtifacts: { S3ModelArtifacts: 's3://m/model.tar.gz' } });
    const lines: string[] = [];
    const request = trainingRequestFromOutputs(await outputs(), OPTIONS);
    await trainAndFollow(new SageMakerClient({}), request, { pollMs: 0, print: (l) => lines.push(l), sleep: async () => undefined });
    expect(sm).toHaveReceivedCommandWith(CreateTrainingJobCommand, { TrainingJobName: 'churn-1', EnableManagedSpotTraining: true });
    expect(lines).toEqual([
      'Started churn-1 (spot: true, checkpoints: s3://sagemakerplatform-checkpoints-abc/runs/churn-1/)',
      'InProgress/Starting',
      'InProgress/Training',
      'InProgress/Interrupted: Spot capacity reclaimed; resuming from checkpoint',
      'Completed/Completed',
      'Model: s3://m/model.tar.gz',
      'Spot savings: 70% (billable 300 s of 1000 s training)',
    ]);
  });

  it('fails with the job failure reason', async () => {
    sm.on(CreateTrainingJobCommand).resolves({});
    sm.on(DescribeTrainingJobCommand).resolves({ TrainingJobStatus: 'Failed', SecondaryStatus: 'Failed', FailureReason: 'ClientError: no .csv files in channel directory' });
    await expect(trainAndFollow(new SageMakerClient({}), trainingRequestFromOutputs(await outputs(), OPTIONS), { pollMs: 0, print: () => undefined }))
      .rejects.toThrow('Training job churn-1 Failed: ClientError: no .csv files in channel directory');
  });

  it('computes spot savings only when SageMaker reports billable time', () => {
    expect(spotSavings({ TrainingTimeInSeconds: 600, BillableTimeInSeconds: 600 })?.percent).toBe(0);
    expect(spotSavings({ TrainingTimeInSeconds: 600 })).toBeUndefined();
  });

  it('invokes the endpoint with one CSV record, and refuses a bad record', async () => {
    runtime.on(InvokeEndpointCommand).resolves({ Body: new TextEncoder().encode('0.8731\n') as never });
    expect(await invoke(new SageMakerRuntimeClient({}), 'ep', '0.1,2,-3.5')).toBe('0.8731');
    expect(runtime).toHaveReceivedCommandWith(InvokeEndpointCommand, { EndpointName: 'ep', ContentType: 'text/csv' });
    await expect(invoke(new SageMakerRuntimeClient({}), 'ep', '0.1,,abc')).rejects.toThrow('record must be comma-separated numbers (got "0.1,,abc")');
  });
});

describe('evaluation and leaderboard', () => {
  const EVALUATION = {
    test_rows: 1800, positives: 220, negatives: 1580, threshold: 0.5, confusion_matrix: { tn: 1500, fp: 80, fn: 35, tp: 185 },
    accuracy: 0.9361, precision: 0.6981, recall: 0.8409, specificity: 0.9494, f1: 0.7629, roc_auc: 0.9631, roc_curve_png: 'roc.png',
  };
  const body = (text: string) => ({ transformToString: async () => text }) as never;

  it('prints the evaluation a run wrote next to its model', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(JSON.stringify(EVALUATION)) });
    const { prefix, evaluation } = await readEvaluation(new S3Client({}), fixtureOutputs(), 'run-3-0');
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: 'sagemakerplatform-models-abc', Key: 'training-output/run-3-0/evaluation/evaluation.json' });
    expect(evaluationLines(prefix, evaluation)).toEqual([
      'Test split: 1800 rows (220 positive, 1580 negative); threshold 0.5',
      'ROC AUC      0.9631',
      'F1           0.7629',
      'Precision    0.6981',
      'Recall       0.8409   (sensitivity, true positive rate)',
      'Specificity  0.9494   (true negative rate)',
      'Accuracy     0.9361',
      'Confusion matrix:',
      '            predicted 0 predicted 1',
      '  actual 0         1500          80',
      '  actual 1           35         185',
      'ROC curve: s3://sagemakerplatform-models-abc/training-output/run-3-0/evaluation/roc.png',
    ]);
    expect(evaluationLines(prefix, { ...EVALUATION, precision: null, f1: null })[2]).toBe('F1           n/a (undefined)');
  });

  it('says which run has no evaluation yet, and refuses a bad job name before calling AWS', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));
    await expect(readEvaluation(new S3Client({}), fixtureOutputs(), 'run-9-0'))
      .rejects.toThrow('No evaluation.json under s3://sagemakerplatform-models-abc/training-output/run-9-0/evaluation/: the run of run-9-0 has not reached its Evaluate step');
    await expect(readEvaluation(new S3Client({}), fixtureOutputs(), '../etc')).rejects.toThrow('--training-job must be a training job name, 1-63 letters, digits or hyphens (got "../etc")');
    expect(s3).toHaveReceivedCommandTimes(GetObjectCommand, 1);
  });

  it('ranks a tuning job\'s training jobs by its objective, with their hyperparameters, unfinished ones last', async () => {
    sm.on(DescribeHyperParameterTuningJobCommand).resolves({ HyperParameterTuningJobConfig: { Strategy: 'Bayesian', HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'validation:auc' }, ResourceLimits: { MaxParallelTrainingJobs: 2 } } });
    const job = (name: string, value: number | undefined, depth: string, status = 'Completed') => ({
      TrainingJobName: name, TrainingJobArn: 'arn', CreationTime: new Date(), TrainingJobStatus: status as never,
      TunedHyperParameters: { max_depth: depth, eta: '0.2' },
      ...(value === undefined ? {} : { FinalHyperParameterTuningJobObjectiveMetric: { MetricName: 'validation:auc', Value: value } }),
    });
    sm.on(ListTrainingJobsForHyperParameterTuningJobCommand)
      .resolvesOnce({ TrainingJobSummaries: [job('tune-1-001', 0.91, '3'), job('tune-1-002', undefined, '9', 'Failed')], NextToken: 'page-2' })
      .resolvesOnce({ TrainingJobSummaries: [job('tune-1-003', 0.95, '6')] });
    const board = await leaderboard(new SageMakerClient({}), 'tune-1');
    expect(board.rows.map((r) => [r.rank, r.trainingJobName, r.objective])).toEqual([[1, 'tune-1-003', 0.95], [2, 'tune-1-001', 0.91], [3, 'tune-1-002', undefined]]);
    expect(leaderboardLines(board)).toEqual([
      '#  training job  status     validation:auc (maximize)  eta  max_depth',
      '1  tune-1-003    Completed  0.95000                    0.2  6',
      '2  tune-1-001    Completed  0.91000                    0.2  3',
      '3  tune-1-002    Failed     -                          0.2  9',
    ]);
    expect(sm).toHaveReceivedCommandWith(ListTrainingJobsForHyperParameterTuningJobCommand, { HyperParameterTuningJobName: 'tune-1', NextToken: 'page-2' });
  });

  it('refuses a tuning job name SageMaker would refuse (1-32 characters) before calling AWS', async () => {
    const tooLong = 'tune-2026-11-25-bayesian-max-depth';
    await expect(leaderboard(new SageMakerClient({}), tooLong)).rejects.toThrow(`A tuning job name must be 1-32 letters, digits or hyphens, starting with a letter or digit (got "${tooLong}", 34 characters)`);
    expect(sm).toHaveReceivedCommandTimes(DescribeHyperParameterTuningJobCommand, 0);
  });
});

function fixtureOutputs(): PlatformOutputs {
  return Object.fromEntries(STACK.Stacks![0].Outputs!.map((o) => [o.OutputKey, o.OutputValue])) as unknown as PlatformOutputs;
}
