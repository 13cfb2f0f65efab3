/**
 * Smoke test of the streaming data lake in a real account (docs/datalake.md, "Prove it in your
 * account"): 300 generated session events in one PutRecords call -> Kinesis -> Firehose converts
 * them to Parquet under the raw zone's partition of their day -> Athena, through the Glue table's
 * partition projection (no crawler, no MSCK REPAIR), counts exactly those 300 events.
 *
 *   npm run integ -- DataLake --yes
 */
import { Duration } from 'aws-cdk-lib';
import { ExpectedResult } from '@aws-cdk/integ-tests-alpha';
import { DataLakeStack, loadEventSchema, ZONES } from '../../lib/stacks/datalake-stack';
import { seededRandom, syntheticEvent } from '../../scripts/datalake-produce';
import {
  AssertionStack, RUN_ID, SMOKE_TEST_PROFILE, allow, inOrder, smokeTest, smokeTestApp, smokeTestStackNames, synthesize,
  useKey, waitFor,
} from './smoke-test';

export const EVENTS = 300;
/** Every event falls on this day (within the hour before noon UTC), so they share one partition. */
export const DAY = new Date('2026-11-25T12:00:00Z');

const app = smokeTestApp();
const names = smokeTestStackNames('DataLake');
const stack = new DataLakeStack(app, names.stack, {
  profile: SMOKE_TEST_PROFILE,
  description: 'Smoke test of the streaming data lake (npm run integ -- DataLake); deleted when the test ends',
});
const assertionStack = new AssertionStack(app, names.assertions, stack);
const { assertions } = smokeTest(app, stack, assertionStack);
const schema = loadEventSchema();

// The producer CLI's events (scripts/datalake-produce.ts), seeded: the same 300 on every run. Event
// ids carry the run id, so a run's rows are its own.
const random = seededRandom(17);
const events: Array<Record<string, unknown>> = Array.from({ length: EVENTS }, (_, i) => ({ ...syntheticEvent(i, random, DAY), event_id: `evt-${RUN_ID}-${i}` }));
const put = allow(
  assertions.awsApiCall('Kinesis', 'putRecords', {
    StreamName: stack.stream.streamName,
    Records: events.map((e) => ({ Data: JSON.stringify(e), PartitionKey: String(e.user_id) })),
  }).assertAtPath('FailedRecordCount', ExpectedResult.exact(0)),
  useKey(stack.key));

// One call into one shard: Firehose reads the 300 records together and writes them into one Parquet
// object of their day's partition when its buffer interval ends (60 s in sandbox). Ten minutes also
// covers Firehose's first read of a new stream.
const partition = `${ZONES.raw}year=${DAY.getUTCFullYear()}/month=${String(DAY.getUTCMonth() + 1).padStart(2, '0')}/day=${String(DAY.getUTCDate()).padStart(2, '0')}/`;
const delivered = waitFor(
  assertions.awsApiCall('S3', 'listObjectsV2', { Bucket: stack.lakeBucket.bucketName, Prefix: partition }),
  'Contents.0.Key', ExpectedResult.stringLikeRegexp(`^${partition}`),
  { timeout: Duration.minutes(10), interval: Duration.seconds(30) },
  { actions: ['s3:ListBucket'], resources: [stack.lakeBucket.bucketArn] });

// Athena reads with the caller's permissions: the table in Glue, the Parquet objects, the results
// location of the workgroup, the key of both ("Identity and access management in Athena").
const table = `"${stack.database.databaseName}"."${schema.table}"`;
const [year, month, day] = partition.slice(ZONES.raw.length, -1).split('/').map((kv) => kv.split('=')[1]);
const start = allow(
  assertions.awsApiCall('Athena', 'startQueryExecution', {
    QueryString: `SELECT count(DISTINCT event_id) AS events FROM ${table} WHERE year = '${year}' AND month = '${month}' AND day = '${day}' AND event_id LIKE 'evt-${RUN_ID}-%'`,
    WorkGroup: stack.workGroup.ref,
  }),
  { actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'], resources: [stack.formatArn({ service: 'glue', resource: 'catalog' }), stack.database.databaseArn, stack.eventsTable.tableArn] },
  { actions: ['s3:GetObject'], resources: [stack.lakeBucket.arnForObjects(`${ZONES.raw}*`)] },
  { actions: ['s3:ListBucket', 's3:GetBucketLocation'], resources: [stack.lakeBucket.bucketArn, stack.queryResultsBucket.bucketArn] },
  { actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'], resources: [stack.queryResultsBucket.arnForObjects('athena/*')] },
  useKey(stack.key));
const queryExecutionId = start.getAttString('QueryExecutionId');
// A count over one small object takes seconds; the waiter stops at any end state.
const finished = waitFor(
  assertions.awsApiCall('Athena', 'getQueryExecution', { QueryExecutionId: queryExecutionId }),
  'QueryExecution.Status.State', ExpectedResult.stringLikeRegexp('^(SUCCEEDED|FAILED|CANCELLED)$'),
  { timeout: Duration.minutes(5), interval: Duration.seconds(10) });
const succeeded = assertions.awsApiCall('Athena', 'getQueryExecution', { QueryExecutionId: queryExecutionId })
  .assertAtPath('QueryExecution.Status.State', ExpectedResult.exact('SUCCEEDED'));
// Row 0 is the header; every event was converted and is readable through partition projection.
const counted = allow(
  assertions.awsApiCall('Athena', 'getQueryResults', { QueryExecutionId: queryExecutionId })
    .assertAtPath('ResultSet.Rows.1.Data.0.VarCharValue', ExpectedResult.exact(String(EVENTS))),
  { actions: ['s3:GetObject'], resources: [stack.queryResultsBucket.arnForObjects('athena/*')] },
  useKey(stack.key));

inOrder(put, delivered, start, finished, succeeded, counted);
// When the real-time opt-in (datalake.realtime) is deployed, the same events also feed the Flink
// leaderboard: add, after `put`, a wait for its row (the table and key it writes), with a timeout
// sized from the application's checkpoint interval.

synthesize(app);
