/**
 * Results: consumes the completion queue (Rekognition -> SNS -> SQS), reads the job through Get*
 * page by page until NextToken runs out, and writes one JSON document per video and analysis to the
 * results prefix (results never travel in a message). A FAILED job gets a failure document with
 * Rekognition's status message. The index row of the video gets the analysis summary.
 * Idempotent: a duplicate message rewrites the same object and the same index attribute.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { sqsBatchHandler } from './partial-batch';
import type { SQSRecord } from 'aws-lambda';
import { requiredEnv } from './settings';
import { ANALYSES, AnalysisName, analysisOfApi, resultKey, topNames } from './analyses';

/** The completion message Rekognition Video publishes to the notification channel's topic. */
export interface Completion {
  readonly jobId: string;
  readonly status: string;
  readonly analysis: AnalysisName;
  readonly bucket: string;
  readonly key: string;
  readonly timestamp?: number;
}

/** Parse an SQS body holding an SNS notification that wraps a Rekognition completion message. */
export function parseCompletion(body: string): Completion {
  let envelope: { Type?: unknown; Message?: unknown };
  try {
    envelope = JSON.parse(body);
  } catch {
    throw new Error(`Message body is not JSON (got ${JSON.stringify(body.slice(0, 200))})`);
  }
  if (envelope?.Type !== 'Notification' || typeof envelope.Message !== 'string') {
    throw new Error(`Message body is not an SNS notification with a string Message (got Type ${JSON.stringify(envelope?.Type)})`);
  }
  let m: { JobId?: unknown; Status?: unknown; API?: unknown; Timestamp?: unknown; Video?: { S3ObjectName?: unknown; S3Bucket?: unknown } };
  try {
    m = JSON.parse(envelope.Message);
  } catch {
    throw new Error(`SNS Message is not JSON (got ${JSON.stringify(envelope.Message.slice(0, 200))})`);
  }
  const analysis = analysisOfApi(m?.API);
  for (const [field, value] of [['JobId', m?.JobId], ['Status', m?.Status], ['Video.S3Bucket', m?.Video?.S3Bucket], ['Video.S3ObjectName', m?.Video?.S3ObjectName]] as const) {
    if (typeof value !== 'string' || value.length === 0) {
      throw new Error(`Completion message ${field} must be a non-empty string (got ${JSON.stringify(value)})`);
    }
  }
  if (!analysis) {
    throw new Error(`Completion message API ${JSON.stringify(m.API)} is not one of ${Object.values(ANALYSES).map((a) => a.api).join(', ')}`);
  }
  return {
    jobId: m.JobId as string,
    status: m.Status as string,
    analysis,
    bucket: m.Video!.S3Bucket as string,
    key: m.Video!.S3ObjectName as string,
    timestamp: typeof m.Timestamp === 'number' ? m.Timestamp : undefined,
  };
}

/**
 * Whether a completion is the current job of its analysis, a job the starter has not recorded yet
 * (retry), or the job of an upload the row has moved past (drop). `jobVersion` is the object
 * version Rekognition reports for the job (Get* `Video.S3Object.Version`; null for an unversioned
 * object, undefined when the response has no Video). The starter claims the row for an upload
 * before starting any of its jobs and the row only moves forward, so a job whose version is not
 * the row's belongs to an older upload.
 */
export function whoseJob(
  row: Record<string, unknown> | undefined,
  c: Pick<Completion, 'jobId' | 'analysis'>,
  jobVersion: string | null | undefined,
): 'current' | 'not-recorded-yet' | 'stale' {
  if (!row) {
    return 'not-recorded-yet';
  }
  const entry = row[c.analysis] as { jobId?: unknown } | undefined;
  const rowVersion = (row.versionId as string | null | undefined) ?? null;
  if (jobVersion !== undefined && jobVersion !== rowVersion) {
    return 'stale';
  }
  return entry?.jobId === c.jobId ? 'current' : 'not-recorded-yet';
}

export interface ResultsConfig {
  readonly tableName: string;
  readonly resultsBucket: string;
  readonly resultsPrefix: string;
}

export interface ResultsClients {
  readonly rekognition: RekognitionClient;
  readonly s3: S3Client;
  readonly dynamo: DynamoDBDocumentClient;
  readonly logger: Logger;
}

