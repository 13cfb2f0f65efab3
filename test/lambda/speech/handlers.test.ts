import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, NotFound, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import {
  BatchDetectSentimentCommand,
  ComprehendClient,
  DetectEntitiesCommand,
  DetectKeyPhrasesCommand,
} from '@aws-sdk/client-comprehend';
import {
  EngineNotSupportedException,
  PollyClient,
  StartSpeechSynthesisTaskCommand,
  SynthesizeSpeechCommand,
  ThrottlingException,
} from '@aws-sdk/client-polly';
import { TranslateClient, TranslateTextCommand } from '@aws-sdk/client-translate';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AnalyseEvent, makeHandler as makeAnalyse } from '../../../lambda/speech/analyse-transcript';
import { makeHandler as makePrepare } from '../../../lambda/speech/prepare-media';
import { makeHandler as makeSpeak } from '../../../lambda/speech/speak-summary';
import { makeHandler as makeTranslate } from '../../../lambda/speech/translate-transcript';
import { makeHandler as makeWriteResult, speechRecord } from '../../../lambda/speech/write-result';
import { PreparedMedia } from '../../../lambda/speech/transcript';

const FIXTURES = path.join(__dirname, '../../fixtures/speech');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const body = (text: string) => ({ transformToString: async () => text }) as never;
const transcribeOutput = (transcript: string) => JSON.stringify({ jobName: 'j', results: { transcripts: [{ transcript }], items: [] } });

const s3 = mockClient(S3Client);
const comprehend = mockClient(ComprehendClient);
const translate = mockClient(TranslateClient);
const polly = mockClient(PollyClient);

beforeEach(() => {
  s3.reset();
  comprehend.reset();
  translate.reset();
  polly.reset();
});

const ARN = 'arn:aws:states:us-east-1:123456789012:execution:SpeechChain:';

const MEDIA: PreparedMedia = {
  accepted: true,
  reason: null,
  bucket: 'media-bucket',
  key: 'media/interview.mp3',
  mediaUri: 's3://media-bucket/media/interview.mp3',
  mediaFormat: 'mp3',
  jobName: 'interview-exec1',
  transcriptKey: 'transcripts/interview-exec1.json',
  analysisKey: 'analyses/interview-exec1.json',
  speechKey: 'speech/interview-exec1.mp3',
  speechTaskPrefix: 'speech/interview-exec1.',
  resultKey: 'results/media/interview.mp3.json',
  rejectionKey: 'rejections/media/interview.mp3.json',
};

