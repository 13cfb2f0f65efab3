/**
 * Logic of the SageMaker CLI (scripts/sagemaker.ts), kept apart from argument parsing and I/O so
 * it is tested with mocked SDK clients: read the stack outputs, build the same training request
 * as the state machine (buildTrainingRequest), start it, follow it, report spot savings; show the
 * evaluation a run wrote next to its model; rank a tuning job's training jobs.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import {
  CreateTrainingJobCommand,
  CreateTrainingJobRequest,
  DescribeHyperParameterTuningJobCommand,
  DescribeTrainingJobCommand,
  DescribeTrainingJobCommandOutput,
  HyperParameterTrainingJobSummary,
  paginateListTrainingJobsForHyperParameterTuningJob,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { xgboostImage } from './images';
import { buildTrainingRequest, isJobName, TrainingRequestInput, validateTuningJobName } from './training-request';

/** The stack outputs the CLI needs (CfnOutput names in lib/stacks/sagemaker-stack.ts). */
export interface PlatformOutputs {
  readonly ExecutionRoleArn: string;
  readonly TrainingDataUri: string;
  readonly CheckpointsBucketName: string;
  readonly ModelsBucketName: string;
  readonly SourceDirUri: string;
  readonly EvaluationCodeUri: string;
  readonly KeyArn: string;
  readonly SubnetIds: string;
  readonly SecurityGroupId: string;
  readonly EndpointName?: string;
}
const REQUIRED: Array<keyof PlatformOutputs> = ['ExecutionRoleArn', 'TrainingDataUri', 'CheckpointsBucketName', 'ModelsBucketName', 'SourceDirUri', 'EvaluationCodeUri', 'KeyArn', 'SubnetIds', 'SecurityGroupId'];

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
const SCRIPT_DEFAULTS = {
  'num-round': '150', 'max-depth': '5', eta: '0.2', objective: 'binary:logistic', 'eval-metric': 'auc', 'checkpoint-every': '10',
  'pca-variance': '0.95', 'scale-pos-weight': 'auto',
};

/**
 * A whole number of seconds from a command-line flag (`--max-wait 7200`), checked before anything
 * is sent: Number() would turn "abc" into NaN and "7200.5" into a fraction the API refuses later.
 */
export function parseWholeSeconds(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) {
    return undefined;
  }
  if (!/^[1-9][0-9]*$/.test(raw.trim())) {
    throw new Error(`${flag} must be a whole number of seconds >= 1 (got ${JSON.stringify(raw)})`);
  }
  return Number(raw.trim());
}

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

/** What sagemaker/evaluate.py writes (evaluation.json). */
export interface Evaluation {
  readonly test_rows: number;
  readonly positives: number;
  readonly negatives: number;
  readonly threshold: number;
  readonly confusion_matrix: { readonly tn: number; readonly fp: number; readonly fn: number; readonly tp: number };
  readonly accuracy: number | null;
  readonly precision: number | null;
  readonly recall: number | null;
  readonly specificity: number | null;
  readonly f1: number | null;
  readonly roc_auc: number;
  readonly roc_curve_png: string;
}

/** The evaluation a state machine run wrote next to its model: training-output/<job>/evaluation/. */
export async function readEvaluation(s3: S3Client, outputs: Pick<PlatformOutputs, 'ModelsBucketName'>, trainingJobName: string): Promise<{ prefix: string; evaluation: Evaluation }> {
  if (!isJobName(trainingJobName)) {
    throw new Error(`--training-job must be a training job name, 1-63 letters, digits or hyphens (got ${JSON.stringify(trainingJobName)})`);
  }
  const key = `training-output/${trainingJobName}/evaluation/`;
  const prefix = `s3://${outputs.ModelsBucketName}/${key}`;
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: outputs.ModelsBucketName, Key: `${key}evaluation.json` }));
    return { prefix, evaluation: JSON.parse(await res.Body!.transformToString()) as Evaluation };
  } catch (err) {
    if (err instanceof NoSuchKey) {
      throw new Error(`No evaluation.json under ${prefix}: the run of ${trainingJobName} has not reached its Evaluate step (or failed before it)`);
    }
    throw err;
  }
}

