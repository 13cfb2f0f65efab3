import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  LimitExceededException,
  RekognitionClient,
  StartContentModerationCommand,
  StartFaceDetectionCommand,
  StartLabelDetectionCommand,
} from '@aws-sdk/client-rekognition';
import { HeadObjectCommand, NotFound, S3Client } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { clientRequestToken } from '../../../lambda/video/analyses';
import { backoffSeconds, checkVideo, makeHandler, StarterConfig } from '../../../lambda/video/start-analysis';
import { fixture, objectCreated, sqsEvent } from './events';

const rekognition = mockClient(RekognitionClient);
const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
const dynamo = mockClient(DynamoDBDocumentClient);

const config: StarterConfig = {
  analyses: ['labels', 'faces', 'moderation'],
  topicArn: 'arn:aws:sns:eu-west-1:111122223333:Completion',
  roleArn: 'arn:aws:iam::111122223333:role/RekognitionPublish',
  tableName: 'index',
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/start',
  baseBackoffSeconds: 30,
  maxBackoffSeconds: 900,
};
const handler = makeHandler(
  {
    rekognition: new RekognitionClient({}),
    s3: new S3Client({}),
    sqs: new SQSClient({}),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    logger: new Logger({ logLevel: 'SILENT' }),
    random: () => 0.5,
  },
  config,
);

beforeEach(() => {
  for (const m of [rekognition, s3, sqs, dynamo]) m.reset();
  s3.on(HeadObjectCommand).resolves({ ContentType: 'video/mp4', ContentLength: 52428800 });
  rekognition.on(StartLabelDetectionCommand).resolves({ JobId: 'job-labels' });
  rekognition.on(StartFaceDetectionCommand).resolves({ JobId: 'job-faces' });
  rekognition.on(StartContentModerationCommand).resolves({ JobId: 'job-moderation' });
  dynamo.on(UpdateCommand).resolves({});
});

