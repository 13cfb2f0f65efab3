/**
 * The notes' Polly step: speak a short summary of the analysis (language, overall sentiment, top
 * key phrases) in a standard voice of the language it was analysed in. SynthesizeSpeech writes the
 * MP3 here when the SSML is within its limits; past them StartSpeechSynthesisTask has Polly write
 * it to S3 itself and the state machine polls the task. A language Polly has no voice for is an
 * outcome recorded in the result, not an error.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  Engine,
  EngineNotSupportedException,
  LanguageCode as PollyLanguageCode,
  LanguageNotSupportedException,
  PollyClient,
  StartSpeechSynthesisTaskCommand,
  SynthesizeSpeechCommand,
  VoiceId,
} from '@aws-sdk/client-polly';
import { COMPREHEND_LANGUAGES, ComprehendLanguage, POLLY_ENGINE, voiceFor } from './languages';
import { composeSummary, synthesisApiFor } from './speech';
import { PreparedMedia, readText, requireString } from './transcript';

export interface SpeakEvent {
  readonly media: PreparedMedia;
}

interface Spoken {
  readonly voiceId: string;
  readonly languageCode: string;
  readonly engine: string;
  /** Characters Polly bills (text outside SSML tags). */
  readonly billedCharacters: number;
  readonly keyPhrasesSpoken: number;
}

export type SpeechOutcome =
  | (Spoken & { readonly status: 'SYNTHESIZED'; readonly api: 'SynthesizeSpeech'; readonly bucket: string; readonly key: string; readonly requestCharacters: number | null })
  | (Spoken & { readonly status: 'STARTED'; readonly api: 'StartSpeechSynthesisTask'; readonly taskId: string; readonly outputUri: string | null })
  | { readonly status: 'NO_VOICE'; readonly language: string; readonly reason: string };

/** The fields of AnalyseTranscript's document this step reads. */
interface AnalysisDocument {
  language?: { transcribed?: string | null; analysedAs?: string; translated?: boolean };
  sentiment?: { label?: string } | null;
  keyPhrases?: Array<{ text?: string }>;
}

export interface SpeakConfig {
  readonly resultsBucket: string;
  /** Most key phrases the summary reads out. @default 10 */
  readonly maxKeyPhrases?: number;
}

function parseAnalysis(json: string, where: string): AnalysisDocument {
  try {
    return JSON.parse(json) as AnalysisDocument;
  } catch (err) {
    throw new Error(`${where} is not JSON: ${(err as Error).message}`);
  }
}

export function makeHandler(clients: { s3: S3Client; polly: PollyClient }, config: SpeakConfig) {
  const maxKeyPhrases = config.maxKeyPhrases ?? 10;
  return async (event: SpeakEvent): Promise<SpeechOutcome> => {
    const bucket = requireString(config.resultsBucket, 'RESULTS_BUCKET');
    const analysisKey = requireString(event?.media?.analysisKey, 'media.analysisKey');
    const speechKey = requireString(event.media.speechKey, 'media.speechKey');
    const taskPrefix = requireString(event.media.speechTaskPrefix, 'media.speechTaskPrefix');
    const where = `s3://${bucket}/${analysisKey}`;
    const analysis = parseAnalysis(await readText(clients.s3, bucket, analysisKey), where);

    const analysedAs = analysis.language?.analysedAs;
    if (!COMPREHEND_LANGUAGES.includes(analysedAs as ComprehendLanguage)) {
      throw new Error(`${where} has no analysis language this chain knows (got ${JSON.stringify(analysedAs)})`);
    }
    const transcribed = analysis.language?.transcribed ?? undefined;
    const voice = voiceFor(transcribed, analysis.language?.translated === true);
    if (!voice) {
      return { status: 'NO_VOICE', language: transcribed ?? analysedAs!, reason: `Amazon Polly has no ${POLLY_ENGINE} voice for ${transcribed ?? analysedAs}` };
    }
    const summary = composeSummary({
      language: analysedAs as ComprehendLanguage,
      sentiment: (analysis.sentiment?.label ?? null) as Parameters<typeof composeSummary>[0]['sentiment'],
      keyPhrases: (analysis.keyPhrases ?? []).map((p) => p.text ?? '').filter((t) => t.length > 0),
      maxKeyPhrases,
    });
    const request = {
      Engine: POLLY_ENGINE as Engine,
      VoiceId: voice.voiceId as VoiceId,
      LanguageCode: voice.languageCode as PollyLanguageCode,
      OutputFormat: 'mp3' as const,
      TextType: 'ssml' as const,
      Text: summary.ssml,
    };
    const spoken: Spoken = { voiceId: voice.voiceId, languageCode: voice.languageCode, engine: POLLY_ENGINE, billedCharacters: summary.billed, keyPhrasesSpoken: summary.keyPhrasesSpoken };
    try {
      if (synthesisApiFor(summary) === 'SynthesizeSpeech') {
        const audio = await clients.polly.send(new SynthesizeSpeechCommand(request));
        if (!audio.AudioStream) {
          throw new Error(`SynthesizeSpeech returned no audio for ${where}`);
        }
        // At most 3,000 billed characters: a few minutes of speech, a few MB of MP3 at most.
        const body = await audio.AudioStream.transformToByteArray();
        await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: speechKey, Body: body, ContentType: audio.ContentType ?? 'audio/mpeg' }));
        return { ...spoken, status: 'SYNTHESIZED', api: 'SynthesizeSpeech', bucket, key: speechKey, requestCharacters: audio.RequestCharacters ?? null };
      }
      // Polly writes `<prefix><task id>.mp3` itself, with this function's permissions (forward access session).
      const started = await clients.polly.send(new StartSpeechSynthesisTaskCommand({ ...request, OutputS3BucketName: bucket, OutputS3KeyPrefix: taskPrefix }));
      const taskId = started.SynthesisTask?.TaskId;
      if (!taskId) {
        throw new Error(`StartSpeechSynthesisTask returned no task id for ${where}`);
      }
      return { ...spoken, status: 'STARTED', api: 'StartSpeechSynthesisTask', taskId, outputUri: started.SynthesisTask?.OutputUri ?? null };
    } catch (err) {
      // The voice or its engine is not offered (in this Region): the summary cannot be spoken; recorded.
      if (err instanceof EngineNotSupportedException || err instanceof LanguageNotSupportedException) {
        return { status: 'NO_VOICE', language: transcribed ?? analysedAs!, reason: `Amazon Polly refused voice ${voice.voiceId} (${voice.languageCode}, ${POLLY_ENGINE}): ${err.name}: ${err.message}` };
      }
      throw err;
    }
  };
}

export const handler = makeHandler(
  { s3: new S3Client({}), polly: new PollyClient({}) },
  { resultsBucket: process.env.RESULTS_BUCKET ?? '', maxKeyPhrases: Number(process.env.MAX_KEY_PHRASES ?? 10) },
);
