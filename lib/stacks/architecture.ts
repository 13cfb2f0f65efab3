import { Stack, StackProps, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DeploymentProfile } from '../config/profile';

export interface ArchitectureStackProps extends StackProps {
  /** Sandbox or production: removal, sizes and opt-ins follow it. */
  readonly profile: DeploymentProfile;
}

/** Base class of every architecture stack: carries the profile and tags everything in it. */
export abstract class ArchitectureStack extends Stack {
  public readonly profile: DeploymentProfile;

  protected constructor(scope: Construct, id: string, architecture: string, props: ArchitectureStackProps) {
    const tags = { project: 'ml-on-aws-reference-architectures', architecture, profile: props.profile.name };
    // Stack tags (the explicitStackTags flag wants them in props) reach what CloudFormation
    // creates; Tags.of reaches every taggable resource in the template.
    super(scope, id, { ...props, tags: { ...props.tags, ...tags } });
    this.profile = props.profile;
    for (const [key, value] of Object.entries(tags)) {
      Tags.of(this).add(key, value);
    }
  }
}
