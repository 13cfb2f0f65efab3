import * as path from 'node:path';
import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { NodeFunction } from '../constructs/node-function';
import { SecureBucket } from '../constructs/secure-bucket';
import { acknowledgeBucketGrant, acknowledgeResource } from '../gates';
import {
  acknowledgeInvoke, chainFunction, ChainStepsProps, invokeHandler, publish, putRecord, retryThenCatch, S3_TRANSIENT_ERRORS,
  SNS_TRANSIENT_ERRORS, TRANSCRIBE_TRANSIENT_ERRORS,
} from './steps';

export interface TranscriptionLoopProps extends ChainStepsProps {
  readonly media: SecureBucket;
  readonly mediaPrefix: string;
  /** @default - Transcribe identifies the language */
  readonly languageCode?: string;
  readonly pollInterval: Duration;
  readonly maxPolls: number;
}

/**
 * The notes' first half: the uploaded object is checked and named (PrepareMedia), rejected with a
 * record when Transcribe cannot take it, else a transcription job is started and polled (Wait ->
 * GetTranscriptionStatus -> Choice) until COMPLETED, FAILED or `maxPolls` checks.
 */
export class TranscriptionLoop extends Construct {
  public readonly start: sfn.IChainable;
  public readonly prepare: NodeFunction;
  private readonly status: sfn.Choice;
  private readonly props: TranscriptionLoopProps;

  constructor(scope: Construct, id: string, props: TranscriptionLoopProps) {
    super(scope, id);
    this.props = props;
    const { results, failure, notifications } = props;
    this.prepare = chainFunction(this, 'PrepareMedia', { ...props, entry: path.join(__dirname, '../../lambda/speech/prepare-media.ts') });
    props.media.grantRead(this.prepare, `${props.mediaPrefix}*`);
    acknowledgeBucketGrant(this.prepare.role, props.media, 'read', `${props.mediaPrefix}*`);

    const prepareMedia = invokeHandler(this, 'PrepareMedia', this.prepare, failure, {
      bucket: sfn.JsonPath.stringAt('$.detail.bucket.name'),
      key: sfn.JsonPath.stringAt('$.detail.object.key'),
      executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
      executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
    }, { 'value.$': '$.Payload' }, '$.prepared');

    // Rejected media: write the reason where the user looks for results, notify, end.
    const recordRejection = retryThenCatch(putRecord(this, 'RecordRejection', results, 'rejections/', { 'Key.$': '$.prepared.value.rejectionKey' }, {
      status: 'REJECTED',
      'reason.$': '$.prepared.value.reason',
      media: { 'bucket.$': '$.prepared.value.bucket', 'key.$': '$.prepared.value.key' },
    }), failure, { errors: S3_TRANSIENT_ERRORS });
    const notifyRejection = retryThenCatch(publish(this, 'NotifyRejection', notifications, 'REJECTED', '$.prepared.value'), failure, { errors: SNS_TRANSIENT_ERRORS });
    const rejected = new sfn.Succeed(this, 'MediaRejected', { comment: 'Not a format Transcribe accepts: recorded and notified, nothing to retry' });

    const startPolling = new sfn.Pass(this, 'StartPolling', { result: sfn.Result.fromObject({ count: 0 }), resultPath: '$.poll' });
    const wait = new sfn.Wait(this, 'WaitForTranscription', { time: sfn.WaitTime.duration(props.pollInterval) });
    const getStatus = retryThenCatch(new tasks.CallAwsService(this, 'GetTranscriptionTask', {
      stateName: 'GetTranscriptionStatus',
      service: 'transcribe',
      action: 'getTranscriptionJob',
      iamResources: [this.jobArns()],
      iamAction: 'transcribe:GetTranscriptionJob',
      parameters: { 'TranscriptionJobName.$': '$.prepared.value.jobName' },
      resultSelector: { 'job.$': '$.TranscriptionJob' },
      resultPath: '$.transcription',
    }), failure, { errors: TRANSCRIBE_TRANSIENT_ERRORS });
    const countPoll = new sfn.Pass(this, 'CountPoll', { parameters: { 'count.$': 'States.MathAdd($.poll.count, 1)' }, resultPath: '$.poll' });
    const jobFailed = new sfn.Pass(this, 'TranscriptionFailed', {
      parameters: { Error: 'TranscriptionFailed', 'Cause.$': '$.transcription.job.FailureReason' },
      resultPath: '$.error',
    });
    const exhausted = new sfn.Pass(this, 'PollingExhausted', {
      parameters: {
        Error: 'TranscriptionTimedOut',
        'Cause.$': `States.Format('Job {} still {} after {} status checks', $.prepared.value.jobName, $.transcription.job.TranscriptionJobStatus, $.poll.count)`,
      },
      resultPath: '$.error',
    });
    const statusPath = '$.transcription.job.TranscriptionJobStatus';
    this.status = new sfn.Choice(this, 'TranscriptionStatus')
      .when(sfn.Condition.stringEquals(statusPath, 'FAILED'), jobFailed.next(failure))
      .when(sfn.Condition.numberGreaterThanEquals('$.poll.count', props.maxPolls), exhausted.next(failure))
      .otherwise(countPoll.next(wait));

    this.start = prepareMedia.next(new sfn.Choice(this, 'TranscribeAccepts')
      .when(sfn.Condition.booleanEquals('$.prepared.value.accepted', false), recordRejection.next(notifyRejection).next(rejected))
      .otherwise(this.startTranscription(startPolling).next(startPolling).next(wait).next(getStatus).next(this.status)));
  }

