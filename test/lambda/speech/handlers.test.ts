import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, NotFound, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import {
  BatchDetectEntitiesCommand,
  BatchDetectKeyPhrasesCommand,
  BatchDetectSentimentCommand,
  ComprehendClient,
} from '@aws-sdk/client-comprehend';
import { TranslateClient, TranslateTextCommand } from '@aws-sdk/client-translate';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AnalyseEvent, makeHandler as makeAnalyse } from '../../../lambda/speech/analyse-transcript';
import { makeHandler as makePrepare } from '../../../lambda/speech/prepare-media';
import { makeHandler as makeTranslate } from '../../../lambda/speech/translate-transcript';
import { PreparedMedia } from '../../../lambda/speech/transcript';

const FIXTURES = path.join(__dirname, '../../fixtures/speech');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const body = (text: string) => ({ transformToString: async () => text }) as never;
const transcribeOutput = (transcript: string) => JSON.stringify({ jobName: 'j', results: { transcripts: [{ transcript }], items: [] } });

const s3 = mockClient(S3Client);
const comprehend = mockClient(ComprehendClient);
const translate = mockClient(TranslateClient);

beforeEach(() => {
  s3.reset();
  comprehend.reset();
  translate.reset();
});

const MEDIA: PreparedMedia = {
  accepted: true,
  reason: null,
  bucket: 'media-bucket',
  key: 'media/interview.mp3',
  mediaUri: 's3://media-bucket/media/interview.mp3',
  mediaFormat: 'mp3',
  jobName: 'interview-exec1',
  transcriptKey: 'transcripts/interview-exec1.json',
  resultKey: 'results/media/interview.mp3.json',
  rejectionKey: 'rejections/media/interview.mp3.json',
};

