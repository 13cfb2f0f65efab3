/**
 * The speech chain's one language table: for every language Amazon Transcribe can report, the
 * code Amazon Translate takes, the code Amazon Comprehend analyses (when it does), and the Amazon
 * Polly voice that speaks the summary. The state machine's language Choice, TranslateTranscript,
 * AnalyseTranscript and SpeakSummary all read it, so they cannot disagree.
 *
 * Sources (read 2026-11):
 * - Transcribe codes: the LanguageCode enum of @aws-sdk/client-transcribe (a test compares it
 *   with this table) and https://docs.aws.amazon.com/transcribe/latest/dg/supported-languages.html
 *   (zh-HK is Cantonese, listed as "zh-HK (yue-HK)", written in Traditional characters).
 * - Translate codes: https://docs.aws.amazon.com/translate/latest/dg/what-is-languages.html (75).
 * - Comprehend codes per API: https://docs.aws.amazon.com/comprehend/latest/dg/supported-languages.html
 *   ("Sentiment", "Entities", "Key phrases": all 12 supported languages; "Syntax" only 6; "Targeted
 *   sentiment" and "PII" English (and Spanish); "Dominant language" ~100 languages).
 * - Polly voices: https://docs.aws.amazon.com/polly/latest/dg/standard-voices.html and
 *   https://docs.aws.amazon.com/polly/latest/dg/available-voices.html; a test checks every voice and
 *   language code against the VoiceId and LanguageCode enums of @aws-sdk/client-polly.
 */

/** Translate's code for each Transcribe code; `null` when Translate has no such language. */
export const TRANSLATE_CODE: Readonly<Record<string, string | null>> = {
  'ab-GE': null, // Abkhaz
  'af-ZA': 'af',
  'am-ET': 'am',
  'ar-AE': 'ar',
  'ar-SA': 'ar',
  'ast-ES': null, // Asturian
  'az-AZ': 'az',
  'ba-RU': null, // Bashkir
  'be-BY': null, // Belarusian
  'bg-BG': 'bg',
  'bn-IN': 'bn',
  'bs-BA': 'bs',
  'ca-ES': 'ca',
  'ckb-IQ': null, // Central Kurdish
  'ckb-IR': null,
  'cs-CZ': 'cs',
  'cy-GB': 'cy',
  'cy-WL': 'cy',
  'da-DK': 'da',
  'de-CH': 'de',
  'de-DE': 'de',
  'el-GR': 'el',
  'en-AB': 'en',
  'en-AU': 'en',
  'en-GB': 'en',
  'en-IE': 'en',
  'en-IN': 'en',
  'en-NZ': 'en',
  'en-US': 'en',
  'en-WL': 'en',
  'en-ZA': 'en',
  'es-ES': 'es',
  'es-MX': 'es-MX', // Translate tells Mexican Spanish apart
  'es-US': 'es',
  'et-EE': 'et',
  'et-ET': 'et', // as the SDK enum spells a second Estonian code
  'eu-ES': null, // Basque
  'fa-AF': 'fa-AF', // Dari
  'fa-IR': 'fa',
  'fi-FI': 'fi',
  'fr-CA': 'fr-CA',
  'fr-FR': 'fr',
  'ga-IE': 'ga',
  'gd-GB': null, // Scottish Gaelic
  'gl-ES': null, // Galician
  'gu-IN': 'gu',
  'ha-NG': 'ha',
  'he-IL': 'he',
  'hi-IN': 'hi',
  'hr-HR': 'hr',
  'ht-HT': 'ht',
  'hu-HU': 'hu',
  'hy-AM': 'hy',
  'id-ID': 'id',
  'is-IS': 'is',
  'it-IT': 'it',
  'ja-JP': 'ja',
  'jv-ID': null, // Javanese
  'kab-DZ': null, // Kabyle
  'ka-GE': 'ka',
  'kk-KZ': 'kk',
  'km-KH': null, // Khmer
  'kn-IN': 'kn',
  'ko-KR': 'ko',
  'ky-KG': null, // Kyrgyz
  'lg-IN': null, // Luganda
  'lt-LT': 'lt',
  'lv-LV': 'lv',
  'mhr-RU': null, // Meadow Mari
  'mi-NZ': null, // Maori
  'mk-MK': 'mk',
  'ml-IN': 'ml',
  'mn-MN': 'mn',
  'mr-IN': 'mr',
  'ms-MY': 'ms',
  'mt-MT': 'mt',
  'my-MM': null, // Burmese
  'ne-NP': null, // Nepali
  'nl-NL': 'nl',
  'no-NO': 'no',
  'or-IN': null, // Odia
  'pa-IN': 'pa',
  'pl-PL': 'pl',
  'ps-AF': 'ps',
  'pt-BR': 'pt', // Translate's "pt" is Brazilian Portuguese
  'pt-PT': 'pt-PT',
  'ro-RO': 'ro',
  'ru-RU': 'ru',
  'rw-RW': null, // Kinyarwanda
  'si-LK': 'si',
  'sk-SK': 'sk',
  'sl-SI': 'sl',
  'so-SO': 'so',
  'sq-AL': 'sq',
  'sr-RS': 'sr',
  'su-ID': null, // Sundanese
  'sv-SE': 'sv',
  'sw-BI': 'sw',
  'sw-KE': 'sw',
  'sw-RW': 'sw',
  'sw-TZ': 'sw',
  'sw-UG': 'sw',
  'ta-IN': 'ta',
  'te-IN': 'te',
  'th-TH': 'th',
  'tl-PH': 'tl',
  'tr-TR': 'tr',
  'tt-RU': null, // Tatar
  'ug-CN': null, // Uyghur
  'uk-UA': 'uk',
  'uz-UZ': 'uz',
  'vi-VN': 'vi',
  'wo-SN': null, // Wolof
  'zh-CN': 'zh',
  'zh-HK': 'zh-TW', // Cantonese transcripts are written in Traditional characters
  'zh-TW': 'zh-TW',
  'zu-ZA': null, // Zulu
};