  /** Continue with `next` once the job is COMPLETED (checked before FAILED and the poll budget). */
  public whenCompleted(next: sfn.IChainable): void {
    this.status.when(sfn.Condition.stringEquals('$.transcription.job.TranscriptionJobStatus', 'COMPLETED'), next);
  }

  /** What the state machine role needs beyond the statements CDK derives from each task. */
  public permit(role: iam.IRole): void {
    const { media, results, key, mediaPrefix } = this.props;
    // Transcribe reads the media and writes the transcript with the caller's (this role's) rights.
    media.grantRead(role, `${mediaPrefix}*`);
    results.grantPut(role, 'transcripts/*');
    results.grantPut(role, 'rejections/*');
    acknowledgeBucketGrant(role, media, 'read', `${mediaPrefix}*`);
    acknowledgeBucketGrant(role, results, 'put', 'transcripts/*');
    acknowledgeBucketGrant(role, results, 'put', 'rejections/*');
    // StartTranscriptionJob has no resource type; Transcribe's condition keys pin the output to the
    // results bucket and this key, so the role cannot write transcripts anywhere else.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['transcribe:StartTranscriptionJob'],
      resources: ['*'],
      conditions: { StringEquals: { 'transcribe:OutputBucketName': results.bucketName, 'transcribe:OutputEncryptionKMSKeyId': key.keyArn } },
    }));
    acknowledgeResource(role, this.jobArns(),
      'Job names are derived per execution at run time (file name + execution name + digest), so no fixed ARN exists; read-only GetTranscriptionJob in this account and region');
    acknowledgeInvoke(role, this.prepare);
  }

  /** Every transcription job of this account and Region (names are only known at run time). */
  private jobArns(): string {
    return Stack.of(this).formatArn({ service: 'transcribe', resource: 'transcription-job', resourceName: '*' });
  }

  /**
   * A custom state, not CallAwsService: that one would add an unconditioned
   * transcribe:StartTranscriptionJob on "*"; the scoped statement is added in permit().
   */
  private startTranscription(startPolling: sfn.IChainable): sfn.CustomState {
    const { results, key, failure, languageCode } = this.props;
    const state = new sfn.CustomState(this, 'StartTranscription', {
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
          ...(languageCode ? { LanguageCode: languageCode } : { IdentifyLanguage: true }),
        },
        ResultPath: null,
      },
    });
    // A retried start whose first attempt went through finds its own job (job names are unique per
    // execution): poll it instead of failing. Before the States.ALL catch, which must be last.
    state.addCatch(startPolling, { errors: ['Transcribe.ConflictException'], resultPath: '$.startConflict' });
    return retryThenCatch(state, failure, { errors: TRANSCRIBE_TRANSIENT_ERRORS },
      // The concurrent-job quota: back off for minutes, not seconds.
      { errors: ['Transcribe.LimitExceededException'], interval: Duration.seconds(15), maxAttempts: 8, maxDelay: Duration.minutes(5) });
  }
}
