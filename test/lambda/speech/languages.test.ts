import { LanguageCode as ComprehendLanguageCode } from '@aws-sdk/client-comprehend';
import { LanguageCode as PollyLanguageCode, VoiceId } from '@aws-sdk/client-polly';
import { LanguageCode as TranscribeLanguageCode } from '@aws-sdk/client-transcribe';
import {
  COMPREHEND_API_LANGUAGES,
  COMPREHEND_LANGUAGES,
  comprehendLanguageFor,
  ENGLISH_VOICE,
  POLLY_VOICE,
  routeFor,
  TRANSLATE_CODE,
  transcribeCodes,
  transcribeCodesRouted,
  translateSourceFor,
  voiceFor,
} from '../../../lambda/speech/languages';
import { PHRASEBOOKS } from '../../../lambda/speech/speech';

describe('the language table', () => {
  it('has exactly the language codes of the Transcribe SDK model (a new code fails here until it is mapped)', () => {
    expect(transcribeCodes()).toEqual(Object.values(TranscribeLanguageCode).sort());
  });

  it('knows exactly the languages of the Comprehend SDK model, each in every API the chain calls', () => {
    expect([...COMPREHEND_LANGUAGES].sort()).toEqual(Object.values(ComprehendLanguageCode).sort());
    for (const langs of Object.values(COMPREHEND_API_LANGUAGES)) {
      expect([...langs].sort()).toEqual([...COMPREHEND_LANGUAGES].sort());
    }
  });

  it.each([
    ['zh-HK', 'zh-TW'], ['zh-TW', 'zh-TW'], ['zh-CN', 'zh'],
    ['en-US', 'en'], ['en-GB', 'en'], ['es-US', 'es'], ['es-MX', 'es'], ['pt-PT', 'pt'], ['pt-BR', 'pt'],
    ['fr-CA', 'fr'], ['de-CH', 'de'], ['ja-JP', 'ja'], ['ar-SA', 'ar'], ['ar-AE', 'ar'], ['hi-IN', 'hi'], ['ko-KR', 'ko'],
  ])('%s is analysed directly as Comprehend %s', (code, comprehend) => {
    expect(comprehendLanguageFor(code)).toBe(comprehend);
    expect(routeFor(code)).toBe('analyse');
  });

  it('analyses Cantonese (zh-HK) and Taiwanese Mandarin (zh-TW) as Traditional Chinese, never Simplified', () => {
    expect(comprehendLanguageFor('zh-HK')).toBe('zh-TW');
    expect(TRANSLATE_CODE['zh-HK']).toBe('zh-TW');
    expect(TRANSLATE_CODE['zh-TW']).toBe('zh-TW');
  });

  it.each([
    ['nl-NL', 'nl'], ['ru-RU', 'ru'], ['sv-SE', 'sv'], ['he-IL', 'he'], ['fa-IR', 'fa'], ['fa-AF', 'fa-AF'], ['no-NO', 'no'],
    ['tl-PH', 'tl'], ['sw-KE', 'sw'], ['et-EE', 'et'], ['cy-WL', 'cy'],
  ])('%s is translated first, from Translate %s', (code, translate) => {
    expect(comprehendLanguageFor(code)).toBeUndefined();
    expect(routeFor(code)).toBe('translate');
    expect(translateSourceFor(code)).toBe(translate);
  });

  it('lets Translate detect a language Transcribe did not report, or one newer than the table', () => {
    expect(translateSourceFor(undefined)).toBe('auto');
    expect(translateSourceFor('xx-YY')).toBe('auto');
    expect(routeFor(undefined)).toBe('translate');
    expect(routeFor('xx-YY')).toBe('translate');
  });

  it.each(['eu-ES', 'gl-ES', 'zu-ZA', 'ab-GE', 'km-KH', 'my-MM', 'ne-NP', 'ug-CN', 'wo-SN', 'mi-NZ'])(
    '%s has no Translate language: routed to a result record, and refused by name if it reached Translate', (code) => {
      expect(routeFor(code)).toBe('unsupported');
      expect(() => translateSourceFor(code)).toThrow(`Transcribe language ${code} has no Amazon Translate language`);
    });

  it('routes every Transcribe code exactly once (the Choice rules cover the table)', () => {
    const routed = [...transcribeCodesRouted('analyse'), ...transcribeCodesRouted('translate'), ...transcribeCodesRouted('unsupported')];
    expect(routed.sort()).toEqual(transcribeCodes());
    expect(transcribeCodesRouted('unsupported')).toHaveLength(25);
  });
});

describe('Polly voices', () => {
  const voices = Object.entries(POLLY_VOICE).filter((e): e is [string, NonNullable<(typeof e)[1]>] => e[1] !== null);

  it('names only voices and language codes of the Polly SDK model', () => {
    for (const [code, voice] of [...voices, ['translated', ENGLISH_VOICE] as const]) {
      expect({ code, voice: (Object.values(VoiceId) as string[]).includes(voice.voiceId) }).toEqual({ code, voice: true });
      expect({ code, language: (Object.values(PollyLanguageCode) as string[]).includes(voice.languageCode) }).toEqual({ code, language: true });
    }
  });

  it('has an entry (a voice or an explicit none) for every code analysed directly, and a phrasebook for every Comprehend language', () => {
    expect(Object.keys(POLLY_VOICE).sort()).toEqual(transcribeCodesRouted('analyse'));
    expect(Object.keys(PHRASEBOOKS).sort()).toEqual([...COMPREHEND_LANGUAGES].sort());
  });

  it('speaks the transcript\'s language, English after translation, and has no voice for Traditional Chinese', () => {
    expect(voiceFor('ja-JP', false)).toEqual({ voiceId: 'Mizuki', languageCode: 'ja-JP' });
    expect(voiceFor('hi-IN', false)).toEqual({ voiceId: 'Aditi', languageCode: 'hi-IN' });
    expect(voiceFor('nl-NL', true)).toEqual(ENGLISH_VOICE);
    expect(voiceFor('zh-TW', false)).toBeNull();
    expect(voiceFor('zh-HK', false)).toBeNull();
    expect(voiceFor(undefined, false)).toBeNull();
  });
});