describe('PrepareMedia', () => {
  const prepare = makePrepare(new S3Client({}));

  it('finds a URL-encoded key by its decoded form and names the job and keys', async () => {
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }));
    s3.on(HeadObjectCommand, { Bucket: 'media-bucket', Key: 'media/my talk é.mp3' }).resolves({ ContentLength: 5000 });
    const out = await prepare({ bucket: 'media-bucket', key: 'media/my+talk+%C3%A9.mp3', executionName: 'exec-1', executionArn: `${ARN}exec-1` });
    expect(out).toEqual({
      accepted: true,
      reason: null,
      bucket: 'media-bucket',
      key: 'media/my talk é.mp3',
      mediaUri: 's3://media-bucket/media/my talk é.mp3',
      mediaFormat: 'mp3',
      jobName: expect.stringMatching(/^my-talk-e-exec-1-[0-9a-f]{16}$/),
      transcriptKey: expect.stringMatching(/^transcripts\/my-talk-e-exec-1-[0-9a-f]{16}\.json$/),
      analysisKey: expect.stringMatching(/^analyses\/my-talk-e-exec-1-[0-9a-f]{16}\.json$/),
      speechKey: expect.stringMatching(/^speech\/my-talk-e-exec-1-[0-9a-f]{16}\.mp3$/),
      speechTaskPrefix: expect.stringMatching(/^speech\/my-talk-e-exec-1-[0-9a-f]{16}\.$/),
      resultKey: 'results/media/my talk é.mp3.json',
      rejectionKey: 'rejections/media/my talk é.mp3.json',
    });
    // The decoded key is tried first (lambda/shared/s3-key.ts, the rule video uses too).
    expect(s3).toHaveReceivedCommandTimes(HeadObjectCommand, 1);
  });

  it('derives result and rejection keys within S3\'s 1,024 bytes from a 1,024-byte media key', async () => {
    const exact = `media/${'日'.repeat(337)}abc.mp3`; // 6 + 1,011 + 7 = 1,024 bytes, S3's longest key
    expect(Buffer.byteLength(exact)).toBe(1_024);
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10 });
    const out = await prepare({ bucket: 'b', key: exact, executionName: 'e', executionArn: `${ARN}e` });
    expect(Buffer.byteLength(`results/${exact}.json`)).toBe(1_037); // what was written before: S3 refuses it
    for (const k of [out.resultKey, out.rejectionKey, out.transcriptKey, out.analysisKey, out.speechKey]) {
      expect(Buffer.byteLength(k)).toBeLessThanOrEqual(1_024);
    }
    expect(out.resultKey.startsWith(`results/media/${'日'.repeat(100)}`)).toBe(true);
  });

  it('uses a key with a literal "+" as received when only it exists', async () => {
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }));
    s3.on(HeadObjectCommand, { Key: 'media/c++.wav' }).resolves({ ContentLength: 10 });
    const out = await prepare({ bucket: 'b', key: 'media/c++.wav', executionName: 'e', executionArn: `${ARN}e` });
    expect(out.key).toBe('media/c++.wav');
    expect(s3).toHaveReceivedCommandTimes(HeadObjectCommand, 2);
  });

  it('rejects (does not throw for) a format Transcribe does not accept, and an empty file', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10 });
    expect(await prepare({ bucket: 'b', key: 'media/slides.pdf', executionName: 'e', executionArn: `${ARN}e` })).toMatchObject({
      accepted: false, reason: expect.stringContaining('(.pdf)'), mediaFormat: null,
    });
    s3.on(HeadObjectCommand).resolves({ ContentLength: 0 });
    expect(await prepare({ bucket: 'b', key: 'media/empty.mp3', executionName: 'e', executionArn: `${ARN}e` })).toMatchObject({ accepted: false, reason: 'Empty media file media/empty.mp3 (0 bytes)' });
  });

  it('fails naming the key when the object is gone, and passes other S3 errors on', async () => {
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }));
    await expect(prepare({ bucket: 'b', key: 'media/gone.mp3', executionName: 'e', executionArn: `${ARN}e` })).rejects.toThrow('No object s3://b/media/gone.mp3');
    s3.on(HeadObjectCommand).rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', message: 'Access Denied', $metadata: { httpStatusCode: 403 } }));
    await expect(prepare({ bucket: 'b', key: 'media/a.mp3', executionName: 'e', executionArn: `${ARN}e` })).rejects.toThrow('Access Denied');
  });

  it.each([
    [{ key: 'media/a.mp3', executionName: 'e' }, 'bucket must be a non-empty string (got undefined)'],
    [{ bucket: 'b', key: '', executionName: 'e' }, 'key must be a non-empty string (got "")'],
    [{ bucket: 'b', key: 'media/a.mp3', executionName: 42 }, 'executionName must be a non-empty string (got 42)'],
    [{ bucket: 'b', key: 'media/a.mp3', executionName: 'e' }, 'executionArn must be a non-empty string (got undefined)'],
  ])('bad input %j is an error naming the value', async (input, message) => {
    await expect(prepare(input as never)).rejects.toThrow(message);
  });
});

