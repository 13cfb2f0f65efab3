/**
 * Upload a local audio file to the speech chain, follow its execution state by state, and print
 * the summary of the result JSON.
 *
 *   npx tsx scripts/speech-transcribe.ts <audio file> --media-bucket <MediaBucketName> \
 *     --results-bucket <ResultsBucketName> --state-machine-arn <StateMachineArn> [--key media/<name>] [--timeout-minutes 90]
 *
 * The three values are the SpeechChain stack outputs (see docs/speech.md, "Try it").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  ExecutionListItem,
  GetExecutionHistoryCommand,
  HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';

export interface CliOptions {
  readonly file: string;
  readonly mediaBucket: string;
  readonly resultsBucket: string;
  readonly stateMachineArn: string;
  readonly key: string;
  readonly timeoutMinutes: number;
}

const USAGE = 'usage: speech-transcribe <audio file> --media-bucket B --results-bucket R --state-machine-arn ARN [--key media/<name>] [--timeout-minutes 90]';

export function parseArgs(argv: string[]): CliOptions {
  const flags: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('--')) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) {
        throw new Error(`${arg} needs a value\n${USAGE}`);
      }
      flags[arg.slice(2)] = value;
      i++;
    } else {
      positional.push(arg);
    }
  }
  const known = ['media-bucket', 'results-bucket', 'state-machine-arn', 'key', 'timeout-minutes'];
  const unknown = Object.keys(flags).filter((f) => !known.includes(f));
  if (unknown.length > 0) {
    throw new Error(`Unknown option(s) ${unknown.map((u) => `--${u}`).join(', ')}\n${USAGE}`);
  }
  if (positional.length !== 1) {
    throw new Error(`Give exactly one audio file (got ${positional.length}: ${JSON.stringify(positional)})\n${USAGE}`);
  }
  for (const required of ['media-bucket', 'results-bucket', 'state-machine-arn']) {
    if (!flags[required]) {
      throw new Error(`--${required} is required\n${USAGE}`);
    }
  }
  if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:.+$/.test(flags['state-machine-arn'])) {
    throw new Error(`--state-machine-arn is not a state machine ARN (got ${JSON.stringify(flags['state-machine-arn'])})`);
  }
  const timeoutMinutes = Number(flags['timeout-minutes'] ?? 90);
  if (!Number.isFinite(timeoutMinutes) || timeoutMinutes <= 0) {
    throw new Error(`--timeout-minutes must be a positive number (got ${JSON.stringify(flags['timeout-minutes'])})`);
  }
  const file = positional[0];
  return {
    file,
    mediaBucket: flags['media-bucket'],
    resultsBucket: flags['results-bucket'],
    stateMachineArn: flags['state-machine-arn'],
    key: flags.key ?? `media/${path.basename(file)}`,
    timeoutMinutes,
  };
}

const CONTENT_TYPES: Record<string, string> = {
  '.mp3': 'audio/mpeg', '.mp4': 'video/mp4', '.m4a': 'audio/mp4', '.wav': 'audio/wav', '.flac': 'audio/flac',
  '.ogg': 'audio/ogg', '.webm': 'audio/webm', '.amr': 'audio/amr',
};

export interface Io {
  readonly log: (line: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

export interface Clients {
  readonly s3: S3Client;
  readonly sfn: SFNClient;
}

/** Upload the file; the EventBridge rule starts the execution. */
export async function upload(clients: Clients, options: CliOptions): Promise<void> {
  const stat = fs.statSync(options.file);
  await clients.s3.send(new PutObjectCommand({
    Bucket: options.mediaBucket,
    Key: options.key,
    Body: fs.createReadStream(options.file),
    ContentLength: stat.size,
    ContentType: CONTENT_TYPES[path.extname(options.file).toLowerCase()] ?? 'application/octet-stream',
  }));
}

interface S3EventInput {
  detail?: { bucket?: { name?: string }; object?: { key?: string } };
}

const decodeKey = (k: string) => {
  try {
    return decodeURIComponent(k.replace(/\+/g, ' '));
  } catch {
    return k;
  }
};

