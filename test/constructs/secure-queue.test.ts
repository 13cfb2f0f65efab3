import { Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { SecureKey } from '../../lib/constructs/secure-key';
import { DeadLetterQueue, SecureQueue } from '../../lib/constructs/secure-queue';
import { describeFindings, findingsOf, templateOf, testApp } from '../helpers/app';

function queueIn(props: Partial<ConstructorParameters<typeof SecureQueue>[2]> = {}) {
  const app = testApp();
  const stack = new Stack(app, 'QueueTest');
  const key = new SecureKey(stack, 'Key', { description: 'queue' });
  const queue = new SecureQueue(stack, 'Work', { encryptionKey: key, ...props });
  return { app, stack, key, queue };
}

describe('SecureQueue', () => {
  it('encrypts both queues with the key and redrives after 5 receives', () => {
    const { queue, stack, key } = queueIn({ visibilityTimeout: Duration.seconds(180) });
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as never), 'Arn'] };
    const t = templateOf(queue.queue);
    t.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: keyArn,
      VisibilityTimeout: 180,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [stack.getLogicalId(queue.deadLetterQueue.node.defaultChild as never), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
    t.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: keyArn,
      MessageRetentionPeriod: 1209600,
      RedriveAllowPolicy: { redrivePermission: 'allowAll' },
    });
  });

  it('denies non-TLS access to both queues', () => {
    const { queue } = queueIn();
    const t = templateOf(queue.queue);
    const policies = t.findResources('AWS::SQS::QueuePolicy', {
      Properties: {
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      },
    });
    expect(Object.keys(policies)).toHaveLength(2);
  });

  it('refuses maxReceiveCount below 5, naming it', () => {
    expect(() => queueIn({ maxReceiveCount: 2 })).toThrow('QueueTest/Work: maxReceiveCount must be >= 5 (got 2)');
  });

  it('passes every gate', () => {
    const { app } = queueIn();
    expect(describeFindings(findingsOf(app))).toEqual([]);
  });
});

describe('DeadLetterQueue', () => {
  function standalone(source?: string) {
    const app = testApp();
    const stack = new Stack(app, 'DlqTest');
    const key = new SecureKey(stack, 'Key', { description: 'dlq' });
    new DeadLetterQueue(stack, 'RuleDeadLetters', { encryptionKey: key, source });
    return findingsOf(app);
  }

  it('is flagged by cdk-nag when nothing tells it what feeds the queue', () => {
    expect(describeFindings(standalone())).toEqual(['AwsSolutions AwsSolutions-SQS3 @ DlqTest/RuleDeadLetters/Resource']);
  });

  it('acknowledges SQS3 itself when it names its source', () => {
    expect(describeFindings(standalone('an EventBridge rule target'))).toEqual([]);
  });
});
