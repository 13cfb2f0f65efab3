/**
 * The stored-video analyses this architecture runs, each as the pair of Rekognition calls that
 * make it asynchronous: Start* (returns a JobId, publishes completion to SNS) and Get* (pages of
 * at most 1,000 results, NextToken valid 24 h).
 */
import { createHash } from 'node:crypto';
import {
  GetContentModerationCommand,
  GetFaceDetectionCommand,
  GetLabelDetectionCommand,
  GetTextDetectionCommand,
  NotificationChannel,
  RekognitionClient,
  StartContentModerationCommand,
  StartFaceDetectionCommand,
  StartLabelDetectionCommand,
  StartTextDetectionCommand,
  Video,
} from '@aws-sdk/client-rekognition';

export const ANALYSIS_NAMES = ['labels', 'faces', 'moderation', 'text'] as const;
export type AnalysisName = (typeof ANALYSIS_NAMES)[number];

/** What every analysis returns on one Get* page. */
export interface ResultPage {
  readonly JobStatus?: string;
  readonly StatusMessage?: string;
  readonly NextToken?: string;
  readonly VideoMetadata?: unknown;
  /** The video the job analysed, as Rekognition recorded it (bucket, key, version). */
  readonly Video?: Video;
  readonly items: unknown[];
}

export interface StartRequest {
  readonly video: Video;
  readonly notificationChannel: NotificationChannel;
  readonly jobTag: string;
  readonly clientRequestToken: string;
}

interface Analysis {
  /** The `API` field of the completion message Rekognition publishes. */
  readonly api: string;
  start(client: RekognitionClient, request: StartRequest): Promise<string | undefined>;
  getPage(client: RekognitionClient, jobId: string, nextToken: string | undefined): Promise<ResultPage>;
  /** The names a person wants to see in the index ("top labels"), from one item. */
  nameOf(item: unknown): string | undefined;
}

const PAGE_SIZE = 1000; // the Get* maximum

const common = (r: StartRequest) => ({
  Video: r.video,
  NotificationChannel: r.notificationChannel,
  JobTag: r.jobTag,
  ClientRequestToken: r.clientRequestToken,
});

export const ANALYSES: Readonly<Record<AnalysisName, Analysis>> = {
  labels: {
    api: 'StartLabelDetection',
    start: async (c, r) => (await c.send(new StartLabelDetectionCommand(common(r)))).JobId,
    getPage: async (c, JobId, NextToken) => {
      const p = await c.send(new GetLabelDetectionCommand({ JobId, NextToken, MaxResults: PAGE_SIZE, SortBy: 'TIMESTAMP' }));
      return { ...p, items: p.Labels ?? [] };
    },
    nameOf: (item) => (item as { Label?: { Name?: string } }).Label?.Name,
  },
  faces: {
    api: 'StartFaceDetection',
    start: async (c, r) => (await c.send(new StartFaceDetectionCommand({ ...common(r), FaceAttributes: 'DEFAULT' }))).JobId,
    getPage: async (c, JobId, NextToken) => {
      const p = await c.send(new GetFaceDetectionCommand({ JobId, NextToken, MaxResults: PAGE_SIZE }));
      return { ...p, items: p.Faces ?? [] };
    },
    nameOf: () => undefined,
  },
  moderation: {
    api: 'StartContentModeration',
    start: async (c, r) => (await c.send(new StartContentModerationCommand(common(r)))).JobId,
    getPage: async (c, JobId, NextToken) => {
      const p = await c.send(new GetContentModerationCommand({ JobId, NextToken, MaxResults: PAGE_SIZE, SortBy: 'TIMESTAMP' }));
      return { ...p, items: p.ModerationLabels ?? [] };
    },
    nameOf: (item) => (item as { ModerationLabel?: { Name?: string } }).ModerationLabel?.Name,
  },
  text: {
    api: 'StartTextDetection',
    start: async (c, r) => (await c.send(new StartTextDetectionCommand(common(r)))).JobId,
    getPage: async (c, JobId, NextToken) => {
      const p = await c.send(new GetTextDetectionCommand({ JobId, NextToken, MaxResults: PAGE_SIZE }));
      return { ...p, items: p.TextDetections ?? [] };
    },
    nameOf: (item) => (item as { TextDetection?: { DetectedText?: string; Type?: string } }).TextDetection?.Type === 'LINE'
      ? (item as { TextDetection: { DetectedText?: string } }).TextDetection.DetectedText
      : undefined,
  },
};

