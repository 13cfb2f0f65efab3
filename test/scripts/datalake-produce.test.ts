import * as fs from 'node:fs';
import * as path from 'node:path';
import { KinesisClient, PutRecordsCommand, PutRecordsCommandOutput, ResourceNotFoundException } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  checkRecords, LIMITS, parseArgs, produceLive, ProducerRecord, progressBar, putAll, recordsFromJsonLines, seededRandom, syntheticEvent, toBatches,
} from '../../scripts/datalake-produce';

const kinesis = mockClient(KinesisClient);
const client = new KinesisClient({});
const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/datalake', name), 'utf8'));
const record = (i: number, bytes = 10): ProducerRecord => ({ data: Buffer.alloc(bytes, i % 256), partitionKey: `k${i}` });
const noSleep = { sleep: async () => undefined, random: () => 0.5 };

beforeEach(() => kinesis.reset());

describe('batching', () => {
  it('keeps every record, in order, in calls of at most 500 records and 5 MiB', () => {
    const many = Array.from({ length: 1203 }, (_, i) => record(i));
    const batches = toBatches(many);
    expect(batches.map((b) => b.length)).toEqual([500, 500, 203]);
    expect(batches.flat()).toEqual(many);

    const big = Array.from({ length: 12 }, (_, i) => record(i, 1000 * 1000));
    const byBytes = toBatches(big);
    for (const b of byBytes) {
      expect(b.reduce((n, r) => n + r.data.byteLength + r.partitionKey.length, 0)).toBeLessThanOrEqual(LIMITS.batchBytes);
    }
    expect(byBytes.flat()).toEqual(big);
    expect(byBytes.map((b) => b.length)).toEqual([5, 5, 2]);
  });

  it('rejects a record over 1 MiB naming its index and size, before sending anything', async () => {
    const records = [record(0), record(1, LIMITS.recordBytes)];
    expect(() => checkRecords(records)).toThrow(`Record 1 is ${LIMITS.recordBytes + 2} bytes (data + partition key); Kinesis accepts at most 1048576 (1 MiB)`);
    await expect(putAll(client, 'stream', records, noSleep)).rejects.toThrow('Record 1 is 1048578 bytes');
    expect(kinesis).not.toHaveReceivedAnyCommand();
  });

  it('rejects an empty partition key naming the record', () => {
    expect(() => checkRecords([{ data: Buffer.from('{}'), partitionKey: '' }])).toThrow('Record 0 has a partition key of 0 characters; Kinesis needs 1-256');
  });
});

describe('putAll', () => {
  it('retries only the throttled and failed records, and delivers every record', async () => {
    kinesis.on(PutRecordsCommand)
      .resolvesOnce(fixture('put-records-partial-failure.json') as PutRecordsCommandOutput)
      .resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '1', ShardId: 's' }, { SequenceNumber: '2', ShardId: 's' }] });
    const records = [0, 1, 2, 3].map((i) => record(i));
    const sleeps: number[] = [];
    const progress: number[] = [];
    const result = await putAll(client, 'stream', records, {
      sleep: async (ms) => { sleeps.push(ms); },
      random: () => 0.5,
      onProgress: (done) => progress.push(done),
    });
    expect(result).toEqual({ delivered: 4, retried: 2, calls: 2 });
    const second = kinesis.commandCalls(PutRecordsCommand)[1].args[0].input;
    expect(second.Records!.map((r) => r.PartitionKey)).toEqual(['k1', 'k3']);
    expect(sleeps).toEqual([50]); // full jitter of the first backoff (100 ms)
    expect(progress).toEqual([2, 4]);
  });

  it('fails naming what is left rather than dropping records the stream keeps throttling', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input) => ({
      FailedRecordCount: input.Records.length,
      Records: input.Records.map(() => ({ ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' })),
    }));
    await expect(putAll(client, 'stream', [record(0), record(1)], { ...noSleep, maxAttempts: 3 }))
      .rejects.toThrow('2 of 2 records not delivered to stream after 3 attempts (stream throttled); 0 were delivered');
    expect(kinesis).toHaveReceivedCommandTimes(PutRecordsCommand, 3);
  });

  it('retries a call the service throttles as a whole', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
    kinesis.on(PutRecordsCommand).rejectsOnce(throttled).resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '1', ShardId: 's' }] });
    await expect(putAll(client, 'stream', [record(0)], noSleep)).resolves.toEqual({ delivered: 1, retried: 1, calls: 2 });
  });

  it('names a stream that does not exist', async () => {
    kinesis.on(PutRecordsCommand).rejects(new ResourceNotFoundException({ message: 'Stream nope under account 123456789012 not found.', $metadata: {} }));
    await expect(putAll(client, 'nope', [record(0)], noSleep))
      .rejects.toThrow('Stream "nope" not found: use the StreamName output of the DataLake stack, in its region');
  });

  it('needs a stream name', async () => {
    await expect(putAll(client, '', [record(0)], noSleep)).rejects.toThrow('A stream name is required');
  });
});

