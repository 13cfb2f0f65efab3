/**
 * Starter: consumes the start queue (S3 "Object Created" events routed by EventBridge), validates
 * each video by its size and its first bytes, claims the index row for that upload, and starts the
 * configured Rekognition analyses, recording each job in the row as its Start* returns. Rekognition runs at most 20 stored-video
 * jobs at once and does not queue: a LimitExceededException or throttle makes the record a batch
 * item failure with a growing, jittered visibility timeout, so SQS holds the video until a slot frees.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ANALYSES, AnalysisName, clientRequestToken, parseAnalyses } from './analyses';
import { requiredEnv } from './settings';
import { BadInputError, candidateKeys, findObject, ObjectRef, objectRefsFrom } from './s3-event';

/**
 * What Rekognition Video takes: H.264 in an MPEG-4 (MP4) or QuickTime (MOV) container, at most
 * 10 GB and 6 hours ("Amazon Rekognition Video" limits, Rekognition Developer Guide:
 * https://docs.aws.amazon.com/rekognition/latest/dg/limits.html). The starter decides the
 * container by its first bytes, never by the name or the S3 Content-Type (an SDK upload without
 * one is stored as binary/octet-stream). The codec and the duration are read by Rekognition: a
 * file that fails them ends as a FAILED job whose status message the result document keeps.
 */
export const MAX_VIDEO_BYTES = 10 * 1024 ** 3;
/** Bytes read to identify the container: the size and type of the first box, and its major brand. */
export const SNIFF_BYTES = 12;
/**
 * Major brands of the `ftyp` box that are MP4 or QuickTime video (ISO/IEC 14496-12 and -14, Apple's
 * QuickTime File Format). Audio-only or still-image brands in the same box format (M4A, HEIC,
 * AVIF, 3GP) are not, and are rejected by name.
 */
export const VIDEO_BRANDS: Readonly<Record<string, 'MP4' | 'MOV'>> = {
  isom: 'MP4', iso2: 'MP4', iso3: 'MP4', iso4: 'MP4', iso5: 'MP4', iso6: 'MP4',
  mp41: 'MP4', mp42: 'MP4', avc1: 'MP4', 'M4V ': 'MP4', dash: 'MP4', 'qt  ': 'MOV',
};

/** The container of a file from its first bytes, or why it is not one Rekognition Video reads. */
export function sniffContainer(head: Uint8Array, key: string): { container: 'MP4' | 'MOV' } | { reason: string } {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  if (head.length < SNIFF_BYTES || ascii(4, 8) !== 'ftyp') {
    const shown = Buffer.from(head.subarray(0, SNIFF_BYTES)).toString('hex');
    return { reason: `${JSON.stringify(key)} is not an MP4 or MOV file: its first bytes (${shown || 'none'}) do not start with an "ftyp" box` };
  }
  const brand = ascii(8, 12);
  const container = VIDEO_BRANDS[brand];
  if (!container) {
    return { reason: `${JSON.stringify(key)} has the ftyp brand ${JSON.stringify(brand)}, which is not MP4 or MOV video (want one of ${Object.keys(VIDEO_BRANDS).map((b) => JSON.stringify(b)).join(', ')})` };
  }
  return { container };
}

/** Size checks a video must pass before its first bytes are read. */
export function checkSize(key: string, size: number | undefined): string | undefined {
  if (size === undefined || size <= 0) {
    return `empty video ${JSON.stringify(key)} (size ${size ?? 'unknown'})`;
  }
  if (size > MAX_VIDEO_BYTES) {
    return `video ${JSON.stringify(key)} is ${size} bytes, over the Rekognition limit of ${MAX_VIDEO_BYTES} (10 GB)`;
  }
  return undefined;
}

/** Errors that mean "not now": the record waits on the queue and is tried again. */
const RETRYABLE = new Set([
  'LimitExceededException',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'InternalServerError',
  'ServiceUnavailableException',
]);
/** Errors that mean "never": the video is rejected with the reason, not retried. */
const PERMANENT = new Set(['InvalidS3ObjectException', 'VideoTooLargeException', 'InvalidParameterException']);

export interface StarterConfig {
  readonly analyses: AnalysisName[];
  readonly topicArn: string;
  readonly roleArn: string;
  readonly tableName: string;
  readonly queueUrl: string;
  /** First retry delay after a throttle, seconds. */
  readonly baseBackoffSeconds: number;
  /** Largest retry delay, seconds (SQS allows up to 43,200). */
  readonly maxBackoffSeconds: number;
}

