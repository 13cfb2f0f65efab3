/**
 * The speech chain's state machine, taken from the synthesized template, validated with
 * asl-validator and executed locally (aws-local-stepfunctions) on every path the issue lists.
 * The Lambda states run the real handlers against mocked S3 (an in-memory bucket), Translate,
 * Comprehend and Polly clients; the SDK-integration states (Transcribe, Polly's
 * GetSpeechSynthesisTask, S3 putObject, SNS publish) are local handlers that record what they were
 * asked to do.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { GetObjectCommand, HeadObjectCommand, NotFound, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  BatchDetectSentimentCommand,
  ComprehendClient,
  DetectEntitiesCommand,
  DetectKeyPhrasesCommand,
  InternalServerException,
} from '@aws-sdk/client-comprehend';
import { PollyClient, StartSpeechSynthesisTaskCommand, SynthesizeSpeechCommand, ThrottlingException } from '@aws-sdk/client-polly';
import { TranslateClient, TranslateTextCommand } from '@aws-sdk/client-translate';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { makeHandler as makePrepare } from '../../lambda/speech/prepare-media';
import { makeHandler as makeTranslate } from '../../lambda/speech/translate-transcript';
import { makeHandler as makeAnalyse } from '../../lambda/speech/analyse-transcript';
import { JOB_NAME_PATTERN, jobNameFor } from '../../lambda/speech/media';
import { makeHandler as makeSpeak } from '../../lambda/speech/speak-summary';
import { makeHandler as makeWriteResult } from '../../lambda/speech/write-result';
import { FAKE_ACCOUNT, FAKE_REGION } from '../helpers/asl';
import { SpeechChainStack } from '../../lib/stacks/speech-stack';
import { SANDBOX, testApp } from '../helpers/app';
import { Definition, definitionFrom, LocalRun, runLocally, TaskHandler, taskError, validateDefinition } from '../helpers/asl';

const FIXTURES = path.join(__dirname, '../fixtures/speech');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const RESULTS_BUCKET = 'results25575328'; // the fake name asl.ts gives the Results bucket

type Json = Parameters<TaskHandler>[0];
type Obj = { [k: string]: Json };

const s3 = mockClient(S3Client);
const comprehend = mockClient(ComprehendClient);
const translate = mockClient(TranslateClient);
const polly = mockClient(PollyClient);
const EXECUTION = 'a1b2c3d4-0000-4000-8000-000000000001';
const arnOf = (name: string) => `arn:aws:states:${FAKE_REGION}:${FAKE_ACCOUNT}:execution:Local:${name}`;
const JOB = jobNameFor('media/interview.mp3', EXECUTION, arnOf(EXECUTION));

let definition: Definition;
let boundedDefinition: Definition;

beforeAll(() => {
  const app = testApp({ gates: false });
  const main = new SpeechChainStack(app, 'SpeechChain', { profile: SANDBOX });
  // A second machine with a small poll budget, to run the "still IN_PROGRESS" bound quickly.
  const bounded = new SpeechChainStack(app, 'Bounded', {
    profile: SANDBOX, maxPolls: 2, pollInterval: Duration.seconds(10), timeout: Duration.minutes(5), speechMaxPolls: 2, spokenKeyPhrases: 150,
  });
  definition = definitionFrom(Template.fromStack(main));
  boundedDefinition = definitionFrom(Template.fromStack(bounded));
});

function event(key: string): Obj {
  const e = JSON.parse(fixture('object-created.event.json')) as Obj;
  ((e.detail as Obj).object as Obj).key = key;
  return e;
}

/** What the handlers wrote, by key: a later GetObject reads it back (an in-memory bucket). */
let written: Map<string, string>;

/** GetObject answers with what was written, else by key prefix. */
function objects(byPrefix: Record<string, string>) {
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    if (written.has(input.Key)) {
      return { Body: body(written.get(input.Key)!) };
    }
    const prefix = Object.keys(byPrefix).find((p) => input.Key.startsWith(p));
    if (prefix === undefined) {
      throw new NotFound({ message: `no fixture for ${input.Key}`, $metadata: { httpStatusCode: 404 } });
    }
    return { Body: body(byPrefix[prefix]) };
  });
}

/** The part of a GetObject body stream the handlers use. */
function body(text: string) {
  return { transformToString: async () => text } as never;
}

