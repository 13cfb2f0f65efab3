/**
 * Run one SQL statement in the data lake's Athena workgroup, wait, print the rows and what it scanned.
 *
 *   npx tsx scripts/datalake-query.ts --workgroup <WorkGroupName> --database <DatabaseName> "SELECT ..."
 *
 * The workgroup enforces its result location, encryption and bytes-scanned cutoff; a query the
 * cutoff cancels fails here with Athena's reason (and is still billed for what it scanned).
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  QueryExecution,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';

export interface QueryOptions {
  readonly sql: string;
  readonly workGroup: string;
  /** @default - the SQL names its database */
  readonly database?: string;
  /** @default 1000 */
  readonly pollMs?: number;
  /** Give up waiting (the query keeps running in Athena). @default 600000 (10 minutes) */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

export interface QueryResult {
  readonly executionId: string;
  readonly columns: string[];
  readonly rows: Array<Array<string | null>>;
  readonly bytesScanned: number;
  readonly runtimeMs: number;
}

/** Athena bills at least 10 MB per query, whatever it scanned. */
export const ATHENA_MINIMUM_BILLED_BYTES = 10 * 1000 * 1000;

export async function runQuery(client: AthenaClient, options: QueryOptions): Promise<QueryResult> {
  if (options.sql.trim() === '') {
    throw new Error('No SQL given: pass the statement as the last argument');
  }
  if (!options.workGroup) {
    throw new Error('--workgroup is required (the WorkGroupName output of the DataLake stack)');
  }
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const start = await client.send(new StartQueryExecutionCommand({
    QueryString: options.sql,
    WorkGroup: options.workGroup,
    QueryExecutionContext: options.database ? { Database: options.database } : undefined,
  }));
  const executionId = start.QueryExecutionId;
  if (!executionId) {
    throw new Error('Athena returned no QueryExecutionId');
  }
  const deadline = now() + (options.timeoutMs ?? 600_000);
  let execution: QueryExecution | undefined;
  for (;;) {
    execution = (await client.send(new GetQueryExecutionCommand({ QueryExecutionId: executionId }))).QueryExecution;
    const state = execution?.Status?.State;
    if (state === 'SUCCEEDED') {
      break;
    }
    if (state === 'FAILED' || state === 'CANCELLED') {
      const scanned = execution?.Statistics?.DataScannedInBytes ?? 0;
      throw new Error(`Query ${executionId} ${state}: ${execution?.Status?.StateChangeReason ?? 'no reason given'} (scanned ${formatBytes(scanned)})`);
    }
    if (now() >= deadline) {
      throw new Error(`Query ${executionId} still ${state ?? 'unknown'} after ${options.timeoutMs ?? 600_000} ms; it keeps running in Athena`);
    }
    await sleep(options.pollMs ?? 1000);
  }
  const rows: Array<Array<string | null>> = [];
  let columns: string[] = [];
  let token: string | undefined;
  let first = true;
  do {
    const page = await client.send(new GetQueryResultsCommand({ QueryExecutionId: executionId, NextToken: token }));
    columns = columns.length > 0 ? columns : (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? '');
    const data = (page.ResultSet?.Rows ?? []).map((r) => (r.Data ?? []).map((d) => d.VarCharValue ?? null));
    // For SELECT, the first row of the first page repeats the column names.
    if (first && data.length > 0 && columns.length > 0 && data[0].every((v, i) => v === columns[i])) {
      data.shift();
    }
    rows.push(...data);
    first = false;
    token = page.NextToken;
  } while (token);
  return {
    executionId,
    columns,
    rows,
    bytesScanned: execution?.Statistics?.DataScannedInBytes ?? 0,
    runtimeMs: execution?.Statistics?.TotalExecutionTimeInMillis ?? 0,
  };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(2)} ${units[u]}`;
}

export function formatTable(columns: string[], rows: Array<Array<string | null>>): string {
  const cells = [columns, ...rows.map((r) => r.map((v) => v ?? 'NULL'))];
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((v, i) => (v ?? '').padEnd(widths[i])).join(' | ');
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('-+-'), ...cells.slice(1).map(line)].join('\n');
}

export function parseArgs(argv: readonly string[]): { workGroup: string; database?: string; sql: string } {
  let workGroup = '';
  let database: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--workgroup' || argv[i] === '--database') {
      const value = argv[i + 1];
      if (value === undefined) {
        throw new Error(`${argv[i]} needs a value`);
      }
      if (argv[i] === '--workgroup') workGroup = value;
      else database = value;
      i++;
    } else if (argv[i].startsWith('--')) {
      throw new Error(`Unknown argument ${JSON.stringify(argv[i])}; usage: --workgroup <name> [--database <name>] "<SQL>"`);
    } else {
      rest.push(argv[i]);
    }
  }
  return { workGroup, database, sql: rest.join(' ') };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const result = await runQuery(new AthenaClient({}), args);
  console.log(formatTable(result.columns, result.rows));
  const billed = Math.max(result.bytesScanned, ATHENA_MINIMUM_BILLED_BYTES);
  console.log(`\n${result.rows.length} row(s); scanned ${formatBytes(result.bytesScanned)} (${result.bytesScanned} bytes, billed as ${formatBytes(billed)}) ` +
    `in ${result.runtimeMs} ms; execution ${result.executionId}`);
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
