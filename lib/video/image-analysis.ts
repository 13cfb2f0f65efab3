import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as path from 'node:path';
import { Construct } from 'constructs';
import { IMAGE_ANALYSIS_ACTIONS, ImageAnalysisName } from '../../lambda/video/analyse-image';
import { NodeFunction } from '../constructs/node-function';
import { SecureQueue } from '../constructs/secure-queue';
import { acknowledgeBucketGrant } from '../gates';
import { IMAGES_PREFIX, RESULTS_PREFIX, VideoPartProps } from './common';

export interface ImageAnalysisProps extends VideoPartProps {
  readonly bucket: s3.IBucket;
  readonly analyses: ImageAnalysisName[];
  readonly moderationFlagThreshold: number;
}

/** The image queue and the function that runs the configured Rekognition Image analyses on each upload. */
export class ImageAnalysis extends Construct {
  public readonly queue: SecureQueue;

  constructor(scope: Construct, id: string, props: ImageAnalysisProps) {
    super(scope, id);
    const timeout = Duration.seconds(30);
    this.queue = new SecureQueue(this, 'Queue', { encryptionKey: props.key, visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6), removalPolicy: props.removalPolicy });
    const fn = new NodeFunction(this, 'Analyser', {
      entry: path.join(__dirname, '../../lambda/video/analyse-image.ts'),
      encryptionKey: props.key,
      timeout,
      environment: {
        RESULTS_PREFIX,
        IMAGE_ANALYSES: props.analyses.join(','),
        FLAG_THRESHOLD: String(props.moderationFlagThreshold),
        MIN_CONFIDENCE: '50',
        POWERTOOLS_SERVICE_NAME: 'image-analysis',
      },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    props.bucket.grantRead(fn, `${IMAGES_PREFIX}*`);
    acknowledgeBucketGrant(fn.role, props.bucket, 'read', `${IMAGES_PREFIX}*`);
    props.bucket.grantPut(fn, `${RESULTS_PREFIX}${IMAGES_PREFIX}*`);
    acknowledgeBucketGrant(fn.role, props.bucket, 'put', `${RESULTS_PREFIX}${IMAGES_PREFIX}*`);
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'AnalyseImages',
      // DetectLabels, DetectFaces, DetectText and RecognizeCelebrities have no resource types;
      // DetectModerationLabels has one (projectversion) only for custom adapters, not the stock
      // model (Service Authorization Reference, Amazon Rekognition).
      actions: [...new Set(props.analyses.map((a) => IMAGE_ANALYSIS_ACTIONS[a]))],
      resources: ['*'],
    }));
    fn.function.addEventSource(new sources.SqsEventSource(this.queue.queue, { batchSize: 5, reportBatchItemFailures: true }));
  }
}
