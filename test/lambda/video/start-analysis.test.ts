import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  LimitExceededException,
  RekognitionClient,
  StartContentModerationCommand,
  StartFaceDetectionCommand,
  StartLabelDetectionCommand,
} from '@aws-sdk/client-rekognition';
import { GetObjectCommand, HeadObjectCommand, NotFound, S3Client } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { clientRequestToken } from '../../../lambda/video/analyses';
import { backoffSeconds, checkSize, makeHandler, sniffContainer, StarterConfig } from '../../../lambda/video/start-analysis';
import { MemoryTable } from '../../../scripts/lib/memory-table';
import { byteBody, fixture, ftypHead, objectCreated, sqsEvent } from './events';

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

let table: MemoryTable;
const withSequencer = (event: Record<string, unknown>, sequencer: string) => {
  (event.detail as { object: Record<string, unknown> }).object.sequencer = sequencer;
  return event;
};

beforeEach(() => {
  for (const m of [rekognition, s3, sqs, dynamo]) m.reset();
  // An SDK upload without a Content-Type is stored as binary/octet-stream: the bytes decide.
  s3.on(HeadObjectCommand).resolves({ ContentType: 'binary/octet-stream', ContentLength: 52428800 });
  s3.on(GetObjectCommand).resolves({ Body: byteBody(ftypHead('isom')) });
  rekognition.on(StartLabelDetectionCommand).resolves({ JobId: 'job-labels' });
  rekognition.on(StartFaceDetectionCommand).resolves({ JobId: 'job-faces' });
  rekognition.on(StartContentModerationCommand).resolves({ JobId: 'job-moderation' });
  table = new MemoryTable('videoKey');
  table.serve(dynamo);
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
    expect(table.get({ videoKey: key })).toEqual(expect.objectContaining({
      status: 'IN_PROGRESS',
      versionId: version,
      labels: { status: 'IN_PROGRESS', jobId: 'job-labels', versionId: version },
      faces: { status: 'IN_PROGRESS', jobId: 'job-faces', versionId: version },
      moderation: { status: 'IN_PROGRESS', jobId: 'job-moderation', versionId: version },
    }));
  });

  it('records each job as its Start* returns: when the second analysis hits the quota, the first is already in the row', async () => {
    rekognition.on(StartFaceDetectionCommand).rejects(new LimitExceededException({ message: 'Limit exceeded', $metadata: {} }));
    const result = await handler(sqsEvent([objectCreated('videos/a.mp4', 'v1')]));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }] });
    // The completion of job-labels can now be told apart from a stale one (collect-results.ts).
    expect(table.get({ videoKey: 'videos/a.mp4' })).toEqual(expect.objectContaining({
      versionId: 'v1',
      labels: { status: 'IN_PROGRESS', jobId: 'job-labels', versionId: 'v1' },
    }));
    expect(table.get({ videoKey: 'videos/a.mp4' })?.faces).toBeUndefined();
  });

  it('derives the same tokens from a redelivered event, and a different one for a new version', async () => {
    await handler(sqsEvent([objectCreated('videos/a.mp4', 'v1'), objectCreated('videos/a.mp4', 'v1'), objectCreated('videos/a.mp4', 'v2')]));
    const tokens = rekognition.commandCalls(StartLabelDetectionCommand).map((c) => c.args[0].input.ClientRequestToken);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
    expect(tokens.every((t) => /^[a-zA-Z0-9_-]{1,64}$/.test(t!))).toBe(true);
  });

  it('leaves a result that arrived in between alone on a duplicate delivery of the same upload', async () => {
    await handler(sqsEvent([objectCreated('videos/a.mp4', 'v1')]));
    const done = { status: 'SUCCEEDED', jobId: 'job-labels', count: 3 };
    table.items.get('videos/a.mp4')!.labels = done;
    await expect(handler(sqsEvent([objectCreated('videos/a.mp4', 'v1')]))).resolves.toEqual({ batchItemFailures: [] });
    expect(table.get({ videoKey: 'videos/a.mp4' })?.labels).toEqual(done);
  });

  it('ignores an older upload whose event arrives after a newer one was recorded (S3 sequencer order)', async () => {
    await handler(sqsEvent([withSequencer(objectCreated('videos/a.mp4', 'v2'), '0062A1B2C3D4E5F6A7')]));
    rekognition.resetHistory();
    await expect(handler(sqsEvent([withSequencer(objectCreated('videos/a.mp4', 'v1'), '0062A1B2C3D4E5F6A6')]))).resolves.toEqual({ batchItemFailures: [] });
    expect(rekognition).not.toHaveReceivedAnyCommand();
    expect(table.get({ videoKey: 'videos/a.mp4' })).toEqual(expect.objectContaining({ versionId: 'v2' }));
    // A shorter sequencer is padded: "FF" comes before "0100".
    await handler(sqsEvent([withSequencer(objectCreated('videos/b.mp4', 'v1'), 'FF'), withSequencer(objectCreated('videos/b.mp4', 'v2'), '0100')]));
    expect(table.get({ videoKey: 'videos/b.mp4' })).toEqual(expect.objectContaining({ versionId: 'v2' }));
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
    expect(table.get({ videoKey: 'videos/ok.mp4' })?.moderation).toEqual(expect.objectContaining({ jobId: 'job-moderation' }));
    expect(table.get({ videoKey: 'videos/busy.mp4' })?.labels).toBeUndefined();
  });

  it('accepts a video by its bytes whatever its name and Content-Type (binary/octet-stream, no extension), reading only the first 12 bytes', async () => {
    s3.on(GetObjectCommand).resolves({ Body: byteBody(ftypHead('qt  ')) });
    await expect(handler(sqsEvent([objectCreated('videos/camera-42')]))).resolves.toEqual({ batchItemFailures: [] });
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Key: 'videos/camera-42', Range: 'bytes=0-11', VersionId: 'v1' });
    expect(rekognition).toHaveReceivedCommandTimes(StartLabelDetectionCommand, 1);
  });

  it('rejects a file that is not MP4/MOV by its bytes, naming them, without calling Rekognition or failing the batch', async () => {
    s3.on(GetObjectCommand).resolves({ Body: byteBody(Uint8Array.from(Buffer.from('RIFF\x10\x00\x00\x00AVI LIST', 'latin1'))) });
    const result = await handler(sqsEvent([objectCreated('videos/holiday.mp4')]));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(rekognition).not.toHaveReceivedAnyCommand();
    expect(table.get({ videoKey: 'videos/holiday.mp4' })).toEqual(expect.objectContaining({
      status: 'REJECTED',
      reason: '"videos/holiday.mp4" is not an MP4 or MOV file: its first bytes (524946461000000041564920) do not start with an "ftyp" box',
    }));
  });

  it('sniffs the container: MP4 and MOV brands pass, audio and still-image brands in the same box format do not', () => {
    expect(sniffContainer(ftypHead('mp42'), 'k')).toEqual({ container: 'MP4' });
    expect(sniffContainer(ftypHead('qt  '), 'k')).toEqual({ container: 'MOV' });
    expect(sniffContainer(ftypHead('M4A '), 'videos/song.mp4')).toEqual({ reason: expect.stringContaining('has the ftyp brand "M4A ", which is not MP4 or MOV video') });
    expect(sniffContainer(ftypHead('heic'), 'k')).toEqual({ reason: expect.stringContaining('"heic"') });
    expect(sniffContainer(new Uint8Array([0, 0, 0]), 'videos/tiny.mp4')).toEqual({ reason: '"videos/tiny.mp4" is not an MP4 or MOV file: its first bytes (000000) do not start with an "ftyp" box' });
  });

  it('rejects an empty video or one over 10 GB, naming the size', () => {
    expect(checkSize('videos/a.mov', 11 * 1024 ** 3)).toBe('video "videos/a.mov" is 11811160064 bytes, over the Rekognition limit of 10737418240 (10 GB)');
    expect(checkSize('videos/a.mov', 0)).toBe('empty video "videos/a.mov" (size 0)');
    expect(checkSize('videos/a.mov', 10 * 1024 ** 3)).toBeUndefined();
  });

  it('records a Rekognition refusal of the object (InvalidS3ObjectException) as a rejection, not a retry', async () => {
    rekognition.on(StartLabelDetectionCommand).rejects(Object.assign(new Error('Unable to get object metadata'), { name: 'InvalidS3ObjectException' }));
    await expect(handler(sqsEvent([objectCreated('videos/bad.mp4')]))).resolves.toEqual({ batchItemFailures: [] });
    expect(table.get({ videoKey: 'videos/bad.mp4' })).toEqual(expect.objectContaining({ status: 'REJECTED', reason: expect.stringContaining('InvalidS3ObjectException') }));
  });

  it('reports a malformed message as a batch item failure without failing the rest', async () => {
    const result = await handler(sqsEvent(['{"not":"an event"}', objectCreated('videos/ok.mp4')]));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }] });
    expect(rekognition).toHaveReceivedCommandTimes(StartLabelDetectionCommand, 1);
  });

  it('fails the record (for a retry) when the index write fails for another reason than its condition', async () => {
    dynamo.on(UpdateCommand).rejects(Object.assign(new Error('throughput'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(handler(sqsEvent([objectCreated('videos/a.mp4')]))).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }] });
    dynamo.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    await expect(handler(sqsEvent([objectCreated('videos/a.mp4')]))).resolves.toEqual({ batchItemFailures: [] });
  });

  it('backs off exponentially with full jitter, capped', () => {
    expect(backoffSeconds(1, 30, 900, () => 1)).toBe(30);
    expect(backoffSeconds(3, 30, 900, () => 1)).toBe(120);
    expect(backoffSeconds(20, 30, 900, () => 1)).toBe(900);
    expect(backoffSeconds(20, 30, 900, () => 0)).toBe(30);
  });
});
