import { DeleteFacesCommand, IndexFacesCommand, ListFacesCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { indexFace, listFaces, removeFace } from '../../scripts/video-faces';

const rekognition = mockClient(RekognitionClient);
const client = new RekognitionClient({});
const lines: string[] = [];
const io = { print: (l: string) => void lines.push(l), readFile: async () => new Uint8Array([0xff, 0xd8]) };

beforeEach(() => {
  rekognition.reset();
  lines.length = 0;
});

describe('video-faces CLI', () => {
  it('indexes a face from a local image or an S3 object under the person\'s name', async () => {
    rekognition.on(IndexFacesCommand).resolves({ FaceRecords: [{ Face: { FaceId: 'f-1', Confidence: 99.9 } }] });
    await expect(indexFace(client, io, 'known', 'jane_doe', './jane.jpg')).resolves.toBe('f-1');
    await indexFace(client, io, 'known', 'jane_doe', 's3://faces-bucket/people/jane.jpg');
    expect(rekognition).toHaveReceivedNthCommandWith(1, IndexFacesCommand, { CollectionId: 'known', ExternalImageId: 'jane_doe', Image: { Bytes: new Uint8Array([0xff, 0xd8]) }, MaxFaces: 1 });
    expect(rekognition).toHaveReceivedNthCommandWith(2, IndexFacesCommand, { Image: { S3Object: { Bucket: 'faces-bucket', Name: 'people/jane.jpg' } } });
    expect(lines[0]).toBe('Indexed jane_doe as face f-1 (confidence 99.9)');
  });

  it('names a bad person id and an image without a usable face', async () => {
    await expect(indexFace(client, io, 'known', 'Jane Doe', './jane.jpg')).rejects.toThrow('--person must be 1-255 characters of letters, digits, _ . - : (got "Jane Doe")');
    rekognition.on(IndexFacesCommand).resolves({ FaceRecords: [], UnindexedFaces: [{ Reasons: ['LOW_SHARPNESS'] }] });
    await expect(indexFace(client, io, 'known', 'jane', './blurry.jpg')).rejects.toThrow('No face indexed from ./blurry.jpg: LOW_SHARPNESS');
  });

  it('lists faces across pages and removes one', async () => {
    rekognition.on(ListFacesCommand)
      .resolvesOnce({ Faces: [{ FaceId: 'f-1', ExternalImageId: 'jane_doe' }], NextToken: 't2' })
      .resolvesOnce({ Faces: [{ FaceId: 'f-2', ExternalImageId: 'john_roe' }] });
    await expect(listFaces(client, io, 'known')).resolves.toBe(2);
    expect(lines).toEqual(['f-1\tjane_doe', 'f-2\tjohn_roe', '2 face(s) in known']);
    rekognition.on(DeleteFacesCommand).resolves({ DeletedFaces: ['f-1'] });
    await removeFace(client, io, 'known', 'f-1');
    await expect(removeFace(client, io, 'known', 'f-9')).rejects.toThrow('Face "f-9" was not in known');
  });
});
