import { Aspects, Fn, RemovalPolicy, Stack, StackProps, Tags } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DeploymentProfile } from '../config/profile';
import { FunctionLogGroups } from '../constructs/function-log-groups';
import { AccessLogsBucket, SecureBucket, SecureBucketProps } from '../constructs/secure-bucket';
import { SecureKey } from '../constructs/secure-key';

export interface ArchitectureStackProps extends StackProps {
  /** Sandbox or production: removal, sizes and opt-ins follow it. */
  readonly profile: DeploymentProfile;
}

/** The stack's key: what it protects, and which services encrypt with it on their own behalf. */
export interface StackKeyOptions {
  /** What the key protects (the stack name is put in front). */
  readonly protects: string;
  /** Besides CloudWatch Logs (always allowed). @default - none */
  readonly servicePrincipals?: string[];
}

/** How long a resource of the stack lives: the profile's removal policy and log retention. */
export interface ResourceLifecycle {
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: logs.RetentionDays;
}

/**
 * Base class of every architecture stack, and the one preamble they share: it carries the profile,
 * tags everything, and creates what every architecture starts with, from the profile: the stack's
 * customer-managed key (`Key`) and the bucket of its server access logs (`AccessLogs`). Data
 * buckets come from `dataBucket`. Every sandbox/production difference is read from the profile.
 */
export abstract class ArchitectureStack extends Stack {
  public readonly profile: DeploymentProfile;
  /** The stack's one customer-managed key: its buckets, queues, topics, tables, streams and logs. */
  public readonly key: SecureKey;
  /** Where the server access logs of every bucket of the stack go. */
  public readonly accessLogs: AccessLogsBucket;
  /** The profile's removal policy and log retention, for constructs that hold data or logs. */
  protected readonly lifecycle: ResourceLifecycle;

  protected constructor(scope: Construct, id: string, architecture: string, props: ArchitectureStackProps, key: StackKeyOptions) {
    const tags = { project: 'ml-on-aws-reference-architectures', architecture, profile: props.profile.name };
    // Stack tags (the explicitStackTags flag wants them in props) reach what CloudFormation
    // creates; Tags.of reaches every taggable resource in the template.
    super(scope, id, { ...props, tags: { ...props.tags, ...tags } });
    const { profile } = props;
    this.profile = profile;
    for (const [tagKey, value] of Object.entries(tags)) {
      Tags.of(this).add(tagKey, value);
    }
    this.lifecycle = { removalPolicy: profile.removalPolicy, logRetention: profile.logRetention };
    // Top-level ids, as every stack has had them: stateful resources keep their logical ids.
    this.key = new SecureKey(this, 'Key', {
      description: `${this.stackName}: ${key.protects}`,
      servicePrincipals: key.servicePrincipals,
      removalPolicy: profile.removalPolicy,
      pendingWindow: profile.keyPendingWindow,
    });
    this.accessLogs = new AccessLogsBucket(this, 'AccessLogs', { removalPolicy: profile.removalPolicy, autoDeleteObjects: profile.autoDeleteObjects });
    // aws-cdk-lib's helper functions get log groups the stack owns (encrypted with the stack's key),
    // so `cdk destroy` leaves no /aws/lambda/... group behind.
    Aspects.of(this).add(new FunctionLogGroups({ encryptionKey: this.key, retention: profile.logRetention, removalPolicy: profile.removalPolicy }));
  }

  /**
   * A data bucket of the stack: encrypted with the stack's key, logging to its access-logs bucket,
   * kept or emptied and deleted as the profile says, non-current versions kept as long as it says.
   */
  protected dataBucket(id: string, props: Pick<SecureBucketProps, 'lifecycleRules' | 'noncurrentVersionExpiration' | 'cors'> = {}): SecureBucket {
    return new SecureBucket(this, id, {
      encryptionKey: this.key,
      serverAccessLogsBucket: this.accessLogs,
      removalPolicy: this.profile.removalPolicy,
      autoDeleteObjects: this.profile.autoDeleteObjects,
      noncurrentVersionExpiration: props.noncurrentVersionExpiration ?? this.profile.noncurrentVersionExpiration,
      lifecycleRules: props.lifecycleRules,
      cors: props.cors,
    });
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
