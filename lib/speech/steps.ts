/**
 * What every box of the speech chain shares: the resources its states write to, the retry policy
 * of a task, and the two kinds of state that recur (a Lambda handler, an SNS notification).
 */
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DeploymentProfile } from '../config/profile';
import { NodeFunction } from '../constructs/node-function';
import { SecureBucket } from '../constructs/secure-bucket';
import { acknowledge, arnWildcardFinding } from '../gates';

/** The chain's shared resources, handed to every box. */
export interface ChainStepsProps {
  /** Transcripts, translations, analyses, speech, results, rejections and failures. */
  readonly results: SecureBucket;
  readonly notifications: sns.ITopic;
  readonly key: kms.IKey;
  readonly profile: DeploymentProfile;
  /** Where every task's uncaught error goes (records and notifies the failure, then fails). */
  readonly failure: sfn.IChainable;
}

/** What retryThenCatch needs: every Task state and CustomState have these. */
interface Retryable {
  addRetry(props?: sfn.RetryProps): unknown;
  addCatch(handler: sfn.IChainable, props?: sfn.CatchProps): unknown;
}

/** Retry policy of a task: exponential backoff with full jitter and a ceiling. */
export interface RetryPolicy {
  readonly errors: string[];
  readonly interval?: Duration;
  readonly maxAttempts?: number;
  readonly maxDelay?: Duration;
}

export function addRetries(task: Retryable, ...policies: RetryPolicy[]): void {
  for (const p of policies) {
    task.addRetry({
      errors: p.errors,
      interval: p.interval ?? Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: p.maxAttempts ?? 5,
      maxDelay: p.maxDelay ?? Duration.seconds(30),
      jitterStrategy: sfn.JitterType.FULL,
    });
  }
}

/** Retries, then every other error into the failure path (the catch-all must come last). */
export function retryThenCatch<T extends Retryable>(task: T, failure: sfn.IChainable, ...policies: RetryPolicy[]): T {
  addRetries(task, ...policies);
  task.addCatch(failure, { errors: ['States.ALL'], resultPath: '$.error' });
  return task;
}

export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];
/** Throttling and 5xx errors the SDK inside a handler gives up on, by their error name (Polly's 5xx is ServiceFailureException). */
export const HANDLER_TRANSIENT_ERRORS = ['ThrottlingException', 'TooManyRequestsException', 'InternalServerException', 'ServiceUnavailableException', 'ServiceFailureException', 'SlowDown'];
export const S3_TRANSIENT_ERRORS = ['S3.SlowDownException', 'S3.InternalErrorException', 'S3.ServiceUnavailableException', 'S3.SdkClientException'];
export const SNS_TRANSIENT_ERRORS = ['Sns.ThrottledException', 'Sns.InternalErrorException', 'Sns.KmsThrottlingException', 'Sns.SdkClientException'];
export const TRANSCRIBE_TRANSIENT_ERRORS = ['Transcribe.ThrottlingException', 'Transcribe.InternalFailureException', 'Transcribe.SdkClientException'];
export const POLLY_TRANSIENT_ERRORS = ['Polly.ThrottlingException', 'Polly.ServiceFailureException', 'Polly.SdkClientException'];

/** A handler with the stack's defaults (key, log retention, removal policy) and the results bucket in its environment. */
export function chainFunction(scope: Construct, id: string, props: ChainStepsProps & { entry: string; timeout?: Duration; memorySize?: number; environment?: Record<string, string> }): NodeFunction {
  return new NodeFunction(scope, id, {
    entry: props.entry,
    encryptionKey: props.key,
    logRetention: props.profile.logRetention,
    removalPolicy: props.profile.removalPolicy,
    timeout: props.timeout,
    memorySize: props.memorySize,
    environment: { RESULTS_BUCKET: props.results.bucketName, ...props.environment },
  });
}

/** A state that invokes a handler with `payload` and keeps the fields of its answer named in `resultSelector` at `resultPath`. */
export function invokeHandler(scope: Construct, stateName: string, fn: NodeFunction, failure: sfn.IChainable,
  payload: Record<string, unknown>, resultSelector: Record<string, string>, resultPath: string): tasks.LambdaInvoke {
  return retryThenCatch(new tasks.LambdaInvoke(scope, `${stateName}Task`, {
    stateName,
    lambdaFunction: fn.function,
    payload: sfn.TaskInput.fromObject(payload),
    // CDK's default retry has no jitter and no max delay; ours has both.
    retryOnServiceExceptions: false,
    resultSelector,
    resultPath,
  }), failure, { errors: [...LAMBDA_SERVICE_ERRORS, ...HANDLER_TRANSIENT_ERRORS] });
}

/** The IAM5 acknowledgement of CDK's LambdaInvoke grant (the function's versions and aliases) on the state machine role. */
export function acknowledgeInvoke(role: iam.IRole, fn: NodeFunction): void {
  acknowledge(role, `AwsSolutions-IAM5[${arnWildcardFinding(fn.function, ':*')}]`,
    `lambda:InvokeFunction on the versions and aliases of ${fn.node.id} (CDK's LambdaInvoke grant), nothing else`);
}

/**
 * s3:PutObject through the SDK integration: an outcome record (`body`, with the execution and the
 * time added) as JSON under `prefix` of the results bucket, at the key `keyParameter` gives
 * (`{ 'Key.$': '<JSONPath or intrinsic>' }`). The state machine role may write only under `prefix`.
 */
export function putRecord(scope: Construct, stateName: string, results: SecureBucket, prefix: string,
  keyParameter: Record<string, string>, body: Record<string, unknown>): tasks.CallAwsService {
  return new tasks.CallAwsService(scope, `${stateName}Task`, {
    stateName,
    service: 's3',
    action: 'putObject',
    iamAction: 's3:PutObject',
    iamResources: [results.arnForObjects(`${prefix}*`)],
    parameters: {
      Bucket: results.bucketName,
      ...keyParameter,
      ContentType: 'application/json',
      Body: { ...body, 'execution.$': '$$.Execution.Id', 'time.$': '$$.State.EnteredTime' },
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
}

/** sns:Publish through the SDK integration, with an `outcome` attribute subscribers can filter on. */
export function publish(scope: Construct, stateName: string, topic: sns.ITopic, outcome: string, messagePath: string): tasks.CallAwsService {
  return new tasks.CallAwsService(scope, `${stateName}Task`, {
    stateName,
    service: 'sns',
    action: 'publish',
    iamAction: 'sns:Publish',
    iamResources: [topic.topicArn],
    parameters: {
      TopicArn: topic.topicArn,
      Subject: `Speech chain: ${outcome}`,
      'Message.$': `States.JsonToString(${messagePath})`,
      MessageAttributes: { outcome: { DataType: 'String', StringValue: outcome } },
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
}
