import * as fs from 'node:fs';
import * as path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand, DescribeStacksCommandOutput } from '@aws-sdk/client-cloudformation';
import { CreateTrainingJobCommand, DescribeTrainingJobCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { invoke, PlatformOutputs, readOutputs, spotSavings, trainAndFollow, trainingRequestFromOutputs, TrainOptions } from '../../lib/sagemaker/cli';

const STACK = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/sagemaker/stack-outputs.json'), 'utf8')) as DescribeStacksCommandOutput;
const cfn = mockClient(CloudFormationClient);
const sm = mockClient(SageMakerClient);
const runtime = mockClient(SageMakerRuntimeClient);
const OPTIONS: TrainOptions = {
  region: 'eu-west-1', runName: 'churn-1', algorithm: 'builtin', maxRuntimeInSeconds: 3600, spot: true,
  inputMode: 'File', instanceType: 'ml.m5.large', hyperparameters: { max_depth: '6' },
};

beforeEach(() => {
  cfn.reset();
  sm.reset();
  runtime.reset();
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

function fixtureOutputs(): PlatformOutputs {
  return Object.fromEntries(STACK.Stacks![0].Outputs!.map((o) => [o.OutputKey, o.OutputValue])) as unknown as PlatformOutputs;
}
