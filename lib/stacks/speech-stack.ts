/**
 * Speech chain: audio uploaded to S3 -> Amazon Transcribe -> wait/poll -> (Amazon Translate) ->
 * Amazon Comprehend -> one result JSON per media file and a completion notification.
 *
 * Codifies the study notes' "Service chaining with AWS Step Functions" example (audio saved in
 * S3, a trigger starts the state machine, Transcribe is started, a Wait state loops through a
 * status check into a decision point, then Comprehend analyses the transcript). Modernised: an
 * EventBridge rule replaces the S3-trigger Lambda, and direct AWS SDK integrations replace the
 * Lambdas that only called one API (start job, check status, write record, notify). Lambdas
 * remain where there is logic: naming and validating the media, byte-aware chunking for
 * Translate and Comprehend, aggregation. See docs/speech.md.
 */
import * as path from 'node:path';
import { Aws, CfnOutput, Duration, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { comprehendLanguagePatterns } from '../../lambda/speech/media';
import { NodeFunction } from '../constructs/node-function';
import { AccessLogsBucket, SecureBucket } from '../constructs/secure-bucket';
import { SecureKey } from '../constructs/secure-key';
import { SecureLogGroup, vendedLogGroupName } from '../constructs/secure-log-group';
import { DeadLetterQueue } from '../constructs/secure-queue';
import { acknowledge, acknowledgeBucketGrant, acknowledgeResource, arnWildcardFinding } from '../gates';
import { ArchitectureStack, ArchitectureStackProps } from './architecture';

export interface SpeechChainStackProps extends ArchitectureStackProps {
  /**
   * Only objects under this prefix of the media bucket start the chain.
   * @default 'media/'
   */
  readonly mediaPrefix?: string;
  /**
   * Language of the audio as Transcribe names it (e.g. 'en-US').
   * @default - Transcribe identifies the language (IdentifyLanguage)
   */
  readonly languageCode?: string;
  /**
   * Wait between two GetTranscriptionJob calls.
   * @default Duration.seconds(30)
   */
  readonly pollInterval?: Duration;
  /**
   * Upper bound of status checks before the execution gives up on the job.
   * @default 480 (4 hours at the default interval: Transcribe's maximum media length)
   */
  readonly maxPolls?: number;
  /**
   * Overall execution timeout; must exceed pollInterval x maxPolls.
   * @default Duration.hours(6)
   */
  readonly timeout?: Duration;
}

/** What withPolicy needs: every Task state and CustomState have these. */
interface Retryable {
  addRetry(props?: sfn.RetryProps): unknown;
  addCatch(handler: sfn.IChainable, props?: sfn.CatchProps): unknown;
}

/** Retry policy of every task: exponential backoff with full jitter and a ceiling (GOTCHAS.md). */
interface RetryPolicy {
  readonly errors: string[];
  readonly interval?: Duration;
  readonly maxAttempts?: number;
  readonly maxDelay?: Duration;
}

function addRetries(task: Retryable, ...policies: RetryPolicy[]): void {
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

const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];
/** Throttling and 5xx errors the SDK inside a handler gives up on, by their error name. */
const HANDLER_TRANSIENT_ERRORS = ['ThrottlingException', 'TooManyRequestsException', 'InternalServerException', 'ServiceUnavailableException', 'SlowDown'];
const S3_TRANSIENT_ERRORS = ['S3.SlowDownException', 'S3.InternalErrorException', 'S3.ServiceUnavailableException', 'S3.SdkClientException'];
const SNS_TRANSIENT_ERRORS = ['Sns.ThrottledException', 'Sns.InternalErrorException', 'Sns.KmsThrottlingException', 'Sns.SdkClientException'];
const TRANSCRIBE_TRANSIENT_ERRORS = ['Transcribe.ThrottlingException', 'Transcribe.InternalFailureException', 'Transcribe.SdkClientException'];

export class SpeechChainStack extends ArchitectureStack {
  public readonly mediaBucket: SecureBucket;
  public readonly resultsBucket: SecureBucket;
  public readonly stateMachine: sfn.StateMachine;
  public readonly notifications: sns.Topic;

  constructor(scope: Construct, id: string, props: SpeechChainStackProps) {
    super(scope, id, 'speech', props);
    const { profile } = props;
    const mediaPrefix = props.mediaPrefix ?? 'media/';
    const pollInterval = props.pollInterval ?? Duration.seconds(30);
    const maxPolls = props.maxPolls ?? 480;
    const timeout = props.timeout ?? Duration.hours(6);
    validate({ mediaPrefix, pollInterval, maxPolls, timeout, languageCode: props.languageCode });

    // One key for the stack. EventBridge encrypts what it moves to the rule's dead-letter queue
    // on its own behalf, so its service principal may use the key.
    const key = new SecureKey(this, 'Key', {
      description: `${this.stackName}: media, transcripts, results, logs, queues and topic`,
      servicePrincipals: ['events.amazonaws.com'],
      removalPolicy: profile.removalPolicy,
      pendingWindow: profile.keyPendingWindow,
    });
    const accessLogs = new AccessLogsBucket(this, 'AccessLogs', {
      removalPolicy: profile.removalPolicy,
      autoDeleteObjects: profile.autoDeleteObjects,
    });
    const bucketProps = {
      encryptionKey: key,
      serverAccessLogsBucket: accessLogs,
      removalPolicy: profile.removalPolicy,
      autoDeleteObjects: profile.autoDeleteObjects,
      noncurrentVersionExpiration: profile.noncurrentVersionExpiration,
    };
    this.mediaBucket = new SecureBucket(this, 'Media', bucketProps);
    this.resultsBucket = new SecureBucket(this, 'Results', bucketProps);
    const media = this.mediaBucket;
    const results = this.resultsBucket;

    this.notifications = new sns.Topic(this, 'Notifications', { masterKey: key, enforceSSL: true });

    // Lambdas only where there is logic.
    const fnProps = { encryptionKey: key, logRetention: profile.logRetention, removalPolicy: profile.removalPolicy };
    const prepare = new NodeFunction(this, 'PrepareMedia', {
      ...fnProps,
      entry: path.join(__dirname, '../../lambda/speech/prepare-media.ts'),
    });
    media.grantRead(prepare, `${mediaPrefix}*`);
    acknowledgeBucketGrant(prepare.role, media, 'read', `${mediaPrefix}*`);

    const translate = new NodeFunction(this, 'TranslateTranscript', {
      ...fnProps,
      entry: path.join(__dirname, '../../lambda/speech/translate-transcript.ts'),
      timeout: Duration.minutes(5),
      environment: { RESULTS_BUCKET: results.bucketName },
    });
    results.grantRead(translate, 'transcripts/*');
    results.grantPut(translate, 'translations/*');
    acknowledgeBucketGrant(translate.role, results, 'read', 'transcripts/*');
    acknowledgeBucketGrant(translate.role, results, 'put', 'translations/*');
    translate.role.addToPrincipalPolicy(new iam.PolicyStatement({
      // TranslateText with SourceLanguageCode "auto" calls Comprehend's language detection as the caller.
      actions: ['translate:TranslateText', 'comprehend:DetectDominantLanguage'],
      resources: ['*'],
    }));
    acknowledge(translate.role, 'AwsSolutions-IAM5[Resource::*]',
      'translate:TranslateText (without custom terminology) and comprehend:DetectDominantLanguage support no resource-level permissions');

    const analyse = new NodeFunction(this, 'AnalyseTranscript', {
      ...fnProps,
      entry: path.join(__dirname, '../../lambda/speech/analyse-transcript.ts'),
      timeout: Duration.minutes(5),
      memorySize: 512,
      environment: { RESULTS_BUCKET: results.bucketName },
    });
    results.grantRead(analyse, 'transcripts/*');
    results.grantRead(analyse, 'translations/*');
    results.grantPut(analyse, 'results/*');
    acknowledgeBucketGrant(analyse.role, results, 'read', 'transcripts/*');
    acknowledgeBucketGrant(analyse.role, results, 'read', 'translations/*');
    acknowledgeBucketGrant(analyse.role, results, 'put', 'results/*');
    analyse.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['comprehend:BatchDetectSentiment', 'comprehend:BatchDetectEntities', 'comprehend:BatchDetectKeyPhrases'],
      resources: ['*'],
    }));
    acknowledge(analyse.role, 'AwsSolutions-IAM5[Resource::*]',
      'Comprehend Batch* detection with the pre-trained models supports no resource-level permissions (only custom endpoints have ARNs)');

    // ---- The state machine -------------------------------------------------------------------
    const failure = this.failurePath(results);
    const withPolicy = <T extends Retryable>(task: T, ...policies: RetryPolicy[]): T => {
      addRetries(task, ...policies);
      task.addCatch(failure, { errors: ['States.ALL'], resultPath: '$.error' });
      return task;
    };
    // A handler state: its payload, the fields of its answer kept in the state, and where.
    const invoke = (stateName: string, fn: NodeFunction, payload: Record<string, unknown>, resultSelector: Record<string, string>, resultPath: string) =>
      withPolicy(new tasks.LambdaInvoke(this, `${stateName}Task`, {
        stateName,
        lambdaFunction: fn.function,
        payload: sfn.TaskInput.fromObject(payload),
        // CDK's default retry has no jitter and no max delay; ours below has both.
        retryOnServiceExceptions: false,
        resultSelector,
        resultPath,
      }), { errors: [...LAMBDA_SERVICE_ERRORS, ...HANDLER_TRANSIENT_ERRORS] });

    const prepareMedia = invoke('PrepareMedia', prepare, {
      bucket: sfn.JsonPath.stringAt('$.detail.bucket.name'),
      key: sfn.JsonPath.stringAt('$.detail.object.key'),
      executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
    }, { 'value.$': '$.Payload' }, '$.prepared');

    // Rejected media: write the reason where the user looks for results, notify, end.
    const recordRejection = withPolicy(new tasks.CallAwsService(this, 'RecordRejectionTask', {
      stateName: 'RecordRejection',
      service: 's3',
      action: 'putObject',
      iamAction: 's3:PutObject',
      iamResources: [results.arnForObjects('rejections/*')],
      parameters: {
        Bucket: results.bucketName,
        'Key.$': '$.prepared.value.rejectionKey',
        ContentType: 'application/json',
        Body: {
          status: 'REJECTED',
          'reason.$': '$.prepared.value.reason',
          media: { 'bucket.$': '$.prepared.value.bucket', 'key.$': '$.prepared.value.key' },
          'execution.$': '$$.Execution.Id',
          'time.$': '$$.State.EnteredTime',
        },
      },
      resultPath: sfn.JsonPath.DISCARD,
    }), { errors: S3_TRANSIENT_ERRORS });
    const notifyRejection = withPolicy(this.publish('NotifyRejection', 'REJECTED', '$.prepared.value'), { errors: SNS_TRANSIENT_ERRORS });
    const rejected = new sfn.Succeed(this, 'MediaRejected', { comment: 'Not a format Transcribe accepts: recorded and notified, nothing to retry' });

    // Transcribe: start, then Wait -> Get -> Choice until COMPLETED or FAILED, at most maxPolls times.
    const startPolling = new sfn.Pass(this, 'StartPolling', { result: sfn.Result.fromObject({ count: 0 }), resultPath: '$.poll' });
    // A custom state, not CallAwsService: that one would add an unconditioned
    // transcribe:StartTranscriptionJob on "*"; the scoped statement is added to the role below.
    const startTranscriptionState = new sfn.CustomState(this, 'StartTranscription', {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Aws.PARTITION}:states:::aws-sdk:transcribe:startTranscriptionJob`,
        Parameters: {
          'TranscriptionJobName.$': '$.prepared.value.jobName',
          Media: { 'MediaFileUri.$': '$.prepared.value.mediaUri' },
          'MediaFormat.$': '$.prepared.value.mediaFormat',
          OutputBucketName: results.bucketName,
          'OutputKey.$': '$.prepared.value.transcriptKey',
          OutputEncryptionKMSKeyId: key.keyArn,
          ...(props.languageCode ? { LanguageCode: props.languageCode } : { IdentifyLanguage: true }),
        },
        ResultPath: null,
      },
    });
    // A retried start whose first attempt went through finds its own job (job names are unique
    // per execution): poll it instead of failing. Before the States.ALL catch, which must be last.
    startTranscriptionState.addCatch(startPolling, { errors: ['Transcribe.ConflictException'], resultPath: '$.startConflict' });
    const startTranscription = withPolicy(startTranscriptionState, { errors: TRANSCRIBE_TRANSIENT_ERRORS },
      // The concurrent-job quota: back off for minutes, not seconds.
      { errors: ['Transcribe.LimitExceededException'], interval: Duration.seconds(15), maxAttempts: 8, maxDelay: Duration.minutes(5) });

    const wait = new sfn.Wait(this, 'WaitForTranscription', { time: sfn.WaitTime.duration(pollInterval) });
    const getTranscription = withPolicy(new tasks.CallAwsService(this, 'GetTranscriptionTask', {
      stateName: 'GetTranscriptionStatus',
      service: 'transcribe',
      action: 'getTranscriptionJob',
      iamResources: [this.formatArn({ service: 'transcribe', resource: 'transcription-job', resourceName: '*' })],
      iamAction: 'transcribe:GetTranscriptionJob',
      parameters: { 'TranscriptionJobName.$': '$.prepared.value.jobName' },
      resultSelector: { 'job.$': '$.TranscriptionJob' },
      resultPath: '$.transcription',
    }), { errors: TRANSCRIBE_TRANSIENT_ERRORS });
    const countPoll = new sfn.Pass(this, 'CountPoll', {
      parameters: { 'count.$': 'States.MathAdd($.poll.count, 1)' },
      resultPath: '$.poll',
    });
    const transcriptionFailed = new sfn.Pass(this, 'TranscriptionFailed', {
      parameters: { Error: 'TranscriptionFailed', 'Cause.$': '$.transcription.job.FailureReason' },
      resultPath: '$.error',
    });
    const pollingExhausted = new sfn.Pass(this, 'PollingExhausted', {
      parameters: {
        Error: 'TranscriptionTimedOut',
        'Cause.$': `States.Format('Job {} still {} after {} status checks', $.prepared.value.jobName, $.transcription.job.TranscriptionJobStatus, $.poll.count)`,
      },
      resultPath: '$.error',
    });

    // Language: Comprehend analyses a dozen languages; anything else is translated to English first.
    const keepLanguage = new sfn.Pass(this, 'KeepOriginalLanguage', {
      result: sfn.Result.fromObject({ translated: false }),
      resultPath: '$.translation',
    });
    const translateTranscript = invoke('TranslateTranscript', translate, {
      media: sfn.JsonPath.objectAt('$.prepared.value'),
      job: sfn.JsonPath.objectAt('$.transcription.job'),
    }, {
      'translated.$': '$.Payload.translated',
      'key.$': '$.Payload.key',
      'sourceLanguageCode.$': '$.Payload.sourceLanguageCode',
      'targetLanguageCode.$': '$.Payload.targetLanguageCode',
    }, '$.translation');
    const analyseTranscript = invoke('AnalyseTranscript', analyse, {
      media: sfn.JsonPath.objectAt('$.prepared.value'),
      job: sfn.JsonPath.objectAt('$.transcription.job'),
      translation: sfn.JsonPath.objectAt('$.translation'),
      execution: { id: sfn.JsonPath.stringAt('$$.Execution.Id'), startTime: sfn.JsonPath.stringAt('$$.Execution.StartTime') },
    }, { 'summary.$': '$.Payload' }, '$.analysis');
    const notifyCompletion = withPolicy(this.publish('NotifyCompletion', 'COMPLETED', '$.analysis.summary'), { errors: SNS_TRANSIENT_ERRORS });
    const succeeded = new sfn.Succeed(this, 'Analysed');

    const languagePatterns = comprehendLanguagePatterns().map((p) => sfn.Condition.stringMatches('$.transcription.job.LanguageCode', p));
    const chooseLanguage = new sfn.Choice(this, 'ComprehendSupportsLanguage')
      .when(sfn.Condition.and(sfn.Condition.isPresent('$.transcription.job.LanguageCode'), sfn.Condition.or(...languagePatterns)),
        keepLanguage.next(analyseTranscript))
      .otherwise(translateTranscript.next(analyseTranscript));
    analyseTranscript.next(notifyCompletion).next(succeeded);

    const status = '$.transcription.job.TranscriptionJobStatus';
    const checkStatus = new sfn.Choice(this, 'TranscriptionStatus')
      .when(sfn.Condition.stringEquals(status, 'COMPLETED'), chooseLanguage)
      .when(sfn.Condition.stringEquals(status, 'FAILED'), transcriptionFailed.next(failure))
      .when(sfn.Condition.numberGreaterThanEquals('$.poll.count', maxPolls), pollingExhausted.next(failure))
      .otherwise(countPoll.next(wait));

    const definition = prepareMedia.next(
      new sfn.Choice(this, 'TranscribeAccepts')
        .when(sfn.Condition.booleanEquals('$.prepared.value.accepted', false), recordRejection.next(notifyRejection).next(rejected))
        .otherwise(startTranscription.next(startPolling).next(wait).next(getTranscription).next(checkStatus)),
    );

    const logGroup = new SecureLogGroup(this, 'StateMachineLogs', {
      encryptionKey: key,
      retention: profile.logRetention,
      removalPolicy: profile.removalPolicy,
      logGroupName: vendedLogGroupName(this, 'StateMachine', 'states'),
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      removalPolicy: profile.removalPolicy,
      comment: 'S3 media -> Transcribe (wait/poll) -> Translate if needed -> Comprehend -> result JSON + notification',
    });
    const role = this.stateMachine.role;

    // What the SDK integrations need beyond the statements CDK derives from each task.
    // Transcribe reads the media and writes the transcript with the caller's (this role's) rights.
    media.grantRead(role, `${mediaPrefix}*`);
    results.grantPut(role, 'transcripts/*');
    results.grantPut(role, 'rejections/*');
    results.grantPut(role, 'failures/*');
    this.notifications.grantPublish(role);
    acknowledgeBucketGrant(role, media, 'read', `${mediaPrefix}*`);
    for (const prefix of ['transcripts/*', 'rejections/*', 'failures/*']) {
      acknowledgeBucketGrant(role, results, 'put', prefix);
    }
    // StartTranscriptionJob has no resource type; Transcribe's condition keys pin the output
    // to the results bucket and this key, so the role cannot write transcripts anywhere else.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['transcribe:StartTranscriptionJob'],
      resources: ['*'],
      conditions: {
        StringEquals: {
          'transcribe:OutputBucketName': results.bucketName,
          'transcribe:OutputEncryptionKMSKeyId': key.keyArn,
        },
      },
    }));
    acknowledge(role, 'AwsSolutions-IAM5[Resource::*]',
      'transcribe:StartTranscriptionJob has no resource type (scoped by transcribe:OutputBucketName and transcribe:OutputEncryptionKMSKeyId conditions); the vended-log delivery and X-Ray actions CDK adds have no resource-level permissions');
    acknowledgeResource(role, this.formatArn({ service: 'transcribe', resource: 'transcription-job', resourceName: '*' }),
      'Job names are derived per execution at run time (file name + execution name), so no fixed ARN exists; read-only GetTranscriptionJob in this account and region');
    for (const fn of [prepare, translate, analyse]) {
      acknowledge(role, `AwsSolutions-IAM5[${arnWildcardFinding(fn.function, ':*')}]`,
        `lambda:InvokeFunction on the versions and aliases of ${fn.node.id} (CDK's LambdaInvoke grant), nothing else`);
    }
    acknowledge(role, 'NIST.800.53.R5-IAMNoInlinePolicy',
      'The statements CDK derives from each task belong to this one role and are scoped to this stack\'s resources; a managed policy would hold the same statements');

    // ---- Trigger: EventBridge rule instead of the notes' S3-trigger Lambda -------------------
    const ruleDeadLetters = new DeadLetterQueue(this, 'TriggerDeadLetterQueue', {
      encryptionKey: key,
      removalPolicy: profile.removalPolicy,
      source: 'the MediaUploaded rule target (events that could not start an execution)',
    });
    // Our own role for the rule, so the one statement it needs is visible and acknowledged here.
    const triggerRole = new iam.Role(this, 'TriggerRole', { assumedBy: new iam.ServicePrincipal('events.amazonaws.com') });
    acknowledge(triggerRole, 'NIST.800.53.R5-IAMNoInlinePolicy',
      'One statement, states:StartExecution on this stack\'s state machine, attached to this one role');
    new events.Rule(this, 'MediaUploaded', {
      description: `Starts the speech chain for every object created under ${mediaPrefix} (unsupported formats are rejected with a record)`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [media.bucketName] },
          object: { key: [{ prefix: mediaPrefix }] },
        },
      },
      targets: [new targets.SfnStateMachine(this.stateMachine, {
        // The whole event is the input: no input transformer that could break on odd keys.
        deadLetterQueue: ruleDeadLetters,
        role: triggerRole,
        retryAttempts: 185,
        maxEventAge: Duration.hours(24),
      })],
    });

    // What scripts/speech-transcribe.ts and the docs' "Try it" read.
    new CfnOutput(this, 'MediaBucketName', { value: media.bucketName, description: `Upload audio under ${mediaPrefix}` });
    new CfnOutput(this, 'ResultsBucketName', { value: results.bucketName, description: 'transcripts/, translations/, results/, rejections/, failures/' });
    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn });
    new CfnOutput(this, 'NotificationsTopicArn', { value: this.notifications.topicArn, description: 'Subscribe here; filter on the outcome attribute' });
    new CfnOutput(this, 'TriggerDeadLetterQueueUrl', { value: ruleDeadLetters.queueUrl, description: 'Uploads whose execution could not be started' });
  }

  /** Record the error next to the results, notify, then fail the execution with the original error. */
  private failurePath(results: SecureBucket): sfn.IChainable {
    const failed = new sfn.Fail(this, 'Failed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    // The whole state: event, prepared media, last job status and the error (pointers only, a few KB).
    const notify = this.publish('NotifyFailure', 'FAILED', '$');
    addRetries(notify, { errors: SNS_TRANSIENT_ERRORS });
    // Nothing left to notify through: end with the original error.
    notify.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.notifyError' });
    const record = new tasks.CallAwsService(this, 'RecordFailureTask', {
      stateName: 'RecordFailure',
      service: 's3',
      action: 'putObject',
      iamAction: 's3:PutObject',
      iamResources: [results.arnForObjects('failures/*')],
      parameters: {
        Bucket: results.bucketName,
        'Key.$': "States.Format('failures/{}.json', $$.Execution.Name)",
        ContentType: 'application/json',
        Body: {
          status: 'FAILED',
          'error.$': '$.error',
          media: { 'bucket.$': '$.detail.bucket.name', 'key.$': '$.detail.object.key' },
          'execution.$': '$$.Execution.Id',
          'time.$': '$$.State.EnteredTime',
        },
      },
      resultPath: sfn.JsonPath.DISCARD,
    });
    addRetries(record, { errors: S3_TRANSIENT_ERRORS });
    // A record that cannot be written must not hide the failure: still notify.
    record.addCatch(notify, { errors: ['States.ALL'], resultPath: '$.recordError' });
    return record.next(notify).next(failed);
  }

  /** sns:Publish through the SDK integration, with an `outcome` attribute subscribers can filter on. */
  private publish(stateName: string, outcome: string, messagePath: string): tasks.CallAwsService {
    return new tasks.CallAwsService(this, `${stateName}Task`, {
      stateName,
      service: 'sns',
      action: 'publish',
      iamAction: 'sns:Publish',
      iamResources: [this.notifications.topicArn],
      parameters: {
        TopicArn: this.notifications.topicArn,
        Subject: `Speech chain: ${outcome}`,
        'Message.$': `States.JsonToString(${messagePath})`,
        MessageAttributes: { outcome: { DataType: 'String', StringValue: outcome } },
      },
      resultPath: sfn.JsonPath.DISCARD,
    });
  }
}

