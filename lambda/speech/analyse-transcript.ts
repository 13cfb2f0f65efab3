/**
 * The notes' Comprehend step: read the transcript (or its English translation) from S3, split it
 * on sentence boundaries into segments at each API's own limit (5,000 bytes for sentiment, sent 25
 * at a time to BatchDetectSentiment; 100 KB for DetectEntities and DetectKeyPhrases, so entities
 * and phrases keep their context), aggregate, and write the analysis beside the transcript for
 * SpeakSummary and WriteResult. Segments never travel through the state machine (256 KiB limit).
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  BatchDetectSentimentCommand,
  BatchItemError,
  ComprehendClient,
  DetectEntitiesCommand,
  DetectKeyPhrasesCommand,
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
import { BATCH_MAX_DOCUMENTS, chunkByBytes, ENTITIES_MAX_BYTES, KEY_PHRASES_MAX_BYTES, SENTIMENT_MAX_BYTES, toBatches, utf8Bytes } from './chunking';
import { comprehendLanguageFor } from './languages';
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
  readonly analysisKey: string;
  readonly language: string;
  readonly translated: boolean;
  readonly sentiment: string | null;
  /** Documents sent to each API. */
  readonly segments: { readonly sentiment: number; readonly entities: number; readonly keyPhrases: number };
  readonly entities: number;
  readonly keyPhrases: number;
}

/** How a text was cut for one API: documents, the largest, and the limit they respect. */
function segmentFigures(segments: readonly string[], limitBytes: number) {
  return { count: segments.length, maxBytes: segments.reduce((m, s) => Math.max(m, utf8Bytes(s)), 0), limitBytes };
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
    const analysisKey = requireString(media?.analysisKey, 'media.analysisKey');
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

    const sentimentSegments = chunkByBytes(text, SENTIMENT_MAX_BYTES);
    const entitySegments = chunkByBytes(text, ENTITIES_MAX_BYTES);
    const phraseSegments = chunkByBytes(text, KEY_PHRASES_MAX_BYTES);
    const languageCode = language as LanguageCode;

    const sentiments: SegmentSentiment[] = [];
    const batches = toBatches(sentimentSegments);
    for (const [b, batch] of batches.entries()) {
      const answer = await clients.comprehend.send(new BatchDetectSentimentCommand({ TextList: batch, LanguageCode: languageCode }));
      throwOnItemErrors('BatchDetectSentiment', answer.ErrorList, b * BATCH_MAX_DOCUMENTS);
      // Results come back by Index, not necessarily in order: place each at its segment.
      const byIndex = new Map((answer.ResultList ?? []).map((r) => [r.Index ?? -1, r]));
      for (const [i, segment] of batch.entries()) {
        const s = byIndex.get(i)?.SentimentScore;
        if (!s) {
          throw new Error(`BatchDetectSentiment returned no result for segment ${b * BATCH_MAX_DOCUMENTS + i}`);
        }
        sentiments.push({
          bytes: utf8Bytes(segment),
          scores: { positive: s.Positive ?? 0, negative: s.Negative ?? 0, neutral: s.Neutral ?? 0, mixed: s.Mixed ?? 0 },
        });
      }
    }
    const entities: EntityMention[] = [];
    for (const segment of entitySegments) {
      const found = await clients.comprehend.send(new DetectEntitiesCommand({ Text: segment, LanguageCode: languageCode }));
      for (const e of found.Entities ?? []) {
        entities.push({ text: e.Text ?? '', type: e.Type ?? 'OTHER', score: e.Score ?? 0 });
      }
    }
    const phrases: PhraseMention[] = [];
    for (const segment of phraseSegments) {
      const found = await clients.comprehend.send(new DetectKeyPhrasesCommand({ Text: segment, LanguageCode: languageCode }));
      for (const p of found.KeyPhrases ?? []) {
        phrases.push({ text: p.Text ?? '', score: p.Score ?? 0 });
      }
    }

    const overall = overallSentiment(sentiments);
    const aggregatedEntities = aggregateEntities(entities);
    const aggregatedPhrases = aggregatePhrases(phrases);
    const analysisCompleted = now();
    const job = event.job ?? {};
    const result = {
      version: 2,
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
        textBytes: utf8Bytes(text),
        sentiment: { ...segmentFigures(sentimentSegments, SENTIMENT_MAX_BYTES), api: 'BatchDetectSentiment', calls: batches.length },
        entities: { ...segmentFigures(entitySegments, ENTITIES_MAX_BYTES), api: 'DetectEntities', calls: entitySegments.length },
        keyPhrases: { ...segmentFigures(phraseSegments, KEY_PHRASES_MAX_BYTES), api: 'DetectKeyPhrases', calls: phraseSegments.length },
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
    // One key per execution (the job name): a retried state rewrites the same object.
    await clients.s3.send(new PutObjectCommand({
      Bucket: bucket,
      Key: analysisKey,
      Body: JSON.stringify(result, null, 2),
      ContentType: 'application/json',
    }));
    return {
      bucket,
      analysisKey,
      language,
      translated,
      sentiment: overall?.label ?? null,
      segments: { sentiment: sentimentSegments.length, entities: entitySegments.length, keyPhrases: phraseSegments.length },
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
