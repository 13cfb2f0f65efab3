/**
 * Last step of the speech chain: the result JSON a user reads, written once, complete. It is
 * AnalyseTranscript's analysis plus what became of the spoken summary (an MP3 and its voice, a
 * Polly task that failed or ran out of time, or no voice for the language), at the key PrepareMedia
 * derived from the media key.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SpeechOutcome } from './speak-summary';
import { PreparedMedia, readText, requireString } from './transcript';

/**
 * The last GetSpeechSynthesisTask answer as the state machine keeps it: the task's status and its
 * SynthesisTask, or `{ status: "timedOut" }` when the status checks ran out.
 */
export interface SynthesisTaskStatus {
  readonly status: string;
  readonly detail?: { readonly TaskStatusReason?: string; readonly OutputUri?: string; readonly RequestCharacters?: number };
}

export interface WriteResultEvent {
  readonly media: PreparedMedia;
  readonly speech: SpeechOutcome & { readonly task?: SynthesisTaskStatus };
  readonly execution?: { readonly id?: string; readonly startTime?: string };
}

export type SpeechRecord = Record<string, unknown> & { readonly status: 'SYNTHESIZED' | 'NO_VOICE' | 'FAILED' | 'TIMED_OUT' };

export interface ResultSummary {
  readonly bucket: string;
  readonly resultKey: string;
  readonly language: string | null;
  readonly translated: boolean;
  readonly sentiment: string | null;
  readonly entities: number;
  readonly keyPhrases: number;
  readonly speech: { readonly status: string; readonly uri: string | null };
}

/** What the result says about the spoken summary, from SpeakSummary's outcome and the task's last status. */
export function speechRecord(speech: WriteResultEvent['speech']): SpeechRecord {
  switch (speech?.status) {
    case 'SYNTHESIZED':
    case 'NO_VOICE':
      return { ...speech };
    case 'STARTED': {
      const { task, ...started } = speech;
      const status = task?.status;
      if (status === 'completed') {
        return { ...started, status: 'SYNTHESIZED', outputUri: task?.detail?.OutputUri ?? started.outputUri, requestCharacters: task?.detail?.RequestCharacters ?? null };
      }
      if (status === 'failed') {
        return { ...started, status: 'FAILED', reason: task?.detail?.TaskStatusReason ?? 'Polly reported the task failed without a reason' };
      }
      if (status === 'timedOut') {
        return { ...started, status: 'TIMED_OUT', reason: `Task ${started.taskId} had not finished after the status checks allowed; it may still complete and write its MP3` };
      }
      throw new Error(`Speech synthesis task ${started.taskId} ended in an unexpected status ${JSON.stringify(status)}`);
    }
    default:
      throw new Error(`speech.status must be SYNTHESIZED, STARTED or NO_VOICE (got ${JSON.stringify((speech as { status?: unknown })?.status)})`);
  }
}

export function makeHandler(s3: S3Client, config: { readonly resultsBucket: string; readonly now?: () => Date }) {
  const now = config.now ?? (() => new Date());
  return async (event: WriteResultEvent): Promise<ResultSummary> => {
    const bucket = requireString(config.resultsBucket, 'RESULTS_BUCKET');
    const analysisKey = requireString(event?.media?.analysisKey, 'media.analysisKey');
    const resultKey = requireString(event.media.resultKey, 'media.resultKey');
    const speech = speechRecord(event.speech);
    const where = `s3://${bucket}/${analysisKey}`;
    let analysis: Record<string, unknown> & { timings?: Record<string, unknown> };
    try {
      analysis = JSON.parse(await readText(s3, bucket, analysisKey));
    } catch (err) {
      throw new Error(`${where} is not JSON: ${(err as Error).message}`);
    }
    const written = now().toISOString();
    const started = event.execution?.startTime;
    const result = {
      ...analysis,
      speech,
      timings: {
        ...analysis.timings,
        resultWritten: written,
        totalSeconds: started ? Math.round((Date.parse(written) - Date.parse(started)) / 100) / 10 : null,
      },
    };
    // A retry or a duplicate event for the same media rewrites the same object.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: resultKey, Body: JSON.stringify(result, null, 2), ContentType: 'application/json' }));
    const language = analysis.language as { analysedAs?: string; translated?: boolean } | undefined;
    const sentiment = analysis.sentiment as { label?: string } | null | undefined;
    const uri = speech.status !== 'SYNTHESIZED' ? null
      : typeof speech.outputUri === 'string' ? speech.outputUri : `s3://${String(speech.bucket)}/${String(speech.key)}`;
    return {
      bucket,
      resultKey,
      language: language?.analysedAs ?? null,
      translated: language?.translated === true,
      sentiment: sentiment?.label ?? null,
      entities: Array.isArray(analysis.entities) ? analysis.entities.length : 0,
      keyPhrases: Array.isArray(analysis.keyPhrases) ? analysis.keyPhrases.length : 0,
      speech: { status: speech.status, uri },
    };
  };
}

export const handler = makeHandler(new S3Client({}), { resultsBucket: process.env.RESULTS_BUCKET ?? '' });
