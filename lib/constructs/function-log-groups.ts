import { CfnResource, IAspect, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { SecureLogGroup } from './secure-log-group';

export interface FunctionLogGroupsProps {
  /** Key of the log groups. */
  readonly encryptionKey: kms.IKey;
  readonly retention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Gives every Lambda function of a stack that has no log group of its own one the stack owns.
 * aws-cdk-lib's helper functions (the S3 auto-delete and default-security-group providers, the
 * Provider framework) log to /aws/lambda/<function name>, a group Lambda creates on first invoke
 * outside the stack: with no retention, no key, and left behind by `cdk destroy`. Here each gets
 * a SecureLogGroup (retention, KMS, the stack's removal policy) set as its LoggingConfig, and the
 * function depends on it, so on delete the group outlives the function's last invocation (the
 * custom resources that call it depend on the function).
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html
 */
export class FunctionLogGroups implements IAspect {
  private scope?: Construct;

  constructor(private readonly props: FunctionLogGroupsProps) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof CfnResource) || node.cfnResourceType !== 'AWS::Lambda::Function' || hasLoggingConfig(node)) {
      return;
    }
    const stack = Stack.of(node);
    const props = this.props;
    this.scope ??= new Construct(stack, 'FunctionLogGroups');
    const group = new SecureLogGroup(this.scope, stack.getLogicalId(node), {
      encryptionKey: props.encryptionKey,
      retention: props.retention,
      removalPolicy: props.removalPolicy,
    });
    node.addPropertyOverride('LoggingConfig.LogGroup', group.logGroupName);
    node.addResourceDependency(group.node.defaultChild as CfnResource);
  }
}

/** Whether the function already names a log group (an L2 function given `logGroup`, or an override). */
function hasLoggingConfig(fn: CfnResource): boolean {
  if (fn instanceof lambda.CfnFunction) {
    return fn.loggingConfig !== undefined || hasOverride(fn);
  }
  // CfnResource of type AWS::Lambda::Function (aws-cdk-lib's CustomResourceProvider): its
  // properties live in the protected _cfnProperties.
  const properties = (fn as unknown as { _cfnProperties?: Record<string, unknown> })._cfnProperties ?? {};
  return properties.LoggingConfig !== undefined || hasOverride(fn);
}

function hasOverride(fn: CfnResource): boolean {
  const overrides = (fn as unknown as { rawOverrides?: { Properties?: Record<string, unknown> } }).rawOverrides;
  return overrides?.Properties?.LoggingConfig !== undefined;
}