function job(status: string, extra: Obj = {}): Obj {
  return {
    TranscriptionJob: {
      TranscriptionJobName: 'job',
      TranscriptionJobStatus: status,
      LanguageCode: 'en-US',
      CreationTime: '2026-01-01T00:00:05.000Z',
      StartTime: '2026-01-01T00:00:06.000Z',
      ...(status === 'COMPLETED' ? { CompletionTime: '2026-01-01T00:01:06.000Z' } : {}),
      ...extra,
    },
  };
}

interface Scenario {
  readonly key?: string;
  /** GetTranscriptionJob answers, in order (the last repeats). */
  readonly statuses?: Obj[];
  readonly start?: TaskHandler;
  readonly executionName?: string;
  readonly machine?: () => Definition;
  /** GetSpeechSynthesisTask answers, in order (the last repeats). */
  readonly speechTask?: TaskHandler;
  /** SpeakSummary's key-phrase budget. @default 10 */
  readonly spokenKeyPhrases?: number;
}

interface Recorded {
  readonly run: LocalRun;
  readonly started: Obj[];
  readonly records: Obj[];
  readonly messages: Array<{ outcome: string; message: Obj }>;
}

/** Lambda invoke tasks see {FunctionName, Payload} and return {Payload}: wrap the real handler. */
const lambda = (fn: (e: never) => Promise<unknown>): TaskHandler => async (input) => ({ Payload: (await fn((input as Obj).Payload as never)) as Json });

async function execute(scenario: Scenario): Promise<Recorded> {
  const started: Obj[] = [];
  const records: Obj[] = [];
  const messages: Array<{ outcome: string; message: Obj }> = [];
  const statuses = scenario.statuses ?? [job('COMPLETED')];
  let poll = 0;
  const record: TaskHandler = (input) => {
    records.push(input as Obj);
    return { ETag: '"etag"' };
  };
  const publish: TaskHandler = (input) => {
    const i = input as Obj;
    const attrs = i.MessageAttributes as { outcome: { StringValue: string } };
    messages.push({ outcome: attrs.outcome.StringValue, message: JSON.parse(i.Message as string) as Obj });
    return { MessageId: `m-${messages.length}` };
  };
  const run = await runLocally((scenario.machine ?? (() => definition))(), event(scenario.key ?? 'media/interview.mp3'), {
    executionName: scenario.executionName ?? EXECUTION,
    handlers: {
      PrepareMedia: lambda(makePrepare(new S3Client({}))),
      StartTranscription: scenario.start ?? ((input) => {
        started.push(input as Obj);
        return { TranscriptionJob: { TranscriptionJobStatus: 'QUEUED' } };
      }),
      GetTranscriptionStatus: () => statuses[Math.min(poll++, statuses.length - 1)],
      TranslateTranscript: lambda(makeTranslate({ s3: new S3Client({}), translate: new TranslateClient({}) }, { resultsBucket: RESULTS_BUCKET })),
      AnalyseTranscript: lambda(makeAnalyse({ s3: new S3Client({}), comprehend: new ComprehendClient({}) }, { resultsBucket: RESULTS_BUCKET })),
      SpeakSummary: lambda(makeSpeak({ s3: new S3Client({}), polly: new PollyClient({}) }, { resultsBucket: RESULTS_BUCKET, maxKeyPhrases: scenario.spokenKeyPhrases ?? 10 })),
      GetSpeechSynthesisTask: scenario.speechTask ?? (() => { throw new Error('no speech task expected'); }),
      WriteResult: lambda(makeWriteResult(new S3Client({}), { resultsBucket: RESULTS_BUCKET })),
      RecordRejection: record,
      RecordUnsupportedLanguage: record,
      RecordFailure: record,
      NotifyRejection: publish,
      NotifyUnsupportedLanguage: publish,
      NotifyCompletion: publish,
      NotifyFailure: publish,
    },
  });
  return { run, started, records, messages };
}

const count = (run: LocalRun, state: string) => run.path.filter((s) => s === state).length;

function mockComprehendOk() {
  comprehend.on(BatchDetectSentimentCommand).callsFake((input: { TextList: string[] }) => ({
    ResultList: input.TextList.map((_, Index) => ({ Index, Sentiment: 'POSITIVE', SentimentScore: { Positive: 0.9, Negative: 0.05, Neutral: 0.05, Mixed: 0 } })),
    ErrorList: [],
  }));
  comprehend.on(DetectEntitiesCommand).resolves({ Entities: [{ Text: 'Seattle', Type: 'LOCATION', Score: 0.99 }] });
  comprehend.on(DetectKeyPhrasesCommand).resolves({ KeyPhrases: [{ Text: 'the quarterly review', Score: 0.97 }] });
}

