import { Aspects, Fn, Stack, StackProps, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DeploymentProfile } from '../config/profile';
import { FunctionLogGroups } from '../constructs/function-log-groups';
import { SecureKey } from '../constructs/secure-key';

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
    // aws-cdk-lib's helper functions get log groups the stack owns (encrypted with the stack's key),
    // so `cdk destroy` leaves no /aws/lambda/... group behind.
    Aspects.of(this).add(new FunctionLogGroups(() => ({
      encryptionKey: this.stackKey(),
      retention: props.profile.logRetention,
      removalPolicy: props.profile.removalPolicy,
    })));
  }

  /** The stack's one customer-managed key (every architecture stack has exactly one SecureKey). */
  private stackKey(): SecureKey {
    const keys = this.node.findAll().filter((c): c is SecureKey => c instanceof SecureKey);
    if (keys.length !== 1) {
      throw new Error(`${this.node.path} must hold exactly one SecureKey to encrypt its helper functions' logs (found ${keys.length})`);
    }
    return keys[0];
  }

  /**
   * The first AZs of the region as CloudFormation lists them (`Fn::GetAZs`), pinned or not. A
   * pinned stack would otherwise look its zones up in the account at synth, so `cdk synth`, `cdk
   * bootstrap` and `cdk deploy` with `-c account=... -c region=...` would need credentials just to
   * build the template, and templates would differ between accounts. Two is the most any stack
   * here spreads over (the production profile's maxAzs).
   */
  public override get availabilityZones(): string[] {
    return [Fn.select(0, Fn.getAzs()), Fn.select(1, Fn.getAzs())];
  }
}