/** The execution EventBridge started for this upload: newest first, matched on bucket and key. */
export async function findExecution(clients: Clients, options: CliOptions, uploadedAt: number, io: Io): Promise<string> {
  const deadline = io.now() + 120_000; // EventBridge delivers within seconds; two minutes is generous
  const seen = new Set<string>();
  while (io.now() < deadline) {
    const list = await clients.sfn.send(new ListExecutionsCommand({ stateMachineArn: options.stateMachineArn, maxResults: 25 }));
    const recent = (list.executions ?? []).filter((e: ExecutionListItem) => (e.startDate?.getTime() ?? 0) >= uploadedAt - 5_000);
    for (const execution of recent) {
      if (!execution.executionArn || seen.has(execution.executionArn)) {
        continue;
      }
      seen.add(execution.executionArn);
      const described = await clients.sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
      const input = JSON.parse(described.input ?? '{}') as S3EventInput;
      const key = input.detail?.object?.key;
      if (input.detail?.bucket?.name === options.mediaBucket && key !== undefined && (key === options.key || decodeKey(key) === options.key)) {
        return execution.executionArn;
      }
    }
    await io.sleep(3_000);
  }
  throw new Error(`No execution of ${options.stateMachineArn} started for s3://${options.mediaBucket}/${options.key} within 2 minutes: check the MediaUploaded rule's dead-letter queue`);
}

const clock = (ms: number) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

/** Events newer than `afterId`, oldest first, read newest-first so only the new ones (and one page at most) are fetched. */
export async function newEvents(clients: Clients, executionArn: string, afterId: number, pageSize = 100): Promise<HistoryEvent[]> {
  const fresh: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await clients.sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, includeExecutionData: false, maxResults: pageSize, reverseOrder: true }));
    const events = page.events ?? [];
    fresh.push(...events.filter((e) => (e.id ?? 0) > afterId));
    // Newest first: a page that reaches an event already printed is the last one to read.
    nextToken = events.some((e) => (e.id ?? 0) <= afterId) ? undefined : page.nextToken;
  } while (nextToken);
  return fresh.reverse();
}

/** Print each state as it is entered; return the final DescribeExecution answer. */
export async function follow(clients: Clients, executionArn: string, timeoutMinutes: number, io: Io) {
  const started = io.now();
  const deadline = started + timeoutMinutes * 60_000;
  let lastEventId = 0;
  let polls = 0;
  for (;;) {
    for (const event of await newEvents(clients, executionArn, lastEventId)) {
      lastEventId = Math.max(lastEventId, event.id ?? 0);
      const name = event.stateEnteredEventDetails?.name;
      if (name) {
        if (name === 'GetTranscriptionStatus') {
          polls += 1;
        }
        io.log(`[${clock(io.now() - started)}] ${name}${name === 'GetTranscriptionStatus' ? ` (status check ${polls})` : ''}`);
      }
      const retried = event.type?.endsWith('Failed') && event.type !== 'ExecutionFailed' ? event.type : undefined;
      if (retried) {
        io.log(`[${clock(io.now() - started)}]   ${retried}: ${event.taskFailedEventDetails?.error ?? event.lambdaFunctionFailedEventDetails?.error ?? ''}`);
      }
    }
    const execution = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') {
      return execution;
    }
    if (io.now() > deadline) {
      throw new Error(`Execution ${executionArn} still RUNNING after ${timeoutMinutes} minutes (it continues; follow it in the console)`);
    }
    await io.sleep(5_000);
  }
}

interface ExecutionOutput {
  prepared?: { value?: { reason?: string; rejectionKey?: string; resultKey?: string } };
  notAnalysed?: { reason?: string; resultKey?: string };
  result?: { summary?: { resultKey?: string } };
}

interface SegmentFigures { count: number; calls: number; maxBytes: number; api: string }

interface ResultJson {
  language: { transcribed: string | null; analysedAs: string; translated: boolean; translation: { from: string | null } | null };
  sentiment: { label: string; scores: Record<string, number> } | null;
  entities: Array<{ text: string; type: string; count: number; score: number }>;
  keyPhrases: Array<{ text: string; count: number; score: number }>;
  segments: { textBytes: number; sentiment: SegmentFigures; entities: SegmentFigures; keyPhrases: SegmentFigures };
  speech?: { status: string; voiceId?: string; key?: string; outputUri?: string; reason?: string; billedCharacters?: number };
  timings: { transcriptionSeconds: number | null; totalSeconds: number | null };
}