/** Parse the ANALYSES setting ("labels,faces,moderation"): unknown or empty names the bad value. */
export function parseAnalyses(value: string | undefined): AnalysisName[] {
  const names = (value ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length === 0) {
    throw new Error(`ANALYSES must list at least one of ${ANALYSIS_NAMES.join(', ')} (got ${JSON.stringify(value)})`);
  }
  for (const n of names) {
    if (!(ANALYSIS_NAMES as readonly string[]).includes(n)) {
      throw new Error(`Unknown analysis ${JSON.stringify(n)} in ANALYSES (want any of ${ANALYSIS_NAMES.join(', ')})`);
    }
  }
  return [...new Set(names)] as AnalysisName[];
}

/** The analysis a completion message's `API` field names, or undefined. */
export function analysisOfApi(api: unknown): AnalysisName | undefined {
  return ANALYSIS_NAMES.find((n) => ANALYSES[n].api === api);
}

/**
 * ClientRequestToken for one analysis of one object version: a redelivered event starts no second
 * job, a new version of the same key does. Rekognition allows 1-64 characters of [a-zA-Z0-9-_].
 */
export function clientRequestToken(bucket: string, key: string, versionId: string | undefined, analysis: AnalysisName): string {
  const digest = createHash('sha256').update(JSON.stringify([bucket, key, versionId ?? null, analysis])).digest('hex');
  return `${analysis}-${digest}`.slice(0, 64);
}

/** Top names by how often they occur (ties by name), for the results index. */
export function topNames(analysis: AnalysisName, items: unknown[], limit = 10): string[] {
  const counts = new Map<string, number>();
  for (const item of items) {
    const name = ANALYSES[analysis].nameOf(item);
    if (name) {
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([name]) => name);
}

/** S3 object keys are at most 1,024 bytes of UTF-8 (Amazon S3 User Guide, "Naming Amazon S3
 * objects": https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html). */
export const S3_MAX_KEY_BYTES = 1024;

/**
 * Where the result document `name` of one object goes: `<prefix><object key>/<name>.json`, the
 * object's key kept readable. A key too long for that (an object key itself may use all 1,024
 * bytes) is cut at a character boundary and followed by `~` and 32 hex digits of the SHA-256 of the
 * whole key, so the result key always fits and two long keys that share their first kilobyte
 * still get different result keys.
 */
export function resultKey(prefix: string, objectKey: string, name: string): string {
  const natural = `${prefix}${objectKey}/${name}.json`;
  if (Buffer.byteLength(natural, 'utf8') <= S3_MAX_KEY_BYTES) {
    return natural;
  }
  const tail = `~${createHash('sha256').update(objectKey, 'utf8').digest('hex').slice(0, 32)}/${name}.json`;
  const room = S3_MAX_KEY_BYTES - Buffer.byteLength(prefix, 'utf8') - Buffer.byteLength(tail, 'utf8');
  if (room < 1) {
    throw new Error(`Result prefix ${JSON.stringify(prefix)} and name ${JSON.stringify(name)} leave no room for the object key within ${S3_MAX_KEY_BYTES} bytes`);
  }
  return `${prefix}${truncateUtf8(objectKey, room)}${tail}`;
}

/** The longest start of `text` whose UTF-8 encoding fits in `maxBytes`, never splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let out = '';
  for (const ch of text) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (bytes + size > maxBytes) {
      break;
    }
    bytes += size;
    out += ch;
  }
  return out;
}
