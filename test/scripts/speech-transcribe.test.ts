import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, HistoryEvent, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { Io, parseArgs, run } from '../../scripts/speech-transcribe';

const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:SpeechChain';
const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:SpeechChain:e-1';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'speech-cli-'));
const audio = path.join(dir, 'my talk.mp3');
fs.writeFileSync(audio, Buffer.alloc(2048, 1));
const args = [audio, '--media-bucket', 'media-b', '--results-bucket', 'results-b', '--state-machine-arn', ARN];

/**
 * GetExecutionHistory over a history that grows by `growth[i]` events before the i-th call, paged
 * as the API does (maxResults, nextToken, reverseOrder). Counts the events it returns.
 */
function history(growth: HistoryEvent[][]) {
  const all: HistoryEvent[] = [];
  let call = 0;
  const served = { events: 0, calls: 0 };
  sfn.on(GetExecutionHistoryCommand).callsFake((input: { nextToken?: string; maxResults?: number; reverseOrder?: boolean }) => {
    if (input.nextToken === undefined) {
      all.push(...(growth[Math.min(call, growth.length - 1)] ?? []));
      call += 1;
    }
    const ordered = input.reverseOrder ? [...all].reverse() : all;
    const start = Number(input.nextToken ?? 0);
    const page = ordered.slice(start, start + (input.maxResults ?? 1000));
    served.events += page.length;
    served.calls += 1;
    return { events: page, nextToken: start + page.length < ordered.length ? String(start + page.length) : undefined };
  });
  return served;
}

/** A fake clock that sleep advances, and a log that collects lines. */
function fakeIo(): Io & { lines: string[] } {
  let t = Date.parse('2026-01-01T00:00:00Z');
  const lines: string[] = [];
  return { lines, log: (l) => lines.push(l), sleep: async (ms) => { t += ms; }, now: () => t };
}

const eventInput = (key: string) => JSON.stringify({ detail: { bucket: { name: 'media-b' }, object: { key } } });
const entered = (id: number, name: string): HistoryEvent => ({ id, type: 'TaskStateEntered', timestamp: new Date(), stateEnteredEventDetails: { name } });

const RESULT = {
  language: { transcribed: 'en-US', analysedAs: 'en', translated: false, translation: null },
  sentiment: { label: 'POSITIVE', scores: { positive: 0.9, negative: 0.02, neutral: 0.08, mixed: 0 } },
  entities: [{ text: 'Seattle', type: 'LOCATION', count: 2, score: 0.99 }],
  keyPhrases: [{ text: 'the quarterly review', count: 1, score: 0.97 }],
  segments: {
    textBytes: 250,
    sentiment: { api: 'BatchDetectSentiment', count: 1, calls: 1, maxBytes: 250 },
    entities: { api: 'DetectEntities', count: 1, calls: 1, maxBytes: 250 },
    keyPhrases: { api: 'DetectKeyPhrases', count: 1, calls: 1, maxBytes: 250 },
  },
  speech: { status: 'SYNTHESIZED', voiceId: 'Joanna', key: 'speech/my-talk-e-1-0123456789abcdef.mp3', billedCharacters: 84 },
  timings: { transcriptionSeconds: 60, totalSeconds: 95 },
};

beforeEach(() => {
  s3.reset();
  sfn.reset();
  s3.on(PutObjectCommand).resolves({});
  sfn.on(ListExecutionsCommand).resolvesOnce({ executions: [] }).resolves({
    executions: [
      { executionArn: `${EXECUTION}-other`, stateMachineArn: ARN, name: 'other', status: 'RUNNING', startDate: new Date('2026-01-01T00:00:02Z') },
      { executionArn: EXECUTION, stateMachineArn: ARN, name: 'e-1', status: 'RUNNING', startDate: new Date('2026-01-01T00:00:02Z') },
    ],
  });
  sfn.on(DescribeExecutionCommand, { executionArn: `${EXECUTION}-other` }).resolves({ input: eventInput('media/someone-else.mp3'), status: 'RUNNING' });
});

