import { HeadObjectCommand, NotFound, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { decodeS3Key, s3KeyCandidates } from '../../../lambda/shared/s3-key';
import { makeHandler as makePrepareMedia } from '../../../lambda/speech/prepare-media';
import { findObject, objectRefsFrom } from '../../../lambda/video/s3-event';

const s3 = mockClient(S3Client);

/** A bucket holding exactly these keys (HeadObject answers 404 for any other). */
function bucketWith(...keys: string[]): void {
  s3.reset();
  s3.on(HeadObjectCommand).callsFake(async (input: { Key: string }) => {
    if (keys.includes(input.Key)) return { ContentLength: 1000 };
    throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
  });
}

/** The object each stack's handler settles on for one EventBridge "Object Created" key. */
async function found(eventKey: string): Promise<{ video?: string; speech: string }> {
  const [ref] = objectRefsFrom({ source: 'aws.s3', detail: { bucket: { name: 'media' }, object: { key: eventKey } } });
  const video = (await findObject(new S3Client({}), ref))?.key;
  const speech = (await makePrepareMedia(new S3Client({}))({ bucket: 'media', key: eventKey, executionName: 'e', executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:SpeechChain:e' })).key;
  return { video, speech };
}

describe('one object-key rule for video and speech', () => {
  it('decodes form-style (+ is a space, %XX are UTF-8 bytes) and leaves a key with a bad escape as it is', () => {
    expect(decodeS3Key('media/my+talk+%C3%A9.mp3')).toBe('media/my talk é.mp3');
    expect(decodeS3Key('media/100%.mp3')).toBe('media/100%.mp3');
    expect(s3KeyCandidates('media/a+b.mp4')).toEqual(['media/a b.mp4', 'media/a+b.mp4']);
    expect(s3KeyCandidates('media/plain.mp4')).toEqual(['media/plain.mp4']);
  });

  it('both stacks pick the decoded key when the bucket holds "a b.mp4" and "a+b.mp4" and the event says "a+b.mp4"', async () => {
    bucketWith('media/a b.mp4', 'media/a+b.mp4');
    await expect(found('media/a+b.mp4')).resolves.toEqual({ video: 'media/a b.mp4', speech: 'media/a b.mp4' });
  });

  it('both stacks pick "a+b.mp4" for its encoded event key "a%2Bb.mp4"', async () => {
    bucketWith('media/a b.mp4', 'media/a+b.mp4');
    await expect(found('media/a%2Bb.mp4')).resolves.toEqual({ video: 'media/a+b.mp4', speech: 'media/a+b.mp4' });
  });

  it('both stacks fall back to the key as received when only the literal name exists (an unencoded producer)', async () => {
    bucketWith('media/c++.mp4');
    await expect(found('media/c++.mp4')).resolves.toEqual({ video: 'media/c++.mp4', speech: 'media/c++.mp4' });
  });
});
