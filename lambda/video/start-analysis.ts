/**
 * Starter: consumes the start queue (S3 "Object Created" events routed by EventBridge), validates
 * each video and starts the configured Rekognition analyses. Rekognition runs at most 20 stored-video
 * jobs at once and does not queue: a LimitExceededException or throttle makes the record a batch
 * item failure with a growing, jittered visibility timeout, so SQS holds the video until a slot frees.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ANALYSES, AnalysisName, clientRequestToken, parseAnalyses } from './analyses';
import { requiredEnv } from './settings';
import { BadInputError, candidateKeys, extensionOf, findObject, ObjectRef, objectRefsFrom } from './s3-event';

/** Rekognition Video accepts H.264 in MP4 or MOV, up to 10 GB. */
export const VIDEO_EXTENSIONS = ['.mp4', '.mov'];
export const VIDEO_CONTENT_TYPES = ['video/mp4', 'video/quicktime'];
export const MAX_VIDEO_BYTES = 10 * 1024 ** 3;

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

/** Extension, content type and size checks a video must pass before Rekognition sees it. */
export function checkVideo(key: string, contentType: string | undefined, size: number | undefined): string | undefined {
  const ext = extensionOf(key);
  if (!VIDEO_EXTENSIONS.includes(ext)) {
    return `unsupported file type ${JSON.stringify(ext || '(no extension)')} for ${JSON.stringify(key)}: Rekognition Video takes ${VIDEO_EXTENSIONS.join(' or ')} (H.264)`;
  }
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (!VIDEO_CONTENT_TYPES.includes(type)) {
    return `unsupported content type ${JSON.stringify(contentType ?? '(none)')} for ${JSON.stringify(key)}: want ${VIDEO_CONTENT_TYPES.join(' or ')}`;
  }
  if (size === undefined || size <= 0) {
    return `empty video ${JSON.stringify(key)} (size ${size ?? 'unknown'})`;
  }
  if (size > MAX_VIDEO_BYTES) {
    return `video ${JSON.stringify(key)} is ${size} bytes, over the Rekognition limit of ${MAX_VIDEO_BYTES} (10 GB)`;
  }
  return undefined;
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

  async function reject(ref: ObjectRef, key: string, reason: string): Promise<void> {
    // The rejection is logged and kept in the index, so a user listing videos sees why.
    logger.warn('Video rejected', { bucket: ref.bucket, key, versionId: ref.versionId, reason });
    await dynamo.send(
      new UpdateCommand({
        TableName: config.tableName,
        Key: { videoKey: key },
        UpdateExpression: 'SET #s = :s, reason = :r, versionId = :v, updatedAt = :t',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': 'REJECTED', ':r': reason, ':v': ref.versionId ?? null, ':t': new Date().toISOString() },
      }),
    );
  }

  async function startAll(ref: ObjectRef, key: string): Promise<Record<string, string>> {
    const jobs: Record<string, string> = {};
    for (const analysis of config.analyses) {
      try {
        const jobId = await ANALYSES[analysis].start(rekognition, {
          video: { S3Object: { Bucket: ref.bucket, Name: key, Version: ref.versionId } },
          notificationChannel: { SNSTopicArn: config.topicArn, RoleArn: config.roleArn },
          jobTag: analysis,
          clientRequestToken: clientRequestToken(ref.bucket, key, ref.versionId, analysis),
        });
        if (!jobId) {
          throw new Error(`Rekognition returned no JobId for ${analysis} of ${key}`);
        }
        jobs[analysis] = jobId;
      } catch (err) {
        const name = (err as Error).name;
        if (RETRYABLE.has(name)) {
          // Jobs already started for this video keep their ClientRequestToken: the retry gets
          // the same JobIds back instead of starting them twice.
          throw new RetryLater(`${name} starting ${analysis} of ${key}; retrying later`, err);
        }
        if (PERMANENT.has(name)) {
          throw new BadInputError(`Rekognition refused ${analysis} of ${key}: ${name}: ${(err as Error).message}`);
        }
        throw err;
      }
    }
    return jobs;
  }

  async function record(ref: ObjectRef, key: string, jobs: Record<string, string>): Promise<void> {
    const names: Record<string, string> = { '#s': 'status' };
    const values: Record<string, unknown> = { ':s': 'IN_PROGRESS', ':v': ref.versionId ?? null, ':t': new Date().toISOString(), ':a': config.analyses };
    const sets = ['#s = :s', 'versionId = :v', 'updatedAt = :t', 'analyses = :a'];
    for (const [i, [analysis, jobId]] of Object.entries(jobs).entries()) {
      names[`#a${i}`] = analysis;
      values[`:j${i}`] = { status: 'IN_PROGRESS', jobId };
      sets.push(`#a${i} = :j${i}`);
    }
    try {
      await dynamo.send(
        new UpdateCommand({
          TableName: config.tableName,
          Key: { videoKey: key },
          UpdateExpression: `SET ${sets.join(', ')} REMOVE reason`,
          // A redelivered event for a version already recorded changes nothing: results that
          // arrived in between must not be reset to IN_PROGRESS.
          ConditionExpression: 'attribute_not_exists(versionId) OR versionId <> :v OR #s = :rej',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ':rej': 'REJECTED' },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException) && (err as Error).name !== 'ConditionalCheckFailedException') {
        throw err;
      }
      logger.info('Video already recorded; duplicate delivery', { key, versionId: ref.versionId });
    }
  }

  async function handleRecord(sqsRecord: SQSRecord): Promise<void> {
    try {
      for (const ref of objectRefsFrom(sqsRecord.body)) {
        const found = await findObject(s3, ref);
        if (!found) {
          await reject(ref, ref.key, `object not found in ${ref.bucket} (tried keys ${JSON.stringify(candidateKeys(ref))}, version ${ref.versionId ?? 'latest'})`);
          continue;
        }
        const reason = checkVideo(found.key, found.head.ContentType, found.head.ContentLength ?? ref.size);
        if (reason) {
          await reject(ref, found.key, reason);
          continue;
        }
        try {
          const jobs = await startAll(ref, found.key);
          await record(ref, found.key, jobs);
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
