import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { SecureKey } from '../../lib/constructs/secure-key';
import { describeFindings, findingsOf, templateOf, testApp } from '../helpers/app';

function keyIn(props: Partial<ConstructorParameters<typeof SecureKey>[2]> = {}) {
  const app = testApp();
  const stack = new Stack(app, 'KeyTest');
  const key = new SecureKey(stack, 'Key', { description: 'test key', ...props });
  return { app, key };
}

// The default build, shared by the checks that only read its template: each gated synth runs
// cdk-nag and the Control Tower rules (~1 s), and these checks need no build of their own.
let sharedBuild: ReturnType<typeof keyIn> | undefined;
const defaultKey = () => (sharedBuild ??= keyIn());

describe('SecureKey', () => {
  it('rotates, and keeps the key by default', () => {
    const { key } = defaultKey();
    const t = templateOf(key);
    t.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ EnableKeyRotation: true, PendingWindowInDays: 30, Description: 'test key' }),
      DeletionPolicy: 'Retain',
    });
  });

  it('takes removal policy and pending window from props', () => {
    const { key } = keyIn({ removalPolicy: RemovalPolicy.DESTROY, pendingWindow: Duration.days(7) });
    templateOf(key).hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ PendingWindowInDays: 7 }),
      DeletionPolicy: 'Delete',
    });
  });

  it('lets CloudWatch Logs use it only for log groups of this account and region', () => {
    const { key } = defaultKey();
    templateOf(key).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchLogs',
            Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': {
                  'Fn::Join': ['', Match.arrayWith([':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':log-group:*'])],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  it('denies grants that are not for AWS resources (Control Tower CT.KMS.PR.3)', () => {
    const { key } = defaultKey();
    templateOf(key).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'DenyGrantsExceptForAwsResources',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'kms:CreateGrant',
            Resource: '*',
            Condition: {
              BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
            },
          },
        ]),
      },
    });
  });

  it('adds named service principals limited to this account', () => {
    const { key } = keyIn({ servicePrincipals: ['sns.amazonaws.com'] });
    templateOf(key).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'Allowsns',
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ]),
      },
    });
  });

  it('passes every gate', () => {
    const { app } = defaultKey();
    expect(describeFindings(findingsOf(app))).toEqual([]);
  });
});
