/**
 * Speech chain: audio uploaded to S3 -> Amazon Transcribe -> wait/poll -> (Amazon Translate) ->
 * Amazon Comprehend -> a spoken summary with Amazon Polly -> one result JSON per media file and
 * a completion notification.
 *
 * Codifies the study notes' "Service chaining with AWS Step Functions" example (audio saved in
 * S3, a trigger starts the state machine, Transcribe is started, a Wait state loops through a
 * status check into a decision point, then Comprehend analyses the transcript) and their Polly
 * topic (text to speech, SSML, voices). Modernised: an EventBridge rule replaces the S3-trigger
 * Lambda, and direct AWS SDK integrations replace the Lambdas that only called one API (start job,
 * check status, poll a Polly task, write a record, notify). Lambdas remain where there is logic:
 * naming and validating the media, byte-aware chunking for Translate and Comprehend, aggregation,
 * composing SSML, merging the result. The constructor reads as the page's diagram: one construct
 * per box (lib/speech/). See docs/speech.md.
 */
import { CfnOutput, Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SecureBucket } from '../constructs/secure-bucket';
import { SecureLogGroup, vendedLogGroupName } from '../constructs/secure-log-group';
import { acknowledge } from '../gates';
import { ChainResult } from '../speech/chain-result';
import { FailurePath } from '../speech/failure-path';
import { LanguageBranch } from '../speech/language-branch';
import { SpeechSynthesis } from '../speech/speech-synthesis';
import { TranscriptAnalysis } from '../speech/transcript-analysis';
import { TranscriptionLoop } from '../speech/transcription-loop';
import { UploadTrigger } from '../speech/upload-trigger';
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
  /**
   * Wait between two GetSpeechSynthesisTask calls (only summaries past SynthesizeSpeech's limits
   * become asynchronous tasks).
   * @default Duration.seconds(10)
   */
  readonly speechPollInterval?: Duration;
  /**
   * Status checks of a speech synthesis task before the summary is recorded as TIMED_OUT.
   * @default 60 (10 minutes at the default interval)
   */
  readonly speechMaxPolls?: number;
  /**
   * Most key phrases the spoken summary reads out (the most frequent first).
   * @default 10
   */
  readonly spokenKeyPhrases?: number;
}

export class SpeechChainStack extends ArchitectureStack {
  public readonly mediaBucket: SecureBucket;
  public readonly resultsBucket: SecureBucket;
  public readonly stateMachine: sfn.StateMachine;
  public readonly notifications: sns.Topic;

