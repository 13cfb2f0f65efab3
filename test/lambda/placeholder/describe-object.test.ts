import { HeadObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { makeHandler } from '../../../lambda/placeholder/describe-object';

const s3 = mockClient(S3Client);
const handler = makeHandler(new S3Client({}), 'data-bucket');

beforeEach(() => s3.reset());

describe('describe-object handler', () => {
  it('returns size and content type of the object', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 42, ContentType: 'text/csv' });
    await expect(handler({ key: 'landing/a b.csv' })).resolves.toEqual({ key: 'landing/a b.csv', size: 42, contentType: 'text/csv' });
    expect(s3).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: 'data-bucket', Key: 'landing/a b.csv' });
  });

  it.each([{}, { key: '' }, { key: 7 }, null])('rejects %p naming the bad event', async (event) => {
    await expect(handler(event as never)).rejects.toThrow(`Event needs a non-empty string "key" (got ${JSON.stringify(event)})`);
    expect(s3).not.toHaveReceivedAnyCommand();
  });

  it('lets a missing object fail the invocation', async () => {
    s3.on(HeadObjectCommand).rejects(new NoSuchKey({ message: 'gone', $metadata: {} }));
    await expect(handler({ key: 'missing.csv' })).rejects.toThrow('gone');
  });
});
