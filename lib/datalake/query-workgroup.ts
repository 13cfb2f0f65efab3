import { RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface QueryWorkgroupProps {
  /** Where Athena writes query results (encrypted with the key). */
  readonly resultsBucket: s3.IBucket;
  readonly encryptionKey: kms.IKey;
  /** The database the named queries run in. */
  readonly database: glue.IDatabase;
  /** The events table the named queries read. */
  readonly eventsTable: string;
  /**
   * Athena cancels a query in the workgroup that scans more than this (it still bills what it scanned).
   * @default Size.gibibytes(1)
   */
  readonly bytesScannedCutoff?: Size;
  /**
   * DESTROY deletes the workgroup with its query history (RecursiveDeleteOption).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Query: an Athena workgroup that enforces encrypted results and a scan cutoff, and named
 * queries that show partition pruning. The dates are relative to the day the query runs
 * (`current_date`, UTC in Athena): a fixed date would return nothing on any other day.
 */
export class QueryWorkgroup extends Construct {
  public readonly workGroup: athena.CfnWorkGroup;

  constructor(scope: Construct, id: string, props: QueryWorkgroupProps) {
    super(scope, id);
    const cutoff = props.bytesScannedCutoff ?? Size.gibibytes(1);
    if (cutoff.toBytes() < 10_000_000) {
      throw new Error(`bytesScannedCutoff must be at least 10 MB, the Athena minimum (got ${cutoff.toBytes()} bytes)`);
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      // Athena requires a name; the stack name keeps two deployments apart.
      name: `${Stack.of(this).stackName}-datalake`,
      description: 'Queries over the data lake: results encrypted with the CMK, scan cutoff enforced',
      state: 'ENABLED',
      // A workgroup that has run queries cannot be deleted without this.
      recursiveDeleteOption: removalPolicy === RemovalPolicy.DESTROY,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: cutoff.toBytes(),
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: props.resultsBucket.s3UrlForObject('athena/'),
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.encryptionKey.keyArn },
        },
      },
    });
    this.workGroup.applyRemovalPolicy(removalPolicy);
    const queries = new Construct(this, 'NamedQueries');
    for (const [queryId, q] of Object.entries(namedQueries(`"${props.database.databaseName}"."${props.eventsTable}"`))) {
      const named = new athena.CfnNamedQuery(queries, queryId, {
        database: props.database.databaseName,
        workGroup: this.workGroup.ref,
        description: q.description,
        queryString: q.sql,
      });
      named.addResourceDependency(this.workGroup);
    }
  }
}

/**
 * The named queries over `table`. Each date predicate compares a partition key with a value
 * computed from `current_date` once per query, so Athena prunes the projected partitions as it
 * would for a literal, on whatever day the query runs.
 */
export function namedQueries(table: string): Record<string, { description: string; sql: string }> {
  const today = (pattern: string) => `date_format(current_date, '${pattern}')`;
  return {
    OneDayQuery: {
      description: 'Partition pruning: reads only today\'s Parquet (UTC; compare bytes scanned with the whole-table query)',
      sql: `SELECT device, count(*) AS sessions, avg(cart_value) AS avg_cart, avg(purchased) AS conversion\nFROM ${table}\n` +
        `WHERE year = ${today('%Y')} AND month = ${today('%m')} AND day = ${today('%d')}\nGROUP BY device\nORDER BY sessions DESC;`,
    },
    DateRangeQuery: {
      description: 'Partition pruning over the last 7 days (UTC): projection computes the partitions, no crawler needed',
      sql: `SELECT year, month, day, channel, count(*) AS sessions\nFROM ${table}\n` +
        `WHERE year || month || day BETWEEN date_format(current_date - INTERVAL '6' DAY, '%Y%m%d') AND ${today('%Y%m%d')}\n` +
        'GROUP BY year, month, day, channel\nORDER BY year, month, day, channel;',
    },
    WholeTableQuery: {
      description: 'No partition filter: scans every file, the baseline for the pruned queries',
      sql: `SELECT count(*) AS sessions, sum(purchased) AS orders\nFROM ${table};`,
    },
  };
}
