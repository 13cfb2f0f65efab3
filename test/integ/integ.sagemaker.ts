/**
 * Smoke test of the secure SageMaker platform in a real account (docs/sagemaker.md, "Prove it in
 * your account"): a tiny generated dataset (train, validation, test splits) and the code
 * (`sourcedir.tar.gz`, `evaluate.py`, what `npm run sagemaker -- upload-code` uploads) go into the
 * platform's buckets -> the training state machine trains on one spot instance inside the
 * no-internet VPC, builds the serial inference pipeline (preprocess -> PCA -> XGBoost), scores the
 * test split by batch transform and evaluates it -> SUCCEEDED; the model artifact exists
 * (KMS-encrypted), the scored test split and evaluation.json are written next to it -> the tuning
 * state machine runs a Bayesian search with a budget of 2 training jobs -> SUCCEEDED with a
 * completed best training job. The model the run created is deleted at the end (the buckets empty
 * themselves when the stack is destroyed).
 *
 *   npm run integ -- SageMakerPlatform --yes
 */
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { ExpectedResult, IApiCall } from '@aws-cdk/integ-tests-alpha';
import { BATCH_OUTPUT_PREFIX, EVALUATION_CODE_PREFIX, SOURCE_DIR_KEY } from '../../lib/sagemaker/training-workflow';
import { SageMakerPlatformStack } from '../../lib/stacks/sagemaker-stack';
import { csv, dataset, sourceDirArchive } from './sagemaker-inputs';
import {
  AssertionStack, EXECUTION_ENDED, RUN_ID, SMOKE_TEST_PROFILE, allow, copyIntoBucket, inOrder, smokeTest, smokeTestApp,
  smokeTestStackNames, synthesize, useKey, waitFor,
} from './smoke-test';

/** Training jobs the tuning run may start, and at once. */
export const TUNING_BUDGET = { maxJobs: 2, maxParallelJobs: 2 };
export const TEST_ROWS = 100;

const app = smokeTestApp();
const names = smokeTestStackNames('SageMakerPlatform');
const stack = new SageMakerPlatformStack(app, names.stack, {
  profile: SMOKE_TEST_PROFILE,
  tuningBudget: TUNING_BUDGET,
  description: 'Smoke test of the secure SageMaker platform (npm run integ -- SageMakerPlatform); deleted when the test ends',
});
const assertionStack = new AssertionStack(app, names.assertions, stack);
const { assertions } = smokeTest(app, stack, assertionStack);
const { encryptionKey, modelsBucket, inferenceBucket, trainingData } = stack.resources;
const key = useKey(encryptionKey);

/** Put a text object (a CSV) where the state machines read it. */
const put = (bucket: s3.IBucket, objectKey: string, body: string): IApiCall => allow(
  assertions.awsApiCall('S3', 'putObject', { Bucket: bucket.bucketName, Key: objectKey, Body: body }),
  { actions: ['s3:PutObject'], resources: [bucket.arnForObjects(objectKey)] }, key);
const code = (id: string, file: string) => new s3assets.Asset(assertionStack, id, { path: file });

const inputs = [
  put(trainingData.bucket, `${trainingData.prefix}train/part-0.csv`, csv(dataset(400, 1))),
  put(trainingData.bucket, `${trainingData.prefix}validation/part-0.csv`, csv(dataset(100, 2))),
  put(trainingData.bucket, `${trainingData.prefix}test/part-0.csv`, csv(dataset(TEST_ROWS, 3))),
  copyIntoBucket(assertions, code('SourceDir', sourceDirArchive()), modelsBucket, SOURCE_DIR_KEY),
  copyIntoBucket(assertions, code('EvaluationCode', path.join(__dirname, '../../sagemaker/evaluate.py')), modelsBucket, `${EVALUATION_CODE_PREFIX}evaluate.py`),
];

// Training: one execution, named after the run (SageMaker names are unique per account and type,
// for good: the run id keeps a second run from colliding with the first).
const runName = `integ-${RUN_ID}`;
const train = assertions.awsApiCall('SFN', 'startExecution', {
  stateMachineArn: stack.workflow.trainingStateMachine.stateMachineArn,
  name: `${runName}-train`,
  input: JSON.stringify({ runName, deploy: 'batch' }),
});
const trainArn = train.getAttString('executionArn');
// Three jobs (spot training, batch transform, evaluation) each provision an instance: a few minutes
// apiece; a spot job may also wait for capacity (MaxWaitTimeInSeconds 7200). 50 minutes, the most a
// custom resource can wait with CloudFormation's one-hour limit to spare; polled every minute.
const trainingEnded = waitFor(
  assertions.awsApiCall('SFN', 'describeExecution', { executionArn: trainArn }),
  'status', EXECUTION_ENDED, { timeout: Duration.minutes(50), interval: Duration.minutes(1) });
const trained = assertions.awsApiCall('SFN', 'describeExecution', { executionArn: trainArn })
  .assertAtPath('status', ExpectedResult.exact('SUCCEEDED'));
const jobName = trained.getAttString('output.training.TrainingJobName');

// What the run produced: the model artifact (encrypted with the platform key), the scored test
// split ("label,score" lines: DataProcessing joined the label back), and the evaluation of every
// test row next to the model.
const readModels = { actions: ['s3:GetObject'], resources: [modelsBucket.arnForObjects('training-output/*')] };
const artifact = allow(
  assertions.awsApiCall('S3', 'headObject', { Bucket: modelsBucket.bucketName, Key: `training-output/${jobName}/output/model.tar.gz` })
    .assertAtPath('ServerSideEncryption', ExpectedResult.exact('aws:kms')),
  readModels, key);
const scored = allow(
  assertions.awsApiCall('S3', 'getObject', { Bucket: inferenceBucket.bucketName, Key: `${BATCH_OUTPUT_PREFIX}${runName}/part-0.csv.out` })
    .assertAtPath('Body', ExpectedResult.stringLikeRegexp('^[01],(0(\\.[0-9]+)?|1(\\.0+)?|[0-9.]+e-[0-9]+)\\n')),
  { actions: ['s3:GetObject'], resources: [inferenceBucket.arnForObjects(`${BATCH_OUTPUT_PREFIX}${runName}/*`)] }, key);
const evaluated = allow(
  assertions.awsApiCall('S3', 'getObject', { Bucket: modelsBucket.bucketName, Key: `training-output/${jobName}/evaluation/evaluation.json` })
    .assertAtPath('Body.test_rows', ExpectedResult.exact(TEST_ROWS)),
  readModels, key);
// The model the state machine created (named after the run): nothing else deletes it.
const deleteModel = assertions.awsApiCall('SageMaker', 'deleteModel', { ModelName: runName });

// Tuning: Bayesian search over the same data, two jobs at once, one round.
const tuningRun = `integ-${RUN_ID}-tune`;
const tune = assertions.awsApiCall('SFN', 'startExecution', {
  stateMachineArn: stack.tuning.stateMachine.stateMachineArn,
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

inOrder(...inputs, train, trainingEnded, trained, artifact, scored, evaluated, deleteModel, tune, tuningEnded, tuned, best);

synthesize(app);