export function makeHandler(clients: ResultsClients, config: ResultsConfig) {
  const { rekognition, s3, dynamo, logger } = clients;
  async function handleRecord(record: SQSRecord): Promise<void> {
    const c = parseCompletion(record.body);
    const row = (await dynamo.send(new GetCommand({ TableName: config.tableName, Key: { videoKey: c.key }, ConsistentRead: true }))).Item;
    const first = await ANALYSES[c.analysis].getPage(rekognition, c.jobId, undefined);
    const verdict = whoseJob(row, c, first.Video?.S3Object === undefined ? undefined : (first.Video.S3Object.Version ?? null));
    if (verdict === 'not-recorded-yet') {
      // The starter records each job as its Start* returns; the completion of a short video can
      // still overtake that write. The message comes back after the visibility timeout.
      throw new Error(`Job ${c.jobId} (${c.analysis} of ${JSON.stringify(c.key)}) is not recorded in the index yet; retrying`);
    }
    if (verdict === 'stale') {
      logger.warn('Stale completion: a later upload of this key owns the index row', { key: c.key, jobId: c.jobId, analysis: c.analysis, rowVersion: row?.versionId });
      return;
    }

    const items: unknown[] = [];
    let page = first;
    let pages = 1;
    if (first.JobStatus === 'SUCCEEDED') {
      items.push(...first.items);
      while (page.NextToken) {
        page = await ANALYSES[c.analysis].getPage(rekognition, c.jobId, page.NextToken);
        items.push(...page.items);
        pages += 1;
      }
    } else if (first.JobStatus !== 'FAILED') {
      throw new Error(`Job ${c.jobId} is ${first.JobStatus ?? 'in no known state'} though ${c.status} was published; retrying`);
    }
    const key = resultKey(config.resultsPrefix, c.key, c.analysis);
    const succeeded = first.JobStatus === 'SUCCEEDED';
    const document = {
      bucket: c.bucket,
      key: c.key,
      versionId: row?.versionId ?? null,
      analysis: c.analysis,
      jobId: c.jobId,
      status: first.JobStatus,
      ...(succeeded ? {} : { statusMessage: first.StatusMessage ?? '(Rekognition gave no status message)' }),
      completedAt: c.timestamp ? new Date(c.timestamp).toISOString() : null,
      videoMetadata: first.VideoMetadata ?? null,
      count: items.length,
      items,
    };
    await s3.send(
      new PutObjectCommand({ Bucket: config.resultsBucket, Key: key, Body: JSON.stringify(document), ContentType: 'application/json' }),
    );
    const summary = {
      status: first.JobStatus,
      jobId: c.jobId,
      versionId: row?.versionId ?? null,
      count: items.length,
      top: topNames(c.analysis, items),
      resultKey: key,
      ...(succeeded ? {} : { statusMessage: document.statusMessage }),
    };
    try {
      await dynamo.send(
        new UpdateCommand({
          TableName: config.tableName,
          Key: { videoKey: c.key },
          UpdateExpression: 'SET #a = :summary, updatedAt = :t',
          ConditionExpression: '#a.jobId = :job',
          ExpressionAttributeNames: { '#a': c.analysis },
          ExpressionAttributeValues: { ':summary': summary, ':job': c.jobId, ':t': new Date().toISOString() },
        }),
      );
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') {
        throw err;
      }
      logger.warn('Index row moved on to a newer version while writing results', { key: c.key, jobId: c.jobId });
    }
    logger.info('Results stored', { key: c.key, analysis: c.analysis, status: first.JobStatus, count: items.length, pages, resultKey: key });
  }

  return sqsBatchHandler(logger, 'Completion not processed', handleRecord);
}

export const handler = process.env.AWS_LAMBDA_FUNCTION_NAME
  ? makeHandler(
      {
        rekognition: new RekognitionClient({}),
        s3: new S3Client({}),
        dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
        logger: new Logger({ serviceName: 'video-results' }),
      },
      {
        tableName: requiredEnv('TABLE_NAME'),
        resultsBucket: requiredEnv('RESULTS_BUCKET'),
        resultsPrefix: requiredEnv('RESULTS_PREFIX'),
      },
    )
  : undefined;
