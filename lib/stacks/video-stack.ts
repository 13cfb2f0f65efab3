/**
 * Rekognition video analysis (study notes, Rekognition section), one construct per box of the
 * page's diagram:
 *
 * - Upload routing: S3 "Object Created" under `videos/` and `images/` -> EventBridge rules -> queues.
 * - Starter: validates each video by its bytes, starts the stored-video analyses (labels, faces,
 *   moderation by default) within the 20-job quota, recording each job as it starts.
 * - Completion channel: Rekognition -> encrypted SNS topic (through a role of its own) -> results queue.
 * - Collector: pages through Get* and writes one JSON document per video and analysis under
 *   `results/`, plus a DynamoDB index of what was processed.
 * - Image analysis: labels, faces, text, moderation, celebrities on each image, one document each.
 * - Live face search (opt-in, `-c video.streaming=true`): Kinesis Video stream -> frames every
 *   minute (KVS GetImages) -> Rekognition Image face search against a collection -> SNS alert.
 *   Built on features open to new accounts: Rekognition's stream processors are closed to new
 *   customers since 2026-04-30 (Rekognition Developer Guide, "Amazon Rekognition feature
 *   availability changes": https://docs.aws.amazon.com/rekognition/latest/dg/rekognition-availability-changes.html).
 */
