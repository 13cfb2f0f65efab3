import { CfnOutput, Duration, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesisvideo from 'aws-cdk-lib/aws-kinesisvideo';
import * as rekognition from 'aws-cdk-lib/aws-rekognition';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as path from 'node:path';
import { Construct } from 'constructs';
import { GET_IMAGES_MIN_INTERVAL_MS } from '../../lambda/video/live-limits';
import { NodeFunction } from '../constructs/node-function';
import { acknowledge, acknowledgeBucketGrant, acknowledgeKeyGrant } from '../gates';
import { FRAMES_PREFIX, VideoPartProps } from './common';

export interface LiveFaceSearchProps extends VideoPartProps {
  /** Where matched frames are saved (under `frames/`), for the alert's link. */
  readonly bucket: s3.IBucket;
  /** Where EventBridge puts schedule events it could not deliver. */
  readonly deliveryDeadLetterQueue: sqs.IQueue;
  /** Time between two frames searched, 200 ms (the GetImages minimum) to 60 s. @default Duration.seconds(2) */
  readonly samplingInterval?: Duration;
  /** Similarity (0-100) at which a face matches a known one and an alert is sent. @default 90 */
  readonly matchThreshold?: number;
  /**
   * Frames searched per minute at most, 1 to 300: the cost ceiling. Must allow the sampling
   * interval (60 s / interval); a run catching up on more than a minute samples more sparsely.
   * @default 60
   */
  readonly maxFramesPerMinute?: number;
  /** One alert per person per this window, 10 s to 24 h. @default Duration.minutes(5) */
  readonly alertCooldown?: Duration;
  /** @default false (true in production: the collection and the stream keep their data) */
  readonly deletionProtection?: boolean;
}

/**
 * Live face search for accounts of any age: a Kinesis video stream, a face collection, and every
 * minute a function that takes the stream's frames (KVS GetImages), searches the faces in them
 * (Rekognition Image DetectFaces + SearchFacesByImage) and alerts on SNS once per known person per
 * cooldown window, with a link to the saved frame.
 */
export class LiveFaceSearch extends Construct {
  public readonly stream: kinesisvideo.CfnStream;
  public readonly collection: rekognition.CfnCollection;
  public readonly alertTopic: sns.Topic;
  public readonly state: dynamodb.Table;

  constructor(scope: Construct, id: string, props: LiveFaceSearchProps) {
    super(scope, id);
    const interval = props.samplingInterval ?? Duration.seconds(2);
    const threshold = props.matchThreshold ?? 90;
    const maxFrames = props.maxFramesPerMinute ?? 60;
    const cooldown = props.alertCooldown ?? Duration.minutes(5);
    validate(interval, threshold, maxFrames, cooldown);
    const stack = Stack.of(this);

    this.stream = new kinesisvideo.CfnStream(this, 'VideoStream', { kmsKeyId: props.key.keyArn, dataRetentionInHours: 24, mediaType: 'video/h264' });
    this.stream.applyRemovalPolicy(props.removalPolicy);
    // CloudFormation requires a CollectionId (the service has no generated names): derived from
    // the stack name so two deployments in one account do not collide.
    this.collection = new rekognition.CfnCollection(this, 'FaceCollection', { collectionId: `${stack.stackName}-known-faces` });
    this.collection.applyRemovalPolicy(props.removalPolicy);
    // The checkpoint of the frames searched and one cooldown item per person.
    this.state = new dynamodb.Table(this, 'State', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
    });
    acknowledge(this.state, 'NIST.800.53.R5-DynamoDBInBackupPlan',
      'Holds only a checkpoint and alert cooldowns that expire within a day; point-in-time recovery covers it and losing it repeats at most one alert per person');
    this.alertTopic = new sns.Topic(this, 'AlertTopic', { masterKey: props.key, enforceSSL: true });

    const fn = new NodeFunction(this, 'FrameSearch', {
      entry: path.join(__dirname, '../../lambda/video/frame-search.ts'),
      encryptionKey: props.key,
      timeout: Duration.seconds(90),
      memorySize: 512,
      // A failed run leaves its frames to the next one (the checkpoint did not move): retrying the
      // same schedule event would only race it.
      retryAttempts: 0,
      environment: {
        STREAM_NAME: this.stream.ref,
        COLLECTION_ID: this.collection.ref,
        TABLE_NAME: this.state.tableName,
        TOPIC_ARN: this.alertTopic.topicArn,
        FRAMES_BUCKET: props.bucket.bucketName,
        FRAMES_PREFIX,
        SAMPLING_INTERVAL_MS: String(interval.toMilliseconds()),
        MATCH_THRESHOLD: String(threshold),
        MAX_FRAMES_PER_MINUTE: String(maxFrames),
        COOLDOWN_SECONDS: String(cooldown.toSeconds()),
        LAG_SECONDS: '10',
        POWERTOOLS_SERVICE_NAME: 'frame-search',
      },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // GetDataEndpoint and GetImages take the stream ARN; reading a CMK-encrypted stream needs Decrypt.
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadFrames', actions: ['kinesisvideo:GetDataEndpoint', 'kinesisvideo:GetImages'], resources: [this.stream.attrArn] }));
    props.key.grantDecrypt(fn);
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'SearchKnownFaces', actions: ['rekognition:SearchFacesByImage'], resources: [this.collection.attrArn] }));
    // DetectFaces has no resource types (Service Authorization Reference, Amazon Rekognition:
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrekognition.html).
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'FindFaces', actions: ['rekognition:DetectFaces'], resources: ['*'] }));
    // GetItem and UpdateItem only (grantReadWriteData would add stream actions on the table ARN).
    this.state.grant(fn, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    props.key.grantEncryptDecrypt(fn);
    this.alertTopic.grantPublish(fn);
    props.bucket.grantPut(fn, `${FRAMES_PREFIX}*`);
    acknowledgeBucketGrant(fn.role, props.bucket, 'put', `${FRAMES_PREFIX}*`);
    acknowledgeKeyGrant(fn.role, 'Writing the CMK-encrypted state table and alert topic');

    new events.Rule(this, 'EveryMinute', {
      description: 'Search the frames of the last minute for known faces',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(fn.function, { deadLetterQueue: props.deliveryDeadLetterQueue, retryAttempts: 0 })],
    });

    new CfnOutput(stack, 'VideoStreamName', { value: this.stream.ref, description: 'Send H.264 video here (e.g. the KVS producer SDK / GStreamer kvssink)' });
    new CfnOutput(stack, 'FaceCollectionId', { value: this.collection.ref, description: 'Index known faces with: npm run video:faces -- index' });
    new CfnOutput(stack, 'AlertTopicArn', { value: this.alertTopic.topicArn, description: 'Subscribe to receive known-face alerts' });
  }
}

