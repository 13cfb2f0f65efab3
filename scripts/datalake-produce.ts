/**
 * Put session events into the data lake's Kinesis stream.
 *
 *   npx tsx scripts/datalake-produce.ts --stream <StreamName output> [--count 1000] [--seed 1]
 *   npx tsx scripts/datalake-produce.ts --stream <StreamName output> --file events.jsonl
 *   npx tsx scripts/datalake-produce.ts --stream <StreamName output> --count 3000 --rate 20
 *
 * Without --rate the events are sent at once, their times spread over the past hour (a backfill:
 * the lake partitions them by day). With --rate N they are sent live, N per second, each stamped
 * with the second it is sent (minus up to 5 s), as the real-time analytics expects a stream.
 *
 * PutRecords in batches of at most 500 records and 5 MiB; a record the stream throttles is retried
 * with backoff, never dropped (after the last attempt the command fails naming what is left). A
 * record over the 1 MiB Kinesis limit is rejected before anything is sent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { seededRandom } from './seeded-random';
import {
  KinesisClient,
  PutRecordsCommand,
  PutRecordsRequestEntry,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';

/** Kinesis limits: the record (data + partition key) 1 MiB, a PutRecords call 500 records and 5 MiB. */
export const LIMITS = { recordBytes: 1024 * 1024, batchRecords: 500, batchBytes: 5 * 1024 * 1024 } as const;

export interface ProducerRecord {
  readonly data: Uint8Array;
  readonly partitionKey: string;
}

const recordBytes = (r: ProducerRecord) => r.data.byteLength + Buffer.byteLength(r.partitionKey, 'utf8');

/** Reject what Kinesis would reject, before sending anything, naming the record. */
export function checkRecords(records: readonly ProducerRecord[]): void {
  records.forEach((r, i) => {
    const size = recordBytes(r);
    if (size > LIMITS.recordBytes) {
      throw new Error(`Record ${i} is ${size} bytes (data + partition key); Kinesis accepts at most ${LIMITS.recordBytes} (1 MiB)`);
    }
    const keyLength = [...r.partitionKey].length;
    if (keyLength < 1 || keyLength > 256) {
      throw new Error(`Record ${i} has a partition key of ${keyLength} characters; Kinesis needs 1-256`);
    }
  });
}

/** Split into PutRecords calls of at most 500 records and 5 MiB, keeping the order. */
export function toBatches<T extends ProducerRecord>(records: readonly T[], limits = LIMITS): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = recordBytes(r);
    if (current.length > 0 && (current.length === limits.batchRecords || bytes + size > limits.batchBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) {
    batches.push(current);
  }
  return batches;
}

export interface PutOptions {
  /** Attempts per batch before giving up (each retry sends only the records that failed). @default 10 */
  readonly maxAttempts?: number;
  /** First backoff; doubles each attempt, full jitter, capped at 5 s. @default 100 */
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Called with (records delivered so far, total). */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface PutResult {
  readonly delivered: number;
  /** Records that needed more than one attempt (throttled or failed inside the service). */
  readonly retried: number;
  readonly calls: number;
}

const RETRYABLE_CALL_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'KMSThrottlingException',
  'ThrottlingException',
  'LimitExceededException',
  'InternalFailure',
  'ServiceUnavailable',
]);

