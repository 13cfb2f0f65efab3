import { App, Environment } from 'aws-cdk-lib';
import { optIn } from './config/opt-in';
import { DeploymentProfile } from './config/profile';
import { ArchitectureStack } from './stacks/architecture';
import { DataLakeStack } from './stacks/datalake-stack';
import { SpeechChainStack } from './stacks/speech-stack';
import { SageMakerPlatformStack } from './stacks/sagemaker-stack';
import { VideoAnalysisStack } from './stacks/video-stack';

export interface ArchitecturesProps {
  readonly profile: DeploymentProfile;
  /** @default - environment-agnostic */
  readonly env?: Environment;
}

/** Switches each app read through appOptIn: the docs generator turns them all on to draw the whole architecture. */
const OPT_INS_READ = new WeakMap<App, Set<string>>();

/** The opt-in switches the app has read so far, sorted. */
export function optInsRead(app: App): string[] {
  return [...(OPT_INS_READ.get(app) ?? [])].sort();
}

/** Read an opt-in context switch of the app (`-c <name>=true`). */
export function appOptIn(app: App, name: string, defaultValue = false): boolean {
  OPT_INS_READ.set(app, (OPT_INS_READ.get(app) ?? new Set<string>()).add(name));
  return optIn(name, app.node.tryGetContext(name), defaultValue);
}

/**
 * Context the opt-in parts need besides their switch, with values that only have to synthesize
 * (the templates are the same shape for any value). Used wherever every opt-in part is turned on:
 * the synth matrix of `npm test`, the docs generator, the tests.
 */
export const OPT_IN_VALUES: Readonly<Record<string, string>> = {
  // The endpoint serves the artifact of a training run; its bucket and key do not change the template's shape.
  'sagemaker.modelDataUrl': 's3://example-models/training-output/run-0/output/model.tar.gz',
};

/**
 * The context that turns every opt-in part on: each switch the app reads (found by building it
 * once, so a new switch is included by itself) set to true, plus OPT_IN_VALUES. `makeApp` builds
 * an App with the caller's own settings (outdir, no bundling).
 */
export function everyOptIn(makeApp: () => App, props: ArchitecturesProps): Record<string, string> {
  const app = makeApp();
  addArchitectures(app, props);
  return { ...OPT_IN_VALUES, ...Object.fromEntries(optInsRead(app).map((name) => [name, 'true'])) };
}

/** Every architecture stack of the project, in the order the README lists them. */
export function addArchitectures(app: App, props: ArchitecturesProps): ArchitectureStack[] {
  const common = { profile: props.profile, env: props.env };
  // Each description is the stack's one line in the CloudFormation console and in the README's
  // table of architectures (npm run docs writes it there).
  const dataLake = new DataLakeStack(app, 'DataLake', {
    ...common,
    description: 'Kinesis -> Firehose (Parquet, dynamic partitioning) -> S3 -> Glue catalog (partition projection) + crawler -> Athena; one PySpark curation on Glue and EMR Serverless producing SageMaker-ready splits; opt-in Flink SQL real-time analytics (`-c datalake.realtime=true`)',
    onDemandStream: appOptIn(app, 'datalake.onDemandStream'),
    realtime: appOptIn(app, 'datalake.realtime'),
  });
  // `-c sagemaker.curatedRun=<run id>` trains on a data-lake curation run (the SageMaker stack then
  // depends on the data lake); without it the platform uses its own training-data bucket.
  const curatedRun: unknown = app.node.tryGetContext('sagemaker.curatedRun');
  return [
    dataLake,
    new VideoAnalysisStack(app, 'VideoAnalysis', {
      ...common,
      description: 'Rekognition Video: S3 -> async jobs (20-job quota) -> SNS -> SQS -> results in S3 + index; image labels, faces, text, moderation, celebrities; opt-in live face search on Kinesis Video frames (`-c video.streaming=true`)',
      streaming: appOptIn(app, 'video.streaming'),
    }),
    new SpeechChainStack(app, 'SpeechChain', {
      ...common,
      description: 'S3 audio -> Transcribe (wait/poll) -> Translate if needed -> Comprehend, chained by Step Functions',
    }),
    new SageMakerPlatformStack(app, 'SageMakerPlatform', {
      ...common,
      description: 'Private no-internet VPC -> Managed Spot Training with checkpoints (Step Functions `.sync`), serial inference pipeline (preprocess -> PCA -> XGBoost), batch transform and evaluation of the test split (confusion matrix, F1, ROC AUC), Bayesian tuning; opt-in locked-down notebook and auto-scaled endpoint',
      notebook: appOptIn(app, 'sagemaker.notebook'),
      endpoint: appOptIn(app, 'sagemaker.endpoint'),
      modelDataUrl: app.node.tryGetContext('sagemaker.modelDataUrl'),
      trainingData: curatedRun === undefined ? undefined : dataLake.curatedCsvDataset(String(curatedRun)),
    }),
  ];
}
