import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { addArchitectures } from '../../lib/app';
import { VideoAnalysisStack, VideoAnalysisStackProps } from '../../lib/stacks/video-stack';
import { describeFindings, findingsOf, PRODUCTION, SANDBOX, testApp } from '../helpers/app';

function build(props: VideoAnalysisStackProps, gates = false): { app: App; stack: VideoAnalysisStack; t: Template } {
  // Gated builds also run the builtin CloudFormation validation: npm test's real synth covers the
  // default (streaming off), so this is where the opt-in part meets every gate.
  const app = testApp({ gates, builtinValidation: gates });
  const stack = new VideoAnalysisStack(app, 'VideoAnalysis', props);
  return { app, stack, t: Template.fromStack(stack) };
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }>;
const ofType = (t: Template, type: string) => Object.entries(t.toJSON().Resources as Resources).filter(([, r]) => r.Type === type);
/** The logical id of the resource named `<path without slashes><8-hex hash>`. */
const logicalId = (t: Template, type: string, idPrefix: string) => {
  const found = ofType(t, type).find(([id]) => new RegExp(`^${idPrefix}[0-9A-F]{8}$`).test(id));
  if (!found) throw new Error(`no ${type} whose id starts with ${idPrefix}`);
  return found[0];
};

describe('VideoAnalysisStack', () => {
  let sandbox: Template;
  let streaming: Template;
  let production: Template;
  let streamingFindings: string[];
  let productionFindings: string[];

  beforeAll(() => {
    sandbox = build({ profile: SANDBOX }).t;
    // Gated synths, once each: streaming on in both profiles (the app test covers it off).
    const s = build({ profile: SANDBOX, streaming: true }, true);
    streaming = Template.fromJSON(s.app.synth().getStackByName('VideoAnalysis').template);
    streamingFindings = describeFindings(findingsOf(s.app));
    const p = build({ profile: PRODUCTION, streaming: true }, true);
    production = Template.fromJSON(p.app.synth().getStackByName('VideoAnalysis').template);
    productionFindings = describeFindings(findingsOf(p.app));
  });

  it('passes every gate (nag, NIST, Control Tower, CloudFormation validation) with the streaming part on, in both profiles', () => {
    expect(streamingFindings).toEqual([]);
    expect(productionFindings).toEqual([]);
  });

  it('routes "Object Created" under videos/ and images/ through EventBridge rules into queues, with a delivery DLQ', () => {
    const media = logicalId(sandbox, 'AWS::S3::Bucket', 'Media');
    for (const [prefix, queue] of [['videos/', 'StartQueue'], ['images/', 'ImageQueue']] as const) {
      sandbox.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { bucket: { name: [{ Ref: media }] }, object: { key: [{ prefix }] } } },
        Targets: [Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(sandbox, 'AWS::SQS::Queue', queue), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(sandbox, 'AWS::SQS::Queue', 'EventDeliveryDeadLetterQueue'), 'Arn'] } },
        })],
      });
    }
    // EventBridge and SNS encrypt into the CMK queues on their own behalf.
    sandbox.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([
        Match.objectLike({ Principal: { Service: 'sns.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
        Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
      ]) },
    });
  });

  it('protects the 20-job quota with the event source maximum concurrency (not reserved concurrency), partial batch responses and a long redrive', () => {
    const starter = logicalId(sandbox, 'AWS::Lambda::Function', 'StartStarterFunction');
    sandbox.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: starter },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    const fn = (sandbox.toJSON().Resources as Resources)[starter].Properties;
    expect(fn.ReservedConcurrentExecutions).toBeUndefined();
    const queue = (sandbox.toJSON().Resources as Resources)[logicalId(sandbox, 'AWS::SQS::Queue', 'StartQueue')].Properties;
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * (fn.Timeout as number));
    expect(queue.RedrivePolicy).toEqual(expect.objectContaining({ maxReceiveCount: 100 }));
    // The starter changes a throttled message's visibility for its backoff.
    sandbox.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(sandbox, 'AWS::IAM::Role', 'StartStarterRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['sqs:ChangeMessageVisibility']) })]) },
    });
  });

  it('gives Rekognition its own role to publish to the CMK-encrypted topic, and lets the starter pass only that role only to Rekognition', () => {
    const topic = logicalId(sandbox, 'AWS::SNS::Topic', 'CompletionTopic');
    const key = logicalId(sandbox, 'AWS::KMS::Key', 'Key');
    const role = logicalId(sandbox, 'AWS::IAM::Role', 'CompletionPublishRole');
    sandbox.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    sandbox.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    sandbox.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'rekognition.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } })] },
    });
    sandbox.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: role }],
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({ Action: 'sns:Publish', Resource: { Ref: topic } }),
        Match.objectLike({ Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: { 'Fn::GetAtt': [key, 'Arn'] } }),
      ]) },
    });
    sandbox.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(sandbox, 'AWS::IAM::Role', 'StartStarterRole') }],
      PolicyDocument: { Statement: Match.arrayWith([
        { Sid: 'StartVideoAnalyses', Effect: 'Allow', Action: ['rekognition:StartContentModeration', 'rekognition:StartFaceDetection', 'rekognition:StartLabelDetection'], Resource: '*' },
        { Sid: 'PassRoleToRekognitionOnly', Effect: 'Allow', Action: 'iam:PassRole', Resource: { 'Fn::GetAtt': [role, 'Arn'] }, Condition: { StringEquals: { 'iam:PassedToService': 'rekognition.amazonaws.com' } } },
      ]) },
    });
  });

  it('feeds completions SNS -> encrypted SQS with the subscription\'s own DLQ, visibility >= 6x the results timeout, maxReceiveCount 5', () => {
    const resultsQueue = logicalId(sandbox, 'AWS::SQS::Queue', 'ResultsQueue');
    sandbox.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      Endpoint: { 'Fn::GetAtt': [resultsQueue, 'Arn'] },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(sandbox, 'AWS::SQS::Queue', 'SubscriptionDeadLetterQueue'), 'Arn'] } },
    });
    const resources = sandbox.toJSON().Resources as Resources;
    const fn = resources[logicalId(sandbox, 'AWS::Lambda::Function', 'ResultsCollectorFunction')].Properties;
    const queue = resources[resultsQueue].Properties;
    expect(queue.KmsMasterKeyId).toBeDefined();
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * (fn.Timeout as number));
    expect(queue.RedrivePolicy).toEqual(expect.objectContaining({ maxReceiveCount: 5 }));
    sandbox.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(sandbox, 'AWS::Lambda::Function', 'ResultsCollectorFunction') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('keeps the index in DynamoDB: on-demand, CMK, point-in-time recovery; retained and protected in production', () => {
    sandbox.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    });
    production.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ DeletionProtectionEnabled: true }) });
  });

  it('leaves the live face search out unless switched on, and never deploys a Rekognition stream processor (closed to new customers)', () => {
    for (const type of ['AWS::KinesisVideo::Stream', 'AWS::Rekognition::StreamProcessor', 'AWS::Kinesis::Stream', 'AWS::Rekognition::Collection', 'Custom::AWS']) {
      expect(ofType(sandbox, type)).toEqual([]);
    }
    const on = addArchitectures(testApp({ gates: false, context: { 'video.streaming': 'true' } }), { profile: SANDBOX }).find((s) => s instanceof VideoAnalysisStack)!;
    const t = Template.fromStack(on);
    expect(t.findResources('AWS::Rekognition::StreamProcessor')).toEqual({});
    expect(t.findResources('AWS::Kinesis::Stream')).toEqual({});
    expect(Object.keys(t.findResources('AWS::KinesisVideo::Stream'))).toHaveLength(1);
    expect(ofType(streaming, 'AWS::Rekognition::StreamProcessor')).toEqual([]);
    expect(() => addArchitectures(testApp({ gates: false, context: { 'video.streaming': 'yes' } }), { profile: SANDBOX })).toThrow(
      'Context video.streaming must be true or false (got "yes")',
    );
  });

  it('searches live frames every minute: GetImages on the one stream, DetectFaces, SearchFacesByImage on the one collection, alerts on an encrypted topic', () => {
    const key = logicalId(streaming, 'AWS::KMS::Key', 'Key');
    const videoStream = 'StreamingVideoStream8D65D651';
    const collection = 'StreamingFaceCollection5E90CE29';
    const fn = logicalId(streaming, 'AWS::Lambda::Function', 'LiveFrameSearchFunction');
    streaming.hasResourceProperties('AWS::KinesisVideo::Stream', { KmsKeyId: { 'Fn::GetAtt': [key, 'Arn'] }, DataRetentionInHours: 24 });
    streaming.hasResourceProperties('AWS::Rekognition::Collection', { CollectionId: 'VideoAnalysis-known-faces' });
    streaming.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fn, 'Arn'] }, DeadLetterConfig: Match.anyValue(), RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
    streaming.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({
        STREAM_NAME: { Ref: videoStream }, COLLECTION_ID: { Ref: collection }, SAMPLING_INTERVAL_MS: '2000', MATCH_THRESHOLD: '90', MAX_FRAMES_PER_MINUTE: '60', COOLDOWN_SECONDS: '300', FRAMES_PREFIX: 'frames/',
      }) },
    });
    streaming.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(streaming, 'AWS::IAM::Role', 'LiveFrameSearchRole') }],
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({ Sid: 'ReadFrames', Action: ['kinesisvideo:GetDataEndpoint', 'kinesisvideo:GetImages'], Resource: { 'Fn::GetAtt': [videoStream, 'Arn'] } }),
        Match.objectLike({ Sid: 'SearchKnownFaces', Action: 'rekognition:SearchFacesByImage', Resource: { 'Fn::GetAtt': [collection, 'Arn'] } }),
        Match.objectLike({ Sid: 'FindFaces', Action: 'rekognition:DetectFaces', Resource: '*' }),
        Match.objectLike({ Action: 'sns:Publish', Resource: { Ref: logicalId(streaming, 'AWS::SNS::Topic', 'LiveAlertTopic') } }),
      ]) },
    });
    streaming.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    streaming.hasResourceProperties('AWS::DynamoDB::Table', { TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } });
  });

  it('runs the configured image analyses with exactly their actions', () => {
    const t = build({ profile: SANDBOX, imageAnalyses: ['labels', 'celebrities'] }).t;
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(t, 'AWS::IAM::Role', 'ImagesAnalyserRole') }],
      PolicyDocument: { Statement: Match.arrayWith([{ Sid: 'AnalyseImages', Effect: 'Allow', Action: ['rekognition:DetectLabels', 'rekognition:RecognizeCelebrities'], Resource: '*' }]) },
    });
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ IMAGE_ANALYSES: 'labels,celebrities' }) } });
  });

  it('keeps the logical ids of the stateful resources it had before they moved into constructs', () => {
    const ids = Object.keys(streaming.toJSON().Resources);
    for (const id of ['Key961B73FD', 'MediaA721A567', 'Index4A79713B', 'AccessLogs8B620ECA', 'CompletionTopic50E1DF26', 'StartQueueF37891D6', 'StartQueueDeadLetterQueue5D92E0E4',
      'ResultsQueueD0497533', 'ResultsQueueDeadLetterQueue9B963BF1', 'ImageQueue5F550D7A', 'SubscriptionDeadLetterQueueD6486E03', 'EventDeliveryDeadLetterQueueD90EBC8F',
      'StreamingVideoStream8D65D651', 'StreamingFaceCollection5E90CE29']) {
      expect(ids).toContain(id);
    }
  });

  it('rejects bad props naming the value', () => {
    expect(() => build({ profile: SANDBOX, analyses: ['labels', 'celebrities' as never] })).toThrow('Unknown analysis "celebrities" (want any of labels, faces, moderation, text)');
    expect(() => build({ profile: SANDBOX, analyses: [] })).toThrow('analyses must name at least one of labels, faces, moderation, text (got [])');
    expect(() => build({ profile: SANDBOX, imageAnalyses: ['ppe' as never] })).toThrow('Unknown image analysis "ppe" (want any of labels, faces, text, moderation, celebrities)');
    expect(() => build({ profile: SANDBOX, moderationFlagThreshold: 101 })).toThrow('moderationFlagThreshold must be from 0 to 100 (got 101)');
    expect(() => build({ profile: SANDBOX, maxConcurrentStarts: 1 })).toThrow('maxConcurrentStarts must be from 2 to 1000, the SQS event source limits (got 1)');
    const live = (l: VideoAnalysisStackProps['live']) => () => build({ profile: SANDBOX, streaming: true, live: l });
    expect(live({ samplingInterval: Duration.millis(100) })).toThrow('samplingInterval must be from 200 ms (the GetImages minimum) to 60 s (got 100 ms)');
    expect(live({ matchThreshold: 120 })).toThrow('matchThreshold must be from 0 to 100 (got 120)');
    expect(live({ maxFramesPerMinute: 0 })).toThrow('maxFramesPerMinute must be a whole number from 1 to 300 (got 0)');
    expect(live({ samplingInterval: Duration.millis(500), maxFramesPerMinute: 60 })).toThrow('samplingInterval 500 ms gives 120 frames a minute, over maxFramesPerMinute 60');
    expect(live({ alertCooldown: Duration.seconds(5) })).toThrow('alertCooldown must be from 10 s to 24 h (got 5 s)');
  });

  it('keeps the shape of the event routing (snapshot)', () => {
    const shape = ofType(sandbox, 'AWS::Lambda::EventSourceMapping').map(([id, r]) => ({
      id: id.replace(/[0-9A-F]{8,}$/, ''),
      batch: r.Properties.BatchSize,
      types: r.Properties.FunctionResponseTypes,
      scaling: r.Properties.ScalingConfig ?? null,
    }));
    expect(shape).toMatchSnapshot();
  });
});