/** Send every record; retry only the failed ones; throw (naming how many are left) rather than drop. */
export async function putAll(
  client: KinesisClient,
  streamName: string,
  records: readonly ProducerRecord[],
  options: PutOptions = {},
): Promise<PutResult> {
  if (!streamName) {
    throw new Error('A stream name is required (the StreamName output of the DataLake stack)');
  }
  checkRecords(records);
  const maxAttempts = options.maxAttempts ?? 10;
  const base = options.baseDelayMs ?? 100;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  let delivered = 0;
  let calls = 0;
  const retriedRecords = new Set<ProducerRecord>();
  for (const batch of toBatches(records)) {
    let pending: ProducerRecord[] = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > maxAttempts) {
        throw new Error(
          `${records.length - delivered} of ${records.length} records not delivered to ${streamName} after ${maxAttempts} attempts ` +
            `(stream throttled); ${delivered} were delivered. Add shards or retry later.`,
        );
      }
      if (attempt > 1) {
        await sleep(Math.floor(random() * Math.min(5000, base * 2 ** (attempt - 2))));
      }
      calls++;
      const entries: PutRecordsRequestEntry[] = pending.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey }));
      let results;
      try {
        results = (await client.send(new PutRecordsCommand({ StreamName: streamName, Records: entries }))).Records ?? [];
      } catch (err) {
        if (err instanceof ResourceNotFoundException || (err as Error).name === 'ResourceNotFoundException') {
          throw new Error(`Stream ${JSON.stringify(streamName)} not found: use the StreamName output of the DataLake stack, in its region (${(err as Error).message})`);
        }
        if (RETRYABLE_CALL_ERRORS.has((err as Error).name)) {
          pending.forEach((r) => retriedRecords.add(r));
          continue;
        }
        throw err;
      }
      if (results.length !== pending.length) {
        throw new Error(`PutRecords answered ${results.length} results for ${pending.length} records; nothing is assumed delivered`);
      }
      const failed = pending.filter((_, i) => results[i].ErrorCode !== undefined);
      delivered += pending.length - failed.length;
      failed.forEach((r) => retriedRecords.add(r));
      options.onProgress?.(delivered, records.length);
      pending = failed;
    }
  }
  return { delivered, retried: retriedRecords.size, calls };
}

/** Schema categories (the same file the Glue table is built from). */
interface SchemaColumn { name: string; role?: string; categories?: string[] }
function loadCategories(): Record<string, string[]> {
  const file = path.join(__dirname, '../glue/curate/event_schema.json');
  const schema = JSON.parse(fs.readFileSync(file, 'utf8')) as { columns: SchemaColumn[] };
  return Object.fromEntries(schema.columns.filter((c) => c.categories).map((c) => [c.name, c.categories!]));
}

// Re-exported: tests and callers import it from here.
export { seededRandom };

const COUNTRIES = ['DE', 'FR', 'ES', 'IT', 'NL', 'PL', 'SE'];

/** One synthetic session event shaped by glue/curate/event_schema.json. */
export function syntheticEvent(i: number, random: () => number, now = new Date(), spreadMs = 3_600_000): Record<string, unknown> {
  const categories = loadCategoriesCached();
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const views = 1 + Math.floor(random() * 40);
  const cart = Math.round(random() * 30000) / 100;
  return {
    event_id: `evt-${now.getTime().toString(36)}-${i}`,
    event_time: new Date(now.getTime() - Math.floor(random() * spreadMs)).toISOString(),
    user_id: `user-${String(Math.floor(random() * 500)).padStart(4, '0')}`,
    device: pick(categories.device ?? ['mobile']),
    channel: pick(categories.channel ?? ['web']),
    country: pick(COUNTRIES),
    page_views: views,
    session_seconds: random() < 0.1 ? null : Math.round(random() * 36000) / 10,
    cart_value: random() < 0.1 ? null : cart,
    discount_pct: random() < 0.05 ? Math.round(random() * 300) / 10 : null,
    purchased: cart > 150 && views > 10 ? 1 : 0,
  };
}
let categoriesCache: Record<string, string[]> | undefined;
function loadCategoriesCached() {
  categoriesCache ??= loadCategories();
  return categoriesCache;
}

/** One record per JSON line; each must parse, so a typo is caught here with its line number. */
export function recordsFromJsonLines(text: string): ProducerRecord[] {
  return text
    .split('\n')
    .map((line, n) => ({ line: line.trim(), n: n + 1 }))
    .filter(({ line }) => line !== '')
    .map(({ line, n }) => {
      let parsed: { user_id?: unknown };
      try {
        parsed = JSON.parse(line) as { user_id?: unknown };
      } catch {
        throw new Error(`Line ${n} is not JSON: ${line.slice(0, 80)}`);
      }
      const key = typeof parsed.user_id === 'string' && parsed.user_id !== '' ? parsed.user_id : `line-${n}`;
      return { data: Buffer.from(line + '\n'), partitionKey: key };
    });
}

