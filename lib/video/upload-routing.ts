import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DeadLetterQueue } from '../constructs/secure-queue';
import { VideoPartProps } from './common';

export interface UploadRoute {
  /** Rule id, e.g. 'VideoUploadedRule'. */
  readonly id: string;
  readonly prefix: string;
  readonly queue: sqs.IQueue;
}

export interface UploadRoutingProps extends VideoPartProps {
  readonly bucket: s3.IBucket;
  readonly routes: UploadRoute[];
}

/**
 * S3 "Object Created" events of the bucket, by key prefix, onto queues (EventBridge rules with a
 * delivery DLQ). Suffixes are not filtered: the handlers reject other files with a recorded
 * reason instead of never seeing them.
 */
export class UploadRouting extends Construct {
  public readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: UploadRoutingProps) {
    super(scope, id);
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeliveryDeadLetterQueue', {
      encryptionKey: props.key, removalPolicy: props.removalPolicy, source: 'the EventBridge rule targets (events that could not be delivered to a queue)',
    });
    for (const route of props.routes) {
      new events.Rule(this, route.id, {
        description: `Objects created under ${route.prefix} go to their queue`,
        eventPattern: {
          source: ['aws.s3'],
          detailType: ['Object Created'],
          detail: { bucket: { name: [props.bucket.bucketName] }, object: { key: [{ prefix: route.prefix }] } },
        },
        targets: [new targets.SqsQueue(route.queue, { deadLetterQueue: this.deadLetterQueue })],
      });
    }
  }
}
