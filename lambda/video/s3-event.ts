import { HeadObjectCommand, HeadObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { decodeS3Key, s3KeyCandidates } from '../shared/s3-key';

/**
 * The two shapes an "object created" event arrives in, reduced to one: the EventBridge event S3
 * sends when a bucket has EventBridge notifications on (what this stack uses), and the classic S3
 * event notification (`Records[].s3`), which a user may route to the same queue.
 *
 * Key encoding: one rule for every handler of the project, in lambda/shared/s3-key.ts (decoded
 * key first, the key as received second); the caller confirms the object with HeadObject.
 */

export interface ObjectRef {
  readonly bucket: string;
  /** The key exactly as the event carried it (possibly URL-encoded). */
  readonly rawKey: string;
  /** The key decoded form-style: `+` is a space, `%XX` sequences are UTF-8 bytes. */
  readonly key: string;
  /** @default - unversioned bucket or not in the event */
  readonly versionId?: string;
  /** @default - not in the event */
  readonly size?: number;
  /**
   * The event's `sequencer`, zero-padded to SEQUENCER_WIDTH hex digits so that later events for
   * the same key compare greater as plain strings (S3 compares them after padding the shorter one
   * with leading zeros: "Event message structure", Amazon S3 User Guide).
   * @default - not in the event (then no ordering is enforced)
   */
  readonly sequencer?: string;
}

export const SEQUENCER_WIDTH = 32;

/** A sequencer padded for string comparison, or undefined when there is none (or it is not hex). */
export function normaliseSequencer(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^[0-9A-Fa-f]{1,32}$/.test(value)) {
    return undefined;
  }
  return value.toUpperCase().padStart(SEQUENCER_WIDTH, '0');
}

/** Thrown for input that will never succeed, however often it is retried. */
export class BadInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadInputError';
  }
}

export { decodeS3Key };

/** Keys to try, most likely first (the shared rule of lambda/shared/s3-key.ts). */
export function candidateKeys(ref: ObjectRef): string[] {
  return s3KeyCandidates(ref.rawKey);
}

export type Found = { readonly key: string; readonly head: HeadObjectCommandOutput };

/**
 * HeadObject on each candidate key (and the event's version) until one exists. Undefined when none
 * does: the object or version was deleted since the event (S3 reads are strongly consistent).
 */
export async function findObject(s3: S3Client, ref: ObjectRef): Promise<Found | undefined> {
  for (const key of candidateKeys(ref)) {
    try {
      return { key, head: await s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: key, VersionId: ref.versionId })) };
    } catch (err) {
      if (!['NotFound', 'NoSuchKey', 'NoSuchVersion'].includes((err as Error).name)) {
        throw err;
      }
    }
  }
  return undefined;
}

interface EventBridgeS3Detail {
  bucket?: { name?: unknown };
  object?: { key?: unknown; size?: unknown; 'version-id'?: unknown; sequencer?: unknown };
}

interface S3NotificationRecord {
  eventName?: unknown;
  s3?: { bucket?: { name?: unknown }; object?: { key?: unknown; size?: unknown; versionId?: unknown; sequencer?: unknown } };
}

/**
 * Parse a message body (a JSON string) or an already-parsed event into object references.
 * An S3 test event (`"Event": "s3:TestEvent"`) yields none. Anything else throws BadInputError
 * naming what is wrong.
 */
export function objectRefsFrom(body: unknown): ObjectRef[] {
  let event: unknown = body;
  if (typeof body === 'string') {
    try {
      event = JSON.parse(body);
    } catch {
      throw new BadInputError(`Message body is not JSON (got ${JSON.stringify(body.slice(0, 200))})`);
    }
  }
  if (typeof event !== 'object' || event === null) {
    throw new BadInputError(`Event must be an object (got ${JSON.stringify(event)})`);
  }
  const e = event as Record<string, unknown>;
  if (e.Event === 's3:TestEvent') {
    return [];
  }
  if (e.source === 'aws.s3' && typeof e.detail === 'object' && e.detail !== null) {
    const d = e.detail as EventBridgeS3Detail;
    return [refOf(d.bucket?.name, d.object?.key, d.object?.['version-id'], d.object?.size, d.object?.sequencer, 'detail')];
  }
  if (Array.isArray(e.Records)) {
    return (e.Records as S3NotificationRecord[]).map((r, i) =>
      refOf(r?.s3?.bucket?.name, r?.s3?.object?.key, r?.s3?.object?.versionId, r?.s3?.object?.size, r?.s3?.object?.sequencer, `Records[${i}].s3`),
    );
  }
  throw new BadInputError(
    `Not an S3 EventBridge event or S3 event notification (keys: ${JSON.stringify(Object.keys(e).slice(0, 10))})`,
  );
}

function refOf(bucket: unknown, rawKey: unknown, versionId: unknown, size: unknown, sequencer: unknown, where: string): ObjectRef {
  if (typeof bucket !== 'string' || bucket.length === 0) {
    throw new BadInputError(`${where}.bucket.name must be a non-empty string (got ${JSON.stringify(bucket)})`);
  }
  if (typeof rawKey !== 'string' || rawKey.length === 0) {
    throw new BadInputError(`${where}.object.key must be a non-empty string (got ${JSON.stringify(rawKey)})`);
  }
  return {
    bucket,
    rawKey,
    key: decodeS3Key(rawKey),
    versionId: typeof versionId === 'string' && versionId.length > 0 && versionId !== 'null' ? versionId : undefined,
    size: typeof size === 'number' ? size : undefined,
    sequencer: normaliseSequencer(sequencer),
  };
}

/** Lower-case extension including the dot ('' when none). */
export function extensionOf(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot).toLowerCase();
}
