/**
 * The notes' Comprehend step: read the transcript (or its English translation) from S3, split it
 * into segments of at most 5,000 UTF-8 bytes on sentence boundaries, send them 25 at a time to
 * BatchDetectSentiment, BatchDetectEntities and BatchDetectKeyPhrases, aggregate, and write one
 * result JSON per media file. Segments never travel through the state machine (256 KiB limit).
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  BatchDetectEntitiesCommand,
  BatchDetectKeyPhrasesCommand,
  BatchDetectSentimentCommand,
  BatchItemError,
  ComprehendClient,
  LanguageCode,
} from '@aws-sdk/client-comprehend';
import {
  aggregateEntities,
  aggregatePhrases,
  EntityMention,
  overallSentiment,
  PhraseMention,
  SegmentSentiment,
} from './analysis';
import { chunkByBytes, SENTIMENT_MAX_BYTES, toBatches, utf8Bytes } from './chunking';
import { comprehendLanguageFor } from './media';
import { PreparedMedia, readText, requireString, TranscriptionJobSummary, transcriptTextOf } from './transcript';

export interface AnalyseEvent {
  readonly media: PreparedMedia;
  readonly job: TranscriptionJobSummary;
  /** `{ translated: false }` or the pointer TranslateTranscript returned. */
  readonly translation: { readonly translated: boolean; readonly key?: string; readonly sourceLanguageCode?: string; readonly targetLanguageCode?: string };
  readonly execution: { readonly id: string; readonly startTime: string };
}

export interface AnalysisSummary {
  readonly bucket: string;
  readonly resultKey: string;
  readonly language: string;
  readonly translated: boolean;
  readonly sentiment: string | null;
  readonly segments: number;
  readonly entities: number;
  readonly keyPhrases: number;
}

/** A document of a Batch* call that Comprehend refused: failing loudly beats a silently partial result. */
export class ComprehendBatchItemError extends Error {
  constructor(api: string, errors: BatchItemError[], offset: number) {
    const detail = errors.map((e) => `segment ${offset + (e.Index ?? 0)}: ${e.ErrorCode} ${e.ErrorMessage ?? ''}`.trim()).join('; ');
    super(`${api} refused ${errors.length} segment(s): ${detail}`);
    this.name = 'ComprehendBatchItemError';
  }
}

export interface AnalyseConfig {
  readonly resultsBucket: string;
  readonly now?: () => Date;
}

