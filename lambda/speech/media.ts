/**
 * What Amazon Transcribe accepts, how a transcription job is named, and which languages Amazon
 * Comprehend analyses directly. Pure functions: the stack builds its Choice rules from the same
 * constants, so the state machine and the handlers cannot disagree.
 */

/** File extension -> Transcribe MediaFormat (the formats batch transcription accepts). */
export const MEDIA_FORMATS: Readonly<Record<string, string>> = {
  amr: 'amr',
  flac: 'flac',
  m4a: 'm4a',
  mp3: 'mp3',
  mp4: 'mp4',
  ogg: 'ogg',
  webm: 'webm',
  wav: 'wav',
};

/** Transcribe rejects media files of 2 GB or more. */
export const MAX_MEDIA_BYTES = 2 * 1024 ** 3;

/** Transcription job names: 1-200 characters of [0-9a-zA-Z._-]. */
export const JOB_NAME_MAX_LENGTH = 200;
export const JOB_NAME_PATTERN = /^[0-9a-zA-Z._-]{1,200}$/;

/** Transcribe's MediaFormat for a key, or undefined when the extension is not one it accepts. */
export function mediaFormatOf(key: string): string | undefined {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  if (dot <= 0) {
    return undefined;
  }
  return MEDIA_FORMATS[name.slice(dot + 1).toLowerCase()];
}

/**
 * Why Transcribe would refuse this object, or undefined when it is acceptable as far as we can
 * tell without decoding it (length over 4 hours shows up as a FAILED job, with its reason).
 */
export function rejectionReason(key: string, sizeBytes: number): string | undefined {
  if (mediaFormatOf(key) === undefined) {
    const name = key.slice(key.lastIndexOf('/') + 1);
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 ? `.${name.slice(dot + 1)}` : 'no extension';
    return `Unsupported media format (${ext}) for ${key}: Transcribe accepts ${Object.keys(MEDIA_FORMATS).join(', ')}`;
  }
  if (sizeBytes === 0) {
    return `Empty media file ${key} (0 bytes)`;
  }
  if (sizeBytes >= MAX_MEDIA_BYTES) {
    return `Media file ${key} is ${sizeBytes} bytes: Transcribe accepts files under 2 GB (${MAX_MEDIA_BYTES} bytes)`;
  }
  return undefined;
}

function sanitize(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // combining accents left by NFKD: "é" -> "e"
    .replace(/[^0-9A-Za-z._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
}

/**
 * A valid, unique transcription job name: a readable stem from the file name plus the execution
 * name, which Step Functions keeps unique per state machine. Unicode, spaces and very long keys
 * reduce to [0-9a-zA-Z._-]; the execution suffix is never truncated, so two files with the same
 * stem never collide.
 */
export function jobNameFor(key: string, executionName: string): string {
  const suffix = sanitize(executionName).slice(0, 80) || 'execution';
  const file = key.slice(key.lastIndexOf('/') + 1);
  const dot = file.lastIndexOf('.');
  const stemSource = dot > 0 ? file.slice(0, dot) : file;
  const room = JOB_NAME_MAX_LENGTH - suffix.length - 1;
  const stem = sanitize(sanitize(stemSource).slice(0, room)) || 'media';
  return `${stem}-${suffix}`;
}

/**
 * Languages the three Comprehend APIs used here (DetectSentiment, DetectEntities,
 * DetectKeyPhrases and their Batch* forms) all support, by the primary subtag of Transcribe's
 * language code. Anything else is translated to English first.
 */
export const COMPREHEND_LANGUAGES: readonly string[] = ['ar', 'de', 'en', 'es', 'fr', 'hi', 'it', 'ja', 'ko', 'pt', 'zh'];

/** Comprehend's language code for a Transcribe language code, or undefined when it needs Translate. */
export function comprehendLanguageFor(transcribeCode: string | undefined): string | undefined {
  if (!transcribeCode) {
    return undefined;
  }
  const [primary] = transcribeCode.split('-');
  if (!COMPREHEND_LANGUAGES.includes(primary)) {
    return undefined;
  }
  // Comprehend tells Traditional Chinese apart; Transcribe's zh-TW is Traditional.
  return transcribeCode === 'zh-TW' ? 'zh-TW' : primary;
}

/** The `StringMatches` patterns the state machine's language Choice uses. */
export function comprehendLanguagePatterns(): string[] {
  return COMPREHEND_LANGUAGES.map((l) => `${l}-*`);
}

/** Translate's source code for a Transcribe code ("auto" lets Translate detect it). */
export function translateSourceFor(transcribeCode: string | undefined): string {
  if (!transcribeCode) {
    return 'auto';
  }
  // Translate distinguishes these regional variants; for everything else the primary subtag.
  const regional = ['fr-CA', 'es-MX', 'pt-PT', 'zh-TW', 'fa-AF'];
  return regional.includes(transcribeCode) ? transcribeCode : transcribeCode.split('-')[0];
}

/**
 * S3 object keys as an S3 event carries them may be URL-encoded ("my file.mp3" as
 * "my+file.mp3"). The candidates to try, the key as received first.
 */
export function keyCandidates(eventKey: string): string[] {
  let decoded: string | undefined;
  try {
    decoded = decodeURIComponent(eventKey.replace(/\+/g, ' '));
  } catch {
    decoded = undefined; // a literal "%" that is not an escape: the key is not encoded
  }
  return decoded !== undefined && decoded !== eventKey ? [eventKey, decoded] : [eventKey];
}
