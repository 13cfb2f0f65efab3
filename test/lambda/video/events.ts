import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SQSEvent, SQSRecord } from 'aws-lambda';

const DIR = path.join(__dirname, '../../fixtures/video');

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(DIR, name), 'utf8')) as T;
}

/** An SQS event whose records carry these bodies (objects are JSON-encoded, as EventBridge and SNS deliver them). */
export function sqsEvent(bodies: unknown[], receiveCount = 1): SQSEvent {
  const template = fixture<SQSRecord>('sqs-record.json');
  return {
    Records: bodies.map((b, i) => ({
      ...template,
      messageId: `msg-${i}`,
      receiptHandle: `receipt-${i}`,
      body: typeof b === 'string' ? b : JSON.stringify(b),
      attributes: { ...template.attributes, ApproximateReceiveCount: String(receiveCount) },
    })),
  };
}

/** An EventBridge "Object Created" event for a key (encoded as S3 encodes keys in events). */
export function objectCreated(key: string, versionId = 'v1', size = 1024): Record<string, unknown> {
  const event = fixture<{ detail: { object: Record<string, unknown> } }>('eventbridge-object-created.json');
  event.detail.object = { ...event.detail.object, key: encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/'), 'version-id': versionId, size };
  return event;
}

/** The first bytes of an ISO base-media file: a 24-byte `ftyp` box with this major brand. */
export function ftypHead(brand = 'isom'): Uint8Array {
  return Uint8Array.from(Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftyp'), Buffer.from(brand, 'latin1'), Buffer.from([0, 0, 2, 0])]));
}

/** A GetObject body as the SDK returns it, for aws-sdk-client-mock. */
export function byteBody(bytes: Uint8Array): never {
  return { transformToByteArray: async () => bytes, transformToString: async () => Buffer.from(bytes).toString('utf8') } as never;
}