/** The 12 languages of Comprehend's pre-trained models (supported-languages page). */
export const COMPREHEND_LANGUAGES = ['ar', 'de', 'en', 'es', 'fr', 'hi', 'it', 'ja', 'ko', 'pt', 'zh', 'zh-TW'] as const;
export type ComprehendLanguage = (typeof COMPREHEND_LANGUAGES)[number];

/** Languages per Comprehend API this chain calls (supported-languages page, "Languages supported by features"). */
export const COMPREHEND_API_LANGUAGES: Readonly<Record<'BatchDetectSentiment' | 'DetectEntities' | 'DetectKeyPhrases', readonly ComprehendLanguage[]>> = {
  BatchDetectSentiment: COMPREHEND_LANGUAGES, // "Sentiment: all supported languages"
  DetectEntities: COMPREHEND_LANGUAGES, // "Entities: all supported languages"
  DetectKeyPhrases: COMPREHEND_LANGUAGES, // "Key phrases: all supported languages"
};

/** Comprehend's code for a Translate code of the same written language (regional variants fold in, except Traditional Chinese). */
const COMPREHEND_FOR_TEXT: Readonly<Record<string, ComprehendLanguage>> = {
  ar: 'ar', de: 'de', en: 'en', es: 'es', 'es-MX': 'es', fr: 'fr', 'fr-CA': 'fr', hi: 'hi', it: 'it',
  ja: 'ja', ko: 'ko', pt: 'pt', 'pt-PT': 'pt', zh: 'zh', 'zh-TW': 'zh-TW',
};

/** What the chain does with a transcript in this Transcribe language. */
export type LanguageRoute = 'analyse' | 'translate' | 'unsupported';

/** Every Transcribe code the table knows, sorted. */
export function transcribeCodes(): string[] {
  return Object.keys(TRANSLATE_CODE).sort();
}

/**
 * Comprehend's language for a Transcribe code when every API the chain calls analyses it
 * directly; undefined when the transcript must be translated first (or cannot be).
 */
export function comprehendLanguageFor(transcribeCode: string | undefined): ComprehendLanguage | undefined {
  const text = transcribeCode === undefined ? undefined : TRANSLATE_CODE[transcribeCode];
  const code = text ? COMPREHEND_FOR_TEXT[text] : undefined;
  if (code === undefined) {
    return undefined;
  }
  return Object.values(COMPREHEND_API_LANGUAGES).every((langs) => langs.includes(code)) ? code : undefined;
}

/**
 * Translate's source code for a Transcribe code: the table's code; "auto" (Translate detects it)
 * when Transcribe reported none or a code newer than this table; throws for a language Translate
 * does not have (the state machine routes those to a result record before they get here).
 */
export function translateSourceFor(transcribeCode: string | undefined): string {
  if (transcribeCode === undefined || !(transcribeCode in TRANSLATE_CODE)) {
    return 'auto';
  }
  const code = TRANSLATE_CODE[transcribeCode];
  if (code === null) {
    throw new Error(`Transcribe language ${transcribeCode} has no Amazon Translate language: it cannot be translated for analysis`);
  }
  return code;
}

