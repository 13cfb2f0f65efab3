import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetContentModerationCommand, GetLabelDetectionCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { makeHandler, parseCompletion, whoseJob } from '../../../lambda/video/collect-results';
import { fixture, sqsEvent } from './events';

const rekognition = mockClient(RekognitionClient);
const s3 = mockClient(S3Client);
const dynamo = mockClient(DynamoDBDocumentClient);
const handler = makeHandler(
  {
    rekognition: new RekognitionClient({}),
    s3: new S3Client({}),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    logger: new Logger({ logLevel: 'SILENT' }),
  },
  { tableName: 'index', resultsBucket: 'media', resultsPrefix: 'results/' },
);

const KEY = 'videos/café déjà vu.mp4';
const succeeded = fixture('sns-completion-succeeded.json');
const failed = fixture('sns-completion-failed.json');
const label = (name: string, t: number) => ({ Timestamp: t, Label: { Name: name, Confidence: 90 } });

beforeEach(() => {
  for (const m of [rekognition, s3, dynamo]) m.reset();
  dynamo.on(GetCommand).resolves({
    Item: {
      videoKey: KEY,
      versionId: 'v1',
      labels: { status: 'IN_PROGRESS', jobId: '6de014b0-2121-4bf0-9e31-856a18719e22' },
      moderation: { status: 'IN_PROGRESS', jobId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' },
    },
  });
  dynamo.on(UpdateCommand).resolves({});
  s3.on(PutObjectCommand).resolves({});
  // Three pages: 1,000 + 1,000 + 500 labels, chained by NextToken.
  rekognition.on(GetLabelDetectionCommand, { NextToken: undefined }).resolves({
    JobStatus: 'SUCCEEDED', VideoMetadata: { DurationMillis: 60000 }, NextToken: 'page-2', Video: { S3Object: { Bucket: 'media', Name: KEY, Version: 'v1' } },
    Labels: Array.from({ length: 1000 }, (_, i) => label(i % 3 === 0 ? 'Person' : 'Car', i)),
  });
  rekognition.on(GetLabelDetectionCommand, { NextToken: 'page-2' }).resolves({
    JobStatus: 'SUCCEEDED', NextToken: 'page-3', Labels: Array.from({ length: 1000 }, (_, i) => label('Tree', 1000 + i)),
  });
  rekognition.on(GetLabelDetectionCommand, { NextToken: 'page-3' }).resolves({
    JobStatus: 'SUCCEEDED', Labels: Array.from({ length: 500 }, (_, i) => label('Dog', 2000 + i)),
  });
  rekognition.on(GetContentModerationCommand).resolves({ JobStatus: 'FAILED', StatusMessage: 'Unsupported codec: video is not H.264', Video: { S3Object: { Bucket: 'media', Name: KEY, Version: 'v1' } } });
});

function written(): { Key: string; document: Record<string, unknown> }[] {
  return s3.commandCalls(PutObjectCommand).map((c) => ({ Key: c.args[0].input.Key!, document: JSON.parse(c.args[0].input.Body as string) }));
}

describe('results collector', () => {
  it('pages through all three Get* pages (1,000 each) and writes one result document to S3', async () => {
    await expect(handler(sqsEvent([succeeded]))).resolves.toEqual({ batchItemFailures: [] });
    const calls = rekognition.commandCalls(GetLabelDetectionCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.NextToken)).toEqual([undefined, 'page-2', 'page-3']);
    expect(calls.every((c) => c.MaxResults === 1000 && c.JobId === '6de014b0-2121-4bf0-9e31-856a18719e22')).toBe(true);
    const [doc] = written();
    expect(doc.Key).toBe(`results/${KEY}/labels.json`);
    expect(doc.document).toEqual(expect.objectContaining({ key: KEY, versionId: 'v1', analysis: 'labels', status: 'SUCCEEDED', count: 2500, completedAt: '2026-11-25T10:06:40.123Z' }));
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'media', ContentType: 'application/json' });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { videoKey: KEY },
      ConditionExpression: '#a.jobId = :job',
      ExpressionAttributeNames: { '#a': 'labels' },
      ExpressionAttributeValues: expect.objectContaining({
        ':summary': { status: 'SUCCEEDED', jobId: '6de014b0-2121-4bf0-9e31-856a18719e22', versionId: 'v1', count: 2500, top: ['Tree', 'Car', 'Dog', 'Person'], resultKey: `results/${KEY}/labels.json` },
      }),
    });
  });

  it('writes a failure record with Rekognition\'s status message for a FAILED job', async () => {
    await expect(handler(sqsEvent([failed]))).resolves.toEqual({ batchItemFailures: [] });
    const [doc] = written();
    expect(doc.Key).toBe(`results/${KEY}/moderation.json`);
    expect(doc.document).toEqual(expect.objectContaining({ status: 'FAILED', statusMessage: 'Unsupported codec: video is not H.264', count: 0, items: [] }));
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      ExpressionAttributeValues: expect.objectContaining({ ':summary': expect.objectContaining({ status: 'FAILED', statusMessage: 'Unsupported codec: video is not H.264' }) }),
    });
  });

  it('rewrites the same object on a duplicate delivery instead of appending', async () => {
    await handler(sqsEvent([succeeded]));
    await handler(sqsEvent([succeeded]));
    const [first, second] = written();
    expect(second.Key).toBe(first.Key);
    expect(second.document).toEqual(first.document);
    expect(second.document.count).toBe(2500);
  });

  it('reports a malformed message as a batch item failure and still processes the rest', async () => {
    const result = await handler(sqsEvent(['{"Type":"Notification","Message":"{not json"}', { Type: 'Notification', Message: '{"JobId":"x","Status":"SUCCEEDED","API":"StartCelebrityRecognition","Video":{"S3Bucket":"b","S3ObjectName":"k"}}' }, succeeded]));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }, { itemIdentifier: 'msg-1' }] });
    expect(written().map((w) => w.Key)).toEqual([`results/${KEY}/labels.json`]);
  });

  it('names the bad field of a completion message', () => {
    expect(() => parseCompletion('{"Type":"Notification","Message":"{\\"Status\\":\\"SUCCEEDED\\"}"}')).toThrow('Completion message JobId must be a non-empty string (got undefined)');
    expect(() => parseCompletion('{"Records":[]}')).toThrow('Message body is not an SNS notification with a string Message (got Type undefined)');
  });

  it('drops the completion of an older upload (its version is not the row\'s) and retries one whose row is not there yet', async () => {
    dynamo.on(GetCommand).resolvesOnce({ Item: { videoKey: KEY, versionId: 'v2', labels: { status: 'IN_PROGRESS', jobId: 'newer-job', versionId: 'v2' } } }).resolvesOnce({});
    await expect(handler(sqsEvent([succeeded]))).resolves.toEqual({ batchItemFailures: [] });
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
    await expect(handler(sqsEvent([succeeded]))).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }] });
  });

  it('retries (does not drop) the completion of the current upload whose job the row does not name yet', async () => {
    // A new version v2 of an existing key: the starter claimed the row for v2 and started labels,
    // but the row still names v1's labels job when v2's completion arrives.
    dynamo.on(GetCommand).resolves({ Item: { videoKey: KEY, versionId: 'v2', labels: { status: 'SUCCEEDED', jobId: 'v1-labels-job', versionId: 'v1' } } });
    rekognition.on(GetLabelDetectionCommand).resolves({ JobStatus: 'SUCCEEDED', Labels: [], Video: { S3Object: { Bucket: 'media', Name: KEY, Version: 'v2' } } });
    await expect(handler(sqsEvent([succeeded]))).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }] });
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('tells current, not recorded yet and stale apart', () => {
    const c = { jobId: 'j2', analysis: 'labels' as const };
    expect(whoseJob(undefined, c, 'v2')).toBe('not-recorded-yet');
    expect(whoseJob({ versionId: 'v2', labels: { jobId: 'j2' } }, c, 'v2')).toBe('current');
    expect(whoseJob({ versionId: 'v2', labels: { jobId: 'j1' } }, c, 'v2')).toBe('not-recorded-yet');
    expect(whoseJob({ versionId: 'v3', labels: { jobId: 'j3' } }, c, 'v2')).toBe('stale');
    expect(whoseJob({ versionId: null, labels: { jobId: 'j2' } }, c, null)).toBe('current');
    // No Video in the Get* response: only the recorded job id can tell, so anything else waits.
    expect(whoseJob({ versionId: 'v3', labels: { jobId: 'j3' } }, c, undefined)).toBe('not-recorded-yet');
  });

  it('writes the result of a video whose key is 1,024 bytes under a result key that fits and stays unique', async () => {
    const long = (tail: string) => `videos/${'é'.repeat(505)}${tail}`; // 7 + 1010 + 7 bytes
    const keys: string[] = [];
    for (const videoKey of [long('a-1.mp4'), long('a-2.mp4')]) {
      expect(Buffer.byteLength(videoKey)).toBe(1024);
      s3.reset();
      s3.on(PutObjectCommand).callsFake(async (input: { Key: string }) => {
        if (Buffer.byteLength(input.Key) > 1024) throw Object.assign(new Error('Your key is too long'), { name: 'KeyTooLongError' });
        return {};
      });
      dynamo.on(GetCommand).resolves({ Item: { videoKey, versionId: 'v1', labels: { jobId: '6de014b0-2121-4bf0-9e31-856a18719e22', versionId: 'v1' } } });
      const message = JSON.parse((succeeded as { Message: string }).Message);
      message.Video.S3ObjectName = videoKey;
      await expect(handler(sqsEvent([{ ...succeeded, Message: JSON.stringify(message) }]))).resolves.toEqual({ batchItemFailures: [] });
      keys.push(written()[0].Key);
    }
    expect(keys.map((k) => Buffer.byteLength(k) <= 1024)).toEqual([true, true]);
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys[0]).toMatch(/^results\/videos\/é+~[0-9a-f]{32}\/labels\.json$/);
  });
});
