import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { transcribeCodesRouted } from '../../lambda/speech/languages';
import { NodeFunction } from '../constructs/node-function';
import { acknowledge, acknowledgeBucketGrant } from '../gates';
import { acknowledgeInvoke, chainFunction, ChainStepsProps, invokeHandler, publish, putRecord, retryThenCatch, S3_TRANSIENT_ERRORS, SNS_TRANSIENT_ERRORS } from './steps';

const LANGUAGE = '$.transcription.job.LanguageCode';

/** `LanguageCode` is one of `codes` (Choice rules generated from the one language table). */
function languageIn(codes: string[]): sfn.Condition {
  return sfn.Condition.and(sfn.Condition.isPresent(LANGUAGE), sfn.Condition.or(...codes.map((c) => sfn.Condition.stringEquals(LANGUAGE, c))));
}

/**
 * The notes' "Translate if needed": a transcript in a language Comprehend analyses goes on as it
 * is; one Translate can translate goes to English first; one Translate has no language for ends in
 * a result record that says so (not a failed execution). The routes come from lambda/speech/languages.ts.
 */
export class LanguageBranch extends Construct {
  public readonly start: sfn.Choice;
  public readonly translate: NodeFunction;
  private readonly keep: sfn.Pass;
  private readonly translateTranscript: tasks.LambdaInvoke;
  private readonly props: ChainStepsProps;

  constructor(scope: Construct, id: string, props: ChainStepsProps) {
    super(scope, id);
    this.props = props;
    const { results, failure, notifications } = props;
    this.translate = chainFunction(this, 'TranslateTranscript', { ...props, entry: path.join(__dirname, '../../lambda/speech/translate-transcript.ts'), timeout: Duration.minutes(5) });
    results.grantRead(this.translate, 'transcripts/*');
    results.grantPut(this.translate, 'translations/*');
    acknowledgeBucketGrant(this.translate.role, results, 'read', 'transcripts/*');
    acknowledgeBucketGrant(this.translate.role, results, 'put', 'translations/*');
    this.translate.role.addToPrincipalPolicy(new iam.PolicyStatement({
      // TranslateText with SourceLanguageCode "auto" calls Comprehend's language detection as the caller.
      actions: ['translate:TranslateText', 'comprehend:DetectDominantLanguage'],
      resources: ['*'],
    }));
    acknowledge(this.translate.role, 'AwsSolutions-IAM5[Resource::*]',
      'translate:TranslateText (without custom terminology) and comprehend:DetectDominantLanguage support no resource-level permissions');

    this.keep = new sfn.Pass(this, 'KeepOriginalLanguage', { result: sfn.Result.fromObject({ translated: false }), resultPath: '$.translation' });
    this.translateTranscript = invokeHandler(this, 'TranslateTranscript', this.translate, failure, {
      media: sfn.JsonPath.objectAt('$.prepared.value'),
      job: sfn.JsonPath.objectAt('$.transcription.job'),
    }, {
      'translated.$': '$.Payload.translated',
      'key.$': '$.Payload.key',
      'sourceLanguageCode.$': '$.Payload.sourceLanguageCode',
      'targetLanguageCode.$': '$.Payload.targetLanguageCode',
    }, '$.translation');

    const explain = new sfn.Pass(this, 'LanguageNotTranslatable', {
      parameters: {
        status: 'NOT_ANALYSED',
        'reason.$': `States.Format('Transcribe language {} is not analysed by Amazon Comprehend and has no Amazon Translate language: the transcript is kept, not analysed', ${LANGUAGE})`,
        'language.$': LANGUAGE,
        'resultKey.$': '$.prepared.value.resultKey',
        transcript: { bucket: results.bucketName, 'key.$': '$.prepared.value.transcriptKey' },
      },
      resultPath: '$.notAnalysed',
    });
    const record = retryThenCatch(putRecord(this, 'RecordUnsupportedLanguage', results, 'results/', { 'Key.$': '$.prepared.value.resultKey' }, {
      'status.$': '$.notAnalysed.status',
      'reason.$': '$.notAnalysed.reason',
      media: { 'bucket.$': '$.prepared.value.bucket', 'key.$': '$.prepared.value.key' },
      'transcript.$': '$.notAnalysed.transcript',
      language: { 'transcribed.$': LANGUAGE, translated: false },
    }), failure, { errors: S3_TRANSIENT_ERRORS });
    const notify = retryThenCatch(publish(this, 'NotifyUnsupportedLanguage', notifications, 'NOT_ANALYSED', '$.notAnalysed'), failure, { errors: SNS_TRANSIENT_ERRORS });
    const done = new sfn.Succeed(this, 'LanguageNotSupported', { comment: 'Recorded and notified: the transcript exists, its language cannot be analysed' });

    this.start = new sfn.Choice(this, 'ComprehendSupportsLanguage')
      .when(languageIn(transcribeCodesRouted('analyse')), this.keep)
      .when(languageIn(transcribeCodesRouted('unsupported')), explain.next(record).next(notify).next(done))
      .otherwise(this.translateTranscript);
  }

  /** Both routes that keep a transcript to analyse continue with `next`. */
  public then(next: sfn.IChainable): void {
    this.keep.next(next);
    this.translateTranscript.next(next);
  }

  public permit(role: iam.IRole): void {
    this.props.results.grantPut(role, 'results/*');
    acknowledgeBucketGrant(role, this.props.results, 'put', 'results/*');
    acknowledgeInvoke(role, this.translate);
  }
}
