import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SpeechChainStack, SpeechChainStackProps } from '../../lib/stacks/speech-stack';
import { describeFindings, findingsOf, PRODUCTION, SANDBOX, testApp } from '../helpers/app';
import { definitionFrom } from '../helpers/asl';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

function statementsOf(template: Template, rolePrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => asList((p as { Properties: { Roles: Array<{ Ref: string }> } }).Properties.Roles).some((r) => r.Ref.startsWith(rolePrefix)))
    .flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}

let template: Template;
let findings: string[];

beforeAll(() => {
  // Gated once for the file: nag, NIST and Control Tower findings of the sandbox build.
  const app = testApp();
  const stack = new SpeechChainStack(app, 'SpeechChain', { profile: SANDBOX });
  findings = describeFindings(findingsOf(app));
  template = Template.fromStack(stack);
});

describe('SpeechChainStack', () => {
  it('passes cdk-nag AwsSolutions, NIST 800-53 R5 and the Control Tower rules', () => {
    expect(findings).toEqual([]);
  });

  it('starts the state machine from an EventBridge rule on "Object Created" under the media prefix, with a DLQ and retries', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: Match.stringLikeRegexp('^Media') }] }, object: { key: [{ prefix: 'media/' }] } },
      },
      Targets: [Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('^StateMachine') },
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TriggerRole'), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TriggerDeadLetterQueue'), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
      })],
    });
    // The media bucket sends its events to EventBridge (no notification Lambda).
    template.hasResourceProperties('AWS::S3::Bucket', { NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } });
    template.resourcePropertiesCountIs('Custom::S3BucketNotifications', {}, 0);
  });

  it('lets EventBridge encrypt into the CMK-encrypted dead-letter queue', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
      RedriveAllowPolicy: { redrivePermission: 'allowAll' },
    });
  });

  it('is a Standard state machine logging ALL events to an encrypted vended-logs group, with X-Ray and a timeout', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StateMachineLogs'), 'Arn'] } } }],
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^/aws/vendedlogs/states/')])] },
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
      RetentionInDays: 365,
    });
  });

  it('scopes StartTranscriptionJob with Transcribe condition keys (no unconditioned grant)', () => {
    const statements = statementsOf(template, 'StateMachineRole');
    const start = statements.filter((s) => asList(s.Action).includes('transcribe:StartTranscriptionJob'));
    expect(start).toHaveLength(1);
    expect(start[0]).toMatchObject({
      Resource: '*',
      Condition: {
        StringEquals: {
          'transcribe:OutputBucketName': { Ref: expect.stringMatching(/^Results/) },
          'transcribe:OutputEncryptionKMSKeyId': { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] },
        },
      },
    });
    const get = statements.find((s) => asList(s.Action).includes('transcribe:GetTranscriptionJob'));
    expect(JSON.stringify(get?.Resource)).toContain(':transcription-job/*');
  });

  it('lets the state machine write only the prefixes it owns, and read only the media prefix', () => {
    const statements = statementsOf(template, 'StateMachineRole');
    const puts = statements.filter((s) => asList(s.Action).some((a) => a.startsWith('s3:PutObject')));
    const putTargets = JSON.stringify(puts.map((s) => s.Resource));
    for (const prefix of ['transcripts/*', 'rejections/*', 'failures/*', 'results/*']) {
      expect(putTargets).toContain(`/${prefix}`);
    }
    // results/ only for the record of a language that cannot be analysed; analyses/ and speech/ are the handlers'.
    expect(putTargets).not.toContain('/analyses/*');
    expect(putTargets).not.toContain('/speech/*');
    const reads = statements.filter((s) => asList(s.Action).includes('s3:GetObject*'));
    expect(JSON.stringify(reads.map((s) => s.Resource))).toContain('/media/*');
    for (const s of statements.filter((x) => x.Effect === 'Allow')) {
      expect(asList(s.Action).filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
    }
  });

  it('gives the analysis Lambda the three Comprehend detections only and the analyses/ prefix to write', () => {
    const statements = statementsOf(template, 'AnalysisAnalyseTranscriptRole');
    const onStar = statements.filter((s) => s.Resource === '*').flatMap((s) => asList(s.Action));
    expect(onStar.sort()).toEqual([
      'comprehend:BatchDetectSentiment', 'comprehend:DetectEntities', 'comprehend:DetectKeyPhrases',
      'xray:PutTelemetryRecords', 'xray:PutTraceSegments',
    ]);
    const puts = statements.filter((s) => asList(s.Action).some((a) => a.startsWith('s3:PutObject')));
    expect(JSON.stringify(puts.map((s) => s.Resource))).toContain('/analyses/*');
    expect(JSON.stringify(puts.map((s) => s.Resource))).not.toContain('/results/*');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ RESULTS_BUCKET: { Ref: Match.stringLikeRegexp('^Results') } }) },
      Timeout: 300,
      MemorySize: 512,
    });
  });

  it('grants Polly\'s synthesis actions on "*" (a request without a lexicon names no resource), GetSpeechSynthesisTask on "*", and speech/ to the speaker', () => {
    const speaker = statementsOf(template, 'SpeechSpeakSummaryRole');
    const polly = speaker.filter((s) => asList(s.Action).some((a) => a.startsWith('polly:')));
    // CDK merges them with the X-Ray actions, also on "*".
    expect(polly.map((s) => [asList(s.Action).filter((a) => a.startsWith('polly:')), s.Resource]))
      .toEqual([[['polly:StartSpeechSynthesisTask', 'polly:SynthesizeSpeech'], '*']]);
    const puts = speaker.filter((s) => asList(s.Action).some((a) => a.startsWith('s3:PutObject')));
    expect(JSON.stringify(puts.map((s) => s.Resource))).toContain('/speech/*');
    // Polly writes a task's MP3 with the caller's permissions into an SSE-KMS bucket: the caller needs the key.
    expect(speaker.some((s) => asList(s.Action).includes('kms:GenerateDataKey*'))).toBe(true);
    const machine = statementsOf(template, 'StateMachineRole');
    const machinePolly = machine.filter((s) => asList(s.Action).some((a) => a.startsWith('polly:')));
    expect(machinePolly.map((s) => [asList(s.Action).filter((a) => a.startsWith('polly:')), s.Resource])).toEqual([[['polly:GetSpeechSynthesisTask'], '*']]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { RESULTS_BUCKET: { Ref: Match.stringLikeRegexp('^Results') }, MAX_KEY_PHRASES: '10' } },
    });
  });

  it('lets EventBridge assume the trigger role only for this stack\'s rule in this account (confused deputy)', () => {
    const rule = Object.values(template.findResources('AWS::Events::Rule'))[0] as { Properties: { Name: string } };
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({
        Principal: { Service: 'events.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnEquals: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:rule/${rule.Properties.Name}`]] } },
        },
      })] },
    });
    expect(rule.Properties.Name.length).toBeLessThanOrEqual(64);
  });

  it('keeps the logical ids of its stateful resources (buckets, key, topic, log group, trigger dead-letter queue)', () => {
    const ids = Object.keys(template.toJSON().Resources);
    for (const id of ['Key961B73FD', 'AccessLogs8B620ECA', 'MediaA721A567', 'Results25575328', 'Notifications87298708', 'TriggerDeadLetterQueueFD4EB023']) {
      expect(ids).toContain(id);
    }
    expect(ids.filter((id) => id.startsWith('StateMachineLogs'))).toHaveLength(1);
  });

  it('publishes to a CMK-encrypted, TLS-only topic', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('outputs what the CLI needs, without exports', () => {
    for (const name of ['MediaBucketName', 'ResultsBucketName', 'StateMachineArn', 'NotificationsTopicArn', 'TriggerDeadLetterQueueUrl']) {
      template.hasOutput(name, { Value: Match.anyValue(), Export: Match.absent() });
    }
  });

  it('state graph (snapshot)', () => {
    const definition = definitionFrom(template);
    const graph = Object.fromEntries(Object.entries(definition.States).map(([name, s]) => [
      name,
      [s.Type, s.Resource ?? '', s.Next ?? (s.Choices ? (s.Choices as Array<{ Next: string }>).map((c) => c.Next).concat(String(s.Default)).join('|') : ''),
        ((s.Catch ?? []) as Array<{ Next: string }>).map((c) => c.Next).join('|')].join(' ').trim(),
    ]));
    expect(graph).toMatchSnapshot();
  });
});