describe('input', () => {
  it('makes events with every column of the schema file, reproducibly', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '../../glue/curate/event_schema.json'), 'utf8')) as { columns: Array<{ name: string }> };
    const now = new Date('2026-11-25T12:00:00Z');
    const a = syntheticEvent(1, seededRandom(5), now);
    expect(Object.keys(a)).toEqual(schema.columns.map((c) => c.name));
    expect(syntheticEvent(1, seededRandom(5), now)).toEqual(a);
    expect(String(a.event_time)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('reads JSON lines, keyed by user, and names a line that is not JSON', () => {
    const records = recordsFromJsonLines('{"user_id":"u1","a":1}\n\n{"a":2}\n');
    expect(records.map((r) => r.partitionKey)).toEqual(['u1', 'line-3']);
    expect(() => recordsFromJsonLines('{"a":1}\n{oops\n')).toThrow('Line 2 is not JSON: {oops');
  });

  it('parses arguments and names bad ones', () => {
    expect(parseArgs(['--stream', 's', '--count', '20'])).toEqual({ stream: 's', count: 20, seed: 1, file: undefined, rate: undefined });
    expect(parseArgs(['--stream', 's', '--rate', '20'])).toEqual(expect.objectContaining({ rate: 20 }));
    expect(() => parseArgs(['--stream', 's', '--rate', '0'])).toThrow('--rate must be an integer from 1 to 1000 events per second, what one shard takes (got "0")');
    expect(() => parseArgs(['--stream', 's', '--rate', '5', '--file', 'e.jsonl'])).toThrow('--rate sends synthetic events; it cannot be combined with --file');
    expect(() => parseArgs(['--count', '5'])).toThrow('--stream is required');
    expect(() => parseArgs(['--stream', 's', '--count', '-4'])).toThrow('--count must be a positive integer (got "-4")');
    expect(() => parseArgs(['--stream', 's', '--shards', '2'])).toThrow('Unknown argument "--shards"');
  });

  it('sends live: rate events a second, stamped with the second they are sent', async () => {
    let t = Date.parse('2026-11-25T12:00:00.000Z');
    const batches: Array<Array<Record<string, string>>> = [];
    const sleeps: number[] = [];
    const sent = await produceLive({
      count: 7, rate: 3, seed: 1,
      put: async (batch) => { batches.push(batch.map((r) => JSON.parse(Buffer.from(r.data).toString()))); t += 200; },
      now: () => t,
      sleep: async (ms) => { sleeps.push(ms); t += ms; },
    });
    expect(sent).toBe(7);
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(sleeps).toEqual([800, 800]);
    batches.forEach((batch, second) => {
      const sentAt = Date.parse('2026-11-25T12:00:00.000Z') + second * 1000;
      for (const e of batch) {
        expect(Date.parse(e.event_time)).toBeLessThanOrEqual(sentAt);
        expect(Date.parse(e.event_time)).toBeGreaterThan(sentAt - 5000);
      }
    });
  });

  it('draws a progress bar', () => {
    expect(progressBar(250, 1000, 10)).toBe('[###.......] 25% 250/1000');
    expect(progressBar(0, 0, 4)).toBe('[####] 100% 0/0');
  });
});