import { CfnOutput, CfnResource, Duration, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { ANALYSIS_NAMES, AnalysisName } from '../../lambda/video/analyses';
import { IMAGE_ANALYSIS_NAMES, ImageAnalysisName } from '../../lambda/video/analyse-image';
import { SecureKey } from '../constructs/secure-key';
import { acknowledge } from '../gates';
import { IMAGES_PREFIX, RESULTS_PREFIX, VIDEOS_PREFIX } from '../video/common';
import { CompletionChannel } from '../video/completion-channel';
import { ImageAnalysis } from '../video/image-analysis';
import { LiveFaceSearch, LiveFaceSearchProps } from '../video/live-face-search';
import { ResultsCollector } from '../video/results-collector';
import { UploadRouting } from '../video/upload-routing';
import { VideoStarter } from '../video/video-starter';
import { ArchitectureStack, ArchitectureStackProps } from './architecture';

export { IMAGES_PREFIX, RESULTS_PREFIX, VIDEOS_PREFIX };

/** Rekognition Video runs at most this many stored-video jobs at once per account and region (default quota). */
export const REKOGNITION_CONCURRENT_JOBS = 20;

export interface VideoAnalysisStackProps extends ArchitectureStackProps {
  /**
   * Stored-video analyses started for every upload. Each is one Rekognition job, so each counts
   * against the 20-concurrent-job quota.
   * @default ['labels', 'faces', 'moderation']
   */
  readonly analyses?: AnalysisName[];
  /** Image analyses run on every image, one Rekognition Image call each. @default all five */
  readonly imageAnalyses?: ImageAnalysisName[];
  /** Moderation-label confidence (0-100) at which an image is flagged. @default 80 */
  readonly moderationFlagThreshold?: number;
  /**
   * Starter invocations at most at once (the SQS event source's maximum concurrency, 2-1000). Keeps
   * Start* calls from racing each other for the 20 job slots, without reserving account concurrency.
   * @default 2
   */
  readonly maxConcurrentStarts?: number;
  /**
   * Deploy the live face search (Kinesis video stream, collection, frame search every minute,
   * alert topic). Bills per frame searched while video flows (see docs/video.md).
   * @default false
   */
  readonly streaming?: boolean;
  /** Settings of the live face search (sampling interval, match threshold, frame budget, cooldown). @default - LiveFaceSearch's defaults */
  readonly live?: Pick<LiveFaceSearchProps, 'samplingInterval' | 'matchThreshold' | 'maxFramesPerMinute' | 'alertCooldown'>;
}

export class VideoAnalysisStack extends ArchitectureStack {
  public readonly bucket: s3.IBucket;
  public readonly index: dynamodb.ITable;
  public readonly completionTopic: sns.ITopic;
  public readonly starter: VideoStarter;
  /** Set when streaming is on. */
  public readonly live?: LiveFaceSearch;

  constructor(scope: Construct, id: string, props: VideoAnalysisStackProps) {
    super(scope, id, 'video', props, {
      protects: 'videos, images, results, queues, topics, index, logs',
      // SNS (topic -> encrypted queues) and EventBridge (rule -> encrypted queues) encrypt on their own behalf.
      servicePrincipals: ['sns.amazonaws.com', 'events.amazonaws.com'],
    });
    const { profile } = props;
    const analyses = props.analyses ?? ['labels', 'faces', 'moderation'];
    const imageAnalyses = props.imageAnalyses ?? [...IMAGE_ANALYSIS_NAMES];
    const flagThreshold = props.moderationFlagThreshold ?? 80;
    const maxConcurrentStarts = props.maxConcurrentStarts ?? 2;
    validate(analyses, imageAnalyses, flagThreshold, maxConcurrentStarts);
    const part = this.lifecycle;

    // Storage shared by every box; ids kept from the first version of the stack (stateful).
    const { key } = this;
    const bucket = this.dataBucket('Media');
    const index = videoIndex(this, key, profile);

    const channel = new CompletionChannel(this, 'Completion', { key, ...part, visibilityTimeout: Duration.minutes(30) });
    const starter = new VideoStarter(this, 'Start', { key, ...part, bucket, index, channel, analyses, maxConcurrentStarts });
    new ResultsCollector(this, 'Results', { key, ...part, bucket, index, channel, analyses, timeout: Duration.minutes(5) });
    const images = new ImageAnalysis(this, 'Images', { key, ...part, bucket, analyses: imageAnalyses, moderationFlagThreshold: flagThreshold });
    const routing = new UploadRouting(this, 'Uploads', {
      key, ...part, bucket,
      routes: [
        { id: 'VideoUploadedRule', prefix: VIDEOS_PREFIX, queue: starter.queue.queue },
        { id: 'ImageUploadedRule', prefix: IMAGES_PREFIX, queue: images.queue.queue },
      ],
    });
    if (props.streaming ?? false) {
      this.live = new LiveFaceSearch(this, 'Live', { key, ...part, bucket, deliveryDeadLetterQueue: routing.deadLetterQueue, deletionProtection: profile.deletionProtection, ...props.live });
    }

    keepFirstLogicalIds(channel, starter, images, routing, this.live);

    this.bucket = bucket;
    this.index = index;
    this.completionTopic = channel.topic;
    this.starter = starter;
    new CfnOutput(this, 'BucketName', { value: bucket.bucketName, description: `Upload videos under ${VIDEOS_PREFIX}, images under ${IMAGES_PREFIX}; results appear under ${RESULTS_PREFIX}` });
    new CfnOutput(this, 'IndexTableName', { value: index.tableName, description: 'One row per video: status, analyses, counts, top labels' });
    new CfnOutput(this, 'StartDeadLetterQueueUrl', { value: starter.queue.deadLetterQueue.queueUrl, description: 'Videos that could not be started after ~a day of retries' });
  }
}

/**
 * Stateful resources keep the logical ids they had before they moved into the constructs above, so
 * an update does not replace them: queues holding videos that wait for a job slot, the topic
 * running jobs publish to, and the collection holding indexed faces (its fixed CollectionId would
 * make a replacement fail with AlreadyExists anyway).
 */
function keepFirstLogicalIds(channel: CompletionChannel, starter: VideoStarter, images: ImageAnalysis, routing: UploadRouting, live?: LiveFaceSearch): void {
  const keep = (resource: IConstruct, id: string) => (resource.node.defaultChild as CfnResource).overrideLogicalId(id);
  keep(channel.topic, 'CompletionTopic50E1DF26');
  keep(channel.resultsQueue.queue, 'ResultsQueueD0497533');
  keep(channel.resultsQueue.deadLetterQueue, 'ResultsQueueDeadLetterQueue9B963BF1');
  keep(channel.subscriptionDeadLetterQueue, 'SubscriptionDeadLetterQueueD6486E03');
  keep(starter.queue.queue, 'StartQueueF37891D6');
  keep(starter.queue.deadLetterQueue, 'StartQueueDeadLetterQueue5D92E0E4');
  keep(images.queue.queue, 'ImageQueue5F550D7A');
  keep(images.queue.deadLetterQueue, 'ImageQueueDeadLetterQueueBD179EEE');
  keep(routing.deadLetterQueue, 'EventDeliveryDeadLetterQueueD90EBC8F');
  if (live) {
    live.stream.overrideLogicalId('StreamingVideoStream8D65D651');
    live.collection.overrideLogicalId('StreamingFaceCollection5E90CE29');
  }
}

/**
 * The index: one row per video. DynamoDB rather than a summary JSON in S3 because the analyses of
 * a video finish independently and each collector run updates only its own attribute atomically.
 */
function videoIndex(scope: Construct, key: SecureKey, profile: VideoAnalysisStackProps['profile']): dynamodb.Table {
  const index = new dynamodb.Table(scope, 'Index', {
    partitionKey: { name: 'videoKey', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: key,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: profile.deletionProtection,
    removalPolicy: profile.removalPolicy,
  });
  acknowledge(index, 'NIST.800.53.R5-DynamoDBInBackupPlan',
    'Point-in-time recovery (35 days) protects the index, and the index can be rebuilt from the result documents in S3; an AWS Backup plan would add a vault and cost for no new recovery point');
  return index;
}

function validate(analyses: AnalysisName[], imageAnalyses: ImageAnalysisName[], flagThreshold: number, maxConcurrentStarts: number): void {
  for (const [name, list, known] of [['analyses', analyses, ANALYSIS_NAMES], ['imageAnalyses', imageAnalyses, IMAGE_ANALYSIS_NAMES]] as const) {
    if (list.length === 0) {
      throw new Error(`${name} must name at least one of ${known.join(', ')} (got [])`);
    }
    for (const a of list) {
      if (!(known as readonly string[]).includes(a)) {
        throw new Error(`Unknown ${name === 'analyses' ? 'analysis' : 'image analysis'} ${JSON.stringify(a)} (want any of ${known.join(', ')})`);
      }
    }
  }
  if (analyses.length > REKOGNITION_CONCURRENT_JOBS) {
    throw new Error(`analyses (${analyses.length}) exceed the ${REKOGNITION_CONCURRENT_JOBS}-job quota for one video`);
  }
  if (!Token.isUnresolved(flagThreshold) && (flagThreshold < 0 || flagThreshold > 100)) {
    throw new Error(`moderationFlagThreshold must be from 0 to 100 (got ${flagThreshold})`);
  }
  if (!Token.isUnresolved(maxConcurrentStarts) && (maxConcurrentStarts < 2 || maxConcurrentStarts > 1000)) {
    throw new Error(`maxConcurrentStarts must be from 2 to 1000, the SQS event source limits (got ${maxConcurrentStarts})`);
  }
}
