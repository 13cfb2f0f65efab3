import { RemovalPolicy } from 'aws-cdk-lib';
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
