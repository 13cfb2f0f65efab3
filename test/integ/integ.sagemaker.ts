/**
 * Smoke test of the secure SageMaker platform in a real account (docs/sagemaker.md, "Prove it in
 * your account"): a tiny generated dataset and the script-mode code go into the platform's buckets
 * -> the training state machine trains on one spot instance inside the no-internet VPC, builds the
 * serial inference pipeline model and runs batch transform -> SUCCEEDED, the model artifact exists
 * (KMS-encrypted) and the predictions are written -> the tuning state machine runs a Bayesian search
 * with a budget of 2 training jobs -> SUCCEEDED with a best training job. The model the run created
 * is deleted at the end (the buckets empty themselves when the stack is destroyed).
 *
 *   npm run integ -- SageMakerPlatform --yes
 */
import { Duration } from 'aws-cdk-lib';
import { ExpectedResult, IApiCall } from '@aws-cdk/integ-tests-alpha';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { SOURCE_DIR_KEY, BATCH_INPUT_PREFIX } from '../../lib/sagemaker/training-workflow';
import { SageMakerPlatformStack } from '../../lib/stacks/sagemaker-stack';
import { csv, dataset, sourceDirArchive, withoutLabel } from './sagemaker-inputs';
import {
  AssertionStack, EXECUTION_ENDED, RUN_ID, SMOKE_TEST_PROFILE, allow, copyIntoBucket, inOrder, smokeTest, smokeTestApp,
  smokeTestStackNames, synthesize, useKey, waitFor,
} from './smoke-test';

/** Training jobs the tuning run may start, and at once. */
export const TUNING_BUDGET = { maxJobs: 2, maxParallelJobs: 2 };

const app = smokeTestApp();
const names = smokeTestStackNames('SageMakerPlatform');
const stack = new SageMakerPlatformStack(app, names.stack, {
  profile: SMOKE_TEST_PROFILE,
  training: { tuningBudget: TUNING_BUDGET },
  description: 'Smoke test of the secure SageMaker platform (npm run integ -- SageMakerPlatform); deleted when the test ends',
});
const assertionStack = new AssertionStack(app, names.assertions, stack);
const { assertions } = smokeTest(app, stack, assertionStack);
const key = useKey(stack.key);

/** Put a text object (a CSV) where the state machines read it. */
const put = (bucket: s3.IBucket, objectKey: string, body: string): IApiCall => allow(
  assertions.awsApiCall('S3', 'putObject', { Bucket: bucket.bucketName, Key: objectKey, Body: body }),
  { actions: ['s3:PutObject'], resources: [bucket.arnForObjects(objectKey)] }, key);

const { bucket: dataBucket, prefix } = stack.trainingData;
const inputs = [
  put(dataBucket, `${prefix}train/part-0.csv`, csv(dataset(400, 1))),
  put(dataBucket, `${prefix}validation/part-0.csv`, csv(dataset(100, 2))),
  put(stack.inferenceBucket, `${BATCH_INPUT_PREFIX}part-0.csv`, csv(withoutLabel(dataset(20, 3)))),
  copyIntoBucket(assertions, new s3assets.Asset(assertionStack, 'SourceDir', { path: sourceDirArchive() }), stack.modelsBucket, SOURCE_DIR_KEY),
];

// Training: one execution, named after the run (SageMaker job names are unique per account forever).
const runName = `integ-${RUN_ID}`;
const train = assertions.awsApiCall('SFN', 'startExecution', {
  stateMachineArn: stack.workflow.trainingStateMachine.stateMachineArn,
  name: `${runName}-train`,
  input: JSON.stringify({ runName, deploy: 'batch' }),
});
const trainArn = train.getAttString('executionArn');
// Each of the two jobs (spot training, then batch transform) provisions an instance: a few minutes
// each; a spot job may also wait for capacity (MaxWaitTimeInSeconds 7200). 50 minutes, the most a
// custom resource can wait with CloudFormation's one-hour limit to spare; polled every minute.
const trainingEnded = waitFor(
  assertions.awsApiCall('SFN', 'describeExecution', { executionArn: trainArn }),
  'status', EXECUTION_ENDED, { timeout: Duration.minutes(50), interval: Duration.minutes(1) });
const trained = assertions.awsApiCall('SFN', 'describeExecution', { executionArn: trainArn })
  .assertAtPath('status', ExpectedResult.exact('SUCCEEDED'));
const jobName = trained.getAttString('output.training.TrainingJobName');

// What the run produced: the model artifact, encrypted with the platform key, and the predictions.
// (Once training writes evaluation.json beside the artifact, check it the same way.)
const artifact = allow(
  assertions.awsApiCall('S3', 'headObject', { Bucket: stack.modelsBucket.bucketName, Key: `training-output/${jobName}/output/model.tar.gz` })
    .assertAtPath('ServerSideEncryption', ExpectedResult.exact('aws:kms')),
  { actions: ['s3:GetObject'], resources: [stack.modelsBucket.arnForObjects('training-output/*')] }, key);
const predictions = allow(
  assertions.awsApiCall('S3', 'getObject', { Bucket: stack.inferenceBucket.bucketName, Key: `batch-output/${runName}/part-0.csv.out` })
    .assertAtPath('Body', ExpectedResult.stringLikeRegexp('^[0-9]')),
  { actions: ['s3:GetObject'], resources: [stack.inferenceBucket.arnForObjects(`batch-output/${runName}/*`)] }, key);
// The model the state machine created (its name comes from the run): nothing else deletes it.
const deleteModel = assertions.awsApiCall('SageMaker', 'deleteModel', { ModelName: `${runName}-model` });

// Tuning: Bayesian search over the same data, two jobs at once, one round.
const tuningRun = `integ-${RUN_ID}-tune`;
const tune = assertions.awsApiCall('SFN', 'startExecution', {
  stateMachineArn: stack.workflow.tuningStateMachine.stateMachineArn,
  name: tuningRun,
  input: JSON.stringify({ runName: tuningRun }),
});
const tuneArn = tune.getAttString('executionArn');
const tuningEnded = waitFor(
  assertions.awsApiCall('SFN', 'describeExecution', { executionArn: tuneArn }),
  'status', EXECUTION_ENDED, { timeout: Duration.minutes(50), interval: Duration.minutes(1) });
const tuned = assertions.awsApiCall('SFN', 'describeExecution', { executionArn: tuneArn })
  .assertAtPath('status', ExpectedResult.exact('SUCCEEDED'));
const best = assertions.awsApiCall('SFN', 'describeExecution', { executionArn: tuneArn })
  .assertAtPath('output.tuning.BestTrainingJob.TrainingJobStatus', ExpectedResult.exact('Completed'));

inOrder(...inputs, train, trainingEnded, trained, artifact, predictions, deleteModel, tune, tuningEnded, tuned, best);

synthesize(app);
