/**
 * Logic of the SageMaker CLI (scripts/sagemaker.ts), kept apart from argument parsing and I/O so
 * it is tested with mocked SDK clients: read the stack outputs, build the same training request
 * as the state machine (buildTrainingRequest), start it, follow it, report spot savings.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CreateTrainingJobCommand,
  CreateTrainingJobRequest,
  DescribeTrainingJobCommand,
  DescribeTrainingJobCommandOutput,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { xgboostImage } from './images';
import { buildTrainingRequest, TrainingRequestInput } from './training-request';

/** The stack outputs the CLI needs (CfnOutput names in lib/stacks/sagemaker-stack.ts). */
export interface PlatformOutputs {
  readonly ExecutionRoleArn: string;
  readonly TrainingDataUri: string;
  readonly CheckpointsBucketName: string;
  readonly ModelsBucketName: string;
  readonly SourceDirUri: string;
  readonly KeyArn: string;
  readonly SubnetIds: string;
  readonly SecurityGroupId: string;
  readonly EndpointName?: string;
}
const REQUIRED: Array<keyof PlatformOutputs> = ['ExecutionRoleArn', 'TrainingDataUri', 'CheckpointsBucketName', 'ModelsBucketName', 'SourceDirUri', 'KeyArn', 'SubnetIds', 'SecurityGroupId'];

export async function readOutputs(cfn: CloudFormationClient, stackName: string): Promise<PlatformOutputs> {
  const res = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = Object.fromEntries((res.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  const missing = REQUIRED.filter((k) => !outputs[k]);
  if (missing.length > 0) {
    throw new Error(`Stack ${stackName} has no output(s) ${missing.join(', ')}: deploy the SageMakerPlatform stack first`);
  }
  return outputs as unknown as PlatformOutputs;
}

export interface TrainOptions {
  readonly region: string;
  readonly runName: string;
  readonly algorithm: 'builtin' | 'script';
  readonly maxRuntimeInSeconds: number;
  readonly maxWaitTimeInSeconds?: number;
  readonly spot: boolean;
  readonly inputMode: 'File' | 'Pipe';
  readonly instanceType: string;
  readonly hyperparameters: Record<string, string>;
}

const BUILTIN_DEFAULTS = { objective: 'binary:logistic', eval_metric: 'auc', num_round: '150', max_depth: '5', eta: '0.2' };
const SCRIPT_DEFAULTS = { 'num-round': '150', 'max-depth': '5', eta: '0.2', objective: 'binary:logistic', 'eval-metric': 'auc', 'checkpoint-every': '10' };

/** The request the CLI sends: the state machine's request with laptop-chosen values. */
export function trainingRequestFromOutputs(outputs: PlatformOutputs, options: TrainOptions): CreateTrainingJobRequest {
  const image = xgboostImage(options.region);
  const input: TrainingRequestInput = {
    jobName: options.runName,
    roleArn: outputs.ExecutionRoleArn,
    algorithm: options.algorithm === 'script'
      ? { kind: 'script', image, sourceDirUri: outputs.SourceDirUri, entryPoint: 'train.py' }
      : { kind: 'builtin', image, supportsCheckpoints: true },
    hyperparameters: { ...(options.algorithm === 'script' ? SCRIPT_DEFAULTS : BUILTIN_DEFAULTS), ...options.hyperparameters },
    trainUri: `${outputs.TrainingDataUri}train/`,
    validationUri: `${outputs.TrainingDataUri}validation/`,
    outputUri: `s3://${outputs.ModelsBucketName}/training-output/`,
    checkpointUri: `s3://${outputs.CheckpointsBucketName}/runs/${options.runName}/`,
    inputMode: options.inputMode,
    instanceType: options.instanceType,
    maxRuntimeInSeconds: options.maxRuntimeInSeconds,
    maxWaitTimeInSeconds: options.spot ? (options.maxWaitTimeInSeconds ?? options.maxRuntimeInSeconds * 2) : undefined,
    spot: options.spot,
    subnetIds: outputs.SubnetIds.split(',').filter(Boolean),
    securityGroupIds: [outputs.SecurityGroupId],
    kmsKeyId: outputs.KeyArn,
  };
  return buildTrainingRequest(input);
}

/** Spot savings as SageMaker computes them: 1 - billable / training time. */
export function spotSavings(job: Pick<DescribeTrainingJobCommandOutput, 'TrainingTimeInSeconds' | 'BillableTimeInSeconds'>): { percent: number; line: string } | undefined {
  const training = job.TrainingTimeInSeconds;
  const billable = job.BillableTimeInSeconds;
  if (!training || billable === undefined) {
    return undefined;
  }
  const percent = Math.round((1 - billable / training) * 1000) / 10;
  return { percent, line: `Spot savings: ${percent}% (billable ${billable} s of ${training} s training)` };
}

/** One progress line per change of status. */
export function progressLine(job: Pick<DescribeTrainingJobCommandOutput, 'TrainingJobStatus' | 'SecondaryStatus' | 'SecondaryStatusTransitions'>): string {
  const last = job.SecondaryStatusTransitions?.at(-1);
  return `${job.TrainingJobStatus}/${job.SecondaryStatus}${last?.StatusMessage ? `: ${last.StatusMessage}` : ''}`;
}

const TERMINAL = new Set(['Completed', 'Failed', 'Stopped']);

/** Start the job and follow it until it ends; returns the final description. */
export async function trainAndFollow(
  sm: SageMakerClient,
  request: CreateTrainingJobRequest,
  options: { pollMs: number; print: (line: string) => void; sleep?: (ms: number) => Promise<void> },
): Promise<DescribeTrainingJobCommandOutput> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  await sm.send(new CreateTrainingJobCommand(request));
  options.print(`Started ${request.TrainingJobName} (spot: ${request.EnableManagedSpotTraining}, checkpoints: ${request.CheckpointConfig?.S3Uri})`);
  let previous = '';
  for (;;) {
    const job = await sm.send(new DescribeTrainingJobCommand({ TrainingJobName: request.TrainingJobName }));
    const line = progressLine(job);
    if (line !== previous) {
      options.print(line);
      previous = line;
    }
    if (TERMINAL.has(job.TrainingJobStatus ?? '')) {
      if (job.TrainingJobStatus !== 'Completed') {
        throw new Error(`Training job ${request.TrainingJobName} ${job.TrainingJobStatus}: ${job.FailureReason ?? 'no reason given'}`);
      }
      options.print(`Model: ${job.ModelArtifacts?.S3ModelArtifacts}`);
      options.print(spotSavings(job)?.line ?? 'Spot savings: not reported (on-demand job)');
      return job;
    }
    await sleep(options.pollMs);
  }
}

/** Invoke the endpoint with one CSV record (features only) and return the prediction. */
export async function invoke(runtime: SageMakerRuntimeClient, endpointName: string, record: string): Promise<string> {
  const fields = record.split(',');
  if (fields.length === 0 || fields.some((f) => f.trim() === '' || Number.isNaN(Number(f)))) {
    throw new Error(`record must be comma-separated numbers (got ${JSON.stringify(record)})`);
  }
  const res = await runtime.send(new InvokeEndpointCommand({ EndpointName: endpointName, ContentType: 'text/csv', Accept: 'text/csv', Body: new TextEncoder().encode(record) }));
  return new TextDecoder().decode(res.Body).trim();
}
