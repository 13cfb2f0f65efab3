import { DetectModerationLabelsCommand, RekognitionClient, ThrottlingException } from '@aws-sdk/client-rekognition';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { makeHandler } from '../../../lambda/video/moderate-image';
import { objectCreated, sqsEvent } from './events';

const rekognition = mockClient(RekognitionClient);
const s3 = mockClient(S3Client);
const handler = makeHandler(
  { rekognition: new RekognitionClient({}), s3: new S3Client({}), logger: new Logger({ logLevel: 'SILENT' }) },
  { resultsPrefix: 'results/', flagThreshold: 80, minConfidence: 50 },
);

beforeEach(() => {
  rekognition.reset();
  s3.reset();
  s3.on(HeadObjectCommand).resolves({ ContentLength: 2048, ContentType: 'image/jpeg' });
  s3.on(PutObjectCommand).resolves({});
});

const document = () => JSON.parse(s3.commandCalls(PutObjectCommand)[0].args[0].input.Body as string);

describe('image moderation', () => {
  it('flags an image with a label at or above the threshold and writes the result beside the others', async () => {
    rekognition.on(DetectModerationLabelsCommand).resolves({
      ModerationLabels: [{ Name: 'Violence', Confidence: 91.2, ParentName: '' }, { Name: 'Smoking', Confidence: 62 }],
      ModerationModelVersion: '7.0',
    });
    await expect(handler(sqsEvent([objectCreated('images/street café.jpg')]))).resolves.toEqual({ batchItemFailures: [] });
    expect(rekognition).toHaveReceivedCommandWith(DetectModerationLabelsCommand, {
      Image: { S3Object: { Bucket: 'videoanalysis-media-bucket', Name: 'images/street café.jpg', Version: 'v1' } },
      MinConfidence: 50,
    });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Key: 'results/images/street café.jpg/moderation.json' });
    expect(document()).toEqual(expect.objectContaining({ status: 'SUCCEEDED', flagged: true, flaggedBy: ['Violence'], flagThreshold: 80 }));
  });

  it('does not flag labels below the threshold', async () => {
    rekognition.on(DetectModerationLabelsCommand).resolves({ ModerationLabels: [{ Name: 'Smoking', Confidence: 62 }] });
    await handler(sqsEvent([objectCreated('images/a.png')]));
    expect(document()).toEqual(expect.objectContaining({ flagged: false, flaggedBy: [] }));
  });

  it('rejects a wrong file type with the reason in the result document', async () => {
    await expect(handler(sqsEvent([objectCreated('images/scan.tiff')]))).resolves.toEqual({ batchItemFailures: [] });
    expect(rekognition).not.toHaveReceivedAnyCommand();
    expect(document()).toEqual(expect.objectContaining({ status: 'REJECTED', reason: 'unsupported file type ".tiff" for "images/scan.tiff": want .jpg, .jpeg, .png' }));
  });

  it('leaves a throttled image on the queue (batch item failure) and moderates the rest', async () => {
    rekognition.on(DetectModerationLabelsCommand).rejectsOnce(new ThrottlingException({ message: 'slow down', $metadata: {} })).resolves({ ModerationLabels: [] });
    const result = await handler(sqsEvent([objectCreated('images/1.jpg'), objectCreated('images/2.jpg')]));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }] });
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 1);
  });
});