describe('TranslateTranscript', () => {
  const handler = makeTranslate({ s3: new S3Client({}), translate: new TranslateClient({}) }, { resultsBucket: 'results' });

  it('translates in requests of at most 10,000 bytes and writes one text object', async () => {
    const dutch = 'Dit is een zin over de vergadering in Amsterdam. '.repeat(600); // ~30 KB
    s3.on(GetObjectCommand, { Bucket: 'results', Key: MEDIA.transcriptKey }).resolves({ Body: body(transcribeOutput(dutch)) });
    translate.on(TranslateTextCommand).callsFake((input: { Text: string }) => ({ TranslatedText: `EN(${Buffer.byteLength(input.Text)})`, SourceLanguageCode: 'nl', TargetLanguageCode: 'en' }));
    s3.on(PutObjectCommand).resolves({});
    const out = await handler({ media: MEDIA, job: { LanguageCode: 'nl-NL' } });
    const calls = translate.commandCalls(TranslateTextCommand).map((c) => c.args[0].input);
    expect(calls.length).toBe(Math.ceil(Buffer.byteLength(dutch.trim()) / 10_000));
    for (const c of calls) {
      expect(Buffer.byteLength(c.Text!)).toBeLessThanOrEqual(10_000);
      expect(c).toMatchObject({ SourceLanguageCode: 'nl', TargetLanguageCode: 'en' });
    }
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'results', Key: 'translations/interview-exec1.en.txt' });
    expect(out).toEqual({ translated: true, bucket: 'results', key: 'translations/interview-exec1.en.txt', sourceLanguageCode: 'nl', targetLanguageCode: 'en', bytes: expect.any(Number), requests: calls.length });
  });

  it('lets Translate detect the language when Transcribe reported none', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(transcribeOutput('Hallo.')) });
    translate.on(TranslateTextCommand).resolves({ TranslatedText: 'Hello.', SourceLanguageCode: 'de' });
    s3.on(PutObjectCommand).resolves({});
    const out = await handler({ media: MEDIA, job: {} });
    expect(translate).toHaveReceivedCommandWith(TranslateTextCommand, { SourceLanguageCode: 'auto' });
    expect(out.sourceLanguageCode).toBe('de');
  });

  it('an empty transcript makes no Translate call and writes an empty translation', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(transcribeOutput('')) });
    s3.on(PutObjectCommand).resolves({});
    const out = await handler({ media: MEDIA, job: { LanguageCode: 'nl-NL' } });
    expect(translate).not.toHaveReceivedCommand(TranslateTextCommand);
    expect(out.requests).toBe(0);
  });

  it('an object that is not a Transcribe output is an error naming it', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body('{"hello": 1}') });
    await expect(handler({ media: MEDIA, job: {} })).rejects.toThrow('s3://results/transcripts/interview-exec1.json is not a Transcribe output (no results.transcripts)');
    s3.on(GetObjectCommand).resolves({ Body: body('<html>') });
    await expect(handler({ media: MEDIA, job: {} })).rejects.toThrow(/is not JSON/);
  });
});