export function progressBar(done: number, total: number, width = 30): string {
  const share = total === 0 ? 1 : done / total;
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(share * 100)}% ${done}/${total}`;
}

export interface CliArgs {
  readonly stream: string;
  readonly count: number;
  readonly seed: number;
  readonly file?: string;
  /** Events per second, sent live; undefined sends everything at once. */
  readonly rate?: number;
}

export interface LiveOptions {
  readonly count: number;
  readonly rate: number;
  readonly seed: number;
  /** Sends one second's batch (putAll in the CLI). */
  readonly put: (records: ProducerRecord[]) => Promise<unknown>;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Send `count` synthetic events as a live stream: `rate` per second, each stamped with the time
 * its batch is made (minus up to 5 s, so some arrive out of order, within the 30 s the real-time
 * analytics allows). Returns the number sent.
 */
export async function produceLive(options: LiveOptions): Promise<number> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = seededRandom(options.seed);
  let sent = 0;
  while (sent < options.count) {
    const started = now();
    const batch = Array.from({ length: Math.min(options.rate, options.count - sent) }, (_, k) => {
      const event = syntheticEvent(sent + k, random, new Date(started), 5_000);
      return { data: Buffer.from(JSON.stringify(event) + '\n'), partitionKey: String(event.user_id) };
    });
    await options.put(batch);
    sent += batch.length;
    if (sent < options.count) {
      await sleep(Math.max(0, 1000 - (now() - started)));
    }
  }
  return sent;
}

export function parseArgs(argv: readonly string[]): CliArgs {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (!['--stream', '--count', '--seed', '--file', '--rate'].includes(flag)) {
      throw new Error(`Unknown argument ${JSON.stringify(flag)}; usage: --stream <name> [--count N] [--seed N] [--rate N] [--file events.jsonl]`);
    }
    const value = argv[++i];
    if (value === undefined) {
      throw new Error(`${flag} needs a value`);
    }
    values[flag.slice(2)] = value;
  }
  if (!values.stream) {
    throw new Error('--stream is required (the StreamName output of the DataLake stack)');
  }
  const count = Number(values.count ?? '1000');
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`--count must be a positive integer (got ${JSON.stringify(values.count)})`);
  }
  const seed = Number(values.seed ?? '1');
  if (!Number.isInteger(seed)) {
    throw new Error(`--seed must be an integer (got ${JSON.stringify(values.seed)})`);
  }
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && (!Number.isInteger(rate) || rate < 1 || rate > 1000)) {
    throw new Error(`--rate must be an integer from 1 to 1000 events per second, what one shard takes (got ${JSON.stringify(values.rate)})`);
  }
  if (rate !== undefined && values.file) {
    throw new Error('--rate sends synthetic events; it cannot be combined with --file');
  }
  return { stream: values.stream, count, seed, file: values.file, rate };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const client = new KinesisClient({});
  if (args.rate !== undefined) {
    const started = Date.now();
    const sent = await produceLive({
      count: args.count, rate: args.rate, seed: args.seed,
      put: async (batch) => {
        await putAll(client, args.stream, batch);
        process.stderr.write(`\r${new Date().toISOString()} sent ${batch.length}`);
      },
    });
    process.stderr.write('\n');
    console.log(`Delivered ${sent} records to ${args.stream} live at ${args.rate}/s in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return;
  }
  let records: ProducerRecord[];
  if (args.file) {
    records = recordsFromJsonLines(fs.readFileSync(args.file, 'utf8'));
  } else {
    const random = seededRandom(args.seed);
    records = Array.from({ length: args.count }, (_, i) => {
      const event = syntheticEvent(i, random);
      return { data: Buffer.from(JSON.stringify(event) + '\n'), partitionKey: String(event.user_id) };
    });
  }
  const started = Date.now();
  const result = await putAll(client, args.stream, records, {
    onProgress: (done, total) => process.stderr.write(`\r${progressBar(done, total)}`),
  });
  process.stderr.write('\n');
  console.log(`Delivered ${result.delivered} records to ${args.stream} in ${result.calls} PutRecords calls ` +
    `(${result.retried} retried after throttling) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`\n${err.message}\n`);
    process.exit(1);
  });
}
