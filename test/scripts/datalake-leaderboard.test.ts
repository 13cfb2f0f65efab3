import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { sinkTables } from '../../lib/datalake/realtime-sql';
import { formatLeaderboard, LEADERBOARD_TABLE, leaderboardSql, parseArgs } from '../../scripts/datalake-leaderboard';
import { runQuery } from '../../scripts/datalake-query';

const athena = mockClient(AthenaClient);
beforeEach(() => athena.reset());

it('reads the Glue table the stack makes for the leaderboard sink, with the columns the SQL writes', () => {
  const sink = sinkTables().find((t) => `realtime_${t.name}` === LEADERBOARD_TABLE);
  expect(sink).toBeDefined();
  const sql = leaderboardSql('lake_db');
  for (const column of ['window_start', 'window_end', 'rank_in_window', 'country', 'revenue', 'orders', 'dt']) {
    expect(sink!.columns.map((c) => c.name)).toContain(column);
    expect(sql).toContain(column);
  }
  // Only the latest window, over recent partitions (projection prunes the rest).
  expect(sql).toContain(`FROM "lake_db"."${LEADERBOARD_TABLE}"`);
  expect(sql).toContain("dt >= date_format(current_date - INTERVAL '1' DAY, '%Y-%m-%d')");
  expect(sql).toMatch(/window_end = \(SELECT max\(window_end\)/);
});

it('prints the latest window, best first', async () => {
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q1' });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 2048 } } });
  const row = (...v: string[]) => ({ Data: v.map((x) => ({ VarCharValue: x })) });
  const names = ['window_start', 'window_end', 'rank', 'country', 'revenue', 'orders'];
  athena.on(GetQueryResultsCommand).resolves({
    ResultSet: {
      ResultSetMetadata: { ColumnInfo: names.map((Name) => ({ Name, Type: 'varchar' })) },
      Rows: [row(...names), row('2026-11-25 12:01:00.000', '2026-11-25 12:11:00.000', '1', 'DE', '1520.4', '9'),
        row('2026-11-25 12:01:00.000', '2026-11-25 12:11:00.000', '2', 'FR', '998.1', '6')],
    },
  });
  const result = await runQuery(new AthenaClient({}), { sql: leaderboardSql('lake_db'), workGroup: 'wg', database: 'lake_db', sleep: async () => undefined });
  expect(athena).toHaveReceivedCommandWith(StartQueryExecutionCommand, { WorkGroup: 'wg', QueryString: leaderboardSql('lake_db') });
  expect(formatLeaderboard(result).split('\n')).toEqual([
    'Top countries by revenue, 2026-11-25 12:01:00.000 to 2026-11-25 12:11:00.000 UTC',
    'rank | country | revenue | orders',
    '-----+---------+---------+-------',
    '1    | DE      | 1520.4  | 9     ',
    '2    | FR      | 998.1   | 6     ',
  ]);
});

it('says what to do when there is no leaderboard yet', () => {
  expect(formatLeaderboard({ columns: ['window_start'], rows: [] })).toMatch(/^No leaderboard yet: start the application/);
});

it('names bad arguments', () => {
  expect(() => parseArgs(['--workgroup', 'wg'])).toThrow('--database is required (the DatabaseName output of the DataLake stack)');
  expect(() => parseArgs(['--table', 'x'])).toThrow('Unknown argument "--table"');
  expect(() => leaderboardSql('lake"; DROP')).toThrow('--database must be a Glue name of letters, digits and _ (got "lake\\"; DROP")');
});