function validate(interval: Duration, threshold: number, maxFrames: number, cooldown: Duration): void {
  const ms = interval.isUnresolved() ? undefined : interval.toMilliseconds();
  if (ms !== undefined && (ms < GET_IMAGES_MIN_INTERVAL_MS || ms > 60_000)) {
    throw new Error(`samplingInterval must be from ${GET_IMAGES_MIN_INTERVAL_MS} ms (the GetImages minimum) to 60 s (got ${ms} ms)`);
  }
  if (!Token.isUnresolved(threshold) && !(threshold >= 0 && threshold <= 100)) {
    throw new Error(`matchThreshold must be from 0 to 100 (got ${threshold})`);
  }
  if (!Token.isUnresolved(maxFrames) && !(Number.isInteger(maxFrames) && maxFrames >= 1 && maxFrames <= 300)) {
    throw new Error(`maxFramesPerMinute must be a whole number from 1 to 300 (got ${maxFrames})`);
  }
  if (ms !== undefined && !Token.isUnresolved(maxFrames) && 60_000 / ms > maxFrames) {
    throw new Error(`samplingInterval ${ms} ms gives ${Math.ceil(60_000 / ms)} frames a minute, over maxFramesPerMinute ${maxFrames}`);
  }
  const s = cooldown.isUnresolved() ? undefined : cooldown.toSeconds();
  if (s !== undefined && (s < 10 || s > 86_400)) {
    throw new Error(`alertCooldown must be from 10 s to 24 h (got ${s} s)`);
  }
}