describe('speech-transcribe CLI', () => {
  it('uploads, finds the execution by its (URL-encoded) key, follows it state by state and prints the summary', async () => {
    sfn.on(DescribeExecutionCommand, { executionArn: EXECUTION })
      .resolvesOnce({ input: eventInput('media/my+talk.mp3'), status: 'RUNNING' })
      .resolvesOnce({ status: 'RUNNING' })
      .resolves({ status: 'SUCCEEDED', output: JSON.stringify({ result: { summary: { resultKey: 'results/media/my talk.mp3.json' } } }) });
    history([
      [entered(2, 'PrepareMedia'), entered(5, 'StartTranscription'), entered(8, 'GetTranscriptionStatus')],
      [entered(11, 'GetTranscriptionStatus'), entered(14, 'AnalyseTranscript')],
    ]);
    s3.on(GetObjectCommand, { Bucket: 'results-b', Key: 'results/media/my talk.mp3.json' })
      .resolves({ Body: { transformToString: async () => JSON.stringify(RESULT) } as never });
    const io = fakeIo();
    expect(await run(args, { s3: new S3Client({}), sfn: new SFNClient({}) }, io)).toBe(0);
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'media-b', Key: 'media/my talk.mp3', ContentType: 'audio/mpeg', ContentLength: 2048 });
    expect(io.lines).toEqual([
      `Uploaded ${audio} to s3://media-b/media/my talk.mp3`,
      `Execution ${EXECUTION}`,
      '[00:00] PrepareMedia',
      '[00:00] StartTranscription',
      '[00:00] GetTranscriptionStatus (status check 1)',
      '[00:05] GetTranscriptionStatus (status check 2)',
      '[00:05] AnalyseTranscript',
      'Result: s3://results-b/results/media/my talk.mp3.json',
      'Language: en-US (analysed as en)',
      'Sentiment: POSITIVE (positive 0.9, negative 0.02, neutral 0.08, mixed 0)',
      'Entities (1): Seattle [LOCATION] x2',
      'Key phrases (1): the quarterly review x1',
      'Text: 250 bytes; BatchDetectSentiment 1 segment(s) in 1 call(s), DetectEntities 1 segment(s) in 1 call(s), DetectKeyPhrases 1 segment(s) in 1 call(s)',
      'Spoken summary: s3://<results>/speech/my-talk-e-1-0123456789abcdef.mp3 (voice Joanna, 84 characters)',
      'Timings: transcription 60 s, total 95 s',
    ]);
  });

  it('reads only the new events of a long history on each poll, newest first', async () => {
    // 2,000 events already there, then 3 new ones per poll: each poll must not re-read the 2,000.
    const old = Array.from({ length: 2_000 }, (_, i) => ({ id: i + 1, type: 'PassStateExited', timestamp: new Date() }) as HistoryEvent);
    const fresh = (from: number) => [entered(from, 'WaitForTranscription'), { id: from + 1, type: 'WaitStateExited', timestamp: new Date() } as HistoryEvent, entered(from + 2, 'GetTranscriptionStatus')];
    sfn.on(DescribeExecutionCommand, { executionArn: EXECUTION })
      .resolvesOnce({ input: eventInput('media/my+talk.mp3'), status: 'RUNNING' })
      .resolvesOnce({ status: 'RUNNING' }).resolvesOnce({ status: 'RUNNING' }).resolvesOnce({ status: 'RUNNING' })
      .resolves({ status: 'FAILED', error: 'X', cause: 'y' });
    const served = history([old, fresh(2_001), fresh(2_004), fresh(2_007)]);
    const io = fakeIo();
    await run(args, { s3: new S3Client({}), sfn: new SFNClient({}) }, io);
    expect(io.lines.filter((l) => l.includes('GetTranscriptionStatus'))).toEqual([
      '[00:05] GetTranscriptionStatus (status check 1)', '[00:10] GetTranscriptionStatus (status check 2)', '[00:15] GetTranscriptionStatus (status check 3)',
    ]);
    expect(served.calls).toBe(20 + 3); // the 2,000 once (20 pages of 100), then one page per poll
    expect(served.events).toBeLessThanOrEqual(2_000 + 3 * 100);
    expect(sfn.commandCalls(GetExecutionHistoryCommand).every((c) => c.args[0].input.reverseOrder === true)).toBe(true);
  });

  it('reports a transcript in a language that cannot be analysed, exit code 3', async () => {
    sfn.on(DescribeExecutionCommand, { executionArn: EXECUTION })
      .resolvesOnce({ input: eventInput('media/my+talk.mp3'), status: 'RUNNING' })
      .resolves({ status: 'SUCCEEDED', output: JSON.stringify({ notAnalysed: { reason: 'Transcribe language eu-ES is not analysed', resultKey: 'results/media/my talk.mp3.json' } }) });
    history([[entered(2, 'PrepareMedia'), entered(30, 'RecordUnsupportedLanguage')]]);
    const io = fakeIo();
    expect(await run(args, { s3: new S3Client({}), sfn: new SFNClient({}) }, io)).toBe(3);
    expect(io.lines.slice(-2)).toEqual(['NOT ANALYSED: Transcribe language eu-ES is not analysed', 'Record: s3://results-b/results/media/my talk.mp3.json']);
  });

  it('reports a rejected file with its reason and record, exit code 2', async () => {
    sfn.on(DescribeExecutionCommand, { executionArn: EXECUTION })
      .resolvesOnce({ input: eventInput('media/my+talk.mp3'), status: 'RUNNING' })
      .resolves({ status: 'SUCCEEDED', output: JSON.stringify({ prepared: { value: { reason: 'Empty media file media/my talk.mp3 (0 bytes)', rejectionKey: 'rejections/media/my talk.mp3.json' } } }) });
    history([[entered(2, 'PrepareMedia'), entered(5, 'RecordRejection')]]);
    const io = fakeIo();
    expect(await run(args, { s3: new S3Client({}), sfn: new SFNClient({}) }, io)).toBe(2);
    expect(io.lines.slice(-2)).toEqual(['REJECTED: Empty media file media/my talk.mp3 (0 bytes)', 'Record: s3://results-b/rejections/media/my talk.mp3.json']);
  });

  it('reports a failed execution with its error and failure record, exit code 1', async () => {
    sfn.on(DescribeExecutionCommand, { executionArn: EXECUTION })
      .resolvesOnce({ input: eventInput('media/my talk.mp3'), status: 'RUNNING' })
      .resolves({ status: 'FAILED', error: 'TranscriptionFailed', cause: 'Unsupported audio' });
    history([[entered(2, 'PrepareMedia'), entered(20, 'RecordFailure')]]);
    const io = fakeIo();
    expect(await run(args, { s3: new S3Client({}), sfn: new SFNClient({}) }, io)).toBe(1);
    expect(io.lines.slice(-2)).toEqual(['FAILED: TranscriptionFailed Unsupported audio', 'Record: s3://results-b/failures/e-1.json']);
  });

  it('gives up finding the execution after two minutes, pointing at the rule DLQ', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    await expect(run(args, { s3: new S3Client({}), sfn: new SFNClient({}) }, fakeIo())).rejects.toThrow(/within 2 minutes: check the MediaUploaded rule's dead-letter queue/);
  });

  it.each([
    ['no file', [], 'Give exactly one audio file (got 0: [])'],
    ['no ARN', [audio, '--media-bucket', 'm', '--results-bucket', 'r'], '--state-machine-arn is required'],
    ['bad ARN', [audio, '--media-bucket', 'm', '--results-bucket', 'r', '--state-machine-arn', 'nope'], '--state-machine-arn is not a state machine ARN (got "nope")'],
    ['negative timeout', [...args, '--timeout-minutes', '-3'], '--timeout-minutes must be a positive number (got "-3")'],
    ['unknown flag', [...args, '--bucket', 'x'], 'Unknown option(s) --bucket'],
    ['flag without value', [audio, '--media-bucket'], '--media-bucket needs a value'],
  ])('bad arguments (%s) are an error naming the value', (_label, argv, message) => {
    expect(() => parseArgs(argv as string[])).toThrow(message);
  });

  it('a missing file is an error naming it', async () => {
    await expect(run(['/nope.mp3', ...args.slice(1)], { s3: new S3Client({}), sfn: new SFNClient({}) }, fakeIo())).rejects.toThrow('No such file "/nope.mp3"');
  });
});
