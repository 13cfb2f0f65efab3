import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { NodeFunction } from '../constructs/node-function';
import { acknowledgeBucketGrant } from '../gates';
import { acknowledgeInvoke, chainFunction, ChainStepsProps, invokeHandler, POLLY_TRANSIENT_ERRORS, retryThenCatch } from './steps';

export interface SpeechSynthesisProps extends ChainStepsProps {
  /** Wait between two GetSpeechSynthesisTask calls. */
  readonly pollInterval: Duration;
  /** Status checks before the summary is recorded as TIMED_OUT. */
  readonly maxPolls: number;
  /** Most key phrases the summary reads out. */
  readonly maxKeyPhrases: number;
}

/**
 * The notes' Polly: SpeakSummary speaks the analysis in a voice of its language. Within
 * SynthesizeSpeech's limits it writes `speech/<job>.mp3` itself; past them it starts a
 * StartSpeechSynthesisTask, which Polly writes to S3, and the state machine polls
 * GetSpeechSynthesisTask (SDK integration) until the task completes, fails or `maxPolls` runs out.
 * Every outcome, no voice included, goes on to the result; only errors go to the failure path.
 */
export class SpeechSynthesis extends Construct {
  public readonly start: tasks.LambdaInvoke;
  public readonly speak: NodeFunction;
  private readonly status: sfn.Choice;
  private readonly taskStatus: sfn.Choice;
  private readonly timedOut: sfn.Pass;
  private readonly pollAgain: sfn.IChainable;
  private readonly maxPolls: number;

  constructor(scope: Construct, id: string, props: SpeechSynthesisProps) {
    super(scope, id);
    const { results, failure } = props;
    this.speak = chainFunction(this, 'SpeakSummary', {
      ...props,
      entry: path.join(__dirname, '../../lambda/speech/speak-summary.ts'),
      timeout: Duration.minutes(2),
      environment: { MAX_KEY_PHRASES: String(props.maxKeyPhrases) },
    });
    results.grantRead(this.speak, 'analyses/*');
    // The MP3 SynthesizeSpeech returns, and the one a task writes: Polly writes it with this role's
    // permissions (a forward access session), so the role also needs the key, which grantPut gives.
    results.grantPut(this.speak, 'speech/*');
    acknowledgeBucketGrant(this.speak.role, results, 'read', 'analyses/*');
    acknowledgeBucketGrant(this.speak.role, results, 'put', 'speech/*');
    // The only resource type these actions take is an optional lexicon (Service Authorization
    // Reference, Amazon Polly), and the summary uses none: a request without a lexicon names no
    // resource, so the grant is "*", as the Polly guide's permissions table gives SynthesizeSpeech
    // (https://docs.aws.amazon.com/polly/latest/dg/api-permissions-reference.html). A grant on
    // lexicon ARNs only would match requests that name a lexicon.
    this.speak.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['polly:SynthesizeSpeech', 'polly:StartSpeechSynthesisTask'],
      resources: ['*'],
    }));

    this.start = invokeHandler(this, 'SpeakSummary', this.speak, failure,
      { media: sfn.JsonPath.objectAt('$.prepared.value') }, { 'value.$': '$.Payload' }, '$.speech');

    const startPolling = new sfn.Pass(this, 'StartSpeechPolling', { result: sfn.Result.fromObject({ count: 0 }), resultPath: '$.speechPoll' });
    const wait = new sfn.Wait(this, 'WaitForSpeech', { time: sfn.WaitTime.duration(props.pollInterval) });
    const getTask = retryThenCatch(new tasks.CallAwsService(this, 'GetSpeechSynthesisTaskTask', {
      stateName: 'GetSpeechSynthesisTask',
      service: 'polly',
      action: 'getSpeechSynthesisTask',
      iamAction: 'polly:GetSpeechSynthesisTask',
      // No resource type (Service Authorization Reference, Amazon Polly).
      iamResources: ['*'],
      parameters: { 'TaskId.$': '$.speech.value.taskId' },
      resultSelector: { 'status.$': '$.SynthesisTask.TaskStatus', 'detail.$': '$.SynthesisTask' },
      resultPath: '$.speech.value.task',
    }), failure, { errors: POLLY_TRANSIENT_ERRORS });
    const countPoll = new sfn.Pass(this, 'CountSpeechPoll', { parameters: { 'count.$': 'States.MathAdd($.speechPoll.count, 1)' }, resultPath: '$.speechPoll' });
    this.timedOut = new sfn.Pass(this, 'SpeechTaskTimedOut', { result: sfn.Result.fromObject({ status: 'timedOut' }), resultPath: '$.speech.value.task' });

    this.taskStatus = new sfn.Choice(this, 'SpeechTaskStatus');
    this.pollAgain = countPoll.next(wait);
    this.maxPolls = props.maxPolls;
    this.status = new sfn.Choice(this, 'SpeechStatus')
      .when(sfn.Condition.stringEquals('$.speech.value.status', 'STARTED'), startPolling.next(wait).next(getTask).next(this.taskStatus));
    this.start.next(this.status);
  }

  /** Every outcome (spoken, started and finished, no voice, failed or timed-out task) continues with `next`. */
  public then(next: sfn.IChainable): void {
    const done = sfn.Condition.or(
      sfn.Condition.stringEquals('$.speech.value.task.status', 'completed'),
      sfn.Condition.stringEquals('$.speech.value.task.status', 'failed'));
    // A finished task first: one that completes on the last allowed check is not "timed out".
    this.taskStatus
      .when(done, next)
      .when(sfn.Condition.numberGreaterThanEquals('$.speechPoll.count', this.maxPolls), this.timedOut.next(next))
      .otherwise(this.pollAgain);
    this.status.otherwise(next);
  }

  public permit(role: iam.IRole): void {
    acknowledgeInvoke(role, this.speak);
  }
}