/** The route of a Transcribe code (what the state machine's Choice decides). */
export function routeFor(transcribeCode: string | undefined): LanguageRoute {
  if (comprehendLanguageFor(transcribeCode) !== undefined) {
    return 'analyse';
  }
  return transcribeCode !== undefined && TRANSLATE_CODE[transcribeCode] === null ? 'unsupported' : 'translate';
}

/** The Transcribe codes of one route, for the state machine's Choice rules. */
export function transcribeCodesRouted(route: LanguageRoute): string[] {
  return transcribeCodes().filter((c) => routeFor(c) === route);
}

/** A Polly voice: its id, and the LanguageCode to send (needed for bilingual voices such as Aditi). */
export interface PollyVoice {
  readonly voiceId: string;
  readonly languageCode: string;
}

/**
 * The engine every summary is spoken with. Standard voices are offered in every Region Polly runs
 * in, and cost a quarter of neural ones ($4 vs $16 per million characters, https://aws.amazon.com/polly/pricing/);
 * neural voices exist only in some Regions (https://docs.aws.amazon.com/polly/latest/dg/neural-voices.html),
 * so a neural default could fail in a Region where the stack deploys fine. Every language Comprehend
 * analyses has a standard voice except Traditional Chinese (Polly has no Taiwanese Mandarin voice, and
 * its Cantonese voice Hiujin is neural only).
 */
export const POLLY_ENGINE = 'standard';

/** Standard voice per Transcribe code analysed in its own language (nearest regional variant Polly has). */
export const POLLY_VOICE: Readonly<Record<string, PollyVoice | null>> = {
  'ar-AE': { voiceId: 'Zeina', languageCode: 'arb' }, // Gulf Arabic voices (Hala, Zayd) are neural only
  'ar-SA': { voiceId: 'Zeina', languageCode: 'arb' },
  'de-CH': { voiceId: 'Vicki', languageCode: 'de-DE' }, // de-CH voices are neural only
  'de-DE': { voiceId: 'Vicki', languageCode: 'de-DE' },
  'en-AB': { voiceId: 'Amy', languageCode: 'en-GB' },
  'en-AU': { voiceId: 'Nicole', languageCode: 'en-AU' },
  'en-GB': { voiceId: 'Amy', languageCode: 'en-GB' },
  'en-IE': { voiceId: 'Amy', languageCode: 'en-GB' }, // Niamh (en-IE) is neural only
  'en-IN': { voiceId: 'Raveena', languageCode: 'en-IN' },
  'en-NZ': { voiceId: 'Nicole', languageCode: 'en-AU' }, // Aria (en-NZ) is neural only
  'en-US': { voiceId: 'Joanna', languageCode: 'en-US' },
  'en-WL': { voiceId: 'Geraint', languageCode: 'en-GB-WLS' },
  'en-ZA': { voiceId: 'Amy', languageCode: 'en-GB' }, // Ayanda (en-ZA) is neural only
  'es-ES': { voiceId: 'Lucia', languageCode: 'es-ES' },
  'es-MX': { voiceId: 'Mia', languageCode: 'es-MX' },
  'es-US': { voiceId: 'Lupe', languageCode: 'es-US' },
  'fr-CA': { voiceId: 'Chantal', languageCode: 'fr-CA' },
  'fr-FR': { voiceId: 'Lea', languageCode: 'fr-FR' },
  'hi-IN': { voiceId: 'Aditi', languageCode: 'hi-IN' }, // bilingual en-IN/hi-IN: LanguageCode picks Hindi
  'it-IT': { voiceId: 'Bianca', languageCode: 'it-IT' },
  'ja-JP': { voiceId: 'Mizuki', languageCode: 'ja-JP' },
  'ko-KR': { voiceId: 'Seoyeon', languageCode: 'ko-KR' },
  'pt-BR': { voiceId: 'Camila', languageCode: 'pt-BR' },
  'pt-PT': { voiceId: 'Ines', languageCode: 'pt-PT' },
  'zh-CN': { voiceId: 'Zhiyu', languageCode: 'cmn-CN' },
  'zh-HK': null, // Cantonese: Hiujin (yue-CN) is neural only
  'zh-TW': null, // no Taiwanese Mandarin voice in Polly
};

/** The voice for summaries analysed in English after translation. */
export const ENGLISH_VOICE: PollyVoice = { voiceId: 'Joanna', languageCode: 'en-US' };

/**
 * The voice that speaks a summary: of the transcript's language when it was analysed as spoken,
 * English when it was translated; null when Polly has no standard voice for it.
 */
export function voiceFor(transcribeCode: string | undefined, translated: boolean): PollyVoice | null {
  if (translated) {
    return ENGLISH_VOICE;
  }
  return (transcribeCode !== undefined ? POLLY_VOICE[transcribeCode] : undefined) ?? null;
}
