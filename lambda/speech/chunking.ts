/**
 * Byte-aware text chunking for Amazon Comprehend and Amazon Translate.
 *
 * Their limits count UTF-8 **bytes**, not characters: a 5,000-character Japanese transcript is
 * ~15,000 bytes and an emoji is 4 (a family emoji with joiners, 18). Chunks end on sentence
 * boundaries where a sentence fits, on word boundaries where it does not, and on grapheme
 * boundaries as the last resort, so no chunk ever splits a character (or a surrogate pair, or a
 * combining sequence).
 */

/*
 * Limits as the current API reference states them (the models in @aws-sdk/client-comprehend,
 * https://docs.aws.amazon.com/comprehend/latest/APIReference/). "KB" is read as 1,000 bytes, the
 * smaller reading, so a segment fits whichever one the service applies.
 */
/**
 * DetectSentiment and each BatchDetectSentiment document: "The maximum string size is 5 KB"
 * (BatchDetectSentimentRequest.TextList: "The maximum size of each document is 5 KB"). Older
 * documentation said sentiment reads only the first 500 characters of a document; the current API
 * reference no longer says so, and this chain follows the API reference: full 5 KB segments.
 */
export const SENTIMENT_MAX_BYTES = 5_000;
/** DetectEntities: "A UTF-8 text string. The maximum string size is 100 KB." */
export const ENTITIES_MAX_BYTES = 100_000;
/** DetectKeyPhrases: "The string must contain less than 100 KB of UTF-8 encoded characters" (strictly less). */
export const KEY_PHRASES_MAX_BYTES = 99_999;
/** Documents per BatchDetectSentiment call: "The list can contain a maximum of 25 documents." */
export const BATCH_MAX_DOCUMENTS = 25;
/** TranslateText: "The text string can be a maximum of 10,000 bytes long." */
export const TRANSLATE_MAX_BYTES = 10_000;

const encoder = new TextEncoder();

export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

const sentenceSegmenter = new Intl.Segmenter('und', { granularity: 'sentence' });
const wordSegmenter = new Intl.Segmenter('und', { granularity: 'word' });
const graphemeSegmenter = new Intl.Segmenter('und', { granularity: 'grapheme' });

function segments(segmenter: Intl.Segmenter, text: string): string[] {
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

/**
 * Split `text` into chunks of at most `maxBytes` UTF-8 bytes, each trimmed and non-empty.
 * Whitespace-only or empty text gives no chunks.
 */
export function chunkByBytes(text: string, maxBytes: number): string[] {
  if (!Number.isInteger(maxBytes) || maxBytes < 4) {
    // 4 bytes is the longest single code point; anything less could not hold every character.
    throw new Error(`maxBytes must be an integer >= 4 (got ${maxBytes})`);
  }
  const chunks: string[] = [];
  let current = '';
  let currentBytes = 0;
  const flush = () => {
    const trimmed = current.trim();
    if (trimmed.length > 0) {
      chunks.push(trimmed);
    }
    current = '';
    currentBytes = 0;
  };
  const add = (piece: string, pieceBytes: number) => {
    if (currentBytes + pieceBytes > maxBytes) {
      flush();
    }
    current += piece;
    currentBytes += pieceBytes;
  };
  // Fall back level by level: sentence, then word, then grapheme cluster.
  const levels = [sentenceSegmenter, wordSegmenter, graphemeSegmenter];
  const place = (piece: string, level: number): void => {
    const bytes = utf8Bytes(piece);
    if (bytes <= maxBytes) {
      add(piece, bytes);
      return;
    }
    if (level >= levels.length) {
      throw new Error(`A single character sequence of ${bytes} bytes exceeds maxBytes ${maxBytes}: ${JSON.stringify(piece.slice(0, 20))}`);
    }
    for (const sub of segments(levels[level], piece)) {
      place(sub, level + 1);
    }
  };
  for (const sentence of segments(sentenceSegmenter, text)) {
    place(sentence, 1);
  }
  flush();
  return chunks;
}

/** Group items into batches of at most `size` (25 for Comprehend's Batch* APIs). */
export function toBatches<T>(items: readonly T[], size = BATCH_MAX_DOCUMENTS): T[][] {
  if (!Number.isInteger(size) || size < 1) {
    throw new Error(`Batch size must be a positive integer (got ${size})`);
  }
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    batches.push(items.slice(i, i + size));
  }
  return batches;
}
