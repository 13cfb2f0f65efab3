import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../gates';

export interface SecureQueueProps {
  /** Customer-managed key for both the queue and its dead-letter queue. */
  readonly encryptionKey: kms.IKey;
  /**
   * Visibility timeout. For a Lambda consumer use at least 6x the function timeout.
   * @default Duration.seconds(30)
   */
  readonly visibilityTimeout?: Duration;
  /**
   * Receives before a message moves to the dead-letter queue (at least 5, so a throttled
   * consumer does not bury good messages).
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /** @default Duration.days(4) */
  readonly retentionPeriod?: Duration;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** An SQS queue encrypted with a CMK, TLS-only, with a dead-letter queue that keeps messages 14 days. */
export class SecureQueue extends Construct {
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: SecureQueueProps) {
    super(scope, id);
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    if (!Token.isUnresolved(maxReceiveCount) && maxReceiveCount < 5) {
      throw new Error(`${this.node.path}: maxReceiveCount must be >= 5 (got ${maxReceiveCount})`);
    }
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue', {
      encryptionKey: props.encryptionKey,
      removalPolicy: props.removalPolicy,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      dataKeyReuse: Duration.hours(1),
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout ?? Duration.seconds(30),
      retentionPeriod: props.retentionPeriod ?? Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }
}

export interface DeadLetterQueueProps {
  readonly encryptionKey: kms.IKey;
  /**
   * What sends failed messages here when it is not an SQS redrive policy or a Lambda async
   * dead-letter config (an EventBridge rule target, an SNS subscription, an event source mapping's
   * on-failure destination). cdk-nag recognises only those two, so naming the source acknowledges
   * AwsSolutions-SQS3 on this queue with it.
   * @default - none: the queue is named by a redrive policy or a Lambda dead-letter config
   */
  readonly source?: string;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A dead-letter queue: encrypted, TLS-only, 14 days retention (the SQS maximum, time to look and
 * redrive). Its RedriveAllowPolicy marks it as a dead-letter queue for the guard rule CT.SQS.PR.1.
 */
export class DeadLetterQueue extends sqs.Queue {
  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      dataKeyReuse: Duration.hours(1),
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    if (props.source !== undefined) {
      acknowledge(this, 'AwsSolutions-SQS3',
        `This queue is itself the dead-letter queue of ${props.source}; a dead-letter queue of a dead-letter queue would only move the same messages`);
    }
  }
}
