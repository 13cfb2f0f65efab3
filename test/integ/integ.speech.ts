/**
 * Smoke test of the speech chain in a real account (docs/speech.md, "Prove it in your account"):
 * upload ~28 s of generated English speech under media/ -> EventBridge starts the state machine ->
 * Transcribe (language identified) -> Comprehend -> Polly -> the result JSON names the language,
 * the sentiment and key phrases, and the spoken summary's MP3 exists. Then the Transcribe job the
 * run created is deleted (the buckets empty themselves when the stack is destroyed).
 *
 *   npm run integ -- SpeechChain --yes
 */
import { Duration } from 'aws-cdk-lib';
import { ExpectedResult } from '@aws-cdk/integ-tests-alpha';
import { SpeechChainStack } from '../../lib/stacks/speech-stack';
import {
  AssertionStack, EXECUTION_ENDED, RUN_ID, SMOKE_TEST_PROFILE, allow, copyIntoBucket, fixture, inOrder, smokeTest,
  smokeTestApp, smokeTestStackNames, synthesize, useKey, waitFor,
} from './smoke-test';

const app = smokeTestApp();
const names = smokeTestStackNames('SpeechChain');
const stack = new SpeechChainStack(app, names.stack, {
  profile: SMOKE_TEST_PROFILE,
  description: 'Smoke test of the speech chain (npm run integ -- SpeechChain); deleted when the test ends',
});
const assertionStack = new AssertionStack(app, names.assertions, stack);
const { assertions } = smokeTest(app, stack, assertionStack);
const key = stack.mediaBucket.encryptionKey!;

// The run id in the file name reaches the Transcribe job name (lambda/speech/media.ts, jobNameFor),
// so `npm run integ` can find the job even when the test stopped before deleting it.
const mediaKey = `media/integ-${RUN_ID}/speech-${RUN_ID}.ogg`;
// PrepareMedia's result key for a media key of ordinary length (lambda/speech/keys.ts, boundedKey).
const resultKey = `results/${mediaKey}.json`;

const upload = copyIntoBucket(assertions, fixture(assertionStack, 'speech.ogg'), stack.mediaBucket, mediaKey);

// The one execution the upload started, once it has stopped. Transcribe documents no job latency;
// a 28 s file has taken under two minutes, the chain polls every 30 s, Comprehend and Polly answer
// in seconds: 15 minutes leaves room for a slow Transcribe queue without hiding a stuck run.
const ended = waitFor(
  assertions.awsApiCall('SFN', 'listExecutions', { stateMachineArn: stack.stateMachine.stateMachineArn }),
  'executions.0.status', EXECUTION_ENDED, { timeout: Duration.minutes(15), interval: Duration.seconds(30) });
const succeeded = assertions.awsApiCall('SFN', 'listExecutions', { stateMachineArn: stack.stateMachine.stateMachineArn })
  .assertAtPath('executions.0.status', ExpectedResult.exact('SUCCEEDED'));

/** One field of the result JSON (read whole by the function, only this path returned: CloudFormation keeps 4 KB of a custom resource's answer). */
const resultField = (path: string, expected: ExpectedResult) => allow(
  assertions.awsApiCall('S3', 'getObject', { Bucket: stack.resultsBucket.bucketName, Key: resultKey }).assertAtPath(`Body.${path}`, expected),
  useKey(key));

const language = resultField('language.analysedAs', ExpectedResult.stringLikeRegexp('^en-[A-Z]{2}$'));
// The text says "love", "wonderfully", "excellent", "happily recommend" and nothing negative.
const sentiment = resultField('sentiment.label', ExpectedResult.exact('POSITIVE'));
const keyPhrases = resultField('keyPhrases.0.text', ExpectedResult.stringLikeRegexp('.'));
const spoken = resultField('speech.status', ExpectedResult.exact('SYNTHESIZED'));
const mp3 = allow(
  assertions.awsApiCall('S3', 'headObject', { Bucket: stack.resultsBucket.bucketName, Key: spoken.getAttString('Body.speech.key') })
    .assertAtPath('ContentType', ExpectedResult.exact('audio/mpeg')),
  { actions: ['s3:GetObject'], resources: [stack.resultsBucket.arnForObjects('speech/*')] }, useKey(key));

// What the run created outside the stack: its Transcribe job (the transcript is in the results
// bucket, emptied on destroy). Deleted last, once every assertion has read what it needed.
const job = allow(assertions.awsApiCall('S3', 'getObject', { Bucket: stack.resultsBucket.bucketName, Key: resultKey }), useKey(key));
const deleteJob = assertions.awsApiCall('TranscribeService', 'deleteTranscriptionJob', { TranscriptionJobName: job.getAttString('Body.transcript.jobName') });

inOrder(upload, ended, succeeded, language, sentiment, keyPhrases, spoken, mp3, job, deleteJob);

synthesize(app);
