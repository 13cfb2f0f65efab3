import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DeadLetterQueue, SecureQueue } from '../constructs/secure-queue';
import { acknowledge } from '../gates';
import { VideoPartProps } from './common';

export interface CompletionChannelProps extends VideoPartProps {
  /** Visibility timeout of the results queue (at least 6x its consumer's timeout). */
  readonly visibilityTimeout: Duration;
}

/**
 * Where Rekognition Video says a job is done: an encrypted SNS topic it publishes to through a role
 * of its own, and the results queue subscribed to it (with the subscription's own DLQ).
 */
export class CompletionChannel extends Construct {
  public readonly topic: sns.Topic;
  /** The role Rekognition assumes to publish (passed as NotificationChannel.RoleArn). */
  public readonly publishRole: iam.Role;
  public readonly resultsQueue: SecureQueue;
  public readonly subscriptionDeadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: CompletionChannelProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', { masterKey: props.key, enforceSSL: true });
    // A custom role (not the AmazonRekognitionServiceRole policy) lets the topic keep a generated
    // name and be encrypted with our key; the confused-deputy condition keeps other accounts' jobs out.
    this.publishRole = new iam.Role(this, 'PublishRole', {
      assumedBy: new iam.ServicePrincipal('rekognition.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
      description: 'Rekognition Video publishes job completion to the completion topic',
    });
    this.topic.grantPublish(this.publishRole);
    // Publishing to a CMK-encrypted topic needs the publisher to make data keys with that key.
    props.key.grant(this.publishRole, 'kms:GenerateDataKey*', 'kms:Decrypt');
    acknowledge(this.publishRole, 'NIST.800.53.R5-IAMNoInlinePolicy',
      'Grants to this one role only (sns:Publish on the completion topic, data keys on the stack key); a managed policy would hold the same statements');
    acknowledge(this.publishRole, 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      'Publishing to an SSE-KMS topic needs GenerateDataKey (the family) on the one stack key');

    this.resultsQueue = new SecureQueue(this, 'ResultsQueue', {
      encryptionKey: props.key, visibilityTimeout: props.visibilityTimeout, maxReceiveCount: 5, removalPolicy: props.removalPolicy,
    });
    const undeliverable = (this.subscriptionDeadLetterQueue = new DeadLetterQueue(this, 'SubscriptionDeadLetterQueue', {
      encryptionKey: props.key, removalPolicy: props.removalPolicy, source: 'the SNS subscription of the results queue (its own redrive policy)',
    }));
    // Subscribed by hand rather than with SqsSubscription: that one adds a key-policy statement
    // naming the topic, and as the topic is encrypted with the same key, CloudFormation sees a
    // cycle (key -> topic -> key). The queue policy below still limits senders to this topic.
    new sns.Subscription(this, 'ResultsSubscription', {
      topic: this.topic, protocol: sns.SubscriptionProtocol.SQS, endpoint: this.resultsQueue.queue.queueArn, deadLetterQueue: undeliverable,
    });
    this.resultsQueue.queue.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CompletionTopicDelivers',
      principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
      actions: ['sqs:SendMessage'],
      resources: [this.resultsQueue.queue.queueArn],
      conditions: { ArnEquals: { 'aws:SourceArn': this.topic.topicArn } },
    }));
  }
}
