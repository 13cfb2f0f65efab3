/**
 * Smoke test of the Rekognition video analysis in a real account (docs/video.md, "Prove it in your
 * account"): a 3-second test-pattern MP4 (H.264, made by ffmpeg: fixtures/make-fixtures.sh) uploaded
 * under videos/ -> EventBridge -> start queue -> the starter starts the stack's stored-video
 * analyses -> Rekognition publishes completion -> the collector writes one result document per
 * analysis and the index row records each as SUCCEEDED; a test-pattern PNG under images/ -> its
 * analysis document (labels, faces, text, moderation, celebrities).
 *
 *   npm run integ -- VideoAnalysis --yes
 */
import { Duration } from 'aws-cdk-lib';
import { ExpectedResult, IApiCall } from '@aws-cdk/integ-tests-alpha';
import { AnalysisName } from '../../lambda/video/analyses';
import { IMAGE_ANALYSIS_NAMES, RESULT_NAME } from '../../lambda/video/analyse-image';
import { IMAGES_PREFIX, RESULTS_PREFIX, VideoAnalysisStack, VIDEOS_PREFIX } from '../../lib/stacks/video-stack';
import {
  AssertionStack, RUN_ID, SMOKE_TEST_PROFILE, allow, copyIntoBucket, fixture, inOrder, smokeTest, smokeTestApp,
  smokeTestStackNames, synthesize, useKey, waitFor,
} from './smoke-test';

/** The stack's default analyses (VideoAnalysisStackProps.analyses): one Rekognition job each. */
export const VIDEO_ANALYSES: AnalysisName[] = ['labels', 'faces', 'moderation'];
/** The stack's default image analyses (VideoAnalysisStackProps.imageAnalyses), all in one document. */
export const IMAGE_ANALYSES = [...IMAGE_ANALYSIS_NAMES];

const app = smokeTestApp();
const names = smokeTestStackNames('VideoAnalysis');
const stack = new VideoAnalysisStack(app, names.stack, {
  profile: SMOKE_TEST_PROFILE,
  analyses: VIDEO_ANALYSES,
  imageAnalyses: IMAGE_ANALYSES,
  description: 'Smoke test of the Rekognition video analysis (npm run integ -- VideoAnalysis); deleted when the test ends',
});
const assertionStack = new AssertionStack(app, names.assertions, stack);
const { assertions } = smokeTest(app, stack, assertionStack);
const key = useKey(stack.bucket.encryptionKey!);

const videoKey = `${VIDEOS_PREFIX}integ-${RUN_ID}/test-pattern.mp4`;
const imageKey = `${IMAGES_PREFIX}integ-${RUN_ID}/test-pattern.png`;
// lambda/video/analyses.ts, resultKey.
const resultOf = (mediaKey: string, analysis: string) => `${RESULTS_PREFIX}${mediaKey}/${analysis}.json`;
const field = (objectKey: string, path: string, expected: ExpectedResult): IApiCall => allow(
  assertions.awsApiCall('S3', 'getObject', { Bucket: stack.bucket.bucketName, Key: objectKey }).assertAtPath(`Body.${path}`, expected), key);
const indexRow = () => allow(
  assertions.awsApiCall('DynamoDB', 'getItem', { TableName: stack.index.tableName, Key: { videoKey: { S: videoKey } }, ConsistentRead: true }), key);

const uploadVideo = copyIntoBucket(assertions, fixture(assertionStack, 'test-pattern.mp4'), stack.bucket, videoKey);
const uploadImage = copyIntoBucket(assertions, fixture(assertionStack, 'test-pattern.png'), stack.bucket, imageKey);

// Each analysis is one Rekognition Video job; the guide gives no latency for stored-video jobs
// (they queue behind the account's 20 concurrent jobs). A 3-second clip has finished within a few
// minutes; 20 minutes also covers the starter's throttling backoff (30 s doubling).
const videoChecks = VIDEO_ANALYSES.flatMap((analysis) => [
  waitFor(indexRow(), `Item.${analysis}.M.status.S`, ExpectedResult.stringLikeRegexp('^(SUCCEEDED|FAILED)$'),
    { timeout: Duration.minutes(20), interval: Duration.seconds(30) }, key),
  indexRow().assertAtPath(`Item.${analysis}.M.status.S`, ExpectedResult.exact('SUCCEEDED')),
  field(resultOf(videoKey, analysis), 'status', ExpectedResult.exact('SUCCEEDED')),
  // Rekognition read the uploaded file itself: its metadata is the fixture's.
  field(resultOf(videoKey, analysis), 'videoMetadata.FrameWidth', ExpectedResult.exact(320)),
]);

// Each Rekognition Image call answers in about a second; the image waits in its queue for at most
// a batch window. Two minutes, polled every 10 s.
const imageResult = resultOf(imageKey, RESULT_NAME);
const imageChecks = [
  waitFor(
    assertions.awsApiCall('S3', 'getObject', { Bucket: stack.bucket.bucketName, Key: imageResult }),
    'Body.status', ExpectedResult.stringLikeRegexp('^(SUCCEEDED|REJECTED)$'),
    { timeout: Duration.minutes(2), interval: Duration.seconds(10) }, key),
  field(imageResult, 'status', ExpectedResult.exact('SUCCEEDED')),
  // The document lists every analysis it ran, in order.
  ...IMAGE_ANALYSES.map((analysis, i) => field(imageResult, `analyses.${i}`, ExpectedResult.exact(analysis))),
  // Colour bars are not unsafe content.
  field(imageResult, 'moderation.flagged', ExpectedResult.exact(false)),
];

inOrder(uploadVideo, uploadImage, ...videoChecks, ...imageChecks);

synthesize(app);