describe('AnalyseTranscript', () => {
  const now = () => new Date('2026-01-01T00:02:00.000Z');
  const handler = makeAnalyse({ s3: new S3Client({}), comprehend: new ComprehendClient({}) }, { resultsBucket: 'results', now });
  const event = (overrides: Partial<AnalyseEvent> = {}): AnalyseEvent => ({
    media: MEDIA,
    job: { LanguageCode: 'en-US', CreationTime: '2026-01-01T00:00:05.000Z', StartTime: '2026-01-01T00:00:06.000Z', CompletionTime: '2026-01-01T00:01:06.000Z' },
    translation: { translated: false },
    execution: { id: 'arn:aws:states:us-east-1:123456789012:execution:M:exec1', startTime: '2026-01-01T00:00:00.000Z' },
    ...overrides,
  });

  function comprehendAnswers() {
    comprehend.on(BatchDetectSentimentCommand).callsFake((input: { TextList: string[] }) => ({
      ResultList: input.TextList.map((_, Index) => ({ Index, SentimentScore: { Positive: 0.7, Negative: 0.1, Neutral: 0.2, Mixed: 0 } })),
      ErrorList: [],
    }));
    let call = 0;
    comprehend.on(DetectEntitiesCommand).callsFake(() => ({ Entities: [{ Text: 'Seattle', Type: 'LOCATION', Score: 0.9 + (call++) / 1000 }] }));
    comprehend.on(DetectKeyPhrasesCommand).resolves({ KeyPhrases: [{ Text: 'the roadmap', Score: 0.8 }] });
  }

  it('cuts the text per API: 5,000-byte segments to BatchDetectSentiment 25 at a time, 100 KB documents to DetectEntities and DetectKeyPhrases', async () => {
    const long = 'Speaker two said the numbers look solid and the roadmap is on track in Seattle. '.repeat(1800); // ~145 KB -> 30 segments
    s3.on(GetObjectCommand).resolves({ Body: body(transcribeOutput(long)) });
    s3.on(PutObjectCommand).resolves({});
    comprehendAnswers();
    const out = await handler(event());
    const sentimentCalls = comprehend.commandCalls(BatchDetectSentimentCommand).map((c) => c.args[0].input);
    expect(sentimentCalls.map((c) => c.TextList!.length)).toEqual([25, 5]);
    for (const c of sentimentCalls) {
      expect(c.LanguageCode).toBe('en');
      for (const t of c.TextList!) {
        expect(Buffer.byteLength(t)).toBeLessThanOrEqual(5000);
      }
    }
    const entityCalls = comprehend.commandCalls(DetectEntitiesCommand).map((c) => c.args[0].input);
    const phraseCalls = comprehend.commandCalls(DetectKeyPhrasesCommand).map((c) => c.args[0].input);
    expect(entityCalls.map((c) => Buffer.byteLength(c.Text!) <= 100_000 && Buffer.byteLength(c.Text!) > 40_000)).toEqual([true, true]);
    expect(phraseCalls.map((c) => Buffer.byteLength(c.Text!) < 100_000)).toEqual([true, true]);
    expect(entityCalls.every((c) => c.LanguageCode === 'en') && phraseCalls.every((c) => c.LanguageCode === 'en')).toBe(true);
    expect(out).toEqual({
      bucket: 'results', analysisKey: MEDIA.analysisKey, language: 'en', translated: false, sentiment: 'POSITIVE',
      segments: { sentiment: 30, entities: 2, keyPhrases: 2 }, entities: 1, keyPhrases: 1,
    });
    const put = s3.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(put).toMatchObject({ Bucket: 'results', Key: MEDIA.analysisKey, ContentType: 'application/json' });
    const result = JSON.parse(put.Body as string);
    expect(result).toMatchObject({
      version: 2,
      media: { bucket: 'media-bucket', key: 'media/interview.mp3', format: 'mp3' },
      transcript: { bucket: 'results', key: MEDIA.transcriptKey },
      language: { transcribed: 'en-US', analysedAs: 'en', translated: false, translation: null },
      sentiment: { label: 'POSITIVE', scores: { positive: 0.7, negative: 0.1, neutral: 0.2, mixed: 0 } },
      entities: [{ text: 'Seattle', type: 'LOCATION', count: 2, score: 0.901 }],
      keyPhrases: [{ text: 'the roadmap', count: 2, score: 0.8 }],
      segments: {
        sentiment: { api: 'BatchDetectSentiment', count: 30, calls: 2, limitBytes: 5_000 },
        entities: { api: 'DetectEntities', count: 2, calls: 2, limitBytes: 100_000 },
        keyPhrases: { api: 'DetectKeyPhrases', count: 2, calls: 2, limitBytes: 99_999 },
      },
      timings: { transcriptionSeconds: 60, totalSeconds: 120, analysisCompleted: '2026-01-01T00:02:00.000Z' },
      execution: 'arn:aws:states:us-east-1:123456789012:execution:M:exec1',
    });
    expect(result.segments.sentiment.maxBytes).toBeLessThanOrEqual(5000);
    expect(result.sentiment.segments).toHaveLength(30);
  });

  it('computes timings from epoch-second timestamps too', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(transcribeOutput('Short.')) });
    s3.on(PutObjectCommand).resolves({});
    comprehendAnswers();
    await handler(event({ job: { LanguageCode: 'en-US', StartTime: 1767225606, CompletionTime: 1767225666 } }));
    const result = JSON.parse(s3.commandCalls(PutObjectCommand)[0].args[0].input.Body as string);
    expect(result.timings).toMatchObject({ transcriptionSeconds: 60, transcriptionStarted: 1767225606 });
  });

  it('an empty transcript makes no Comprehend call and records no sentiment', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(fixture('transcribe-output.en.json').replace(/"transcript": "[^"]*"/, '"transcript": ""')) });
    s3.on(PutObjectCommand).resolves({});
    const out = await handler(event());
    expect(comprehend.calls()).toHaveLength(0);
    expect(out).toMatchObject({ sentiment: null, segments: { sentiment: 0, entities: 0, keyPhrases: 0 }, entities: 0 });
    const result = JSON.parse(s3.commandCalls(PutObjectCommand)[0].args[0].input.Body as string);
    expect(result).toMatchObject({ sentiment: null, entities: [], keyPhrases: [], segments: { sentiment: { count: 0, calls: 0 }, entities: { count: 0 } } });
  });

  it('reads the translation, in English, when the transcript was translated', async () => {
    s3.on(GetObjectCommand, { Key: 'translations/interview-exec1.en.txt' }).resolves({ Body: body('Welcome to the meeting.') });
    s3.on(PutObjectCommand).resolves({});
    comprehendAnswers();
    const out = await handler(event({
      job: { LanguageCode: 'nl-NL' },
      translation: { translated: true, key: 'translations/interview-exec1.en.txt', sourceLanguageCode: 'nl', targetLanguageCode: 'en' },
    }));
    expect(comprehend).toHaveReceivedCommandWith(BatchDetectSentimentCommand, { LanguageCode: 'en', TextList: ['Welcome to the meeting.'] });
    expect(out).toMatchObject({ translated: true, language: 'en' });
  });

  it('analyses a Cantonese (zh-HK) transcript as Traditional Chinese (zh-TW), not Simplified', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(transcribeOutput('今日個會議好成功。')) });
    s3.on(PutObjectCommand).resolves({});
    comprehendAnswers();
    const out = await handler(event({ job: { LanguageCode: 'zh-HK' } }));
    expect(comprehend).toHaveReceivedCommandWith(BatchDetectSentimentCommand, { LanguageCode: 'zh-TW' });
    expect(comprehend).toHaveReceivedCommandWith(DetectEntitiesCommand, { LanguageCode: 'zh-TW' });
    expect(comprehend).toHaveReceivedCommandWith(DetectKeyPhrasesCommand, { LanguageCode: 'zh-TW' });
    expect(out.language).toBe('zh-TW');
  });

  it('refuses an unsupported language that was not translated, naming it', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(transcribeOutput('Hallo.')) });
    await expect(handler(event({ job: { LanguageCode: 'nl-NL' } }))).rejects.toThrow('Language "nl-NL" is not supported by Comprehend and the transcript was not translated');
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('a document refused inside a batch fails the analysis, naming segment and code, and writes nothing', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(transcribeOutput('One. Two.')) });
    comprehendAnswers();
    comprehend.on(BatchDetectSentimentCommand).resolves({ ResultList: [], ErrorList: [{ Index: 0, ErrorCode: 'INTERNAL_SERVER_ERROR', ErrorMessage: 'try again' }] });
    await expect(handler(event())).rejects.toThrow('BatchDetectSentiment refused 1 segment(s): segment 0: INTERNAL_SERVER_ERROR try again');
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('bad input is an error naming the missing field', async () => {
    await expect(handler({ ...event(), media: { ...MEDIA, analysisKey: '' } })).rejects.toThrow('media.analysisKey must be a non-empty string (got "")');
  });
});

