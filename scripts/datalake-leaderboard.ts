/**
 * Print the current leaderboard of the real-time analytics (`-c datalake.realtime=true`): the top
 * countries by revenue of the latest 10-minute window the Flink application has written.
 *
 *   npx tsx scripts/datalake-leaderboard.ts --workgroup <WorkGroupName> --database <DatabaseName>
 *
 * It queries the Glue table of the application's leaderboard sink with Athena, over the last two
 * days of partitions only. Results appear a minute or two after the window ends: the window
 * closes 30 s after its end (the watermark) and its file is finished at the next checkpoint.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { formatTable, QueryResult, runQuery } from './datalake-query';

/** The Glue table the stack makes for the leaderboard sink (`realtime_` + the SQL table's name). */
export const LEADERBOARD_TABLE = 'realtime_country_leaderboard';

export function leaderboardSql(database: string, table = LEADERBOARD_TABLE): string {
  for (const [name, value] of [['database', database], ['table', table]]) {
    if (!/^[A-Za-z0-9_]{1,255}$/.test(value)) {
      throw new Error(`--${name} must be a Glue name of letters, digits and _ (got ${JSON.stringify(value)})`);
    }
  }
  const recent = `dt >= date_format(current_date - INTERVAL '1' DAY, '%Y-%m-%d')`;
  return [
    'SELECT window_start, window_end, rank_in_window AS rank, country, revenue, orders',
    `FROM "${database}"."${table}"`,
    `WHERE ${recent}`,
    `  AND window_end = (SELECT max(window_end) FROM "${database}"."${table}" WHERE ${recent})`,
    'ORDER BY rank_in_window',
  ].join('\n');
}

export function formatLeaderboard(result: Pick<QueryResult, 'columns' | 'rows'>): string {
  if (result.rows.length === 0) {
    return 'No leaderboard yet: start the application (docs/datalake.md), send events, and wait a minute or two after the first full minute.';
  }
  const at = (name: string) => result.columns.indexOf(name);
  const [first] = result.rows;
  const heading = `Top countries by revenue, ${first[at('window_start')]} to ${first[at('window_end')]} UTC`;
  const columns = ['rank', 'country', 'revenue', 'orders'];
  return `${heading}\n${formatTable(columns, result.rows.map((r) => columns.map((c) => r[at(c)])))}`;
}

export function parseArgs(argv: readonly string[]): { workGroup: string; database: string } {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] !== '--workgroup' && argv[i] !== '--database') {
      throw new Error(`Unknown argument ${JSON.stringify(argv[i])}; usage: --workgroup <WorkGroupName> --database <DatabaseName>`);
    }
    if (argv[i + 1] === undefined) {
      throw new Error(`${argv[i]} needs a value`);
    }
    values[argv[i].slice(2)] = argv[i + 1];
  }
  for (const required of ['workgroup', 'database']) {
    if (!values[required]) {
      throw new Error(`--${required} is required (the ${required === 'workgroup' ? 'WorkGroupName' : 'DatabaseName'} output of the DataLake stack)`);
    }
  }
  return { workGroup: values.workgroup, database: values.database };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const result = await runQuery(new AthenaClient({}), { sql: leaderboardSql(args.database), workGroup: args.workGroup, database: args.database });
  console.log(formatLeaderboard(result));
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