describe('starter', () => {
  it('decodes the key of an S3 notification and starts every analysis with the notification channel, tag and a version-bound token', async () => {
    const result = await handler(sqsEvent([fixture('s3-notification-object-created.json')]));
    expect(result).toEqual({ batchItemFailures: [] });
    const key = 'videos/Für Elise — take 2 (2).mp4';
    const version = '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY';
    expect(s3).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: 'videoanalysis-media-bucket', Key: key, VersionId: version });
    for (const [command, analysis] of [
      [StartLabelDetectionCommand, 'labels'],
      [StartFaceDetectionCommand, 'faces'],
      [StartContentModerationCommand, 'moderation'],
    ] as const) {
      expect(rekognition).toHaveReceivedCommandWith(command, {
        Video: { S3Object: { Bucket: 'videoanalysis-media-bucket', Name: key, Version: version } },
        NotificationChannel: { SNSTopicArn: config.topicArn, RoleArn: config.roleArn },
        JobTag: analysis,
        ClientRequestToken: clientRequestToken('videoanalysis-media-bucket', key, version, analysis),
      });
    }
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { videoKey: key },
      ExpressionAttributeValues: expect.objectContaining({ ':s': 'IN_PROGRESS', ':j0': { status: 'IN_PROGRESS', jobId: 'job-labels' } }),
    });
  });

  it('derives the same tokens from a redelivered event, and a different one for a new version', async () => {
    await handler(sqsEvent([objectCreated('videos/a.mp4', 'v1'), objectCreated('videos/a.mp4', 'v1'), objectCreated('videos/a.mp4', 'v2')]));
    const tokens = rekognition.commandCalls(StartLabelDetectionCommand).map((c) => c.args[0].input.ClientRequestToken);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
    expect(tokens.every((t) => /^[a-zA-Z0-9_-]{1,64}$/.test(t!))).toBe(true);
  });

  it('changes nothing on a duplicate delivery of a version already recorded (the conditional write fails quietly)', async () => {
    dynamo.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    await expect(handler(sqsEvent([objectCreated('videos/a.mp4', 'v1')]))).resolves.toEqual({ batchItemFailures: [] });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      ConditionExpression: 'attribute_not_exists(versionId) OR versionId <> :v OR #s = :rej',
      ExpressionAttributeValues: expect.objectContaining({ ':v': 'v1' }),
    });
  });

  it('falls back to the raw key when the decoded one does not exist (a literal "+" in the name)', async () => {
    s3.on(HeadObjectCommand, { Key: 'videos/c   talk.mp4' }).rejects(new NotFound({ message: 'Not Found', $metadata: {} }));
    const event = objectCreated('videos/x.mp4');
    (event.detail as { object: { key: string } }).object.key = 'videos/c++ talk.mp4';
    await expect(handler(sqsEvent([event]))).resolves.toEqual({ batchItemFailures: [] });
    expect(rekognition).toHaveReceivedCommandWith(StartLabelDetectionCommand, { Video: { S3Object: expect.objectContaining({ Name: 'videos/c++ talk.mp4' }) } });
  });

  it('keeps a throttled video on the queue with a growing backoff, and starts the others in the batch', async () => {
    rekognition.on(StartLabelDetectionCommand).callsFake(async (input) => {
      if (input.Video.S3Object.Name === 'videos/busy.mp4') {
        throw new LimitExceededException({ message: 'Limit exceeded', $metadata: {} });
      }
      return { JobId: 'job-labels' };
    });
    const result = await handler(sqsEvent([objectCreated('videos/ok.mp4'), objectCreated('videos/busy.mp4')], 4));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-1' }] });
    // receive 4: ceiling min(900, 30 * 2^3) = 240; jitter 0.5 -> 30 + 0.5 * 210
    expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, { QueueUrl: config.queueUrl, ReceiptHandle: 'receipt-1', VisibilityTimeout: 135 });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, { Key: { videoKey: 'videos/ok.mp4' } });
    expect(dynamo).not.toHaveReceivedCommandWith(UpdateCommand, { Key: { videoKey: 'videos/busy.mp4' } });
  });

  it('rejects a wrong file type with a clear reason in the index, without calling Rekognition or failing the batch', async () => {
    const result = await handler(sqsEvent([objectCreated('videos/holiday.avi')]));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(rekognition).not.toHaveReceivedAnyCommand();
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { videoKey: 'videos/holiday.avi' },
      ExpressionAttributeValues: expect.objectContaining({
        ':s': 'REJECTED',
        ':r': 'unsupported file type ".avi" for "videos/holiday.avi": Rekognition Video takes .mp4 or .mov (H.264)',
      }),
    });
  });

  it('rejects a video whose content type or size Rekognition would refuse, naming the value', () => {
    expect(checkVideo('videos/a.mp4', 'image/png', 10)).toBe('unsupported content type "image/png" for "videos/a.mp4": want video/mp4 or video/quicktime');
    expect(checkVideo('videos/a.mov', 'video/quicktime', 11 * 1024 ** 3)).toBe(
      'video "videos/a.mov" is 11811160064 bytes, over the Rekognition limit of 10737418240 (10 GB)',
    );
    expect(checkVideo('videos/a.MP4', 'video/mp4; codecs="avc1"', 10)).toBeUndefined();
  });

  it('records a Rekognition refusal of the object (InvalidS3ObjectException) as a rejection, not a retry', async () => {
    rekognition.on(StartLabelDetectionCommand).rejects(Object.assign(new Error('Unable to get object metadata'), { name: 'InvalidS3ObjectException' }));
    await expect(handler(sqsEvent([objectCreated('videos/bad.mp4')]))).resolves.toEqual({ batchItemFailures: [] });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      ExpressionAttributeValues: expect.objectContaining({ ':s': 'REJECTED', ':r': expect.stringContaining('InvalidS3ObjectException') }),
    });
  });

  it('reports a malformed message as a batch item failure without failing the rest', async () => {
    const result = await handler(sqsEvent(['{"not":"an event"}', objectCreated('videos/ok.mp4')]));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }] });
    expect(rekognition).toHaveReceivedCommandTimes(StartLabelDetectionCommand, 1);
  });

  it('backs off exponentially with full jitter, capped', () => {
    expect(backoffSeconds(1, 30, 900, () => 1)).toBe(30);
    expect(backoffSeconds(3, 30, 900, () => 1)).toBe(120);
    expect(backoffSeconds(20, 30, 900, () => 1)).toBe(900);
    expect(backoffSeconds(20, 30, 900, () => 0)).toBe(30);
  });
});
