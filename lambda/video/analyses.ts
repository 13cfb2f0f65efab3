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

/** Where the result document of one analysis of one video goes. */
export function resultKey(prefix: string, videoKey: string, analysis: string): string {
  return `${prefix}${videoKey}/${analysis}.json`;
}
