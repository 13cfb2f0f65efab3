import { App } from 'aws-cdk-lib';
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
    for (const [prefix, queue] of [['videos/', 'StartQueue'], ['images/', 'ImageQueue']]) {
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
    const starter = logicalId(sandbox, 'AWS::Lambda::Function', 'StarterFunction');
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
      Roles: [{ Ref: logicalId(sandbox, 'AWS::IAM::Role', 'StarterRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['sqs:ChangeMessageVisibility']) })]) },
    });
  });

  it('gives Rekognition its own role to publish to the CMK-encrypted topic, and lets the starter pass only that role only to Rekognition', () => {
    const topic = logicalId(sandbox, 'AWS::SNS::Topic', 'CompletionTopic');
    const key = logicalId(sandbox, 'AWS::KMS::Key', 'Key');
    const role = logicalId(sandbox, 'AWS::IAM::Role', 'RekognitionPublishRole');
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
      Roles: [{ Ref: logicalId(sandbox, 'AWS::IAM::Role', 'StarterRole') }],
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

  it('leaves the hourly-billed streaming part out unless switched on (-c video.streaming=true)', () => {
    for (const type of ['AWS::KinesisVideo::Stream', 'AWS::Rekognition::StreamProcessor', 'AWS::Kinesis::Stream', 'AWS::Rekognition::Collection', 'Custom::AWS']) {
      expect(ofType(sandbox, type)).toEqual([]);
    }
    const off = addArchitectures(testApp({ gates: false }), { profile: SANDBOX }).find((s) => s instanceof VideoAnalysisStack)!;
    expect(Template.fromStack(off).findResources('AWS::Rekognition::StreamProcessor')).toEqual({});
    const on = addArchitectures(testApp({ gates: false, context: { 'video.streaming': 'true' } }), { profile: SANDBOX }).find((s) => s instanceof VideoAnalysisStack)!;
    expect(Object.keys(Template.fromStack(on).findResources('AWS::Rekognition::StreamProcessor'))).toHaveLength(1);
    expect(() => addArchitectures(testApp({ gates: false, context: { 'video.streaming': 'yes' } }), { profile: SANDBOX })).toThrow(
      'Context video.streaming must be true or false (got "yes")',
    );
  });

  it('streams face search: encrypted video and data streams, a processor whose role can read the one and write the other, started and stopped by a custom resource', () => {
    const key = logicalId(streaming, 'AWS::KMS::Key', 'Key');
    const videoStream = logicalId(streaming, 'AWS::KinesisVideo::Stream', 'StreamingVideoStream');
    const dataStream = logicalId(streaming, 'AWS::Kinesis::Stream', 'StreamingMatchStream');
    const processor = logicalId(streaming, 'AWS::Rekognition::StreamProcessor', 'StreamingFaceSearchProcessor');
    streaming.hasResourceProperties('AWS::KinesisVideo::Stream', { KmsKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    streaming.hasResourceProperties('AWS::Kinesis::Stream', { StreamEncryption: { EncryptionType: 'KMS', KeyId: { 'Fn::GetAtt': [key, 'Arn'] } } });
    streaming.hasResourceProperties('AWS::Rekognition::StreamProcessor', {
      KinesisVideoStream: { Arn: { 'Fn::GetAtt': [videoStream, 'Arn'] } },
      KinesisDataStream: { Arn: { 'Fn::GetAtt': [dataStream, 'Arn'] } },
      FaceSearchSettings: { CollectionId: { Ref: logicalId(streaming, 'AWS::Rekognition::Collection', 'StreamingFaceCollection') }, FaceMatchThreshold: 90 },
    });
    streaming.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(streaming, 'AWS::IAM::Role', 'StreamingProcessorRole') }],
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({ Action: ['kinesisvideo:GetDataEndpoint', 'kinesisvideo:GetMedia'], Resource: { 'Fn::GetAtt': [videoStream, 'Arn'] } }),
        Match.objectLike({ Action: Match.arrayWith(['kinesis:PutRecord', 'kinesis:PutRecords']), Resource: { 'Fn::GetAtt': [dataStream, 'Arn'] } }),
      ]) },
    });
    const [[, custom]] = ofType(streaming, 'Custom::AWS');
    expect(JSON.stringify(custom.Properties.Create)).toContain('StartStreamProcessor');
    expect(JSON.stringify(custom.Properties.Delete)).toContain('StopStreamProcessor');
    expect(JSON.stringify(custom.Properties.Delete)).toContain('ResourceNotFoundException|ResourceInUseException');
    expect((custom as unknown as { DependsOn: string[] }).DependsOn).toContain(processor);
    streaming.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: ['rekognition:StartStreamProcessor', 'rekognition:StopStreamProcessor'], Resource: { 'Fn::GetAtt': [processor, 'Arn'] } })] },
    });
    streaming.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [dataStream, 'Arn'] },
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(streaming, 'AWS::SQS::Queue', 'StreamingAlertFailureQueue'), 'Arn'] } } },
    });
  });

  it('rejects bad props naming the value', () => {
    expect(() => build({ profile: SANDBOX, analyses: ['labels', 'celebrities' as never] })).toThrow('Unknown analysis "celebrities" (want any of labels, faces, moderation, text)');
    expect(() => build({ profile: SANDBOX, analyses: [] })).toThrow('analyses must name at least one of labels, faces, moderation, text (got [])');
    expect(() => build({ profile: SANDBOX, faceMatchThreshold: 101 })).toThrow('faceMatchThreshold must be from 0 to 100 (got 101)');
    expect(() => build({ profile: SANDBOX, maxConcurrentStarts: 1 })).toThrow('maxConcurrentStarts must be from 2 to 1000, the SQS event source limits (got 1)');
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
