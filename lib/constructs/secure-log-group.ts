import { Aws, Fn, Names, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface SecureLogGroupProps {
  /** Key that encrypts the log events; its policy must allow CloudWatch Logs (SecureKey does). */
  readonly encryptionKey: kms.IKey;
  /** @default logs.RetentionDays.ONE_YEAR (the Control Tower minimum, CT.CLOUDWATCH.PR.2) */
  readonly retention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * A fixed name, only where a service insists on one (e.g. `/aws/vendedlogs/states/...`).
   * @default - a generated name
   */
  readonly logGroupName?: string;
}

/**
 * A name under `/aws/vendedlogs/<service>/` for a log group a service delivers to (Step Functions
 * execution logs). The service adds each log group it delivers to into the account's CloudWatch
 * Logs resource policy, which is capped at 5,120 characters; groups under /aws/vendedlogs/ are
 * covered by one wildcard entry instead ("Enabling logging from AWS services", CloudWatch Logs
 * guide: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html;
 * Step Functions: https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html). The prefix
 * forces a fixed name, so it ends with the UUID of the stack's id: unique per deployment, a group
 * a production destroy retained never blocks the next deploy.
 */
export function vendedLogGroupName(scope: Construct, id: string, service: 'states'): string {
  const readable = `${Names.uniqueResourceName(scope, { maxLength: 96, separator: '-' })}-${id}`;
  return Fn.join('', [`/aws/vendedlogs/${service}/`, readable, '-', Fn.select(2, Fn.split('/', Aws.STACK_ID))]);
}

/** A log group with a retention period and a customer-managed key: never "never expire", never unencrypted. */
export class SecureLogGroup extends logs.LogGroup {
  constructor(scope: Construct, id: string, props: SecureLogGroupProps) {
    const retention = props.retention ?? logs.RetentionDays.ONE_YEAR;
    if (retention === logs.RetentionDays.INFINITE) {
      throw new Error('SecureLogGroup retention must be finite (got INFINITE)');
    }
    super(scope, id, {
      encryptionKey: props.encryptionKey,
      retention,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      logGroupName: props.logGroupName,
    });
  }
}
