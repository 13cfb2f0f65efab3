import {
  billedCharacters,
  composeSummary,
  escapeSsml,
  SYNTHESIZE_MAX_BILLED,
  synthesisApiFor,
  TASK_MAX_BILLED,
  totalCharacters,
} from '../../../lambda/speech/speech';

/** The SSML must be one well-formed <speak> element: every tag we did not write is escaped away. */
function tagsOf(ssml: string): string[] {
  return [...ssml.matchAll(/<\/?([a-z]+)[^>]*>/g)].map((m) => m[1]);
}

describe('escapeSsml', () => {
  it('escapes the five reserved characters, so transcript text never becomes markup', () => {
    expect(escapeSsml(`Tom & Jerry <b>"quoted"</b> it's`)).toBe('Tom &amp; Jerry &lt;b&gt;&quot;quoted&quot;&lt;/b&gt; it&apos;s');
  });

  it('replaces characters XML cannot carry (controls, lone surrogates) and keeps the rest, emoji included', () => {
    expect(escapeSsml('a\u0000b\u0007c\td\ne\uD800f\uDC00g🎙')).toBe('a b c\td\ne f g🎙');
  });
});

describe('composeSummary', () => {
  const hostile = ['</speak><audio src="https://example.com/x.mp3"/><speak>', 'R&D', '<break time="10s"/>', 'O\'Brien "the boss"', '\u0000'];

  it('speaks language, sentiment and key phrases with every phrase escaped: only our own tags in the SSML', () => {
    const summary = composeSummary({ language: 'en', sentiment: 'MIXED', keyPhrases: hostile, maxKeyPhrases: 10 });
    expect(summary.ssml.startsWith('<speak><p><s>Language: English.</s><s>Overall sentiment: mixed.</s><s>Key phrases: ')).toBe(true);
    expect(tagsOf(summary.ssml)).toEqual(['speak', 'p', 's', 's', 's', 's', 's', 'break', 'break', 'break', 'break', 's', 'p', 'speak']);
    expect(summary.ssml).toContain('&lt;/speak&gt;&lt;audio src=&quot;https://example.com/x.mp3&quot;/&gt;&lt;speak&gt;');
    expect(summary.ssml).toContain('R&amp;D');
    expect(summary.keyPhrasesSpoken).toBe(5);
  });

  it('writes the frame in the analysis language', () => {
    expect(composeSummary({ language: 'ja', sentiment: 'POSITIVE', keyPhrases: ['四半期の業績'], maxKeyPhrases: 10 }).ssml)
      .toBe('<speak><p><s>言語：日本語。</s><s>全体の感情： 肯定的。</s><s>キーフレーズ： 四半期の業績。</s></p></speak>');
    expect(composeSummary({ language: 'de', sentiment: null, keyPhrases: [], maxKeyPhrases: 10 }).ssml)
      .toBe('<speak><p><s>Sprache: Deutsch.</s><s>Keine Sprache zu analysieren.</s><s>Keine Schlüsselbegriffe.</s></p></speak>');
  });

  it('counts billed characters without tags and with each entity as one character', () => {
    const ssml = '<speak><p><s>R&amp;D &lt;3</s><break time="300ms"/></p></speak>';
    expect(billedCharacters(ssml)).toBe('R&D <3'.length);
    expect(totalCharacters(ssml)).toBe(ssml.length);
  });

  it('reads at most maxKeyPhrases, the most frequent first', () => {
    const summary = composeSummary({ language: 'en', sentiment: 'POSITIVE', keyPhrases: ['a', 'b', 'c'], maxKeyPhrases: 2 });
    expect(summary.keyPhrasesSpoken).toBe(2);
    expect(summary.ssml).toContain('Key phrases: a, <break time="300ms"/>b.');
  });

  it('picks SynthesizeSpeech up to 3,000 billed characters and the asynchronous task past them', () => {
    const phrase = 'the quarterly review of the northern region';
    const short = composeSummary({ language: 'en', sentiment: 'POSITIVE', keyPhrases: Array(10).fill(phrase), maxKeyPhrases: 10 });
    expect(short.billed).toBeLessThanOrEqual(SYNTHESIZE_MAX_BILLED);
    expect(synthesisApiFor(short)).toBe('SynthesizeSpeech');
    const long = composeSummary({ language: 'en', sentiment: 'POSITIVE', keyPhrases: Array(100).fill(phrase), maxKeyPhrases: 100 });
    expect(long.billed).toBeGreaterThan(SYNTHESIZE_MAX_BILLED);
    expect(synthesisApiFor(long)).toBe('StartSpeechSynthesisTask');
    // The boundary itself, and the total (tags included) that can exceed 6,000 before billed reaches 3,000.
    expect(synthesisApiFor({ billed: 3_000, total: 6_000 })).toBe('SynthesizeSpeech');
    expect(synthesisApiFor({ billed: 3_001, total: 3_500 })).toBe('StartSpeechSynthesisTask');
    expect(synthesisApiFor({ billed: 2_000, total: 6_001 })).toBe('StartSpeechSynthesisTask');
  });

  it('drops phrases rather than exceed the task limit (100,000 billed characters)', () => {
    const summary = composeSummary({ language: 'en', sentiment: 'NEUTRAL', keyPhrases: Array(1000).fill('x'.repeat(200)), maxKeyPhrases: 1000 });
    expect(summary.billed).toBeLessThanOrEqual(TASK_MAX_BILLED);
    expect(summary.keyPhrasesSpoken).toBeLessThan(1000);
    expect(summary.keyPhrasesSpoken).toBeGreaterThan(400);
  });

  it('refuses a bad phrase budget, naming it', () => {
    expect(() => composeSummary({ language: 'en', sentiment: null, keyPhrases: [], maxKeyPhrases: -1 })).toThrow('maxKeyPhrases must be a non-negative integer (got -1)');
  });
});
