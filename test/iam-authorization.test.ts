import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledge } from '../lib/gates';
import { arnFormatPattern, AuthorizationReference, checkTemplate, patternsIntersect } from '../lib/iam-authorization';
import { findingsOf, testApp } from './helpers/app';

const reference = new AuthorizationReference();

/** Findings of the IAM authorization gate for one statement on a role, in a stack pinned or not. */
function findingsFor(statement: (stack: Stack) => iam.PolicyStatement, options: { pinned?: boolean; ack?: string } = {}): string[] {
  const app = testApp();
  const stack = new Stack(app, 'Iam', { env: options.pinned ? { account: '123456789012', region: 'eu-west-1' } : undefined });
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  role.addToPolicy(statement(stack));
  if (options.ack) {
    acknowledge(role, `iam-authorization::${options.ack}`, 'acknowledged in a test, with a reason long enough');
  }
  return findingsOf(app).filter((f) => f.plugin === 'iam-authorization').map((f) => f.rule).sort();
}

describe('IAM authorization gate', () => {
  describe.each([false, true])('pinned=%s', (pinned) => {
    it('fails on a misspelled action', () => {
      expect(findingsFor((s) => new iam.PolicyStatement({
        actions: ['sagemaker:CreateTrainingJobs'],
        resources: [s.formatArn({ service: 'sagemaker', resource: 'training-job', resourceName: '*' })],
      }), { pinned })).toEqual(['UnknownAction[sagemaker:CreateTrainingJobs]']);
    });

    it('fails on an action granted on a resource type it does not take', () => {
      expect(findingsFor((s) => new iam.PolicyStatement({
        actions: ['sagemaker:CreateTrainingJob'],
        resources: [s.formatArn({ service: 'sagemaker', resource: 'model', resourceName: '*' })],
      }), { pinned })).toEqual(['ResourceType[sagemaker:CreateTrainingJob]']);
    });

    it('fails on a list action granted on one resource, passes it on the account-wide ARN', () => {
      const logGroup = (s: Stack) => s.formatArn({ service: 'logs', resource: 'log-group', resourceName: 'group', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
      expect(findingsFor((s) => new iam.PolicyStatement({ actions: ['logs:DescribeLogGroups'], resources: [logGroup(s)] }), { pinned }))
        .toEqual(['ResourceType[logs:DescribeLogGroups]']);
      expect(findingsFor((s) => new iam.PolicyStatement({ actions: ['logs:DescribeLogGroups'], resources: [s.formatArn({ service: 'logs', resource: '*' })] }), { pinned }))
        .toEqual([]);
    });

    it('passes a correct grant', () => {
      expect(findingsFor((s) => new iam.PolicyStatement({
        actions: ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob'],
        resources: [s.formatArn({ service: 'sagemaker', resource: 'training-job', resourceName: '*' })],
      }), { pinned })).toEqual([]);
    });
  });

  it('fails on s3:GetObject granted on the bucket instead of its objects', () => {
    const app = testApp();
    const stack = new Stack(app, 'Iam');
    const bucket = new s3.Bucket(stack, 'Bucket');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.bucketArn] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects('*')] }));
    expect(findingsOf(app).filter((f) => f.plugin === 'iam-authorization').map((f) => f.rule)).toEqual(['ResourceType[s3:GetObject]']);
  });

  it('passes what CDK grants write for log groups, buckets and wildcard action families', () => {
    const app = testApp();
    const stack = new Stack(app, 'Iam');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    new logs.LogGroup(stack, 'Logs').grantWrite(role); // CreateLogStream/PutLogEvents on the group's ARN, which ends in ':*'
    new s3.Bucket(stack, 'Bucket').grantReadWrite(role); // s3:GetObject*, s3:List* ... on the bucket and its objects
    expect(findingsOf(app).filter((f) => f.plugin === 'iam-authorization')).toEqual([]);
  });

  it('reports what a Kinesis read grant adds that no stream ARN authorizes, and takes an acknowledgement per rule', () => {
    const app = testApp();
    const stack = new Stack(app, 'Iam');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    new kinesis.Stream(stack, 'Stream').grantRead(role);
    expect(findingsOf(app).filter((f) => f.plugin === 'iam-authorization').map((f) => f.rule).sort()).toEqual([
      'ResourceType[kinesis:DescribeStreamConsumer]', 'ResourceType[kinesis:ListStreams]', 'ResourceType[kinesis:SubscribeToShard]',
    ]);
    expect(findingsFor((s) => new iam.PolicyStatement({
      actions: ['kinesis:ListStreams'],
      resources: [s.formatArn({ service: 'kinesis', resource: 'stream', resourceName: 'x' })],
    }), { ack: 'ResourceType[kinesis:ListStreams]' })).toEqual([]);
  });

  it('fails on a wildcard that names no action, passes one that names some', () => {
    expect(findingsFor(() => new iam.PolicyStatement({ actions: ['sagemaker:Creat3*'], resources: ['*'] }))).toEqual(['UnknownAction[sagemaker:Creat3*]']);
    expect(findingsFor(() => new iam.PolicyStatement({ actions: ['nosuchservice:Get*'], resources: ['*'] }))).toEqual(['UnknownAction[nosuchservice:Get*]']);
    expect(findingsFor(() => new iam.PolicyStatement({ actions: ['sagemaker:Describe*'], resources: ['*'] }))).toEqual([]);
  });

  it('checks resource policies too (a key policy with a misspelled action)', () => {
    const findings = checkTemplate({
      Resources: {
        Key: {
          Type: 'AWS::KMS::Key',
          Properties: { KeyPolicy: { Statement: [{ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:Decrpyt'], Resource: '*' }] } },
        },
      },
    }, reference);
    expect(findings.map((f) => `${f.rule}[${f.action}] @ ${f.logicalId}`)).toEqual(['UnknownAction[kms:Decrpyt] @ Key']);
  });

  describe('pattern intersection', () => {
    const format = (f: string) => arnFormatPattern(f);
    const text = (t: string) => t.split('').map((c) => (c === '*' ? { set: 'any' as const, repeat: true } : { char: c }));
    it.each([
      ['arn:aws:s3:::bucket/*', 'arn:${Partition}:s3:::${BucketName}/${ObjectName}', true],
      ['arn:aws:s3:::bucket', 'arn:${Partition}:s3:::${BucketName}/${ObjectName}', false],
      ['arn:aws:s3:::bucket/key', 'arn:${Partition}:s3:::${BucketName}', false],
      ['arn:aws:logs:eu-west-1:1:log-group:/aws/x:*', 'arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}', true],
      ['arn:aws:sagemaker:eu-west-1:1:training-job/*', 'arn:${Partition}:sagemaker:${Region}:${Account}:model/${ModelName}', false],
    ])('%s vs %s -> %s', (resource, arnFormat, expected) => {
      expect(patternsIntersect(text(resource), format(arnFormat))).toBe(expected);
    });
  });
});