describe('PrepareMedia', () => {
  const prepare = makePrepare(new S3Client({}));

  it('finds a URL-encoded key by its decoded form and names the job and keys', async () => {
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }));
    s3.on(HeadObjectCommand, { Bucket: 'media-bucket', Key: 'media/my talk é.mp3' }).resolves({ ContentLength: 5000 });
    const out = await prepare({ bucket: 'media-bucket', key: 'media/my+talk+%C3%A9.mp3', executionName: 'exec-1' });
    expect(out).toEqual({
      accepted: true,
      reason: null,
      bucket: 'media-bucket',
      key: 'media/my talk é.mp3',
      mediaUri: 's3://media-bucket/media/my talk é.mp3',
      mediaFormat: 'mp3',
      jobName: 'my-talk-e-exec-1',
      transcriptKey: 'transcripts/my-talk-e-exec-1.json',
      resultKey: 'results/media/my talk é.mp3.json',
      rejectionKey: 'rejections/media/my talk é.mp3.json',
    });
    // The decoded key is tried first (lambda/shared/s3-key.ts, the rule video uses too).
    expect(s3).toHaveReceivedCommandTimes(HeadObjectCommand, 1);
  });

  it('uses a key with a literal "+" as received when only it exists', async () => {
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }));
    s3.on(HeadObjectCommand, { Key: 'media/c++.wav' }).resolves({ ContentLength: 10 });
    const out = await prepare({ bucket: 'b', key: 'media/c++.wav', executionName: 'e' });
    expect(out.key).toBe('media/c++.wav');
    expect(s3).toHaveReceivedCommandTimes(HeadObjectCommand, 2);
  });

  it('rejects (does not throw for) a format Transcribe does not accept, and an empty file', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10 });
    expect(await prepare({ bucket: 'b', key: 'media/slides.pdf', executionName: 'e' })).toMatchObject({
      accepted: false, reason: expect.stringContaining('(.pdf)'), mediaFormat: null,
    });
    s3.on(HeadObjectCommand).resolves({ ContentLength: 0 });
    expect(await prepare({ bucket: 'b', key: 'media/empty.mp3', executionName: 'e' })).toMatchObject({ accepted: false, reason: 'Empty media file media/empty.mp3 (0 bytes)' });
  });

  it('fails naming the key when the object is gone, and passes other S3 errors on', async () => {
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }));
    await expect(prepare({ bucket: 'b', key: 'media/gone.mp3', executionName: 'e' })).rejects.toThrow('No object s3://b/media/gone.mp3');
    s3.on(HeadObjectCommand).rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', message: 'Access Denied', $metadata: { httpStatusCode: 403 } }));
    await expect(prepare({ bucket: 'b', key: 'media/a.mp3', executionName: 'e' })).rejects.toThrow('Access Denied');
  });

  it.each([
    [{ key: 'media/a.mp3', executionName: 'e' }, 'bucket must be a non-empty string (got undefined)'],
    [{ bucket: 'b', key: '', executionName: 'e' }, 'key must be a non-empty string (got "")'],
    [{ bucket: 'b', key: 'media/a.mp3', executionName: 42 }, 'executionName must be a non-empty string (got 42)'],
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
    comprehend.on(BatchDetectEntitiesCommand).callsFake((input: { TextList: string[] }) => ({
      ResultList: input.TextList.map((_, Index) => ({ Index, Entities: [{ Text: 'Seattle', Type: 'LOCATION', Score: 0.9 + Index / 1000 }] })),
      ErrorList: [],
    }));
    comprehend.on(BatchDetectKeyPhrasesCommand).callsFake((input: { TextList: string[] }) => ({
      ResultList: input.TextList.map((_, Index) => ({ Index, KeyPhrases: [{ Text: 'the roadmap', Score: 0.8 }] })),
      ErrorList: [],
    }));
  }

  it('analyses more than 25 segments in batches of 25 and writes one result JSON', async () => {
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
    expect(comprehend).toHaveReceivedCommandTimes(BatchDetectEntitiesCommand, 2);
    expect(comprehend).toHaveReceivedCommandTimes(BatchDetectKeyPhrasesCommand, 2);
    expect(out).toEqual({ bucket: 'results', resultKey: MEDIA.resultKey, language: 'en', translated: false, sentiment: 'POSITIVE', segments: 30, entities: 1, keyPhrases: 1 });
    const put = s3.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(put).toMatchObject({ Bucket: 'results', Key: 'results/media/interview.mp3.json', ContentType: 'application/json' });
    const result = JSON.parse(put.Body as string);
    expect(result).toMatchObject({
      version: 1,
      media: { bucket: 'media-bucket', key: 'media/interview.mp3', format: 'mp3' },
      transcript: { bucket: 'results', key: MEDIA.transcriptKey },
      language: { transcribed: 'en-US', analysedAs: 'en', translated: false, translation: null },
      sentiment: { label: 'POSITIVE', scores: { positive: 0.7, negative: 0.1, neutral: 0.2, mixed: 0 } },
      entities: [{ text: 'Seattle', type: 'LOCATION', count: 30, score: 0.924 }],
      keyPhrases: [{ text: 'the roadmap', count: 30, score: 0.8 }],
      segments: { count: 30, batches: 2 },
      timings: { transcriptionSeconds: 60, totalSeconds: 120, analysisCompleted: '2026-01-01T00:02:00.000Z' },
      execution: 'arn:aws:states:us-east-1:123456789012:execution:M:exec1',
    });
    expect(result.segments.maxBytes).toBeLessThanOrEqual(5000);
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
    expect(out).toMatchObject({ sentiment: null, segments: 0, entities: 0 });
    const result = JSON.parse(s3.commandCalls(PutObjectCommand)[0].args[0].input.Body as string);
    expect(result).toMatchObject({ sentiment: null, entities: [], keyPhrases: [], segments: { count: 0, batches: 0 } });
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

  it('refuses an unsupported language that was not translated, naming it', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(transcribeOutput('Hallo.')) });
    await expect(handler(event({ job: { LanguageCode: 'nl-NL' } }))).rejects.toThrow('Language "nl-NL" is not supported by Comprehend and the transcript was not translated');
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('a document refused inside a batch fails the analysis, naming segment and code, and writes nothing', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(transcribeOutput('One. Two.')) });
    comprehendAnswers();
    comprehend.on(BatchDetectKeyPhrasesCommand).resolves({ ResultList: [], ErrorList: [{ Index: 0, ErrorCode: 'INTERNAL_SERVER_ERROR', ErrorMessage: 'try again' }] });
    await expect(handler(event())).rejects.toThrow('BatchDetectKeyPhrases refused 1 segment(s): segment 0: INTERNAL_SERVER_ERROR try again');
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('bad input is an error naming the missing field', async () => {
    await expect(handler({ ...event(), media: { ...MEDIA, resultKey: '' } })).rejects.toThrow('media.resultKey must be a non-empty string (got "")');
  });
});
