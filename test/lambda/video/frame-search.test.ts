import { GetImagesCommand, KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
import { GetDataEndpointCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { DetectFacesCommand, ProvisionedThroughputExceededException, RekognitionClient, SearchFacesByImageCommand } from '@aws-sdk/client-rekognition';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import * as jpeg from 'jpeg-js';
import { FaceAlert, FrameSearchConfig, makeHandler, samplingFor } from '../../../lambda/video/frame-search';
import { MemoryTable } from '../../../scripts/lib/memory-table';

const kvs = mockClient(KinesisVideoClient);
const media = mockClient(KinesisVideoArchivedMediaClient);
const rekognition = mockClient(RekognitionClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);
const s3 = mockClient(S3Client);

const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const config: FrameSearchConfig = {
  streamName: 'VideoAnalysis-LiveVideo', collectionId: 'VideoAnalysis-known-faces', tableName: 'live', topicArn: 'arn:aws:sns:eu-west-1:111122223333:alerts',
  framesBucket: 'media', framesPrefix: 'frames/', region: 'eu-west-1', samplingIntervalMs: 2000, matchThreshold: 90, maxFramesPerMinute: 60,
  cooldownSeconds: 300, lagMs: 10_000, minFaceWidth: 0.02,
};
let clock = T0;
const handler = makeHandler(
  {
    kinesisVideo: new KinesisVideoClient({}),
    archivedMedia: () => new KinesisVideoArchivedMediaClient({}),
    rekognition: new RekognitionClient({}),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    sns: new SNSClient({}),
    s3: new S3Client({}),
    logger: new Logger({ logLevel: 'SILENT' }),
    now: () => clock,
  },
  config,
);
const context = { getRemainingTimeInMillis: () => 80_000 };

/** A real 160x120 JPEG frame (the pixels do not matter to the mocks, the crops must decode). */
const FRAME = jpeg.encode({ data: Buffer.alloc(160 * 120 * 4, 0x80), width: 160, height: 120 }, 90).data;
const frameAt = (ms: number) => ({ TimeStamp: new Date(ms), ImageContent: Buffer.from(FRAME).toString('base64') });
const face = (left: number) => ({ Confidence: 99.5, BoundingBox: { Left: left, Top: 0.2, Width: 0.2, Height: 0.3 } });
const match = (person: string, similarity = 98.4) => ({ FaceMatches: [{ Similarity: similarity, Face: { FaceId: `face-${person}`, ExternalImageId: person } }] });

let table: MemoryTable;
beforeEach(() => {
  for (const m of [kvs, media, rekognition, dynamo, sns, s3]) m.reset();
  clock = T0;
  table = new MemoryTable('pk');
  table.serve(dynamo);
  kvs.on(GetDataEndpointCommand).resolves({ DataEndpoint: 'https://b-1234.kinesisvideo.eu-west-1.amazonaws.com' });
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  s3.on(PutObjectCommand).resolves({});
  // The previous run stopped one minute before the window this run covers.
  table.items.set('checkpoint#VideoAnalysis-LiveVideo', { pk: 'checkpoint#VideoAnalysis-LiveVideo', processedUntil: T0 - 70_000 });
});

const alerts = () => sns.commandCalls(PublishCommand).map((c) => JSON.parse(c.args[0].input.Message!) as FaceAlert);
const checkpoint = () => table.get({ pk: 'checkpoint#VideoAnalysis-LiveVideo' });

describe('live face search on frames', () => {
  it('alerts on a known face with the face id, similarity, time and a link to the saved frame, and moves the checkpoint', async () => {
    media.on(GetImagesCommand).resolves({ Images: [frameAt(T0 - 50_000)] });
    rekognition.on(DetectFacesCommand).resolves({ FaceDetails: [face(0.4)] });
    rekognition.on(SearchFacesByImageCommand).resolves(match('jane_doe'));
    await expect(handler({}, context)).resolves.toEqual(expect.objectContaining({ status: 'done', frames: 1, alerts: 1 }));
    expect(kvs).toHaveReceivedCommandWith(GetDataEndpointCommand, { StreamName: 'VideoAnalysis-LiveVideo', APIName: 'GET_IMAGES' });
    expect(media).toHaveReceivedCommandWith(GetImagesCommand, {
      StreamName: 'VideoAnalysis-LiveVideo', ImageSelectorType: 'SERVER_TIMESTAMP', Format: 'JPEG', SamplingInterval: 2000,
      StartTimestamp: new Date(T0 - 70_000), EndTimestamp: new Date(T0 - 10_000),
    });
    // One face: the frame itself is searched (SearchFacesByImage searches its largest face).
    expect(rekognition).toHaveReceivedCommandWith(SearchFacesByImageCommand, { CollectionId: 'VideoAnalysis-known-faces', FaceMatchThreshold: 90, MaxFaces: 1 });
    const key = 'frames/VideoAnalysis-LiveVideo/2026-11-25T09:59:10.000Z.jpg';
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'media', Key: key, ContentType: 'image/jpeg' });
    expect(alerts()).toEqual([{
      type: 'known-face',
      alertId: expect.stringMatching(/^[0-9a-f]{32}$/),
      person: 'jane_doe',
      faceId: 'face-jane_doe',
      similarity: 98.4,
      seenAt: '2026-11-25T09:59:10.000Z',
      stream: 'VideoAnalysis-LiveVideo',
      boundingBox: { Left: 0.4, Top: 0.2, Width: 0.2, Height: 0.3 },
      frame: {
        bucket: 'media', key, s3Uri: `s3://media/${key}`,
        consoleUrl: `https://eu-west-1.console.aws.amazon.com/s3/object/media?region=eu-west-1&prefix=${encodeURIComponent(key)}`,
      },
      cooldownSeconds: 300,
    }]);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { Subject: 'Known face: jane_doe', MessageAttributes: { person: { DataType: 'String', StringValue: 'jane_doe' } } });
    expect(checkpoint()).toEqual({ pk: 'checkpoint#VideoAnalysis-LiveVideo', processedUntil: T0 - 10_000 });
  });

  it('costs a frame with no face exactly one DetectFaces call', async () => {
    media.on(GetImagesCommand).resolves({ Images: [frameAt(T0 - 50_000), frameAt(T0 - 48_000)] });
    rekognition.on(DetectFacesCommand).resolves({ FaceDetails: [] });
    await expect(handler({}, context)).resolves.toEqual(expect.objectContaining({ frames: 2, framesWithFaces: 0, alerts: 0 }));
    expect(rekognition).toHaveReceivedCommandTimes(DetectFacesCommand, 2);
    expect(rekognition).not.toHaveReceivedCommand(SearchFacesByImageCommand);
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  it('searches each face of a crowd on its own crop and alerts once per person', async () => {
    media.on(GetImagesCommand).resolves({ Images: [frameAt(T0 - 50_000)] });
    rekognition.on(DetectFacesCommand).resolves({ FaceDetails: [face(0.05), face(0.4), face(0.75)] });
    rekognition.on(SearchFacesByImageCommand)
      .resolvesOnce(match('jane_doe'))
      .resolvesOnce({ FaceMatches: [] })
      .resolvesOnce(match('john_roe', 93.1));
    await expect(handler({}, context)).resolves.toEqual(expect.objectContaining({ frames: 1, alerts: 2 }));
    const searched = rekognition.commandCalls(SearchFacesByImageCommand).map((c) => jpeg.decode(c.args[0].input.Image!.Bytes!));
    expect(searched).toHaveLength(3);
    // Crops of the face with a margin, not the 160x120 frame.
    expect(searched.every((img) => img.width < 160 && img.height < 120)).toBe(true);
    expect(alerts().map((a) => [a.person, a.similarity])).toEqual([['jane_doe', 98.4], ['john_roe', 93.1]]);
  });

  it('loses no alert when Rekognition throttles: the run stops before the frame, the next run searches it', async () => {
    media.on(GetImagesCommand).resolves({ Images: [frameAt(T0 - 50_000), frameAt(T0 - 48_000)] });
    rekognition.on(DetectFacesCommand).resolves({ FaceDetails: [face(0.4)] });
    rekognition.on(SearchFacesByImageCommand)
      .resolvesOnce(match('jane_doe'))
      .rejectsOnce(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }))
      .resolves(match('john_roe'));
    await expect(handler({}, context)).resolves.toEqual(expect.objectContaining({ status: 'throttled', frames: 1, alerts: 1 }));
    expect(checkpoint()?.processedUntil).toBe(T0 - 50_000 + 1);
    expect(checkpoint()?.leaseId).toBeUndefined();

    clock = T0 + 60_000;
    media.on(GetImagesCommand).resolves({ Images: [frameAt(T0 - 48_000)] });
    await expect(handler({}, context)).resolves.toEqual(expect.objectContaining({ status: 'done', alerts: 1 }));
    expect(media).toHaveReceivedNthCommandWith(2, GetImagesCommand, { StartTimestamp: new Date(T0 - 50_000 + 1) });
    expect(alerts().map((a) => a.person)).toEqual(['jane_doe', 'john_roe']);
  });

  it('moves past an empty fragment range (no images, NO_MEDIA) without calling Rekognition', async () => {
    media.on(GetImagesCommand).resolvesOnce({ Images: [] });
    await expect(handler({}, context)).resolves.toEqual(expect.objectContaining({ status: 'done', frames: 0 }));
    clock = T0 + 60_000;
    media.on(GetImagesCommand).resolves({ Images: [{ TimeStamp: new Date(T0), Error: 'NO_MEDIA' }] });
    await expect(handler({}, context)).resolves.toEqual(expect.objectContaining({ status: 'done', frames: 0 }));
    expect(rekognition).not.toHaveReceivedAnyCommand();
    expect(checkpoint()?.processedUntil).toBe(T0 + 50_000);
  });

  it('sends one alert per person per cooldown window, not one per frame', async () => {
    media.on(GetImagesCommand).resolves({ Images: [frameAt(T0 - 50_000), frameAt(T0 - 48_000), frameAt(T0 - 46_000)] });
    rekognition.on(DetectFacesCommand).resolves({ FaceDetails: [face(0.4)] });
    rekognition.on(SearchFacesByImageCommand).resolves(match('jane_doe'));
    await expect(handler({}, context)).resolves.toEqual(expect.objectContaining({ frames: 3, alerts: 1, suppressed: 2 }));
    // Six minutes later (past the 300 s window) the same person is news again.
    clock = T0 + 360_000;
    table.items.get('checkpoint#VideoAnalysis-LiveVideo')!.processedUntil = T0 + 290_000;
    media.on(GetImagesCommand).resolves({ Images: [frameAt(T0 + 300_000)] });
    await expect(handler({}, context)).resolves.toEqual(expect.objectContaining({ alerts: 1 }));
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
  });

  it('sends a claimed alert whose publish failed on the next run, and never twice once sent', async () => {
    media.on(GetImagesCommand).resolves({ Images: [frameAt(T0 - 50_000)] });
    rekognition.on(DetectFacesCommand).resolves({ FaceDetails: [face(0.4)] });
    rekognition.on(SearchFacesByImageCommand).resolves(match('jane_doe'));
    sns.on(PublishCommand).rejectsOnce(Object.assign(new Error('SNS unavailable'), { name: 'InternalErrorException' })).resolves({ MessageId: 'm-2' });
    await expect(handler({}, context)).rejects.toThrow('SNS unavailable');
    expect(checkpoint()).toEqual(expect.objectContaining({ processedUntil: T0 - 70_000 }));
    expect(checkpoint()?.leaseId).toBeUndefined();
    await expect(handler({}, context)).resolves.toEqual(expect.objectContaining({ alerts: 1 }));
    // The frame searched once more (a redelivered schedule, a checkpoint reset): already sent.
    table.items.get('checkpoint#VideoAnalysis-LiveVideo')!.processedUntil = T0 - 70_000;
    await expect(handler({}, context)).resolves.toEqual(expect.objectContaining({ alerts: 0, suppressed: 1 }));
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2); // the failed attempt and the one delivery
  });

  it('does nothing while another run holds the lease', async () => {
    table.items.get('checkpoint#VideoAnalysis-LiveVideo')!.leaseUntil = T0 + 30_000;
    await expect(handler({}, context)).resolves.toEqual(expect.objectContaining({ status: 'busy' }));
    expect(media).not.toHaveReceivedAnyCommand();
  });

  it('samples a longer window more sparsely so a run never searches more than its frame budget', () => {
    expect(samplingFor(60_000, config)).toBe(2000);
    expect(samplingFor(300_000, config)).toBe(5000);
    expect(samplingFor(60_000, { samplingIntervalMs: 100, maxFramesPerMinute: 600 })).toBe(200);
  });
});