/** The summary lines printed for a result JSON. */
export function summarise(result: ResultJson, where: string): string[] {
  const lines = [`Result: ${where}`];
  const lang = result.language;
  lines.push(`Language: ${lang.transcribed ?? 'unknown'}${lang.translated ? ` -> translated to ${lang.analysedAs} (from ${lang.translation?.from ?? 'auto'})` : ` (analysed as ${lang.analysedAs})`}`);
  if (result.sentiment) {
    const s = result.sentiment.scores;
    lines.push(`Sentiment: ${result.sentiment.label} (positive ${s.positive}, negative ${s.negative}, neutral ${s.neutral}, mixed ${s.mixed})`);
  } else {
    lines.push('Sentiment: none (empty transcript)');
  }
  lines.push(`Entities (${result.entities.length}): ${result.entities.slice(0, 10).map((e) => `${e.text} [${e.type}] x${e.count}`).join(', ') || '-'}`);
  lines.push(`Key phrases (${result.keyPhrases.length}): ${result.keyPhrases.slice(0, 10).map((p) => `${p.text} x${p.count}`).join(', ') || '-'}`);
  const seg = result.segments;
  lines.push(`Text: ${seg.textBytes} bytes; ${[seg.sentiment, seg.entities, seg.keyPhrases].map((s) => `${s.api} ${s.count} segment(s) in ${s.calls} call(s)`).join(', ')}`);
  const speech = result.speech;
  if (speech) {
    lines.push(speech.status === 'SYNTHESIZED'
      ? `Spoken summary: ${speech.outputUri ?? `s3://<results>/${speech.key}`} (voice ${speech.voiceId}, ${speech.billedCharacters} characters)`
      : `Spoken summary: ${speech.status} (${speech.reason ?? ''})`);
  }
  lines.push(`Timings: transcription ${result.timings.transcriptionSeconds ?? '?'} s, total ${result.timings.totalSeconds ?? '?'} s`);
  return lines;
}

/** The whole CLI; returns the process exit code. */
export async function run(argv: string[], clients: Clients, io: Io): Promise<number> {
  const options = parseArgs(argv);
  if (!fs.existsSync(options.file)) {
    throw new Error(`No such file ${JSON.stringify(options.file)}`);
  }
  const uploadedAt = io.now();
  await upload(clients, options);
  io.log(`Uploaded ${options.file} to s3://${options.mediaBucket}/${options.key}`);
  const executionArn = await findExecution(clients, options, uploadedAt, io);
  io.log(`Execution ${executionArn}`);
  const execution = await follow(clients, executionArn, options.timeoutMinutes, io);
  const output = JSON.parse(execution.output ?? '{}') as ExecutionOutput;
  if (execution.status === 'SUCCEEDED' && output.prepared?.value?.reason) {
    io.log(`REJECTED: ${output.prepared.value.reason}`);
    io.log(`Record: s3://${options.resultsBucket}/${output.prepared.value.rejectionKey}`);
    return 2;
  }
  if (execution.status === 'SUCCEEDED' && output.notAnalysed?.reason) {
    io.log(`NOT ANALYSED: ${output.notAnalysed.reason}`);
    io.log(`Record: s3://${options.resultsBucket}/${output.notAnalysed.resultKey}`);
    return 3;
  }
  if (execution.status !== 'SUCCEEDED') {
    io.log(`${execution.status}: ${execution.error ?? ''} ${execution.cause ?? ''}`.trim());
    const name = executionArn.split(':').at(-1);
    io.log(`Record: s3://${options.resultsBucket}/failures/${name}.json`);
    return 1;
  }
  const resultKey = output.result?.summary?.resultKey ?? output.prepared?.value?.resultKey;
  if (!resultKey) {
    throw new Error(`Execution output names no result key: ${execution.output?.slice(0, 300)}`);
  }
  const object = await clients.s3.send(new GetObjectCommand({ Bucket: options.resultsBucket, Key: resultKey }));
  const result = JSON.parse(await object.Body!.transformToString('utf-8')) as ResultJson;
  for (const line of summarise(result, `s3://${options.resultsBucket}/${resultKey}`)) {
    io.log(line);
  }
  return 0;
}

if (require.main === module) {
  run(process.argv.slice(2), { s3: new S3Client({}), sfn: new SFNClient({}) }, {
    log: (line) => console.log(line),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
  }).then((code) => process.exit(code), (err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
