import {
  DetectFacesCommand,
  DetectLabelsCommand,
  DetectModerationLabelsCommand,
  DetectTextCommand,
  RecognizeCelebritiesCommand,
  RekognitionClient,
  ThrottlingException,
} from '@aws-sdk/client-rekognition';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { IMAGE_ANALYSIS_NAMES, ImageAnalysisConfig, makeHandler, parseImageAnalyses } from '../../../lambda/video/analyse-image';
import { objectCreated, sqsEvent } from './events';

const rekognition = mockClient(RekognitionClient);
const s3 = mockClient(S3Client);
const all: ImageAnalysisConfig = { resultsPrefix: 'results/', analyses: [...IMAGE_ANALYSIS_NAMES], flagThreshold: 80, minConfidence: 50 };
const handlerWith = (config: ImageAnalysisConfig) =>
  makeHandler({ rekognition: new RekognitionClient({}), s3: new S3Client({}), logger: new Logger({ logLevel: 'SILENT' }) }, config);
const handler = handlerWith(all);

beforeEach(() => {
  rekognition.reset();
  s3.reset();
  s3.on(HeadObjectCommand).resolves({ ContentLength: 2048, ContentType: 'image/jpeg' });
  s3.on(PutObjectCommand).resolves({});
  rekognition.on(DetectLabelsCommand).resolves({ Labels: [{ Name: 'Crowd', Confidence: 97 }], LabelModelVersion: '3.0' });
  rekognition.on(DetectFacesCommand).resolves({ FaceDetails: [{ Confidence: 99.9, AgeRange: { Low: 25, High: 33 }, Emotions: [{ Type: 'HAPPY', Confidence: 91 }] }] });
  rekognition.on(DetectTextCommand).resolves({ TextDetections: [{ DetectedText: 'EXIT', Type: 'LINE' }, { DetectedText: 'EXIT', Type: 'WORD' }] });
  rekognition.on(DetectModerationLabelsCommand).resolves({ ModerationLabels: [{ Name: 'Violence', Confidence: 91.2 }, { Name: 'Smoking', Confidence: 62 }], ModerationModelVersion: '7.0' });
  rekognition.on(RecognizeCelebritiesCommand).resolves({ CelebrityFaces: [{ Name: 'Jane Example', MatchConfidence: 98, Id: 'c1' }], UnrecognizedFaces: [{}, {}] });
});

const documents = () => s3.commandCalls(PutObjectCommand).map((c) => ({ key: c.args[0].input.Key, doc: JSON.parse(c.args[0].input.Body as string) }));

describe('image analysis', () => {
  it('runs every configured analysis on the S3 object and writes one document with all of them', async () => {
    await expect(handler(sqsEvent([objectCreated('images/street café.jpg')]))).resolves.toEqual({ batchItemFailures: [] });
    const image = { S3Object: { Bucket: 'videoanalysis-media-bucket', Name: 'images/street café.jpg', Version: 'v1' } };
    expect(rekognition).toHaveReceivedCommandWith(DetectLabelsCommand, { Image: image, MinConfidence: 50 });
    expect(rekognition).toHaveReceivedCommandWith(DetectFacesCommand, { Image: image, Attributes: ['ALL'] });
    expect(rekognition).toHaveReceivedCommandWith(DetectTextCommand, { Image: image });
    expect(rekognition).toHaveReceivedCommandWith(DetectModerationLabelsCommand, { Image: image, MinConfidence: 50 });
    expect(rekognition).toHaveReceivedCommandWith(RecognizeCelebritiesCommand, { Image: image });
    const [{ key, doc }] = documents();
    expect(documents()).toHaveLength(1);
    expect(key).toBe('results/images/street café.jpg/analysis.json');
    expect(doc).toEqual(expect.objectContaining({
      status: 'SUCCEEDED',
      versionId: 'v1',
      analyses: ['labels', 'faces', 'text', 'moderation', 'celebrities'],
      labels: expect.objectContaining({ labels: [{ Name: 'Crowd', Confidence: 97 }] }),
      faces: { faces: [expect.objectContaining({ AgeRange: { Low: 25, High: 33 } })] },
      text: expect.objectContaining({ lines: ['EXIT'] }),
      moderation: expect.objectContaining({ flagged: true, flaggedBy: ['Violence'], flagThreshold: 80 }),
      celebrities: { celebrities: [expect.objectContaining({ Name: 'Jane Example' })], unrecognizedFaces: 2 },
    }));
  });

  it('runs only the configured set (one call per analysis)', async () => {
    await handlerWith({ ...all, analyses: ['moderation'] })(sqsEvent([objectCreated('images/a.png')]));
    expect(rekognition.calls()).toHaveLength(1);
    expect(documents()[0].doc).toEqual(expect.objectContaining({ analyses: ['moderation'], moderation: expect.objectContaining({ flagged: true }) }));
    expect(documents()[0].doc.labels).toBeUndefined();
  });

  it('writes nothing for an image whose analyses did not all answer: the record fails alone and is retried whole', async () => {
    rekognition.on(RecognizeCelebritiesCommand).rejectsOnce(new ThrottlingException({ message: 'slow down', $metadata: {} })).resolves({ CelebrityFaces: [] });
    const result = await handler(sqsEvent([objectCreated('images/1.jpg'), objectCreated('images/2.jpg')]));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-0' }] });
    expect(documents().map((d) => d.key)).toEqual(['results/images/2.jpg/analysis.json']);
  });

  it('rewrites the same document on a redelivered event (idempotent)', async () => {
    await handler(sqsEvent([objectCreated('images/a.jpg')]));
    await handler(sqsEvent([objectCreated('images/a.jpg')]));
    const [first, second] = documents();
    expect(second.key).toBe(first.key);
    expect({ ...second.doc, analysedAt: 0 }).toEqual({ ...first.doc, analysedAt: 0 });
  });

  it('rejects a wrong file type, and an image Rekognition refuses, with the reason in the document', async () => {
    await expect(handler(sqsEvent([objectCreated('images/scan.tiff')]))).resolves.toEqual({ batchItemFailures: [] });
    expect(rekognition).not.toHaveReceivedAnyCommand();
    expect(documents()[0].doc).toEqual(expect.objectContaining({ status: 'REJECTED', reason: 'unsupported file type ".tiff" for "images/scan.tiff": want .jpg, .jpeg, .png' }));
    rekognition.on(DetectLabelsCommand).rejects(Object.assign(new Error('Request has invalid image format'), { name: 'InvalidImageFormatException' }));
    await expect(handler(sqsEvent([objectCreated('images/broken.jpg')]))).resolves.toEqual({ batchItemFailures: [] });
    expect(documents()[1].doc).toEqual(expect.objectContaining({ status: 'REJECTED', reason: expect.stringContaining('InvalidImageFormatException') }));
  });

  it('names a bad IMAGE_ANALYSES setting', () => {
    expect(parseImageAnalyses('labels, faces,labels')).toEqual(['labels', 'faces']);
    expect(() => parseImageAnalyses('labels,ppe')).toThrow('IMAGE_ANALYSES must list some of labels, faces, text, moderation, celebrities (got "labels,ppe")');
    expect(() => parseImageAnalyses('')).toThrow('(got "")');
  });
});
