import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** The part of a Transcribe output file this chain reads. */
interface TranscribeOutput {
  results?: { transcripts?: Array<{ transcript?: string }> };
}

/** Read an S3 object as UTF-8 text. */
export async function readText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!object.Body) {
    throw new Error(`s3://${bucket}/${key} has no body`);
  }
  return object.Body.transformToString('utf-8');
}

/** The transcript text of a Transcribe output JSON; throws naming the object when it is not one. */
export function transcriptTextOf(json: string, where: string): string {
  let parsed: TranscribeOutput;
  try {
    parsed = JSON.parse(json) as TranscribeOutput;
  } catch (err) {
    throw new Error(`${where} is not JSON: ${(err as Error).message}`);
  }
  const transcripts = parsed?.results?.transcripts;
  if (!Array.isArray(transcripts)) {
    throw new Error(`${where} is not a Transcribe output (no results.transcripts)`);
  }
  return transcripts.map((t) => t.transcript ?? '').join('\n');
}

/** Fields of the TranscriptionJob (from GetTranscriptionJob) the handlers read. */
export interface TranscriptionJobSummary {
  readonly TranscriptionJobName?: string;
  readonly LanguageCode?: string;
  readonly IdentifiedLanguageScore?: number;
  /** ISO 8601 as Step Functions serialises SDK timestamps (epoch numbers are accepted too). */
  readonly CreationTime?: string | number;
  readonly StartTime?: string | number;
  readonly CompletionTime?: string | number;
}

/** The media record PrepareMedia returns and the state machine carries. */
export interface PreparedMedia {
  readonly accepted: boolean;
  readonly reason: string | null;
  readonly bucket: string;
  readonly key: string;
  readonly mediaUri: string;
  readonly mediaFormat: string | null;
  readonly jobName: string;
  readonly transcriptKey: string;
  /** Comprehend's findings, written by AnalyseTranscript, read by SpeakSummary and WriteResult. */
  readonly analysisKey: string;
  /** The spoken summary SynthesizeSpeech writes. */
  readonly speechKey: string;
  /** OutputS3KeyPrefix of a StartSpeechSynthesisTask (Polly appends `<task id>.mp3`). */
  readonly speechTaskPrefix: string;
  readonly resultKey: string;
  readonly rejectionKey: string;
}

export function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new Error(`${name} must be a non-empty string (got ${JSON.stringify(value)})`);
  }
  return value;
}