const mp3 = { transformToByteArray: async () => new TextEncoder().encode('ID3') } as never;
/** Keys of the objects the handlers wrote, in order. */
const putKeys = () => s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
const resultOf = (key: string) => JSON.parse(written.get(key)!);

beforeEach(() => {
  s3.reset();
  comprehend.reset();
  translate.reset();
  polly.reset();
  written = new Map();
  s3.on(HeadObjectCommand).resolves({ ContentLength: 1_048_576 });
  objects({ 'transcripts/': fixture('transcribe-output.en.json') });
  s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: unknown }) => {
    written.set(input.Key, typeof input.Body === 'string' ? input.Body : '<binary>');
    return {};
  });
  mockComprehendOk();
  polly.on(SynthesizeSpeechCommand).resolves({ AudioStream: mp3, ContentType: 'audio/mpeg', RequestCharacters: 80 });
});

/** Every execution below adds itself here, so the test file can print what it covered. */
const covered: string[] = [];
afterAll(() => {
  console.log(`speech chain: ${covered.length} local executions:\n- ${covered.join('\n- ')}`);
});

describe('speech chain state machine definition', () => {
  it('validates with asl-validator (paths and ARNs checked)', () => {
    expect(validateDefinition(definition)).toEqual([]);
    expect(validateDefinition(boundedDefinition)).toEqual([]);
  });

  it('gives every Task a retry with full jitter and a max delay, and a catch', () => {
    const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThanOrEqual(10);
    for (const [name, state] of tasks) {
      const retry = state.Retry as Array<{ JitterStrategy?: string; MaxDelaySeconds?: number; ErrorEquals: string[] }>;
      expect({ name, jitter: retry?.map((r) => r.JitterStrategy) }).toEqual({ name, jitter: retry.map(() => 'FULL') });
      expect({ name, maxDelay: retry.every((r) => (r.MaxDelaySeconds ?? 0) > 0) }).toEqual({ name, maxDelay: true });
      // No retry on everything: a bad request must fail fast into the failure path.
      expect(retry.flatMap((r) => r.ErrorEquals)).not.toContain('States.ALL');
      const catches = state.Catch as Array<{ ErrorEquals: string[]; Next: string }>;
      expect({ name, catchesAll: catches?.at(-1)?.ErrorEquals }).toEqual({ name, catchesAll: ['States.ALL'] });
    }
  });

  it('has an overall timeout and a bounded poll loop', () => {
    expect(definition.TimeoutSeconds).toBe(6 * 3600);
    expect(definition.States.WaitForTranscription).toMatchObject({ Type: 'Wait', Seconds: 30 });
    const choices = (definition.States.TranscriptionStatus as unknown as { Choices: Array<Record<string, unknown>> }).Choices;
    expect(choices).toEqual(expect.arrayContaining([expect.objectContaining({ Variable: '$.poll.count', NumericGreaterThanEquals: 480 })]));
  });

  it('passes only pointers: no transcript text in any Parameters', () => {
    const text = JSON.stringify(definition);
    expect(text).not.toMatch(/"Text(List)?"/);
  });
});

