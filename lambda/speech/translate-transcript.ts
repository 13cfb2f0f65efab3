/**
 * The notes' Translate step: when Comprehend does not support the transcript's language,
 * translate it to English in TranslateText-sized chunks (10,000 bytes each, on sentence
 * boundaries) and write the translation next to the transcript. Only the S3 pointer goes back
 * into the state machine.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { TranslateClient, TranslateTextCommand } from '@aws-sdk/client-translate';
import { chunkByBytes, TRANSLATE_MAX_BYTES, utf8Bytes } from './chunking';
import { translateSourceFor } from './languages';
import { PreparedMedia, readText, requireString, TranscriptionJobSummary, transcriptTextOf } from './transcript';

export interface TranslateEvent {
  readonly media: PreparedMedia;
  readonly job: TranscriptionJobSummary;
}

export interface TranslationPointer {
  readonly translated: true;
  readonly bucket: string;
  readonly key: string;
  readonly sourceLanguageCode: string;
  readonly targetLanguageCode: string;
  readonly bytes: number;
  readonly requests: number;
}

export interface TranslateConfig {
  readonly resultsBucket: string;
  /** @default 'en' */
  readonly targetLanguageCode?: string;
}

export function makeHandler(clients: { s3: S3Client; translate: TranslateClient }, config: TranslateConfig) {
  const target = config.targetLanguageCode ?? 'en';
  return async (event: TranslateEvent): Promise<TranslationPointer> => {
    const transcriptKey = requireString(event?.media?.transcriptKey, 'media.transcriptKey');
    const jobName = requireString(event?.media?.jobName, 'media.jobName');
    const bucket = requireString(config.resultsBucket, 'RESULTS_BUCKET');
    const where = `s3://${bucket}/${transcriptKey}`;
    const text = transcriptTextOf(await readText(clients.s3, bucket, transcriptKey), where);
    const source = translateSourceFor(event.job?.LanguageCode);

    const parts: string[] = [];
    let detectedSource = source;
    for (const chunk of chunkByBytes(text, TRANSLATE_MAX_BYTES)) {
      const out = await clients.translate.send(new TranslateTextCommand({
        Text: chunk,
        SourceLanguageCode: source,
        TargetLanguageCode: target,
      }));
      parts.push(out.TranslatedText ?? '');
      detectedSource = out.SourceLanguageCode ?? detectedSource;
    }
    const translation = parts.join(' ');
    const key = `translations/${jobName}.${target}.txt`;
    // Same job name -> same key: a retried state overwrites the same object (idempotent).
    await clients.s3.send(new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: translation,
      ContentType: 'text/plain; charset=utf-8',
    }));
    return {
      translated: true,
      bucket,
      key,
      sourceLanguageCode: detectedSource,
      targetLanguageCode: target,
      bytes: utf8Bytes(translation),
      requests: parts.length,
    };
  };
}

export const handler = makeHandler(
  { s3: new S3Client({}), translate: new TranslateClient({}) },
  { resultsBucket: process.env.RESULTS_BUCKET ?? '' },
);
