/**
 * S3 keys the chain derives from a media key. S3 keys are at most 1,024 bytes of UTF-8
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html), and a media key can be
 * that long already, so `results/<media key>.json` would not fit: the write would fail after
 * Transcribe and Comprehend have been paid for.
 */
import { createHash } from 'node:crypto';

/** "The name for a key is a sequence of Unicode characters whose UTF-8 encoding is at most 1,024 bytes long." */
export const S3_KEY_MAX_BYTES = 1_024;

const encoder = new TextEncoder();
const bytesOf = (s: string) => encoder.encode(s).length;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The longest prefix of `text` of at most `maxBytes` UTF-8 bytes that ends on a code point boundary. */
export function cutToBytes(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const size = bytesOf(ch);
    if (bytes + size > maxBytes) {
      break;
    }
    bytes += size;
    end += ch.length;
  }
  return text.slice(0, end);
}

/**
 * `prefix + key + suffix` when that is shorter than 1,024 bytes (every key of ordinary length
 * keeps its readable form); otherwise exactly 1,024 bytes: the start of the key, `~`, and the full
 * SHA-256 of the key. The two forms never meet: readable keys are at most 1,023 bytes, derived
 * ones exactly 1,024, and two derived keys differ wherever their media keys do (SHA-256). The cut
 * is on a code point boundary and padded with `~` to the exact length, so the key stays valid UTF-8.
 */
export function boundedKey(prefix: string, key: string, suffix: string): string {
  const readable = `${prefix}${key}${suffix}`;
  if (bytesOf(readable) < S3_KEY_MAX_BYTES) {
    return readable;
  }
  const digest = sha256Hex(key);
  const room = S3_KEY_MAX_BYTES - bytesOf(prefix) - bytesOf(suffix) - digest.length - 1;
  if (room < 0) {
    throw new Error(`Prefix and suffix leave no room for a key (got ${JSON.stringify(prefix)} and ${JSON.stringify(suffix)})`);
  }
  const head = cutToBytes(key, room);
  const padding = '~'.repeat(room - bytesOf(head) + 1);
  return `${prefix}${head}${padding}${digest}${suffix}`;
}
