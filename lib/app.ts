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

/** Read an opt-in context switch of the app (`-c <name>=true`). */
export function appOptIn(app: App, name: string, defaultValue = false): boolean {
  return optIn(name, app.node.tryGetContext(name), defaultValue);
}

/** Every architecture stack of the project, in the order the README lists them. */
export function addArchitectures(app: App, props: ArchitecturesProps): ArchitectureStack[] {
  const common = { profile: props.profile, env: props.env };
  const dataLake = new DataLakeStack(app, 'DataLake', { ...common, onDemandStream: appOptIn(app, 'datalake.onDemandStream') });
  // `-c sagemaker.curatedRun=<run id>` trains on a data-lake curation run (the SageMaker stack then
  // depends on the data lake); without it the platform uses its own training-data bucket.
  const curatedRun: unknown = app.node.tryGetContext('sagemaker.curatedRun');
  return [
    dataLake,
    new VideoAnalysisStack(app, 'VideoAnalysis', { ...common, streaming: appOptIn(app, 'video.streaming') }),
    new SpeechChainStack(app, 'SpeechChain', common),
    new SageMakerPlatformStack(app, 'SageMakerPlatform', {
      ...common,
      notebook: appOptIn(app, 'sagemaker.notebook'),
      endpoint: appOptIn(app, 'sagemaker.endpoint'),
      modelDataUrl: app.node.tryGetContext('sagemaker.modelDataUrl'),
      trainingData: curatedRun === undefined ? undefined : dataLake.curatedCsvDataset(String(curatedRun)),
    }),
  ];
}