describe('SpeakSummary', () => {
  const speak = makeSpeak({ s3: new S3Client({}), polly: new PollyClient({}) }, { resultsBucket: 'results', maxKeyPhrases: 10 });
  const analysis = (transcribed: string, analysedAs: string, translated: boolean, phrases: string[]) => JSON.stringify({
    language: { transcribed, analysedAs, translated },
    sentiment: { label: 'POSITIVE' },
    keyPhrases: phrases.map((text) => ({ text, count: 1, score: 0.9 })),
  });
  const audio = (text: string) => ({ transformToByteArray: async () => new TextEncoder().encode(text) }) as never;

  it('short summary: SynthesizeSpeech in a standard voice of the language, MP3 written to the speech key', async () => {
    s3.on(GetObjectCommand, { Key: MEDIA.analysisKey }).resolves({ Body: body(analysis('es-MX', 'es', false, ['la revisión trimestral', 'R&D <ventas>'])) });
    s3.on(PutObjectCommand).resolves({});
    polly.on(SynthesizeSpeechCommand).resolves({ AudioStream: audio('ID3mp3'), ContentType: 'audio/mpeg', RequestCharacters: 90 });
    const out = await speak({ media: MEDIA });
    const request = polly.commandCalls(SynthesizeSpeechCommand)[0].args[0].input;
    expect(request).toMatchObject({ Engine: 'standard', VoiceId: 'Mia', LanguageCode: 'es-MX', OutputFormat: 'mp3', TextType: 'ssml' });
    expect(request.Text).toContain('Idioma: español');
    expect(request.Text).toContain('R&amp;D &lt;ventas&gt;');
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'results', Key: MEDIA.speechKey, ContentType: 'audio/mpeg' });
    expect(out).toMatchObject({ status: 'SYNTHESIZED', api: 'SynthesizeSpeech', key: MEDIA.speechKey, voiceId: 'Mia', requestCharacters: 90, keyPhrasesSpoken: 2 });
    expect(polly).not.toHaveReceivedCommand(StartSpeechSynthesisTaskCommand);
  });

  it('past SynthesizeSpeech\'s limit: StartSpeechSynthesisTask writes to S3 under the job prefix, no MP3 written here', async () => {
    const long = makeSpeak({ s3: new S3Client({}), polly: new PollyClient({}) }, { resultsBucket: 'results', maxKeyPhrases: 200 });
    s3.on(GetObjectCommand).resolves({ Body: body(analysis('nl-NL', 'en', true, Array.from({ length: 200 }, (_, i) => `key phrase number ${i} of the meeting`))) });
    polly.on(StartSpeechSynthesisTaskCommand).resolves({ SynthesisTask: { TaskId: 'task-1', TaskStatus: 'scheduled', OutputUri: 'https://s3.us-east-1.amazonaws.com/results/speech/interview-exec1.task-1.mp3' } });
    const out = await long({ media: MEDIA });
    expect(polly).toHaveReceivedCommandWith(StartSpeechSynthesisTaskCommand, {
      VoiceId: 'Joanna', LanguageCode: 'en-US', Engine: 'standard', OutputS3BucketName: 'results', OutputS3KeyPrefix: MEDIA.speechTaskPrefix, TextType: 'ssml',
    });
    expect(polly).not.toHaveReceivedCommand(SynthesizeSpeechCommand);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
    expect(out).toMatchObject({ status: 'STARTED', taskId: 'task-1', keyPhrasesSpoken: 200 });
    expect((out as { billedCharacters: number }).billedCharacters).toBeGreaterThan(3_000);
  });

  it('a language without a Polly voice (Traditional Chinese) is an outcome, not an error, and calls nothing', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(analysis('zh-TW', 'zh-TW', false, ['會議'])) });
    expect(await speak({ media: MEDIA })).toEqual({ status: 'NO_VOICE', language: 'zh-TW', reason: 'Amazon Polly has no standard voice for zh-TW' });
    expect(polly.calls()).toHaveLength(0);
  });

  it('a voice or engine Polly refuses in this Region is recorded as no voice, with Polly\'s error', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(analysis('en-US', 'en', false, ['x'])) });
    polly.on(SynthesizeSpeechCommand).rejects(new EngineNotSupportedException({ message: 'This engine is not compatible with the voice', $metadata: {} }));
    expect(await speak({ media: MEDIA })).toMatchObject({ status: 'NO_VOICE', reason: expect.stringContaining('EngineNotSupportedException: This engine is not compatible') });
  });

  it('throttling is thrown by name for the state machine to retry', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(analysis('en-US', 'en', false, ['x'])) });
    polly.on(SynthesizeSpeechCommand).rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    await expect(speak({ media: MEDIA })).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  it('an analysis in a language it does not know is an error naming it', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(analysis('xx-YY', 'xx', false, [])) });
    await expect(speak({ media: MEDIA })).rejects.toThrow('has no analysis language this chain knows (got "xx")');
  });
});

