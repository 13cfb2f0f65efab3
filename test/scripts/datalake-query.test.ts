import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, GetQueryResultsCommandOutput, InvalidRequestException, StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { formatBytes, formatTable, parseArgs, runQuery } from '../../scripts/datalake-query';

const athena = mockClient(AthenaClient);
const client = new AthenaClient({});
const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/datalake', name), 'utf8'));
const ID = 'c0ffee00-1234-4bcd-9abc-0123456789ab';
const base = { sql: 'SELECT 1', workGroup: 'DataLake-datalake', sleep: async () => undefined };

beforeEach(() => athena.reset());

it('starts the query in the workgroup, waits, pages through the results and reports bytes scanned', async () => {
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: ID });
  athena.on(GetQueryExecutionCommand)
    .resolvesOnce({ QueryExecution: { Status: { State: 'QUEUED' } } })
    .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
    .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 123456, TotalExecutionTimeInMillis: 900 } } });
  athena.on(GetQueryResultsCommand, { QueryExecutionId: ID, NextToken: undefined }).resolves(fixture('athena-results-page-1.json') as GetQueryResultsCommandOutput);
  athena.on(GetQueryResultsCommand, { QueryExecutionId: ID, NextToken: 'AY0B2token' }).resolves(fixture('athena-results-page-2.json') as GetQueryResultsCommandOutput);

  const result = await runQuery(client, { ...base, database: 'lake_db' });
  expect(athena).toHaveReceivedCommandWith(StartQueryExecutionCommand, {
    QueryString: 'SELECT 1', WorkGroup: 'DataLake-datalake', QueryExecutionContext: { Database: 'lake_db' },
  });
  expect(athena).toHaveReceivedCommandTimes(GetQueryExecutionCommand, 3);
  expect(result).toEqual({
    executionId: ID,
    columns: ['device', 'sessions'],
    rows: [['mobile', '412'], ['desktop', '377'], ['tablet', null]],
    bytesScanned: 123456,
    runtimeMs: 900,
  });
});

it('fails with Athena\'s reason when the bytes-scanned cutoff cancels the query', async () => {
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: ID });
  athena.on(GetQueryExecutionCommand).resolves(fixture('athena-execution-cutoff.json'));
  await expect(runQuery(client, base)).rejects.toThrow(
    `Query ${ID} CANCELLED: Query cancelled: the query exceeded the data usage limit (bytes scanned cutoff) of the workgroup (scanned 1.07 GB)`,
  );
  expect(athena).not.toHaveReceivedCommand(GetQueryResultsCommand);
});

it('stops waiting at the timeout and says the query keeps running', async () => {
  let t = 0;
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: ID });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });
  await expect(runQuery(client, { ...base, timeoutMs: 3000, pollMs: 1000, sleep: async (ms) => { t += ms; }, now: () => t }))
    .rejects.toThrow(`Query ${ID} still RUNNING after 3000 ms; it keeps running in Athena`);
});

it('passes on a bad workgroup error from Athena', async () => {
  athena.on(StartQueryExecutionCommand).rejects(new InvalidRequestException({ message: 'WorkGroup nope is not found.', $metadata: {} }));
  await expect(runQuery(client, { ...base, workGroup: 'nope' })).rejects.toThrow('WorkGroup nope is not found.');
});

it.each([
  [{ ...base, sql: '  ' }, 'No SQL given'],
  [{ ...base, workGroup: '' }, '--workgroup is required'],
])('rejects bad input before calling Athena (%#)', async (options, message) => {
  await expect(runQuery(client, options)).rejects.toThrow(message);
  expect(athena).not.toHaveReceivedAnyCommand();
});

it('formats rows, bytes and arguments', () => {
  expect(formatTable(['a', 'bb'], [['1', null]])).toBe('a | bb  \n--+-----\n1 | NULL');
  expect(formatBytes(999)).toBe('999 B');
  expect(formatBytes(10_000_000)).toBe('10.00 MB');
  expect(parseArgs(['--workgroup', 'w', '--database', 'd', 'SELECT', '1'])).toEqual({ workGroup: 'w', database: 'd', sql: 'SELECT 1' });
  expect(() => parseArgs(['--wg', 'w'])).toThrow('Unknown argument "--wg"');
});
