import { BadInputError, candidateKeys, decodeS3Key, extensionOf, objectRefsFrom } from '../../../lambda/video/s3-event';
import { fixture } from './events';

describe('object references from S3 events', () => {
  it('decodes the +-encoded unicode key of an S3 event notification', () => {
    const [ref] = objectRefsFrom(JSON.stringify(fixture('s3-notification-object-created.json')));
    expect(ref).toEqual({
      bucket: 'videoanalysis-media-bucket',
      rawKey: 'videos/F%C3%BCr+Elise+%E2%80%94+take+2+%282%29.mp4',
      key: 'videos/Für Elise — take 2 (2).mp4',
      versionId: '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY',
      size: 104857600,
      sequencer: '000000000000000000000055AED6DCD90281E5'.slice(-32),
    });
  });

  it('decodes the key of an EventBridge "Object Created" event the same way', () => {
    const [ref] = objectRefsFrom(fixture('eventbridge-object-created.json'));
    expect(ref).toEqual(expect.objectContaining({ key: 'videos/café déjà vu.mp4', versionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e', size: 52428800 }));
  });

  it('keeps the raw key as a second candidate, for a literal "+" or "%" in a key that arrived unencoded', () => {
    expect(decodeS3Key('videos/c++ talk.mp4')).toBe('videos/c   talk.mp4');
    expect(candidateKeys({ bucket: 'b', rawKey: 'videos/c++ talk.mp4', key: 'videos/c   talk.mp4' })).toEqual(['videos/c   talk.mp4', 'videos/c++ talk.mp4']);
    expect(decodeS3Key('videos/100%.mp4')).toBe('videos/100%.mp4');
    expect(candidateKeys({ bucket: 'b', rawKey: 'videos/a.mp4', key: 'videos/a.mp4' })).toEqual(['videos/a.mp4']);
  });

  it('ignores the S3 test event and names what is wrong with anything else', () => {
    expect(objectRefsFrom({ Service: 'Amazon S3', Event: 's3:TestEvent' })).toEqual([]);
    expect(() => objectRefsFrom('not json')).toThrow(new BadInputError('Message body is not JSON (got "not json")'));
    expect(() => objectRefsFrom({ hello: 1 })).toThrow('Not an S3 EventBridge event or S3 event notification (keys: ["hello"])');
    expect(() => objectRefsFrom({ source: 'aws.s3', detail: { bucket: { name: 'b' }, object: { key: '' } } })).toThrow(
      'detail.object.key must be a non-empty string (got "")',
    );
  });

  it('finds the extension case-insensitively, and none for dot-files', () => {
    expect(extensionOf('videos/A.MOV')).toBe('.mov');
    expect(extensionOf('videos/.hidden')).toBe('');
    expect(extensionOf('videos.d/noext')).toBe('');
  });
});