export function makeHandler(clients: { s3: S3Client; comprehend: ComprehendClient }, config: AnalyseConfig) {
  const now = config.now ?? (() => new Date());
  return async (event: AnalyseEvent): Promise<AnalysisSummary> => {
    const analysisStarted = now();
    const bucket = requireString(config.resultsBucket, 'RESULTS_BUCKET');
    const media = event?.media;
    const resultKey = requireString(media?.resultKey, 'media.resultKey');
    const transcriptKey = requireString(media?.transcriptKey, 'media.transcriptKey');
    const translated = event?.translation?.translated === true;

    let text: string;
    let language: string | undefined;
    if (translated) {
      const key = requireString(event.translation.key, 'translation.key');
      text = await readText(clients.s3, bucket, key);
      language = event.translation.targetLanguageCode ?? 'en';
    } else {
      text = transcriptTextOf(await readText(clients.s3, bucket, transcriptKey), `s3://${bucket}/${transcriptKey}`);
      language = comprehendLanguageFor(event.job?.LanguageCode);
      if (language === undefined) {
        throw new Error(`Language ${JSON.stringify(event.job?.LanguageCode)} is not supported by Comprehend and the transcript was not translated`);
      }
    }

    const segments = chunkByBytes(text, SENTIMENT_MAX_BYTES);
    const sentiments: SegmentSentiment[] = [];
    const entities: EntityMention[] = [];
    const phrases: PhraseMention[] = [];
    const batches = toBatches(segments);
    for (const [b, batch] of batches.entries()) {
      const offset = b * 25;
      const params = { TextList: batch, LanguageCode: language as LanguageCode };
      const sentiment = await clients.comprehend.send(new BatchDetectSentimentCommand(params));
      throwOnItemErrors('BatchDetectSentiment', sentiment.ErrorList, offset);
      for (const r of sentiment.ResultList ?? []) {
        const s = r.SentimentScore ?? {};
        sentiments.push({
          bytes: utf8Bytes(batch[r.Index ?? 0]),
          scores: { positive: s.Positive ?? 0, negative: s.Negative ?? 0, neutral: s.Neutral ?? 0, mixed: s.Mixed ?? 0 },
        });
      }
      const found = await clients.comprehend.send(new BatchDetectEntitiesCommand(params));
      throwOnItemErrors('BatchDetectEntities', found.ErrorList, offset);
      for (const r of found.ResultList ?? []) {
        for (const e of r.Entities ?? []) {
          entities.push({ text: e.Text ?? '', type: e.Type ?? 'OTHER', score: e.Score ?? 0 });
        }
      }
      const keyPhrases = await clients.comprehend.send(new BatchDetectKeyPhrasesCommand(params));
      throwOnItemErrors('BatchDetectKeyPhrases', keyPhrases.ErrorList, offset);
      for (const r of keyPhrases.ResultList ?? []) {
        for (const p of r.KeyPhrases ?? []) {
          phrases.push({ text: p.Text ?? '', score: p.Score ?? 0 });
        }
      }
    }

    const overall = overallSentiment(sentiments);
    const aggregatedEntities = aggregateEntities(entities);
    const aggregatedPhrases = aggregatePhrases(phrases);
    const analysisCompleted = now();
    const job = event.job ?? {};
    const result = {
      version: 1,
      media: { bucket: media.bucket, key: media.key, format: media.mediaFormat },
      transcript: { bucket, key: transcriptKey, jobName: media.jobName },
      language: {
        transcribed: job.LanguageCode ?? null,
        identificationScore: job.IdentifiedLanguageScore ?? null,
        analysedAs: language,
        translated,
        translation: translated ? { bucket, key: event.translation.key, from: event.translation.sourceLanguageCode ?? null, to: language } : null,
      },
      sentiment: overall ?? null,
      entities: aggregatedEntities,
      keyPhrases: aggregatedPhrases,
      segments: {
        count: segments.length,
        maxBytes: segments.reduce((m, s) => Math.max(m, utf8Bytes(s)), 0),
        batches: batches.length,
        textBytes: utf8Bytes(text),
      },
      timings: {
        executionStarted: event.execution?.startTime ?? null,
        transcriptionCreated: job.CreationTime ?? null,
        transcriptionStarted: job.StartTime ?? null,
        transcriptionCompleted: job.CompletionTime ?? null,
        analysisStarted: analysisStarted.toISOString(),
        analysisCompleted: analysisCompleted.toISOString(),
        transcriptionSeconds: secondsBetween(job.StartTime ?? job.CreationTime, job.CompletionTime),
        totalSeconds: secondsBetween(event.execution?.startTime, analysisCompleted.toISOString()),
      },
      execution: event.execution?.id ?? null,
    };
    // One deterministic key per media file: a retry or a duplicate event rewrites the same object.
    await clients.s3.send(new PutObjectCommand({
      Bucket: bucket,
      Key: resultKey,
      Body: JSON.stringify(result, null, 2),
      ContentType: 'application/json',
    }));
    return {
      bucket,
      resultKey,
      language,
      translated,
      sentiment: overall?.label ?? null,
      segments: segments.length,
      entities: aggregatedEntities.length,
      keyPhrases: aggregatedPhrases.length,
    };
  };
}

function throwOnItemErrors(api: string, errors: BatchItemError[] | undefined, offset: number): void {
  if (errors && errors.length > 0) {
    throw new ComprehendBatchItemError(api, errors, offset);
  }
}

/** Seconds between two timestamps as ISO strings or epoch numbers; null when either is missing. */
function secondsBetween(from: string | number | undefined, to: string | number | undefined): number | null {
  if (from === undefined || to === undefined || from === '' || to === '') {
    return null;
  }
  const ms = toMillis(to) - toMillis(from);
  return Number.isFinite(ms) ? Math.round(ms / 100) / 10 : null;
}

function toMillis(t: string | number): number {
  // Epoch seconds (below 1e11) or milliseconds, or an ISO 8601 string.
  return typeof t === 'number' ? (t < 1e11 ? t * 1000 : t) : Date.parse(t);
}

export const handler = makeHandler(
  { s3: new S3Client({}), comprehend: new ComprehendClient({}) },
  { resultsBucket: process.env.RESULTS_BUCKET ?? '' },
);