describe('speech chain executed locally', () => {
  it('happy path: two IN_PROGRESS polls, then COMPLETED, analysed, summary spoken, result written and notified', async () => {
    const { run, started, messages } = await execute({ statuses: [job('IN_PROGRESS'), job('IN_PROGRESS'), job('COMPLETED')] });
    covered.push('happy path, 2 x IN_PROGRESS then COMPLETED (en-US), short summary by SynthesizeSpeech');
    expect(run.status).toBe('SUCCEEDED');
    expect(count(run, 'GetTranscriptionStatus')).toBe(3);
    expect(count(run, 'WaitForTranscription')).toBe(3);
    expect(count(run, 'CountPoll')).toBe(2);
    expect(run.path.slice(-8)).toEqual(['ComprehendSupportsLanguage', 'KeepOriginalLanguage', 'AnalyseTranscript', 'SpeakSummary', 'SpeechStatus', 'WriteResult', 'NotifyCompletion', 'Analysed']);
    expect(started[0]).toMatchObject({
      TranscriptionJobName: JOB,
      Media: { MediaFileUri: 's3://speech-media-bucket/media/interview.mp3' },
      MediaFormat: 'mp3',
      OutputBucketName: RESULTS_BUCKET,
      OutputKey: `transcripts/${JOB}.json`,
      OutputEncryptionKMSKeyId: expect.stringMatching(/^arn:aws:kms:/),
      IdentifyLanguage: true,
    });
    expect(JOB).toMatch(new RegExp(`^interview-${EXECUTION}-[0-9a-f]{16}$`));
    expect(putKeys()).toEqual([`analyses/${JOB}.json`, `speech/${JOB}.mp3`, 'results/media/interview.mp3.json']);
    expect(polly).toHaveReceivedCommandWith(SynthesizeSpeechCommand, { VoiceId: 'Joanna', Engine: 'standard', TextType: 'ssml', OutputFormat: 'mp3' });
    expect(resultOf('results/media/interview.mp3.json')).toMatchObject({
      media: { bucket: 'speech-media-bucket', key: 'media/interview.mp3' },
      transcript: { key: `transcripts/${JOB}.json` },
      language: { transcribed: 'en-US', analysedAs: 'en', translated: false },
      sentiment: { label: 'POSITIVE', basis: 'weighted-mean' },
      entities: [{ text: 'Seattle', type: 'LOCATION', count: 1 }],
      speech: { status: 'SYNTHESIZED', api: 'SynthesizeSpeech', key: `speech/${JOB}.mp3`, voiceId: 'Joanna', requestCharacters: 80 },
      timings: { transcriptionSeconds: 60, executionStarted: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    });
    expect(comprehend.commandCalls(BatchDetectSentimentCommand)[0].args[0].input.LanguageCode).toBe('en');
    expect(messages).toEqual([{ outcome: 'COMPLETED', message: expect.objectContaining({ resultKey: 'results/media/interview.mp3.json', sentiment: 'POSITIVE', speech: { status: 'SYNTHESIZED', uri: `s3://${RESULTS_BUCKET}/speech/${JOB}.mp3` } }) }]);
  });

  it('a long summary goes to StartSpeechSynthesisTask; the machine polls the task until completed', async () => {
    comprehend.on(DetectKeyPhrasesCommand).resolves({ KeyPhrases: Array.from({ length: 150 }, (_, i) => ({ Text: `the key phrase number ${i} of this long meeting`, Score: 0.9 })) });
    polly.on(StartSpeechSynthesisTaskCommand).resolves({ SynthesisTask: { TaskId: 'task-42', TaskStatus: 'scheduled' } });
    const answers = ['scheduled', 'inProgress', 'completed'];
    const polled: Obj[] = [];
    const { run, messages } = await execute({
      spokenKeyPhrases: 150,
      speechTask: (input) => {
        polled.push(input as Obj);
        const status = answers[Math.min(polled.length - 1, answers.length - 1)];
        return { SynthesisTask: { TaskId: 'task-42', TaskStatus: status, OutputUri: `https://s3.${FAKE_REGION}.amazonaws.com/${RESULTS_BUCKET}/speech/${JOB}.task-42.mp3`, RequestCharacters: 6123 } };
      },
    });
    covered.push('long summary (150 key phrases, > 3,000 billed characters) -> StartSpeechSynthesisTask -> 3 polls -> completed');
    expect(run.status).toBe('SUCCEEDED');
    expect(polly).not.toHaveReceivedCommand(SynthesizeSpeechCommand);
    expect(polly).toHaveReceivedCommandWith(StartSpeechSynthesisTaskCommand, { OutputS3BucketName: RESULTS_BUCKET, OutputS3KeyPrefix: `speech/${JOB}.`, VoiceId: 'Joanna' });
    expect(polled).toEqual([{ TaskId: 'task-42' }, { TaskId: 'task-42' }, { TaskId: 'task-42' }]);
    expect(count(run, 'WaitForSpeech')).toBe(3);
    expect(resultOf('results/media/interview.mp3.json').speech).toMatchObject({
      status: 'SYNTHESIZED', api: 'StartSpeechSynthesisTask', taskId: 'task-42', requestCharacters: 6123, keyPhrasesSpoken: 150,
      outputUri: expect.stringContaining(`/speech/${JOB}.task-42.mp3`),
    });
    expect(resultOf('results/media/interview.mp3.json').speech.billedCharacters).toBeGreaterThan(3_000);
    expect(messages[0].message).toMatchObject({ speech: { status: 'SYNTHESIZED' } });
  });

  it('a speech task that fails, or outlives the status checks, is recorded in the result; the execution succeeds', async () => {
    comprehend.on(DetectKeyPhrasesCommand).resolves({ KeyPhrases: Array.from({ length: 150 }, (_, i) => ({ Text: `the key phrase number ${i} of this long meeting`, Score: 0.9 })) });
    polly.on(StartSpeechSynthesisTaskCommand).resolves({ SynthesisTask: { TaskId: 'task-7', TaskStatus: 'scheduled' } });
    const failed = await execute({ spokenKeyPhrases: 150, speechTask: () => ({ SynthesisTask: { TaskId: 'task-7', TaskStatus: 'failed', TaskStatusReason: 'Output bucket is not accessible' } }) });
    covered.push('speech task failed -> recorded as FAILED with Polly\'s reason, execution SUCCEEDED');
    expect(failed.run.status).toBe('SUCCEEDED');
    expect(resultOf('results/media/interview.mp3.json').speech).toMatchObject({ status: 'FAILED', reason: 'Output bucket is not accessible' });

    written.clear();
    const stuck = await execute({ machine: () => boundedDefinition, spokenKeyPhrases: 150, speechTask: () => ({ SynthesisTask: { TaskId: 'task-7', TaskStatus: 'inProgress' } }) });
    covered.push('speech task still inProgress after speechMaxPolls (2) -> recorded as TIMED_OUT, execution SUCCEEDED');
    expect(stuck.run.status).toBe('SUCCEEDED');
    expect(count(stuck.run, 'GetSpeechSynthesisTask')).toBe(3);
    expect(stuck.run.path).toContain('SpeechTaskTimedOut');
    expect(resultOf('results/media/interview.mp3.json').speech).toMatchObject({ status: 'TIMED_OUT', taskId: 'task-7' });
  });

  it('a language without a Polly voice (zh-TW) is analysed as Traditional Chinese and its summary recorded as NO_VOICE', async () => {
    objects({ 'transcripts/': fixture('transcribe-output.en.json').replace(/"transcript": "[^"]*"/, '"transcript": "今天的會議很成功。"') });
    const { run, messages } = await execute({ statuses: [job('COMPLETED', { LanguageCode: 'zh-TW' })] });
    covered.push('zh-TW: analysed as zh-TW, no Polly voice -> NO_VOICE recorded, execution SUCCEEDED');
    expect(run.status).toBe('SUCCEEDED');
    expect(comprehend.commandCalls(BatchDetectSentimentCommand)[0].args[0].input.LanguageCode).toBe('zh-TW');
    expect(polly.calls()).toHaveLength(0);
    expect(resultOf('results/media/interview.mp3.json').speech).toEqual({ status: 'NO_VOICE', language: 'zh-TW', reason: 'Amazon Polly has no standard voice for zh-TW' });
    expect(messages[0]).toMatchObject({ outcome: 'COMPLETED', message: { speech: { status: 'NO_VOICE', uri: null } } });
  });

  it('a Cantonese (zh-HK) transcript is analysed as Traditional Chinese, never Simplified', async () => {
    const { run } = await execute({ statuses: [job('COMPLETED', { LanguageCode: 'zh-HK' })] });
    covered.push('zh-HK -> KeepOriginalLanguage, Comprehend LanguageCode zh-TW');
    expect(run.path).toContain('KeepOriginalLanguage');
    expect(comprehend.commandCalls(DetectEntitiesCommand)[0].args[0].input.LanguageCode).toBe('zh-TW');
  });

  it('Polly throttling on SpeakSummary is retried with backoff, then the summary is spoken', async () => {
    let calls = 0;
    polly.on(SynthesizeSpeechCommand).callsFake(() => {
      calls += 1;
      if (calls <= 2) {
        throw new ThrottlingException({ message: 'Rate exceeded', $metadata: {} });
      }
      return { AudioStream: mp3, ContentType: 'audio/mpeg', RequestCharacters: 80 };
    });
    const { run } = await execute({});
    covered.push('Polly ThrottlingException x2 on SynthesizeSpeech -> SpeakSummary retried twice, then SYNTHESIZED');
    expect(run.retries.SpeakSummary).toBe(2);
    expect(run.status).toBe('SUCCEEDED');
    expect(resultOf('results/media/interview.mp3.json').speech.status).toBe('SYNTHESIZED');
  });

  it('Polly throttling on GetSpeechSynthesisTask is retried by the SDK integration', async () => {
    comprehend.on(DetectKeyPhrasesCommand).resolves({ KeyPhrases: Array.from({ length: 150 }, (_, i) => ({ Text: `the key phrase number ${i} of this long meeting`, Score: 0.9 })) });
    polly.on(StartSpeechSynthesisTaskCommand).resolves({ SynthesisTask: { TaskId: 'task-9', TaskStatus: 'scheduled' } });
    let polls = 0;
    const { run } = await execute({
      spokenKeyPhrases: 150,
      speechTask: () => {
        polls += 1;
        if (polls === 1) {
          throw taskError('Polly.ThrottlingException', 'Rate exceeded');
        }
        return { SynthesisTask: { TaskId: 'task-9', TaskStatus: 'completed', OutputUri: 'https://s3/x.mp3' } };
      },
    });
    covered.push('Polly.ThrottlingException on GetSpeechSynthesisTask -> retried, then completed');
    expect(run.retries.GetSpeechSynthesisTask).toBe(1);
    expect(run.status).toBe('SUCCEEDED');
  });

  it('FAILED transcription: records FailureReason, notifies, fails with it', async () => {
    const reason = 'The media format provided does not match the detected media format.';
    const { run, records, messages } = await execute({ statuses: [job('IN_PROGRESS'), job('FAILED', { FailureReason: reason })] });
    covered.push('Transcribe job FAILED -> failure record + notification');
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('TranscriptionFailed');
    expect(run.cause).toBe(reason);
    expect(run.path.slice(-4)).toEqual(['TranscriptionFailed', 'RecordFailure', 'NotifyFailure', 'Failed']);
    expect(records).toEqual([expect.objectContaining({
      Bucket: RESULTS_BUCKET,
      Key: `failures/${EXECUTION}.json`,
      Body: expect.objectContaining({ status: 'FAILED', error: { Error: 'TranscriptionFailed', Cause: reason }, media: { bucket: 'speech-media-bucket', key: 'media/interview.mp3' } }),
    })]);
    expect(messages.map((m) => m.outcome)).toEqual(['FAILED']);
    expect(messages[0].message).toMatchObject({ error: { Error: 'TranscriptionFailed', Cause: reason } });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0); // no half-written result
  });

  it('ThrottlingException on StartTranscriptionJob twice, then success', async () => {
    let attempts = 0;
    const { run } = await execute({
      start: () => {
        attempts += 1;
        if (attempts <= 2) {
          throw taskError('Transcribe.ThrottlingException', 'Rate exceeded');
        }
        return { TranscriptionJob: { TranscriptionJobStatus: 'QUEUED' } };
      },
    });
    covered.push('Transcribe.ThrottlingException x2 on StartTranscriptionJob, then success');
    expect(attempts).toBe(3);
    expect(run.retries.StartTranscription).toBe(2);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path.at(-1)).toBe('Analysed');
  });

  it('a Comprehend error is retried, then caught, recorded and reported', async () => {
    comprehend.on(BatchDetectSentimentCommand).rejects(new InternalServerException({ message: 'Comprehend is unavailable', $metadata: {} }));
    const { run, records, messages } = await execute({});
    covered.push('Comprehend InternalServerException: 5 retries, then caught -> failure record + notification');
    expect(run.retries.AnalyseTranscript).toBe(5);
    expect(run.caught.AnalyseTranscript).toEqual(['States.ALL']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('InternalServerException');
    expect(run.cause).toContain('Comprehend is unavailable');
    expect(records[0]).toMatchObject({ Body: { error: { Error: 'InternalServerException' } } });
    expect(messages.map((m) => m.outcome)).toEqual(['FAILED']);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('a document Comprehend refuses inside a batch fails the analysis without retries', async () => {
    comprehend.on(BatchDetectSentimentCommand).resolves({ ResultList: [], ErrorList: [{ Index: 0, ErrorCode: 'TEXT_SIZE_LIMIT_EXCEEDED', ErrorMessage: 'too long' }] });
    const { run } = await execute({});
    covered.push('Comprehend BatchItemError (ErrorList) -> caught without retry -> failure path');
    expect(run.retries.AnalyseTranscript).toBeUndefined();
    expect(run.error).toBe('ComprehendBatchItemError');
    expect(run.cause).toContain('TEXT_SIZE_LIMIT_EXCEEDED');
    expect(run.path.slice(-3)).toEqual(['RecordFailure', 'NotifyFailure', 'Failed']);
  });

  it('a language Comprehend does not support is translated to English first, and spoken in English', async () => {
    objects({
      'transcripts/': fixture('transcribe-output.nl.json'),
      'translations/': 'Welcome to the meeting. The results in Amsterdam are excellent.',
    });
    translate.on(TranslateTextCommand).resolves({ TranslatedText: 'Welcome to the meeting. The results in Amsterdam are excellent.', SourceLanguageCode: 'nl', TargetLanguageCode: 'en' });
    const { run, messages } = await execute({ key: 'media/vergadering.wav', statuses: [job('COMPLETED', { LanguageCode: 'nl-NL' })] });
    covered.push('nl-NL (not supported by Comprehend) -> TranslateTranscript -> analysed and spoken in English');
    const vergadering = jobNameFor('media/vergadering.wav', EXECUTION, arnOf(EXECUTION));
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual(expect.arrayContaining(['ComprehendSupportsLanguage', 'TranslateTranscript', 'AnalyseTranscript']));
    expect(run.path).not.toContain('KeepOriginalLanguage');
    expect(translate.commandCalls(TranslateTextCommand)[0].args[0].input).toMatchObject({ SourceLanguageCode: 'nl', TargetLanguageCode: 'en' });
    expect(comprehend.commandCalls(BatchDetectSentimentCommand)[0].args[0].input.LanguageCode).toBe('en');
    expect(putKeys()).toEqual([`translations/${vergadering}.en.txt`, `analyses/${vergadering}.json`, `speech/${vergadering}.mp3`, 'results/media/vergadering.wav.json']);
    expect(resultOf('results/media/vergadering.wav.json').language).toMatchObject({ transcribed: 'nl-NL', analysedAs: 'en', translated: true, translation: { from: 'nl', to: 'en' } });
    expect(polly).toHaveReceivedCommandWith(SynthesizeSpeechCommand, { VoiceId: 'Joanna', LanguageCode: 'en-US' });
    expect(messages[0].message).toMatchObject({ translated: true, language: 'en' });
  });

  it('a language Translate cannot translate (Basque) ends in a result record saying so, not a failed execution', async () => {
    const { run, records, messages } = await execute({ statuses: [job('COMPLETED', { LanguageCode: 'eu-ES' })] });
    covered.push('eu-ES (no Translate language) -> NOT_ANALYSED result record + notification, execution SUCCEEDED');
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path.slice(-5)).toEqual(['ComprehendSupportsLanguage', 'LanguageNotTranslatable', 'RecordUnsupportedLanguage', 'NotifyUnsupportedLanguage', 'LanguageNotSupported']);
    expect(translate.calls()).toHaveLength(0);
    expect(comprehend.calls()).toHaveLength(0);
    expect(records).toEqual([expect.objectContaining({
      Key: 'results/media/interview.mp3.json',
      Body: expect.objectContaining({
        status: 'NOT_ANALYSED',
        reason: 'Transcribe language eu-ES is not analysed by Amazon Comprehend and has no Amazon Translate language: the transcript is kept, not analysed',
        transcript: { bucket: RESULTS_BUCKET, key: `transcripts/${JOB}.json` },
        language: { transcribed: 'eu-ES', translated: false },
      }),
    })]);
    expect(messages[0]).toMatchObject({ outcome: 'NOT_ANALYSED', message: { language: 'eu-ES', resultKey: 'results/media/interview.mp3.json' } });
  });

  it('a hostile key (URL-encoded unicode, spaces, %, &, +, apostrophe, 400+ characters) gives a valid job name', async () => {
    // No double quote here: aws-local-stepfunctions strips backslashes from intrinsic function
    // results, so States.JsonToString of a string holding '"' gives invalid JSON locally (AWS
    // escapes it). Quotes in job names are covered by the jobNameFor unit tests.
    const realKey = `media/Ünïcödé  ☃ räksmörgås 日本語 (100%) & + it's ${'very-long-'.repeat(40)}.MP3`;
    // S3 event keys arrive URL-encoded with "+" for spaces.
    const eventKey = encodeURIComponent(realKey).replace(/%20/g, '+').replace(/%2F/g, '/');
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }));
    s3.on(HeadObjectCommand, { Key: realKey }).resolves({ ContentLength: 2048 });
    const executionName = 'e7f3c2a1-9b8d-4c6e-a5f4-3b2a1c0d9e8f';
    const { run, started } = await execute({ key: eventKey, executionName });
    covered.push('hostile key (URL-encoded unicode, spaces, %, &, +, apostrophe; 440 chars) -> valid 200-char job name');
    expect(run.status).toBe('SUCCEEDED');
    const name = started[0].TranscriptionJobName as string;
    expect(name).toMatch(JOB_NAME_PATTERN);
    expect(name.length).toBeLessThanOrEqual(200);
    expect(name.startsWith('Unicode-raksmorgas-100-it-s-very-long-')).toBe(true);
    expect(name).toBe(jobNameFor(realKey, executionName, arnOf(executionName)));
    expect(started[0]).toMatchObject({ Media: { MediaFileUri: `s3://speech-media-bucket/${realKey}` }, MediaFormat: 'mp3' });
    expect(putKeys().at(-1)).toBe(`results/${realKey}.json`);
  });

  it('a 1,024-byte media key (S3\'s longest) gets a result key that S3 accepts, unique to it', async () => {
    const realKey = `media/${'日'.repeat(337)}abc.mp3`;
    expect(Buffer.byteLength(realKey)).toBe(1_024);
    const { run } = await execute({ key: realKey });
    covered.push('1,024-byte media key -> result key of 1,024 bytes (readable head + SHA-256), written after analysis');
    expect(run.status).toBe('SUCCEEDED');
    const resultKey = putKeys().at(-1)!;
    expect(Buffer.byteLength(resultKey)).toBe(1_024);
    expect(resultKey).toMatch(/^results\/media\/日+~+[0-9a-f]{64}\.json$/);
  });

  it('two executions whose names read alike (run(1), run-1) start different transcription jobs', async () => {
    const a = await execute({ executionName: 'run(1)' });
    const b = await execute({ executionName: 'run-1' });
    covered.push('executions run(1) and run-1 -> two different job names');
    expect(a.started[0].TranscriptionJobName).not.toBe(b.started[0].TranscriptionJobName);
  });

  it('a file Transcribe does not accept is rejected with a recorded reason, not ignored', async () => {
    const { run, records, messages, started } = await execute({ key: 'media/notes.txt' });
    covered.push('unsupported format (.txt) -> rejection record + notification, no job started');
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual(['PrepareMedia', 'TranscribeAccepts', 'RecordRejection', 'NotifyRejection', 'MediaRejected']);
    expect(started).toHaveLength(0);
    expect(records).toEqual([expect.objectContaining({
      Key: 'rejections/media/notes.txt.json',
      Body: expect.objectContaining({ status: 'REJECTED', reason: expect.stringContaining('Unsupported media format (.txt) for media/notes.txt') }),
    })]);
    expect(messages[0]).toMatchObject({ outcome: 'REJECTED', message: { accepted: false, key: 'media/notes.txt' } });
  });

  it('a job still IN_PROGRESS after maxPolls status checks fails with TranscriptionTimedOut', async () => {
    const { run } = await execute({ machine: () => boundedDefinition, statuses: [job('IN_PROGRESS')] });
    covered.push('poll budget exhausted (maxPolls 2) -> TranscriptionTimedOut -> failure path');
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('TranscriptionTimedOut');
    expect(run.cause).toMatch(/still IN_PROGRESS after 2 status checks/);
    expect(count(run, 'GetTranscriptionStatus')).toBe(3);
  });

  it('a ConflictException on start (the job exists already) polls that job instead of failing', async () => {
    const { run } = await execute({ start: () => { throw taskError('Transcribe.ConflictException', 'The requested job name already exists.'); } });
    covered.push('Transcribe.ConflictException on start -> caught, polls the existing job');
    expect(run.caught.StartTranscription).toEqual(['Transcribe.ConflictException']);
    expect(run.status).toBe('SUCCEEDED');
  });

  it('a missing object (deleted before the chain ran) fails with the key named', async () => {
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }));
    const { run, messages } = await execute({ key: 'media/gone.mp3' });
    covered.push('object gone before PrepareMedia -> MediaNotFoundError -> failure path');
    expect(run.error).toBe('MediaNotFoundError');
    expect(run.cause).toContain('media/gone.mp3');
    expect(messages.map((m) => m.outcome)).toEqual(['FAILED']);
  });
});