export interface StarterClients {
  readonly rekognition: RekognitionClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly dynamo: DynamoDBDocumentClient;
  readonly logger: Logger;
  /** Source of randomness for jitter (tests pass a fixed one). */
  readonly random?: () => number;
}

/** Exponential backoff with full jitter between base and the capped exponential. */
export function backoffSeconds(receiveCount: number, base: number, max: number, random: () => number): number {
  const ceiling = Math.min(max, base * 2 ** Math.max(0, receiveCount - 1));
  return Math.round(base + random() * Math.max(0, ceiling - base));
}

class RetryLater extends Error {
  constructor(message: string, readonly cause: unknown) {
    super(message);
    this.name = 'RetryLater';
  }
}

export function makeHandler(clients: StarterClients, config: StarterConfig) {
  const { rekognition, s3, sqs, dynamo, logger } = clients;
  const random = clients.random ?? Math.random;
  const processor = new BatchProcessor(EventType.SQS);

  /**
   * The row moves only forward: to a later S3 event for the same key (greater sequencer), or to
   * the same event again. An older event that arrives late (it waited on the queue for a job slot
   * while a newer version was uploaded) changes nothing.
   */
  const forwardOnly = (ref: ObjectRef) =>
    ref.sequencer === undefined ? {} : { condition: 'attribute_not_exists(sequencer) OR sequencer <= :seq', values: { ':seq': ref.sequencer } };

  async function claimRow(ref: ObjectRef, key: string, fields: Record<string, unknown>, remove: string[]): Promise<boolean> {
    const order = forwardOnly(ref);
    const entries = Object.entries({ versionId: ref.versionId ?? null, ...(ref.sequencer ? { sequencer: ref.sequencer } : {}), ...fields, updatedAt: new Date().toISOString() });
    try {
      await dynamo.send(
        new UpdateCommand({
          TableName: config.tableName,
          Key: { videoKey: key },
          UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :f${i}`).join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression: order.condition,
          ExpressionAttributeNames: Object.fromEntries(entries.map(([name], i) => [`#f${i}`, name])),
          ExpressionAttributeValues: { ...Object.fromEntries(entries.map(([, value], i) => [`:f${i}`, value])), ...order.values },
        }),
      );
      return true;
    } catch (err) {
      if (!isConditionFailure(err)) {
        throw err;
      }
      logger.info('A later upload of this key is already recorded; this event changes nothing', { key, versionId: ref.versionId, sequencer: ref.sequencer });
      return false;
    }
  }

  async function reject(ref: ObjectRef, key: string, reason: string): Promise<void> {
    // The rejection is logged and kept in the index, so a user listing videos sees why.
    logger.warn('Video rejected', { bucket: ref.bucket, key, versionId: ref.versionId, reason });
    await claimRow(ref, key, { status: 'REJECTED', reason }, []);
  }

  /**
   * Record one job the moment its Start* returns, before the next analysis is started: a job whose
   * sibling then hits the quota is already named in the row when its completion arrives. A job
   * already recorded (a redelivered event) is left as it is, so a result that arrived in between
   * is not reset to IN_PROGRESS.
   */
  async function recordJob(ref: ObjectRef, key: string, analysis: AnalysisName, jobId: string): Promise<void> {
    try {
      await dynamo.send(
        new UpdateCommand({
          TableName: config.tableName,
          Key: { videoKey: key },
          UpdateExpression: 'SET #a = :job, updatedAt = :t',
          ConditionExpression: 'versionId = :v AND (attribute_not_exists(#a) OR attribute_not_exists(#a.jobId) OR #a.jobId <> :jobId)',
          ExpressionAttributeNames: { '#a': analysis },
          ExpressionAttributeValues: { ':job': { status: 'IN_PROGRESS', jobId, versionId: ref.versionId ?? null }, ':jobId': jobId, ':v': ref.versionId ?? null, ':t': new Date().toISOString() },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) {
        throw err;
      }
      logger.info('Job already recorded, or a later upload owns the row', { key, analysis, jobId });
    }
  }

  async function startAll(ref: ObjectRef, key: string): Promise<Record<string, string>> {
    const jobs: Record<string, string> = {};
    for (const analysis of config.analyses) {
      let jobId: string | undefined;
      try {
        jobId = await ANALYSES[analysis].start(rekognition, {
          video: { S3Object: { Bucket: ref.bucket, Name: key, Version: ref.versionId } },
          notificationChannel: { SNSTopicArn: config.topicArn, RoleArn: config.roleArn },
          jobTag: analysis,
          clientRequestToken: clientRequestToken(ref.bucket, key, ref.versionId, analysis),
        });
      } catch (err) {
        const name = (err as Error).name;
        if (RETRYABLE.has(name)) {
          // Jobs already started for this video are recorded and keep their ClientRequestToken:
          // the retry gets the same JobIds back instead of starting them twice.
          throw new RetryLater(`${name} starting ${analysis} of ${key}; retrying later`, err);
        }
        if (PERMANENT.has(name)) {
          throw new BadInputError(`Rekognition refused ${analysis} of ${key}: ${name}: ${(err as Error).message}`);
        }
        throw err;
      }
      if (!jobId) {
        throw new Error(`Rekognition returned no JobId for ${analysis} of ${key}`);
      }
      await recordJob(ref, key, analysis, jobId);
      jobs[analysis] = jobId;
    }
    return jobs;
  }

  /** The container by the object's first bytes (a ranged GET of SNIFF_BYTES). */
  async function sniff(ref: ObjectRef, key: string): Promise<string | undefined> {
    const object = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: key, VersionId: ref.versionId, Range: `bytes=0-${SNIFF_BYTES - 1}` }));
    const head = object.Body ? await object.Body.transformToByteArray() : new Uint8Array();
    const sniffed = sniffContainer(head, key);
    return 'reason' in sniffed ? sniffed.reason : undefined;
  }

  async function handleRecord(sqsRecord: SQSRecord): Promise<void> {
    try {
      for (const ref of objectRefsFrom(sqsRecord.body)) {
        const found = await findObject(s3, ref);
        if (!found) {
          await reject(ref, ref.key, `object not found in ${ref.bucket} (tried keys ${JSON.stringify(candidateKeys(ref))}, version ${ref.versionId ?? 'latest'})`);
          continue;
        }
        const reason = checkSize(found.key, found.head.ContentLength ?? ref.size) ?? (await sniff(ref, found.key));
        if (reason) {
          await reject(ref, found.key, reason);
          continue;
        }
        if (!(await claimRow(ref, found.key, { status: 'IN_PROGRESS', analyses: config.analyses }, ['reason']))) {
          continue;
        }
        try {
          const jobs = await startAll(ref, found.key);
          logger.info('Analyses started', { key: found.key, versionId: ref.versionId, jobs });
        } catch (err) {
          if (err instanceof BadInputError) {
            await reject(ref, found.key, err.message);
            continue;
          }
          throw err;
        }
      }
    } catch (err) {
      if (err instanceof RetryLater) {
        const receiveCount = Number(sqsRecord.attributes.ApproximateReceiveCount ?? '1');
        const delay = backoffSeconds(receiveCount, config.baseBackoffSeconds, config.maxBackoffSeconds, random);
        logger.info('Rekognition busy; video waits on the queue', { messageId: sqsRecord.messageId, receiveCount, delay, reason: err.message });
        await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: config.queueUrl, ReceiptHandle: sqsRecord.receiptHandle, VisibilityTimeout: delay }));
      } else {
        logger.error('Start failed', { messageId: sqsRecord.messageId, error: err as Error });
      }
      throw err;
    }
  }

  return async (event: SQSEvent): Promise<SQSBatchResponse> =>
    processPartialResponse(event, handleRecord, processor, { throwOnFullBatchFailure: false });
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException';
}

export function configFromEnv(): StarterConfig {
  return {
    analyses: parseAnalyses(process.env.ANALYSES),
    topicArn: requiredEnv('TOPIC_ARN'),
    roleArn: requiredEnv('ROLE_ARN'),
    tableName: requiredEnv('TABLE_NAME'),
    queueUrl: requiredEnv('QUEUE_URL'),
    baseBackoffSeconds: Number(process.env.BASE_BACKOFF_SECONDS ?? '30'),
    maxBackoffSeconds: Number(process.env.MAX_BACKOFF_SECONDS ?? '900'),
  };
}

// Built once per container; tests import makeHandler and never reach this with a missing env.
export const handler = process.env.AWS_LAMBDA_FUNCTION_NAME
  ? makeHandler(
      {
        rekognition: new RekognitionClient({}),
        s3: new S3Client({}),
        sqs: new SQSClient({}),
        dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
        logger: new Logger({ serviceName: 'video-starter' }),
      },
      configFromEnv(),
    )
  : undefined;