describe('SpeechChainStack props and profiles', () => {
  const build = (props: Partial<SpeechChainStackProps> = {}) => {
    const app = testApp({ gates: false });
    return Template.fromStack(new SpeechChainStack(app, 'SpeechChain', { profile: SANDBOX, ...props }));
  };

  it('production retains buckets, key and log groups; sandbox deletes them', () => {
    const production = build({ profile: PRODUCTION });
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Logs::LogGroup', 'AWS::SQS::Queue']) {
      const policies = Object.values(production.findResources(type)).map((r) => r.DeletionPolicy);
      expect({ type, policies: [...new Set(policies)] }).toEqual({ type, policies: ['Retain'] });
    }
    expect(Object.keys(production.findResources('Custom::S3AutoDeleteObjects'))).toHaveLength(0);
    expect(Object.keys(template.findResources('Custom::S3AutoDeleteObjects'))).toHaveLength(3);
  });

  it('uses a fixed language instead of identification when given one, and the poll props', () => {
    const definition = definitionFrom(build({ languageCode: 'de-DE', pollInterval: Duration.seconds(10), maxPolls: 30, timeout: Duration.minutes(10), mediaPrefix: 'audio/' }));
    expect(definition.States.StartTranscription.Parameters).toMatchObject({ LanguageCode: 'de-DE' });
    expect(definition.States.StartTranscription.Parameters).not.toHaveProperty('IdentifyLanguage');
    expect(definition.States.WaitForTranscription).toMatchObject({ Seconds: 10 });
    expect(definition.TimeoutSeconds).toBe(600);
  });

  it.each([
    [{ mediaPrefix: '' }, 'mediaPrefix must not be empty (got "")'],
    [{ pollInterval: Duration.millis(500) }, 'pollInterval must be a whole number of seconds, at least 1 (got 500 ms)'],
    [{ pollInterval: Duration.millis(1500) }, 'pollInterval must be a whole number of seconds, at least 1 (got 1500 ms)'],
    [{ maxPolls: 0 }, 'maxPolls must be a positive integer (got 0)'],
    [{ maxPolls: 2.5 }, 'maxPolls must be a positive integer (got 2.5)'],
    [{ timeout: Duration.hours(1) }, 'timeout must exceed pollInterval x maxPolls (got 3600 s <= 14400 s)'],
    [{ languageCode: 'english' }, 'languageCode must look like en-US (got "english")'],
    [{ speechPollInterval: Duration.millis(200) }, 'speechPollInterval must be a whole number of seconds, at least 1 (got 200 ms)'],
    [{ speechMaxPolls: 0 }, 'speechMaxPolls must be a positive integer (got 0)'],
    [{ spokenKeyPhrases: 1001 }, 'spokenKeyPhrases must be an integer from 0 to 1000 (got 1001)'],
  ])('rejects %j naming the value', (props, message) => {
    expect(() => build(props as Partial<SpeechChainStackProps>)).toThrow(message);
  });
});
