/**
 * The spoken summary: a few sentences in the language the transcript was analysed in (language,
 * overall sentiment, top key phrases), as SSML with every piece of transcript text escaped, and
 * the character counts Amazon Polly's limits are stated in.
 *
 * Limits (the SynthesizeSpeech and StartSpeechSynthesisTask models in @aws-sdk/client-polly, and
 * https://docs.aws.amazon.com/polly/latest/dg/API_SynthesizeSpeech.html): "For the SynthesizeSpeech API, the
 * text is a maximum of 6000 characters total, of which no more than 3000 can be billed
 * characters. For the StartSpeechSynthesisTask API, the maximum is 200,000 characters, of which no
 * more than 100,000 can be billed characters. SSML tags are not counted as billed characters."
 */
import type { ComprehendLanguage } from './languages';

export const SYNTHESIZE_MAX_BILLED = 3_000;
export const SYNTHESIZE_MAX_TOTAL = 6_000;
export const TASK_MAX_BILLED = 100_000;
export const TASK_MAX_TOTAL = 200_000;

/** The words of a summary in one language (written for this project, not a service fact). */
interface Phrasebook {
  readonly language: string;
  readonly sentimentIs: string;
  readonly sentiments: Readonly<Record<'POSITIVE' | 'NEGATIVE' | 'NEUTRAL' | 'MIXED', string>>;
  readonly noSentiment: string;
  readonly keyPhrases: string;
  readonly noKeyPhrases: string;
  /** Sentence end and list separator of the script. */
  readonly stop: string;
  readonly comma: string;
}

export const PHRASEBOOKS: Readonly<Record<ComprehendLanguage, Phrasebook>> = {
  en: { language: 'Language: English', sentimentIs: 'Overall sentiment:', sentiments: { POSITIVE: 'positive', NEGATIVE: 'negative', NEUTRAL: 'neutral', MIXED: 'mixed' }, noSentiment: 'No speech to analyse', keyPhrases: 'Key phrases:', noKeyPhrases: 'No key phrases', stop: '.', comma: ', ' },
  es: { language: 'Idioma: español', sentimentIs: 'Sentimiento general:', sentiments: { POSITIVE: 'positivo', NEGATIVE: 'negativo', NEUTRAL: 'neutral', MIXED: 'mixto' }, noSentiment: 'No hay habla que analizar', keyPhrases: 'Frases clave:', noKeyPhrases: 'Ninguna frase clave', stop: '.', comma: ', ' },
  fr: { language: 'Langue : français', sentimentIs: 'Sentiment général :', sentiments: { POSITIVE: 'positif', NEGATIVE: 'négatif', NEUTRAL: 'neutre', MIXED: 'mitigé' }, noSentiment: 'Aucune parole à analyser', keyPhrases: 'Expressions clés :', noKeyPhrases: 'Aucune expression clé', stop: '.', comma: ', ' },
  de: { language: 'Sprache: Deutsch', sentimentIs: 'Gesamtstimmung:', sentiments: { POSITIVE: 'positiv', NEGATIVE: 'negativ', NEUTRAL: 'neutral', MIXED: 'gemischt' }, noSentiment: 'Keine Sprache zu analysieren', keyPhrases: 'Schlüsselbegriffe:', noKeyPhrases: 'Keine Schlüsselbegriffe', stop: '.', comma: ', ' },
  it: { language: 'Lingua: italiano', sentimentIs: 'Sentimento complessivo:', sentiments: { POSITIVE: 'positivo', NEGATIVE: 'negativo', NEUTRAL: 'neutro', MIXED: 'misto' }, noSentiment: 'Nessun parlato da analizzare', keyPhrases: 'Frasi chiave:', noKeyPhrases: 'Nessuna frase chiave', stop: '.', comma: ', ' },
  pt: { language: 'Idioma: português', sentimentIs: 'Sentimento geral:', sentiments: { POSITIVE: 'positivo', NEGATIVE: 'negativo', NEUTRAL: 'neutro', MIXED: 'misto' }, noSentiment: 'Nenhuma fala para analisar', keyPhrases: 'Frases-chave:', noKeyPhrases: 'Nenhuma frase-chave', stop: '.', comma: ', ' },
  ar: { language: 'اللغة: العربية', sentimentIs: 'المشاعر العامة:', sentiments: { POSITIVE: 'إيجابية', NEGATIVE: 'سلبية', NEUTRAL: 'محايدة', MIXED: 'مختلطة' }, noSentiment: 'لا يوجد كلام للتحليل', keyPhrases: 'العبارات الرئيسية:', noKeyPhrases: 'لا توجد عبارات رئيسية', stop: '.', comma: '، ' },
  hi: { language: 'भाषा: हिन्दी', sentimentIs: 'समग्र भावना:', sentiments: { POSITIVE: 'सकारात्मक', NEGATIVE: 'नकारात्मक', NEUTRAL: 'तटस्थ', MIXED: 'मिश्रित' }, noSentiment: 'विश्लेषण के लिए कोई भाषण नहीं', keyPhrases: 'मुख्य वाक्यांश:', noKeyPhrases: 'कोई मुख्य वाक्यांश नहीं', stop: '।', comma: ', ' },
  ja: { language: '言語：日本語', sentimentIs: '全体の感情：', sentiments: { POSITIVE: '肯定的', NEGATIVE: '否定的', NEUTRAL: '中立', MIXED: '混在' }, noSentiment: '分析する音声がありません', keyPhrases: 'キーフレーズ：', noKeyPhrases: 'キーフレーズはありません', stop: '。', comma: '、' },
  ko: { language: '언어: 한국어', sentimentIs: '전체 감정:', sentiments: { POSITIVE: '긍정', NEGATIVE: '부정', NEUTRAL: '중립', MIXED: '혼합' }, noSentiment: '분석할 음성이 없습니다', keyPhrases: '핵심 구문:', noKeyPhrases: '핵심 구문이 없습니다', stop: '.', comma: ', ' },
  zh: { language: '语言：中文', sentimentIs: '总体情感：', sentiments: { POSITIVE: '正面', NEGATIVE: '负面', NEUTRAL: '中性', MIXED: '混合' }, noSentiment: '没有可分析的语音', keyPhrases: '关键短语：', noKeyPhrases: '没有关键短语', stop: '。', comma: '，' },
  'zh-TW': { language: '語言：中文', sentimentIs: '整體情感：', sentiments: { POSITIVE: '正面', NEGATIVE: '負面', NEUTRAL: '中性', MIXED: '混合' }, noSentiment: '沒有可分析的語音', keyPhrases: '關鍵詞組：', noKeyPhrases: '沒有關鍵詞組', stop: '。', comma: '，' },
};