describe('WriteResult', () => {
  const write = makeWriteResult(new S3Client({}), { resultsBucket: 'results', now: () => new Date('2026-01-01T00:03:00.000Z') });
  const spoken = { voiceId: 'Joanna', languageCode: 'en-US', engine: 'standard', billedCharacters: 4000, keyPhrasesSpoken: 120 };

  it('writes the analysis and the speech outcome once, at the result key', async () => {
    s3.on(GetObjectCommand, { Key: MEDIA.analysisKey }).resolves({ Body: body(JSON.stringify({ version: 2, language: { analysedAs: 'en', translated: false }, sentiment: { label: 'MIXED' }, entities: [1, 2], keyPhrases: [1], timings: { analysisCompleted: 'x' } })) });
    s3.on(PutObjectCommand).resolves({});
    const out = await write({
      media: MEDIA,
      speech: { ...spoken, status: 'SYNTHESIZED', api: 'SynthesizeSpeech', bucket: 'results', key: MEDIA.speechKey, requestCharacters: 4000 },
      execution: { startTime: '2026-01-01T00:00:00.000Z' },
    });
    const put = s3.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(put.Key).toBe(MEDIA.resultKey);
    expect(JSON.parse(put.Body as string)).toMatchObject({ version: 2, speech: { status: 'SYNTHESIZED', key: MEDIA.speechKey }, timings: { analysisCompleted: 'x', totalSeconds: 180 } });
    expect(out).toEqual({
      bucket: 'results', resultKey: MEDIA.resultKey, language: 'en', translated: false, sentiment: 'MIXED', entities: 2, keyPhrases: 1,
      speech: { status: 'SYNTHESIZED', uri: `s3://results/${MEDIA.speechKey}` },
    });
  });

  it('turns the task\'s last status into the record: completed, failed (with Polly\'s reason), timed out', () => {
    const started = { ...spoken, status: 'STARTED' as const, api: 'StartSpeechSynthesisTask' as const, taskId: 't-1', outputUri: 'https://s3/x.mp3' };
    expect(speechRecord({ ...started, task: { status: 'completed', detail: { OutputUri: 'https://s3/y.mp3', RequestCharacters: 4000 } } }))
      .toMatchObject({ status: 'SYNTHESIZED', outputUri: 'https://s3/y.mp3', requestCharacters: 4000, taskId: 't-1' });
    expect(speechRecord({ ...started, task: { status: 'failed', detail: { TaskStatusReason: 'Invalid SSML' } } })).toMatchObject({ status: 'FAILED', reason: 'Invalid SSML' });
    expect(speechRecord({ ...started, task: { status: 'timedOut' } })).toMatchObject({ status: 'TIMED_OUT', reason: expect.stringContaining('t-1') });
    expect(() => speechRecord({ ...started, task: { status: 'inProgress' } })).toThrow('ended in an unexpected status "inProgress"');
    expect(() => speechRecord({ status: 'NOPE' } as never)).toThrow('speech.status must be SYNTHESIZED, STARTED or NO_VOICE (got "NOPE")');
  });
});
