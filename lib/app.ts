import { App, Environment } from 'aws-cdk-lib';
import { optIn } from './config/opt-in';
import { DeploymentProfile } from './config/profile';
import { ArchitectureStack } from './stacks/architecture';
import { DataLakeStack } from './stacks/datalake-stack';
import { SpeechChainStack } from './stacks/speech-stack';

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
  return [
    new DataLakeStack(app, 'DataLake', { ...common, onDemandStream: appOptIn(app, 'datalake.onDemandStream') }),
    new SpeechChainStack(app, 'SpeechChain', common),
  ];
}