  constructor(scope: Construct, id: string, props: SpeechChainStackProps) {
    // EventBridge encrypts what it moves to the trigger's dead-letter queue on its own behalf, so it may use the key.
    super(scope, id, 'speech', props, { protects: 'media, transcripts, results, speech, logs, queues and topic', servicePrincipals: ['events.amazonaws.com'] });
    const { profile } = props;
    const mediaPrefix = props.mediaPrefix ?? 'media/';
    const pollInterval = props.pollInterval ?? Duration.seconds(30);
    const maxPolls = props.maxPolls ?? 480;
    const timeout = props.timeout ?? Duration.hours(6);
    const speechPollInterval = props.speechPollInterval ?? Duration.seconds(10);
    const speechMaxPolls = props.speechMaxPolls ?? 60;
    const spokenKeyPhrases = props.spokenKeyPhrases ?? 10;
    validate({ mediaPrefix, pollInterval, maxPolls, timeout, languageCode: props.languageCode, speechPollInterval, speechMaxPolls, spokenKeyPhrases });

    // Stateful resources, at the top level so their logical ids never move.
    const { key } = this;
    this.mediaBucket = this.dataBucket('Media');
    this.resultsBucket = this.dataBucket('Results');
    this.notifications = new sns.Topic(this, 'Notifications', { masterKey: key, enforceSSL: true });

    // The boxes of the diagram, left to right; every task's uncaught error ends in the failure path.
    const failure = new FailurePath(this, 'Failure', { results: this.resultsBucket, notifications: this.notifications });
    const steps = { results: this.resultsBucket, notifications: this.notifications, key, profile, failure: failure.start };
    const transcription = new TranscriptionLoop(this, 'Transcription', {
      ...steps, media: this.mediaBucket, mediaPrefix, languageCode: props.languageCode, pollInterval, maxPolls,
    });
    const language = new LanguageBranch(this, 'Language', steps);
    const analysis = new TranscriptAnalysis(this, 'Analysis', steps);
    const speech = new SpeechSynthesis(this, 'Speech', { ...steps, pollInterval: speechPollInterval, maxPolls: speechMaxPolls, maxKeyPhrases: spokenKeyPhrases });
    const result = new ChainResult(this, 'Result', steps);
    transcription.whenCompleted(language.start);
    language.then(analysis.start);
    analysis.start.next(speech.start);
    speech.then(result.start);

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(transcription.start),
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout,
      tracingEnabled: true,
      logs: {
        destination: new SecureLogGroup(this, 'StateMachineLogs', {
          encryptionKey: key, retention: profile.logRetention, removalPolicy: profile.removalPolicy,
          logGroupName: vendedLogGroupName(this, 'StateMachine', 'states'),
        }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
      removalPolicy: profile.removalPolicy,
      comment: 'S3 media -> Transcribe (wait/poll) -> Translate if needed -> Comprehend -> Polly summary -> result JSON + notification',
    });
    const role = this.stateMachine.role;
    for (const box of [failure, transcription, language, analysis, speech, result]) {
      box.permit(role);
    }
    acknowledgeStateMachineRole(role);

    const trigger = new UploadTrigger(this, 'Trigger', { media: this.mediaBucket, mediaPrefix, stateMachine: this.stateMachine, key, profile });

    // What scripts/speech-transcribe.ts and the docs' "Try it" read.
    new CfnOutput(this, 'MediaBucketName', { value: this.mediaBucket.bucketName, description: `Upload audio under ${mediaPrefix}` });
    new CfnOutput(this, 'ResultsBucketName', { value: this.resultsBucket.bucketName, description: 'transcripts/, translations/, analyses/, speech/, results/, rejections/, failures/' });
    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn });
    new CfnOutput(this, 'NotificationsTopicArn', { value: this.notifications.topicArn, description: 'Subscribe here; filter on the outcome attribute' });
    new CfnOutput(this, 'TriggerDeadLetterQueueUrl', { value: trigger.deadLetterQueue.queueUrl, description: 'Uploads whose execution could not be started' });
  }
}

/** The acknowledgements of the state machine role that no single box owns. */
function acknowledgeStateMachineRole(role: iam.IRole): void {
  acknowledge(role, 'AwsSolutions-IAM5[Resource::*]',
    'transcribe:StartTranscriptionJob and polly:GetSpeechSynthesisTask have no resource type (the former scoped by transcribe:OutputBucketName and transcribe:OutputEncryptionKMSKeyId conditions); the vended-log delivery and X-Ray actions CDK adds have no resource-level permissions');
  acknowledge(role, 'NIST.800.53.R5-IAMNoInlinePolicy',
    'The statements CDK derives from each task belong to this one role and are scoped to this stack\'s resources; a managed policy would hold the same statements');
}

interface Settings {
  mediaPrefix: string; pollInterval: Duration; maxPolls: number; timeout: Duration; languageCode?: string;
  speechPollInterval: Duration; speechMaxPolls: number; spokenKeyPhrases: number;
}

function validate(p: Settings): void {
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
  if (!p.speechPollInterval.isUnresolved()) {
    const ms = p.speechPollInterval.toMilliseconds();
    if (ms < 1000 || ms % 1000 !== 0) {
      throw new Error(`speechPollInterval must be a whole number of seconds, at least 1 (got ${ms} ms)`);
    }
  }
  if (!Token.isUnresolved(p.speechMaxPolls) && (!Number.isInteger(p.speechMaxPolls) || p.speechMaxPolls < 1)) {
    throw new Error(`speechMaxPolls must be a positive integer (got ${p.speechMaxPolls})`);
  }
  if (!Token.isUnresolved(p.spokenKeyPhrases) && (!Number.isInteger(p.spokenKeyPhrases) || p.spokenKeyPhrases < 0 || p.spokenKeyPhrases > 1000)) {
    throw new Error(`spokenKeyPhrases must be an integer from 0 to 1000 (got ${p.spokenKeyPhrases})`);
  }
  if (p.languageCode !== undefined && !Token.isUnresolved(p.languageCode) && !/^[a-z]{2,3}-[A-Z]{2}$/.test(p.languageCode)) {
    throw new Error(`languageCode must look like en-US (got ${JSON.stringify(p.languageCode)})`);
  }
}
