import { boundedKey, cutToBytes, S3_KEY_MAX_BYTES } from '../../../lambda/speech/keys';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
/** A valid S3 key of exactly `n` bytes under media/, built from `unit`. */
function keyOfBytes(n: number, unit: string, tail = ''): string {
  let key = `media/${tail}`;
  while (bytes(key + unit) <= n) {
    key += unit;
  }
  return key + 'x'.repeat(n - bytes(key));
}

describe('boundedKey', () => {
  it('keeps ordinary keys readable', () => {
    expect(boundedKey('results/', 'media/interview.mp3', '.json')).toBe('results/media/interview.mp3.json');
  });

  it('a 1,024-byte media key gives a result key of at most 1,024 bytes (the readable form would be 1,037)', () => {
    const media = keyOfBytes(S3_KEY_MAX_BYTES, 'a');
    expect(bytes(`results/${media}.json`)).toBe(1_037);
    const key = boundedKey('results/', media, '.json');
    expect(bytes(key)).toBe(S3_KEY_MAX_BYTES);
    expect(key.startsWith('results/media/aaa')).toBe(true);
    expect(key.endsWith('.json')).toBe(true);
  });

  it.each(['a', 'é', '日', '🎙️', '👩‍👩‍👧‍👦'])('cuts multi-byte keys on a character boundary (%s): valid UTF-8, exactly 1,024 bytes', (unit) => {
    for (let n = S3_KEY_MAX_BYTES - 20; n <= S3_KEY_MAX_BYTES; n++) {
      const media = keyOfBytes(n, unit);
      for (const [prefix, suffix] of [['results/', '.json'], ['rejections/', '.json']]) {
        const key = boundedKey(prefix, media, suffix);
        expect(bytes(key)).toBeLessThanOrEqual(S3_KEY_MAX_BYTES);
        expect(Buffer.from(key, 'utf8').toString('utf8')).toBe(key);
        expect(key).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
      }
    }
  });

  it('stays unique over a generated set of long keys that differ only past the cut, and never meets a readable key', () => {
    const keys = new Set<string>();
    const derived = new Set<string>();
    for (let i = 0; i < 5_000; i++) {
      const media = `${keyOfBytes(1_012, 'é')}/${i}-${'z'.repeat(i % 30)}`; // 1,015-1,047 bytes, same first 1,012
      keys.add(media);
      derived.add(boundedKey('results/', media, '.json'));
    }
    expect(derived.size).toBe(keys.size);
    // A readable result key is at most 1,023 bytes, a derived one exactly 1,024: no media key can
    // name another's derived key by writing it out.
    for (const k of derived) {
      expect(bytes(k)).toBe(S3_KEY_MAX_BYTES);
    }
    expect(bytes(boundedKey('results/', keyOfBytes(1_010, 'a'), '.json'))).toBe(1_023);
  });

  it('cutToBytes never splits a code point', () => {
    expect(cutToBytes('aé日🎙', 3)).toBe('aé');
    expect(cutToBytes('aé日🎙', 6)).toBe('aé日');
    expect(cutToBytes('🎙', 3)).toBe('');
  });

  it('refuses a prefix and suffix that leave no room, naming them', () => {
    expect(() => boundedKey('p'.repeat(1_000), 'k'.repeat(100), '.json')).toThrow(/Prefix and suffix leave no room/);
  });
});