function validate(p: { mediaPrefix: string; pollInterval: Duration; maxPolls: number; timeout: Duration; languageCode?: string }): void {
  if (p.mediaPrefix.length === 0) {
    throw new Error('mediaPrefix must not be empty (got ""): every object of the bucket would start the chain, results included');
  }
  if (!p.pollInterval.isUnresolved()) {
    const ms = p.pollInterval.toMilliseconds();
    if (ms < 1000 || ms % 1000 !== 0) {
      throw new Error(`pollInterval must be a whole number of seconds, at least 1 (got ${ms} ms)`);
    }
  }
  if (!Token.isUnresolved(p.maxPolls) && (!Number.isInteger(p.maxPolls) || p.maxPolls < 1)) {
    throw new Error(`maxPolls must be a positive integer (got ${p.maxPolls})`);
  }
  if (!p.pollInterval.isUnresolved() && !p.timeout.isUnresolved() && !Token.isUnresolved(p.maxPolls)) {
    const polling = p.pollInterval.toSeconds() * p.maxPolls;
    if (p.timeout.toSeconds() <= polling) {
      throw new Error(`timeout must exceed pollInterval x maxPolls (got ${p.timeout.toSeconds()} s <= ${polling} s)`);
    }
  }
  if (p.languageCode !== undefined && !Token.isUnresolved(p.languageCode) && !/^[a-z]{2,3}-[A-Z]{2}$/.test(p.languageCode)) {
    throw new Error(`languageCode must look like en-US (got ${JSON.stringify(p.languageCode)})`);
  }
}
