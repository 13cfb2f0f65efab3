import { Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as path from 'node:path';
import { Construct } from 'constructs';
import { ANALYSES, AnalysisName } from '../../lambda/video/analyses';
import { NodeFunction } from '../constructs/node-function';
import { SecureQueue } from '../constructs/secure-queue';
import { acknowledgeBucketGrant, acknowledgeKeyGrant } from '../gates';
import { VIDEOS_PREFIX, VideoPartProps } from './common';
import { CompletionChannel } from './completion-channel';

export interface VideoStarterProps extends VideoPartProps {
  readonly bucket: s3.IBucket;
  readonly index: dynamodb.ITable;
  readonly channel: CompletionChannel;
  readonly analyses: AnalysisName[];
  /** Starter invocations at most at once (the SQS event source's maximum concurrency). */
  readonly maxConcurrentStarts: number;
}

/**
 * IAM action of a stored-video analysis's Start* or Get* call: the action is named after the API
 * the handler calls (ANALYSES, the one table of the analyses), `rekognition:<API>`.
 */
export function rekognitionAction(analysis: AnalysisName, call: 'Start' | 'Get'): string {
  return `rekognition:${ANALYSES[analysis].api.replace(/^Start/, call)}`;
}

/**
 * The start queue and the starter: validates each upload by its bytes and starts the analyses,
 * holding videos on the queue (growing backoff, DLQ after ~a day) while the 20-job quota is full.
 */
export class VideoStarter extends Construct {
  public readonly queue: SecureQueue;
  public readonly function: NodeFunction;

  constructor(scope: Construct, id: string, props: VideoStarterProps) {
    super(scope, id);
    const timeout = Duration.seconds(30);
    // Throttled starts wait with a growing backoff (30 s doubling to 15 min). 100 receives is
    // about a day of waiting for a free job slot before a video lands in the dead-letter queue.
    this.queue = new SecureQueue(this, 'Queue', {
      encryptionKey: props.key, visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6), maxReceiveCount: 100, removalPolicy: props.removalPolicy,
    });
    const fn = new NodeFunction(this, 'Starter', {
      entry: path.join(__dirname, '../../lambda/video/start-analysis.ts'),
      encryptionKey: props.key,
      timeout,
      environment: {
        ANALYSES: props.analyses.join(','),
        TOPIC_ARN: props.channel.topic.topicArn,
        ROLE_ARN: props.channel.publishRole.roleArn,
        TABLE_NAME: props.index.tableName,
        QUEUE_URL: this.queue.queue.queueUrl,
        BASE_BACKOFF_SECONDS: '30',
        MAX_BACKOFF_SECONDS: '900',
        POWERTOOLS_SERVICE_NAME: 'video-starter',
      },
      unreservedConcurrencyReason:
        'The start queue event source caps this function at maxConcurrentStarts (ScalingConfig.MaximumConcurrency) to protect the 20-job Rekognition quota; reserved concurrency would fail to deploy in new accounts whose limit is 10',
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.function = fn;
    // Rekognition reads the video with the caller's permissions; the starter reads its first bytes.
    props.bucket.grantRead(fn, `${VIDEOS_PREFIX}*`);
    acknowledgeBucketGrant(fn.role, props.bucket, 'read', `${VIDEOS_PREFIX}*`);
    props.index.grantWriteData(fn);
    acknowledgeKeyGrant(fn.role, 'DynamoDB writes to the CMK-encrypted index');
    // The Start* stored-video operations have no resource types (Service Authorization Reference,
    // Amazon Rekognition: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrekognition.html).
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'StartVideoAnalyses', actions: [...new Set(props.analyses.map((a) => rekognitionAction(a, 'Start')))], resources: ['*'] }));
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PassRoleToRekognitionOnly',
      actions: ['iam:PassRole'],
      resources: [props.channel.publishRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'rekognition.amazonaws.com' } },
    }));
    // At most this many starters race for the 20 job slots; reserved concurrency would do it too
    // but cannot be set in accounts whose concurrency limit is 10.
    fn.function.addEventSource(new sources.SqsEventSource(this.queue.queue, { batchSize: 5, reportBatchItemFailures: true, maxConcurrency: props.maxConcurrentStarts }));
  }
}