const figure = (v: number | null) => (v === null ? 'n/a (undefined)' : v.toFixed(4));

/** The figures as a person reads them: metrics, then the confusion matrix as a table. */
export function evaluationLines(prefix: string, e: Evaluation): string[] {
  const cm = e.confusion_matrix;
  const width = Math.max(...[cm.tn, cm.fp, cm.fn, cm.tp].map((n) => String(n).length), 'predicted 0'.length);
  const cell = (v: string | number) => String(v).padStart(width);
  return [
    `Test split: ${e.test_rows} rows (${e.positives} positive, ${e.negatives} negative); threshold ${e.threshold}`,
    `ROC AUC      ${figure(e.roc_auc)}`,
    `F1           ${figure(e.f1)}`,
    `Precision    ${figure(e.precision)}`,
    `Recall       ${figure(e.recall)}   (sensitivity, true positive rate)`,
    `Specificity  ${figure(e.specificity)}   (true negative rate)`,
    `Accuracy     ${figure(e.accuracy)}`,
    'Confusion matrix:',
    `            ${cell('predicted 0')} ${cell('predicted 1')}`,
    `  actual 0  ${cell(cm.tn)} ${cell(cm.fp)}`,
    `  actual 1  ${cell(cm.fn)} ${cell(cm.tp)}`,
    `ROC curve: ${prefix}${e.roc_curve_png}`,
  ];
}

export interface LeaderboardRow {
  readonly rank: number;
  readonly trainingJobName: string;
  readonly status: string;
  readonly objective?: number;
  readonly hyperparameters: Readonly<Record<string, string>>;
}

/**
 * The notes' tuning "leaderboard": every training job of a tuning job, best objective first (by
 * the tuning job's own direction), jobs without a value (failed, stopped early) last.
 */
export async function leaderboard(sm: SageMakerClient, tuningJobName: string): Promise<{ metric: string; direction: string; rows: LeaderboardRow[] }> {
  validateTuningJobName(tuningJobName);
  const tuning = await sm.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: tuningJobName }));
  const objective = tuning.HyperParameterTuningJobConfig?.HyperParameterTuningJobObjective;
  const direction = objective?.Type ?? 'Maximize';
  const jobs: HyperParameterTrainingJobSummary[] = [];
  for await (const page of paginateListTrainingJobsForHyperParameterTuningJob({ client: sm }, { HyperParameterTuningJobName: tuningJobName, MaxResults: 100 })) {
    jobs.push(...(page.TrainingJobSummaries ?? []));
  }
  const value = (j: HyperParameterTrainingJobSummary) => j.FinalHyperParameterTuningJobObjectiveMetric?.Value;
  const sign = direction === 'Minimize' ? 1 : -1;
  jobs.sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va === undefined || vb === undefined) {
      return va === undefined && vb === undefined ? String(a.TrainingJobName).localeCompare(String(b.TrainingJobName)) : va === undefined ? 1 : -1;
    }
    return sign * (va - vb);
  });
  return {
    metric: objective?.MetricName ?? 'objective',
    direction,
    rows: jobs.map((j, i) => ({
      rank: i + 1,
      trainingJobName: j.TrainingJobName ?? '?',
      status: j.TrainingJobStatus ?? '?',
      objective: value(j),
      hyperparameters: j.TunedHyperParameters ?? {},
    })),
  };
}

export function leaderboardLines(board: Awaited<ReturnType<typeof leaderboard>>): string[] {
  if (board.rows.length === 0) {
    return ['No training jobs yet'];
  }
  const names = [...new Set(board.rows.flatMap((r) => Object.keys(r.hyperparameters)))].sort();
  const header = ['#', 'training job', 'status', `${board.metric} (${board.direction.toLowerCase()})`, ...names];
  const table = board.rows.map((r) => [String(r.rank), r.trainingJobName, r.status, r.objective === undefined ? '-' : r.objective.toFixed(5), ...names.map((n) => r.hyperparameters[n] ?? '-')]);
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => row[c].length)));
  const line = (cells: string[]) => cells.map((v, c) => v.padEnd(widths[c])).join('  ').trimEnd();
  return [line(header), ...table.map(line)];
}
