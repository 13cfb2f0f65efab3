import { App, Environment } from 'aws-cdk-lib';
import { DeploymentProfile } from './config/profile';
import { ArchitectureStack } from './stacks/architecture';
import { PlaceholderStack } from './stacks/placeholder-stack';

export interface ArchitecturesProps {
  readonly profile: DeploymentProfile;
  /** @default - environment-agnostic */
  readonly env?: Environment;
}

/** Every architecture stack of the project, in the order the README lists them. */
export function addArchitectures(app: App, props: ArchitecturesProps): ArchitectureStack[] {
  const common = { profile: props.profile, env: props.env };
  return [new PlaceholderStack(app, 'Placeholder', common)];
}
