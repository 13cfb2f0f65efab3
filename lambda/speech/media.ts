/**
 * What Amazon Transcribe accepts and how a transcription job is named. Pure functions, shared by
 * the handlers and their tests.
 */
import { sha256Hex } from './keys';

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

/** Hex characters of the SHA-256 digest a job name carries (64 bits: no collision in practice). */
export const JOB_NAME_DIGEST_LENGTH = 16;
/** Most characters of the execution name kept readable in a job name. */
const READABLE_EXECUTION_LENGTH = 40;

/**
 * A valid transcription job name, unique per execution: a readable stem from the file name, a
 * readable part of the execution name, and a digest of the execution's exact ARN. The readable
 * parts lose characters to Transcribe's alphabet (`run(1)` and `run-1`, `東京` and `大阪`,
 * `réunion` and `reunion` read the same), the digest does not; the ARN names the state machine
 * too, so two stacks in one account never share a job name (Transcribe names are unique per
 * account and Region).
 */
export function jobNameFor(key: string, executionName: string, executionArn: string): string {
  const digest = sha256Hex(executionArn).slice(0, JOB_NAME_DIGEST_LENGTH);
  const readable = sanitize(sanitize(executionName).slice(0, READABLE_EXECUTION_LENGTH));
  const suffix = readable ? `${readable}-${digest}` : digest;
  const file = key.slice(key.lastIndexOf('/') + 1);
  const dot = file.lastIndexOf('.');
  const stemSource = dot > 0 ? file.slice(0, dot) : file;
  const room = JOB_NAME_MAX_LENGTH - suffix.length - 1;
  const stem = sanitize(sanitize(stemSource).slice(0, room)) || 'media';
  return `${stem}-${suffix}`;
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
