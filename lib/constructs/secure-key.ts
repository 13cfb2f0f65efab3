import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface SecureKeyProps {
  /** What the key protects; shows in the console and in CloudTrail. */
  readonly description: string;
  /**
   * Service principals (besides CloudWatch Logs, which is always allowed) that encrypt with this
   * key on their own behalf, e.g. `sns.amazonaws.com` delivering to an encrypted queue.
   * @default - none
   */
  readonly servicePrincipals?: string[];
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** @default Duration.days(30) */
  readonly pendingWindow?: Duration;
}

/**
 * A customer-managed KMS key with the project's defaults: yearly rotation, CloudWatch Logs allowed
 * to use it for log groups in this account and region only, and the Control Tower grant guard
 * (CT.KMS.PR.3): nobody may create grants except for AWS resources or AWS services.
 */
export class SecureKey extends kms.Key {
  constructor(scope: Construct, id: string, props: SecureKeyProps) {
    super(scope, id, {
      description: props.description,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      pendingWindow: props.pendingWindow ?? Duration.days(30),
    });
    const stack = Stack.of(this);

    // Log groups encrypt through the logs service principal, scoped by the encryption context
    // CloudWatch Logs sends (the log group ARN) so the key cannot serve another account's logs.
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogs',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'], // in a key policy '*' means this key
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );

    for (const service of props.servicePrincipals ?? []) {
      this.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `Allow${service.split('.')[0].replace(/[^A-Za-z0-9]/g, '')}`,
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'], // in a key policy '*' means this key
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }),
      );
    }

    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyGrantsExceptForAwsResources',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: {
          BoolIfExists: {
            'kms:GrantIsForAWSResource': 'false',
            'aws:PrincipalIsAWSService': 'false',
          },
        },
      }),
    );
  }
}
