import {
  comprehendLanguageFor,
  comprehendLanguagePatterns,
  JOB_NAME_PATTERN,
  jobNameFor,
  keyCandidates,
  MAX_MEDIA_BYTES,
  mediaFormatOf,
  rejectionReason,
  translateSourceFor,
} from '../../../lambda/speech/media';

const EXECUTION = 'a1b2c3d4-0000-4000-8000-000000000001';

describe('jobNameFor', () => {
  it.each([
    ['media/interview.mp3', 'interview'],
    ['media/Ünïcödé räksmörgås.wav', 'Unicode-raksmorgas'],
    ['media/日本語の会議.m4a', 'media'],
    ['media/"quoted" name; DROP TABLE.flac', 'quoted-name-DROP-TABLE'],
    ['media/  spaces   and\ttabs .ogg', 'spaces-and-tabs'],
    ['media/.hidden', 'hidden'],
    ['media/no-extension', 'no-extension'],
    ['media/dots...in..name.mp4', 'dots...in..name'],
  ])('%s -> a valid name starting %s', (key, stem) => {
    const name = jobNameFor(key, EXECUTION);
    expect(name).toMatch(JOB_NAME_PATTERN);
    expect(name).toBe(`${stem}-${EXECUTION}`);
  });

  it('cuts very long keys to 200 characters, keeping the unique execution suffix', () => {
    const name = jobNameFor(`media/${'x'.repeat(1000)}.mp3`, EXECUTION);
    expect(name).toHaveLength(200);
    expect(name).toMatch(JOB_NAME_PATTERN);
    expect(name.endsWith(`-${EXECUTION}`)).toBe(true);
  });

  it('gives different names to the same file in two executions', () => {
    expect(jobNameFor('media/a.mp3', 'run-1')).not.toBe(jobNameFor('media/a.mp3', 'run-2'));
  });

  it('sanitises the execution name too (names from the console may hold other characters)', () => {
    expect(jobNameFor('media/a.mp3', 'my run (2)')).toBe('a-my-run-2');
    expect(jobNameFor('media/a.mp3', '☃')).toBe('a-execution');
  });

  it('never ends the stem on a separator after cutting', () => {
    const name = jobNameFor(`media/${'ab-'.repeat(100)}.mp3`, EXECUTION);
    expect(name).not.toMatch(/[-.]-/);
    expect(name).toMatch(JOB_NAME_PATTERN);
  });
});

describe('media formats', () => {
  it.each(['amr', 'flac', 'm4a', 'mp3', 'mp4', 'ogg', 'webm', 'wav'])('accepts .%s (any case)', (ext) => {
    expect(mediaFormatOf(`media/a.${ext}`)).toBe(ext);
    expect(mediaFormatOf(`media/a.${ext.toUpperCase()}`)).toBe(ext);
    expect(rejectionReason(`media/a.${ext}`, 1000)).toBeUndefined();
  });

  it('rejects other formats, empty files and files of 2 GB or more, with the reason', () => {
    expect(rejectionReason('media/notes.txt', 10)).toBe('Unsupported media format (.txt) for media/notes.txt: Transcribe accepts amr, flac, m4a, mp3, mp4, ogg, webm, wav');
    expect(rejectionReason('media/README', 10)).toMatch(/^Unsupported media format \(no extension\)/);
    expect(rejectionReason('media/a.mp3', 0)).toBe('Empty media file media/a.mp3 (0 bytes)');
    expect(rejectionReason('media/a.mp3', MAX_MEDIA_BYTES)).toMatch(/is 2147483648 bytes: Transcribe accepts files under 2 GB/);
    expect(rejectionReason('media/a.mp3', MAX_MEDIA_BYTES - 1)).toBeUndefined();
  });
});

describe('languages', () => {
  it.each([
    ['en-US', 'en'], ['en-GB', 'en'], ['es-US', 'es'], ['ja-JP', 'ja'], ['zh-CN', 'zh'], ['zh-TW', 'zh-TW'], ['ar-SA', 'ar'], ['hi-IN', 'hi'],
  ])('%s is analysed directly as %s', (code, comprehend) => {
    expect(comprehendLanguageFor(code)).toBe(comprehend);
  });

  it.each(['nl-NL', 'ru-RU', 'sv-SE', 'tr-TR', 'he-IL', undefined])('%s needs Translate', (code) => {
    expect(comprehendLanguageFor(code)).toBeUndefined();
  });

  it('the state machine Choice patterns agree with the handler for every language', () => {
    const codes = ['en-US', 'en-AU', 'de-DE', 'fr-CA', 'it-IT', 'pt-BR', 'ko-KR', 'zh-TW', 'nl-NL', 'ru-RU', 'da-DK', 'fa-IR'];
    const matches = (code: string) => comprehendLanguagePatterns().some((p) => code.startsWith(p.slice(0, -1)));
    for (const code of codes) {
      expect({ code, choice: matches(code) }).toEqual({ code, choice: comprehendLanguageFor(code) !== undefined });
    }
  });

  it('Translate gets the primary subtag, a regional variant it knows, or auto', () => {
    expect(translateSourceFor('nl-NL')).toBe('nl');
    expect(translateSourceFor('fr-CA')).toBe('fr-CA');
    expect(translateSourceFor(undefined)).toBe('auto');
  });
});

describe('keyCandidates', () => {
  it('tries the key as received, then URL-decoded ("+" is a space)', () => {
    expect(keyCandidates('media/my+file%C3%A9.mp3')).toEqual(['media/my+file%C3%A9.mp3', 'media/my fileé.mp3']);
    expect(keyCandidates('media/plain.mp3')).toEqual(['media/plain.mp3']);
    expect(keyCandidates('media/100%.mp3')).toEqual(['media/100%.mp3']); // not an escape: used as is
  });
});
