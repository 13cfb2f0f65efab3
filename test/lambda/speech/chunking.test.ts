import {
  BATCH_MAX_DOCUMENTS,
  chunkByBytes,
  ENTITIES_MAX_BYTES,
  SENTIMENT_MAX_BYTES,
  toBatches,
  TRANSLATE_MAX_BYTES,
  utf8Bytes,
} from '../../../lambda/speech/chunking';

const graphemes = (s: string) => Array.from(new Intl.Segmenter('und', { granularity: 'grapheme' }).segment(s), (g) => g.segment);
const noSpace = (s: string) => s.replace(/\s+/g, '');

/** Every invariant a chunking must keep, whatever the text. */
function expectValidChunks(text: string, chunks: string[], maxBytes: number) {
  for (const c of chunks) {
    expect(utf8Bytes(c)).toBeLessThanOrEqual(maxBytes);
    expect(c.length).toBeGreaterThan(0);
    // A lone surrogate would mean a character was cut in half.
    expect(c).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    expect(Buffer.from(c, 'utf8').toString('utf8')).toBe(c);
  }
  // Nothing lost, nothing added (whitespace at chunk edges is trimmed).
  expect(noSpace(chunks.join(''))).toBe(noSpace(text));
}

const JAPANESE = '今日は四半期の業績についてお話しします。売上は前年比で十二パーセント増加しました。東京とシアトルのチームに感謝します。';
const EMOJI = 'Great launch 🚀🎉! The family 👩‍👩‍👧‍👦 loved it 👍🏽. Flags 🇯🇵🇺🇸 everywhere. ';

describe('chunkByBytes', () => {
  it('counts UTF-8 bytes, not characters', () => {
    expect(utf8Bytes('a')).toBe(1);
    expect(utf8Bytes('é')).toBe(2);
    expect(utf8Bytes('日')).toBe(3);
    expect(utf8Bytes('🚀')).toBe(4);
    expect(utf8Bytes('👩‍👩‍👧‍👦')).toBe(25);
  });

  it('keeps Japanese sentences whole and every chunk within the limit', () => {
    const text = JAPANESE.repeat(200); // ~33 KB, 3 bytes per character
    const chunks = chunkByBytes(text, SENTIMENT_MAX_BYTES);
    expectValidChunks(text, chunks, SENTIMENT_MAX_BYTES);
    // Characters <= limit / 3 would be the naive "5,000 characters" bug: 15 KB per chunk.
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(SENTIMENT_MAX_BYTES / 3);
    for (const c of chunks) {
      expect(c.endsWith('。')).toBe(true); // sentence boundary
    }
  });

  it('never splits an emoji, a skin tone, a ZWJ family or a flag, even with a tiny limit', () => {
    const text = EMOJI.repeat(20);
    for (const max of [25, 32, 64, 100, SENTIMENT_MAX_BYTES]) {
      const chunks = chunkByBytes(text, max);
      expectValidChunks(text, chunks, max);
      const all = new Set(graphemes(text).filter((g) => utf8Bytes(g) > 4));
      for (const c of chunks) {
        for (const g of graphemes(c).filter((x) => utf8Bytes(x) > 4)) {
          expect(all.has(g)).toBe(true); // a multi-code-point cluster arrives intact
        }
      }
    }
  });

  it('splits a single sentence longer than the limit on word, then grapheme boundaries', () => {
    const longSentence = `${'word '.repeat(3000)}end.`; // 15 KB, one sentence
    const chunks = chunkByBytes(longSentence, SENTIMENT_MAX_BYTES);
    expectValidChunks(longSentence, chunks, SENTIMENT_MAX_BYTES);
    expect(chunks.length).toBe(4);
    const noBreaks = '日'.repeat(4000); // 12 KB with no sentence or word break
    const cjk = chunkByBytes(noBreaks, SENTIMENT_MAX_BYTES);
    expectValidChunks(noBreaks, cjk, SENTIMENT_MAX_BYTES);
    expect(cjk.map(utf8Bytes)).toEqual([4998, 4998, 2004]);
  });

  it('a 60 KB transcript: Comprehend-sized segments and Translate-sized requests', () => {
    const paragraph = 'The quarterly review went well. Revenue in Seattle grew by twelve percent! ' +
      'Did the Berlin launch slip? It did, by two weeks. 日本のチームも参加しました。 🎉 ';
    const text = paragraph.repeat(Math.ceil(60_000 / utf8Bytes(paragraph))).slice(0, 60_000);
    expect(utf8Bytes(text)).toBeGreaterThanOrEqual(60_000);
    const segments = chunkByBytes(text, SENTIMENT_MAX_BYTES);
    expectValidChunks(text, segments, SENTIMENT_MAX_BYTES);
    // Packed close to the limit: at most one segment more than the byte count strictly needs.
    const minimum = Math.ceil(utf8Bytes(text) / SENTIMENT_MAX_BYTES);
    expect(segments.length).toBeGreaterThanOrEqual(minimum);
    expect(segments.length).toBeLessThanOrEqual(minimum + 1);
    expect(Math.max(...segments.map(utf8Bytes))).toBeGreaterThan(SENTIMENT_MAX_BYTES * 0.95); // chunks are full, not tiny
    const requests = chunkByBytes(text, TRANSLATE_MAX_BYTES);
    expectValidChunks(text, requests, TRANSLATE_MAX_BYTES);
    expect(requests.length).toBeLessThanOrEqual(Math.ceil(utf8Bytes(text) / TRANSLATE_MAX_BYTES) + 1);
    const entities = chunkByBytes(text, ENTITIES_MAX_BYTES);
    expect(entities).toHaveLength(1);
  });

  it('a 4-hour transcript (~250 KB): more than 25 segments, batched by 25', () => {
    const sentence = 'Speaker two said the numbers look solid and the roadmap is on track for next year. ';
    const text = sentence.repeat(3000); // 252 KB
    const segments = chunkByBytes(text, SENTIMENT_MAX_BYTES);
    expectValidChunks(text, segments, SENTIMENT_MAX_BYTES);
    expect(segments.length).toBeGreaterThan(BATCH_MAX_DOCUMENTS);
    const batches = toBatches(segments);
    expect(batches.length).toBe(Math.ceil(segments.length / BATCH_MAX_DOCUMENTS));
    expect(batches.slice(0, -1).every((b) => b.length === BATCH_MAX_DOCUMENTS)).toBe(true);
    expect(batches.at(-1)!.length).toBeLessThanOrEqual(BATCH_MAX_DOCUMENTS);
    expect(batches.flat()).toEqual(segments);
  });

  it('an empty or blank transcript gives no chunks (and no Comprehend calls)', () => {
    expect(chunkByBytes('', SENTIMENT_MAX_BYTES)).toEqual([]);
    expect(chunkByBytes(' \n\t  ', SENTIMENT_MAX_BYTES)).toEqual([]);
    expect(toBatches([])).toEqual([]);
  });

  it('rejects limits that could not hold a character, naming the value', () => {
    expect(() => chunkByBytes('abc', 3)).toThrow('maxBytes must be an integer >= 4 (got 3)');
    expect(() => chunkByBytes('abc', 4.5)).toThrow('(got 4.5)');
    expect(() => toBatches([1], 0)).toThrow('Batch size must be a positive integer (got 0)');
  });

  it('a grapheme cluster larger than the limit is an error, not a split character', () => {
    expect(() => chunkByBytes('ok 👩‍👩‍👧‍👦', 8)).toThrow(/25 bytes exceeds maxBytes 8/);
  });
});