/**
 * Text as SSML character data: the five XML special characters become entities (Polly's
 * "Reserved characters in SSML"), and characters XML 1.0 cannot carry at all (C0 controls other
 * than tab, newline and carriage return; lone surrogates; U+FFFE/U+FFFF) become spaces.
 */
export function escapeSsml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Billed characters of an SSML document: the text outside tags, each entity counted as one character. */
export function billedCharacters(ssml: string): number {
  return [...ssml.replace(/<[^>]*>/g, '').replace(/&(amp|lt|gt|quot|apos);/g, '_')].length;
}

/** Total characters as Polly counts the request's Text (UTF-16 code units: never fewer than code points). */
export function totalCharacters(ssml: string): number {
  return ssml.length;
}

export interface SummaryInput {
  readonly language: ComprehendLanguage;
  readonly sentiment: keyof Phrasebook['sentiments'] | null;
  /** Key phrases, most frequent first (as AnalyseTranscript aggregates them). */
  readonly keyPhrases: readonly string[];
  /** Most key phrases to speak. */
  readonly maxKeyPhrases: number;
}

export interface SpokenSummary {
  readonly ssml: string;
  readonly billed: number;
  readonly total: number;
  readonly keyPhrasesSpoken: number;
}

function render(book: Phrasebook, sentiment: SummaryInput['sentiment'], phrases: readonly string[]): string {
  const sentence = (text: string) => `<s>${text}</s>`;
  const parts = [
    sentence(`${escapeSsml(book.language)}${book.stop}`),
    sentence(sentiment ? `${escapeSsml(book.sentimentIs)} ${escapeSsml(book.sentiments[sentiment])}${book.stop}` : `${escapeSsml(book.noSentiment)}${book.stop}`),
    sentence(phrases.length > 0
      ? `${escapeSsml(book.keyPhrases)} ${phrases.map(escapeSsml).join(`${escapeSsml(book.comma)}<break time="300ms"/>`)}${book.stop}`
      : `${escapeSsml(book.noKeyPhrases)}${book.stop}`),
  ];
  return `<speak><p>${parts.join('')}</p></speak>`;
}

/**
 * The summary as SSML, with as many of the top key phrases as `maxKeyPhrases` allows and the
 * asynchronous task's limits hold (so it is always within StartSpeechSynthesisTask's limits).
 */
export function composeSummary(input: SummaryInput): SpokenSummary {
  if (!Number.isInteger(input.maxKeyPhrases) || input.maxKeyPhrases < 0) {
    throw new Error(`maxKeyPhrases must be a non-negative integer (got ${input.maxKeyPhrases})`);
  }
  const book = PHRASEBOOKS[input.language];
  if (!book) {
    throw new Error(`No phrasebook for language ${JSON.stringify(input.language)}`);
  }
  const phrases = input.keyPhrases.slice(0, input.maxKeyPhrases);
  // Drop phrases from the end until the task's limits hold (only ever matters for huge phrase lists).
  let count = phrases.length;
  let ssml = render(book, input.sentiment, phrases);
  while (count > 0 && (billedCharacters(ssml) > TASK_MAX_BILLED || totalCharacters(ssml) > TASK_MAX_TOTAL)) {
    count -= 1;
    ssml = render(book, input.sentiment, phrases.slice(0, count));
  }
  return { ssml, billed: billedCharacters(ssml), total: totalCharacters(ssml), keyPhrasesSpoken: count };
}

/** Which Polly API a summary needs: SynthesizeSpeech within its limits, the asynchronous task past them. */
export function synthesisApiFor(summary: Pick<SpokenSummary, 'billed' | 'total'>): 'SynthesizeSpeech' | 'StartSpeechSynthesisTask' {
  return summary.billed <= SYNTHESIZE_MAX_BILLED && summary.total <= SYNTHESIZE_MAX_TOTAL ? 'SynthesizeSpeech' : 'StartSpeechSynthesisTask';
}
