import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { NodeFunction } from '../constructs/node-function';
import { acknowledge, acknowledgeBucketGrant } from '../gates';
import { acknowledgeInvoke, chainFunction, ChainStepsProps, invokeHandler } from './steps';

/**
 * The notes' Comprehend step: AnalyseTranscript segments the transcript (or its translation) at
 * each API's limit, calls BatchDetectSentiment, DetectEntities and DetectKeyPhrases, aggregates,
 * and writes the analysis to `analyses/<job>.json`; only a summary comes back into the state.
 */
export class TranscriptAnalysis extends Construct {
  public readonly start: tasks.LambdaInvoke;
  public readonly analyse: NodeFunction;

  constructor(scope: Construct, id: string, props: ChainStepsProps) {
    super(scope, id);
    const { results, failure } = props;
    this.analyse = chainFunction(this, 'AnalyseTranscript', {
      ...props,
      entry: path.join(__dirname, '../../lambda/speech/analyse-transcript.ts'),
      timeout: Duration.minutes(5),
      memorySize: 512,
    });
    results.grantRead(this.analyse, 'transcripts/*');
    results.grantRead(this.analyse, 'translations/*');
    results.grantPut(this.analyse, 'analyses/*');
    acknowledgeBucketGrant(this.analyse.role, results, 'read', 'transcripts/*');
    acknowledgeBucketGrant(this.analyse.role, results, 'read', 'translations/*');
    acknowledgeBucketGrant(this.analyse.role, results, 'put', 'analyses/*');
    this.analyse.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['comprehend:BatchDetectSentiment', 'comprehend:DetectEntities', 'comprehend:DetectKeyPhrases'],
      resources: ['*'],
    }));
    acknowledge(this.analyse.role, 'AwsSolutions-IAM5[Resource::*]',
      'Comprehend detection with the pre-trained models has no resource to name (DetectEntities takes an ARN only for a custom entity-recognizer endpoint; BatchDetectSentiment and DetectKeyPhrases have no resource type)');

    this.start = invokeHandler(this, 'AnalyseTranscript', this.analyse, failure, {
      media: sfn.JsonPath.objectAt('$.prepared.value'),
      job: sfn.JsonPath.objectAt('$.transcription.job'),
      translation: sfn.JsonPath.objectAt('$.translation'),
      execution: { id: sfn.JsonPath.stringAt('$$.Execution.Id'), startTime: sfn.JsonPath.stringAt('$$.Execution.StartTime') },
    }, { 'summary.$': '$.Payload' }, '$.analysis');
  }

  public permit(role: iam.IRole): void {
    acknowledgeInvoke(role, this.analyse);
  }
}
