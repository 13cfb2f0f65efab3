import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';

interface DescribeEvent {
  readonly key: string;
}

export function makeHandler(s3: S3Client, bucket: string) {
  return async (event: DescribeEvent) => {
    if (typeof event?.key !== 'string' || event.key.length === 0) {
      throw new Error(`Event needs a non-empty string "key" (got ${JSON.stringify(event)})`);
    }
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: event.key }));
    return { key: event.key, size: head.ContentLength ?? 0, contentType: head.ContentType ?? null };
  };
}

export const handler = makeHandler(new S3Client({}), process.env.BUCKET_NAME ?? '');
