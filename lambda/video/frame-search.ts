/**
 * Live face search on frames: every minute (an EventBridge schedule) this function takes the
 * frames of the last minute from the Kinesis video stream's archive (KVS `GetImages`), finds the
 * faces in each with one `DetectFaces` call, searches each face in the stack's collection with
 * `SearchFacesByImage`, and sends one SNS alert per known person per cooldown window, with the
 * matched face id, similarity, time and where the saved frame is. It is built on Rekognition Image
 * and KVS archived media, which stay open to new accounts; Rekognition's stream processors do not
 * (Rekognition Developer Guide, "Amazon Rekognition feature availability changes":
 * https://docs.aws.amazon.com/rekognition/latest/dg/rekognition-availability-changes.html).
 *
 * Nothing is lost between runs: a checkpoint (the time up to which frames are done) advances only
 * past frames that were searched and alerted; a throttle, an error or the end of the time budget
 * leaves the rest for the next run (KVS keeps the media for the stream's retention, 24 h here). A
 * lease on the checkpoint keeps two runs from searching the same frames.
 */
import { KinesisVideoArchivedMediaClient, GetImagesCommand, Image as KvsImage } from '@aws-sdk/client-kinesis-video-archived-media';
import { GetDataEndpointCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { BoundingBox, DetectFacesCommand, FaceDetail, RekognitionClient, SearchFacesByImageCommand } from '@aws-sdk/client-rekognition';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { createHash, randomUUID } from 'node:crypto';
import * as jpeg from 'jpeg-js';
import { confidence, requiredEnv } from './settings';

import { GET_IMAGES_MAX_RANGE_MS, GET_IMAGES_MIN_INTERVAL_MS } from './live-limits';

export { GET_IMAGES_MAX_RANGE_MS, GET_IMAGES_MIN_INTERVAL_MS };
/** Rekognition errors that mean "slow down": the frame waits for the next run. */
const THROTTLES = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'ServiceUnavailableException', 'InternalServerError', 'ClientLimitExceededException']);

export interface FrameSearchConfig {
  readonly streamName: string;
  readonly collectionId: string;
  readonly tableName: string;
  readonly topicArn: string;
  readonly framesBucket: string;
  readonly framesPrefix: string;
  readonly region: string;
  readonly samplingIntervalMs: number;
  /** SearchFacesByImage FaceMatchThreshold and the alert threshold (0-100). */
  readonly matchThreshold: number;
  /** Frames searched per run at most: a run covering more time samples it more sparsely. */
  readonly maxFramesPerMinute: number;
  readonly cooldownSeconds: number;
  /** How far behind "now" a run stops, so fragments still being ingested are left for the next. */
  readonly lagMs: number;
  /** Faces smaller than this fraction of the frame's width are not searched (too small to match). */
  readonly minFaceWidth: number;
}

export interface FrameSearchClients {
  readonly kinesisVideo: KinesisVideoClient;
  /** The archived-media client for the stream's GET_IMAGES data endpoint. */
  readonly archivedMedia: (endpoint: string) => KinesisVideoArchivedMediaClient;
  readonly rekognition: RekognitionClient;
  readonly dynamo: DynamoDBDocumentClient;
  readonly sns: SNSClient;
  readonly s3: S3Client;
  readonly logger: Logger;
  readonly now?: () => number;
}

export interface FaceMatchFound {
  readonly person: string;
  readonly faceId: string;
  readonly similarity: number;
  readonly boundingBox: BoundingBox;
}

/** The SNS message of one alert (also its `Message`, as JSON). */
export interface FaceAlert {
  readonly type: 'known-face';
  readonly alertId: string;
  readonly person: string;
  readonly faceId: string;
  readonly similarity: number;
  readonly seenAt: string;
  readonly stream: string;
  readonly boundingBox: BoundingBox;
  readonly frame: { readonly bucket: string; readonly key: string; readonly s3Uri: string; readonly consoleUrl: string };
  readonly cooldownSeconds: number;
}

export interface RunSummary {
  readonly status: 'done' | 'busy' | 'throttled' | 'out-of-time' | 'frame-budget';
  readonly from?: string;
  readonly to?: string;
  readonly frames: number;
  readonly framesWithFaces: number;
  readonly alerts: number;
  readonly suppressed: number;
}

/**
 * The sampling interval of one run: the configured one, widened so that a run covering more than a
 * minute (catching up after a throttle or an outage) still searches at most its frame budget.
 */
export function samplingFor(windowMs: number, config: Pick<FrameSearchConfig, 'samplingIntervalMs' | 'maxFramesPerMinute'>): number {
  return Math.max(config.samplingIntervalMs, GET_IMAGES_MIN_INTERVAL_MS, Math.ceil(windowMs / config.maxFramesPerMinute));
}

/** Crop a face (with a margin) out of a decoded frame and encode it as JPEG for SearchFacesByImage. */
export function cropFace(frame: { width: number; height: number; data: Uint8Array }, box: BoundingBox, margin = 0.25): Uint8Array {
  const w = box.Width ?? 0;
  const h = box.Height ?? 0;
  const left = Math.max(0, Math.floor(((box.Left ?? 0) - w * margin) * frame.width));
  const top = Math.max(0, Math.floor(((box.Top ?? 0) - h * margin) * frame.height));
  const right = Math.min(frame.width, Math.ceil(((box.Left ?? 0) + w * (1 + margin)) * frame.width));
  const bottom = Math.min(frame.height, Math.ceil(((box.Top ?? 0) + h * (1 + margin)) * frame.height));
  const width = Math.max(1, right - left);
  const height = Math.max(1, bottom - top);
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    const from = ((top + y) * frame.width + left) * 4;
    data.set(frame.data.subarray(from, from + width * 4), y * width * 4);
  }
  return jpeg.encode({ data, width, height }, 90).data;
}

/**
 * The known faces in one frame. Exactly one DetectFaces call; a frame with no face ends there.
 * One face: SearchFacesByImage on the frame (it searches the largest face). Several: each face
 * cropped and searched on its own, since SearchFacesByImage searches only the largest face of an
 * image (API reference, SearchFacesByImage).
 */
export async function searchFrame(rekognition: RekognitionClient, bytes: Uint8Array, config: Pick<FrameSearchConfig, 'collectionId' | 'matchThreshold' | 'minFaceWidth'>): Promise<{ faces: number; matches: FaceMatchFound[] }> {
  const detected = await rekognition.send(new DetectFacesCommand({ Image: { Bytes: bytes } }));
  const faces = (detected.FaceDetails ?? []).filter((f: FaceDetail) => (f.BoundingBox?.Width ?? 0) >= config.minFaceWidth);
  if (faces.length === 0) {
    return { faces: 0, matches: [] };
  }
  const decoded = faces.length > 1 ? jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true }) : undefined;
  const matches: FaceMatchFound[] = [];
  for (const face of faces) {
    const image = decoded ? cropFace(decoded, face.BoundingBox!) : bytes;
    try {
      const found = await rekognition.send(new SearchFacesByImageCommand({ CollectionId: config.collectionId, Image: { Bytes: image }, FaceMatchThreshold: config.matchThreshold, MaxFaces: 1 }));
      const best = found.FaceMatches?.[0];
      if (best?.Face?.FaceId && (best.Similarity ?? 0) >= config.matchThreshold) {
        matches.push({ person: best.Face.ExternalImageId ?? best.Face.FaceId, faceId: best.Face.FaceId, similarity: best.Similarity ?? 0, boundingBox: face.BoundingBox! });
      }
    } catch (err) {
      // A crop in which Rekognition finds no face to search: no match, not an error.
      if ((err as Error).name !== 'InvalidParameterException') {
        throw err;
      }
    }
  }
  return { faces: faces.length, matches };
}

class Stop extends Error {
  constructor(readonly status: 'throttled' | 'out-of-time' | 'frame-budget', readonly cause?: unknown) {
    super(status);
  }
}

export function makeHandler(clients: FrameSearchClients, config: FrameSearchConfig) {
  const { dynamo, logger } = clients;
  const now = clients.now ?? Date.now;
  const checkpointKey = { pk: `checkpoint#${config.streamName}` };
  let archived: KinesisVideoArchivedMediaClient | undefined;

  async function archivedMedia(): Promise<KinesisVideoArchivedMediaClient> {
    if (!archived) {
      const { DataEndpoint } = await clients.kinesisVideo.send(new GetDataEndpointCommand({ StreamName: config.streamName, APIName: 'GET_IMAGES' }));
      if (!DataEndpoint) throw new Error(`GetDataEndpoint returned no endpoint for stream ${config.streamName}`);
      archived = clients.archivedMedia(DataEndpoint);
    }
    return archived;
  }

  /** Take the lease; undefined when another run holds it. Returns where the last run stopped. */
  async function lease(leaseId: string, until: number): Promise<{ processedUntil?: number } | undefined> {
    try {
      const out = await dynamo.send(new UpdateCommand({
        TableName: config.tableName,
        Key: checkpointKey,
        UpdateExpression: 'SET leaseId = :id, leaseUntil = :until',
        ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now',
        ExpressionAttributeValues: { ':id': leaseId, ':until': until, ':now': now() },
        ReturnValues: 'ALL_NEW',
      }));
      return { processedUntil: out.Attributes?.processedUntil as number | undefined };
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return undefined;
      throw err;
    }
  }

  async function release(leaseId: string, processedUntil: number): Promise<void> {
    await dynamo.send(new UpdateCommand({
      TableName: config.tableName,
      Key: checkpointKey,
      UpdateExpression: 'SET processedUntil = :p REMOVE leaseId, leaseUntil',
      ConditionExpression: 'leaseId = :id',
      ExpressionAttributeValues: { ':p': processedUntil, ':id': leaseId },
    }));
  }

  /**
   * One alert per person per cooldown window, sent at least once. The alert is claimed with a
   * conditional write (a new window for the person) before it is sent, and marked sent after: a
   * run that fails in between leaves it claimed and unsent, and the next run, searching the same
   * frame again (the checkpoint did not move), sends it.
   */
  async function alert(match: FaceMatchFound, frameMs: number, bytes: Uint8Array): Promise<'sent' | 'suppressed'> {
    const alertId = createHash('sha256').update(JSON.stringify([config.streamName, match.person, frameMs])).digest('hex').slice(0, 32);
    const pk = `alert#${match.person}`;
    try {
      await dynamo.send(new UpdateCommand({
        TableName: config.tableName,
        Key: { pk },
        UpdateExpression: 'SET alertId = :id, windowEndsAt = :end, expiresAt = :expires REMOVE sentAt',
        ConditionExpression: 'attribute_not_exists(windowEndsAt) OR windowEndsAt <= :t',
        ExpressionAttributeValues: { ':id': alertId, ':end': frameMs + config.cooldownSeconds * 1000, ':t': frameMs, ':expires': Math.ceil(frameMs / 1000) + config.cooldownSeconds + 86400 },
      }));
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      const held = (await dynamo.send(new GetCommand({ TableName: config.tableName, Key: { pk }, ConsistentRead: true }))).Item;
      if (held?.alertId !== alertId || held.sentAt !== undefined) {
        return 'suppressed'; // another alert owns this window, or this one was sent already
      }
    }
    const seenAt = new Date(frameMs).toISOString();
    const key = `${config.framesPrefix}${config.streamName}/${seenAt}.jpg`;
    await clients.s3.send(new PutObjectCommand({ Bucket: config.framesBucket, Key: key, Body: bytes, ContentType: 'image/jpeg' }));
    const message: FaceAlert = {
      type: 'known-face',
      alertId,
      person: match.person,
      faceId: match.faceId,
      similarity: match.similarity,
      seenAt,
      stream: config.streamName,
      boundingBox: match.boundingBox,
      frame: {
        bucket: config.framesBucket,
        key,
        s3Uri: `s3://${config.framesBucket}/${key}`,
        consoleUrl: `https://${config.region}.console.aws.amazon.com/s3/object/${config.framesBucket}?region=${config.region}&prefix=${encodeURIComponent(key)}`,
      },
      cooldownSeconds: config.cooldownSeconds,
    };
    await clients.sns.send(new PublishCommand({
      TopicArn: config.topicArn,
      Subject: `Known face: ${match.person}`.slice(0, 100),
      Message: JSON.stringify(message),
      MessageAttributes: { person: { DataType: 'String', StringValue: match.person } },
    }));
    await dynamo.send(new UpdateCommand({
      TableName: config.tableName,
      Key: { pk },
      UpdateExpression: 'SET sentAt = :now',
      ConditionExpression: 'alertId = :id',
      ExpressionAttributeValues: { ':now': now(), ':id': alertId },
    }));
    logger.info('Face alert published', { ...match, seenAt, alertId });
    return 'sent';
  }

  return async (_event: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<RunSummary> => {
    const started = now();
    const remaining = () => context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY;
    const leaseId = randomUUID();
    const held = await lease(leaseId, started + Math.min(remaining(), 15 * 60_000) + 5_000);
    if (!held) {
      logger.info('Another run holds the checkpoint; nothing to do');
      return { status: 'busy', frames: 0, framesWithFaces: 0, alerts: 0, suppressed: 0 };
    }
    const end = started - config.lagMs;
    // First run: the last minute. Never further back than the stream keeps media (24 h); one run
    // covers at most GET_IMAGES_MAX_RANGE_MS, the rest is left to the next runs.
    const from = Math.max(held.processedUntil ?? end - 60_000, end - 24 * 3600_000);
    const to = Math.min(end, from + GET_IMAGES_MAX_RANGE_MS);
    let done = from;
    let frames = 0;
    let framesWithFaces = 0;
    let alerts = 0;
    let suppressed = 0;
    let status: RunSummary['status'] = 'done';
    try {
      if (to > from) {
        const interval = samplingFor(to - from, config);
        const media = await archivedMedia();
        let nextToken: string | undefined;
        do {
          const page = await media.send(new GetImagesCommand({
            StreamName: config.streamName,
            ImageSelectorType: 'SERVER_TIMESTAMP',
            StartTimestamp: new Date(from),
            EndTimestamp: new Date(to),
            SamplingInterval: interval,
            Format: 'JPEG',
            FormatConfig: { JPEGQuality: '90' },
            MaxResults: 25,
            NextToken: nextToken,
          }));
          for (const image of (page.Images ?? []) as KvsImage[]) {
            const at = image.TimeStamp?.getTime();
            if (at === undefined || at < done) continue;
            if (!image.ImageContent || image.Error) {
              // NO_MEDIA (nothing was streamed then) or MEDIA_ERROR (not decodable): never will be.
              done = at + 1;
              continue;
            }
            if (frames >= config.maxFramesPerMinute) throw new Stop('frame-budget');
            if (remaining() < 15_000) throw new Stop('out-of-time');
            const bytes = Buffer.from(image.ImageContent, 'base64');
            let found;
            try {
              found = await searchFrame(clients.rekognition, bytes, config);
            } catch (err) {
              if (THROTTLES.has((err as Error).name)) throw new Stop('throttled', err);
              throw err;
            }
            for (const match of dedupe(found.matches)) {
              if ((await alert(match, at, bytes)) === 'sent') alerts += 1;
              else suppressed += 1;
            }
            frames += 1;
            framesWithFaces += found.faces > 0 ? 1 : 0;
            done = at + 1;
          }
          nextToken = page.NextToken;
        } while (nextToken);
        done = to;
      }
    } catch (err) {
      if (!(err instanceof Stop)) {
        await release(leaseId, done);
        throw err;
      }
      status = err.status;
      logger.warn('Run stopped early; the next run continues from the checkpoint', { status, checkpoint: new Date(done).toISOString(), reason: (err.cause as Error)?.message });
    }
    await release(leaseId, done);
    const summary: RunSummary = { status, from: new Date(from).toISOString(), to: new Date(done).toISOString(), frames, framesWithFaces, alerts, suppressed };
    logger.info('Frames searched', { ...summary });
    return summary;
  };
}

/** One match per person per frame (the same person can match two faces of a crowd). */
function dedupe(matches: FaceMatchFound[]): FaceMatchFound[] {
  const best = new Map<string, FaceMatchFound>();
  for (const m of matches) {
    if ((best.get(m.person)?.similarity ?? -1) < m.similarity) best.set(m.person, m);
  }
  return [...best.values()];
}

/** A whole number setting within a range, naming the variable and the bad value. */
export function integerSetting(name: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (value === undefined || value === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return n;
}

export const handler = process.env.AWS_LAMBDA_FUNCTION_NAME
  ? makeHandler(
      {
        kinesisVideo: new KinesisVideoClient({}),
        archivedMedia: (endpoint) => new KinesisVideoArchivedMediaClient({ endpoint }),
        rekognition: new RekognitionClient({ maxAttempts: 4 }),
        dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
        sns: new SNSClient({}),
        s3: new S3Client({}),
        logger: new Logger({ serviceName: 'frame-search' }),
      },
      {
        streamName: requiredEnv('STREAM_NAME'),
        collectionId: requiredEnv('COLLECTION_ID'),
        tableName: requiredEnv('TABLE_NAME'),
        topicArn: requiredEnv('TOPIC_ARN'),
        framesBucket: requiredEnv('FRAMES_BUCKET'),
        framesPrefix: requiredEnv('FRAMES_PREFIX'),
        region: requiredEnv('AWS_REGION'),
        samplingIntervalMs: integerSetting('SAMPLING_INTERVAL_MS', process.env.SAMPLING_INTERVAL_MS, GET_IMAGES_MIN_INTERVAL_MS, 60_000),
        matchThreshold: confidence('MATCH_THRESHOLD', process.env.MATCH_THRESHOLD, 90),
        maxFramesPerMinute: integerSetting('MAX_FRAMES_PER_MINUTE', process.env.MAX_FRAMES_PER_MINUTE, 1, 300),
        cooldownSeconds: integerSetting('COOLDOWN_SECONDS', process.env.COOLDOWN_SECONDS, 10, 86_400),
        lagMs: integerSetting('LAG_SECONDS', process.env.LAG_SECONDS, 0, 120) * 1000,
        minFaceWidth: 0.02,
      },
    )
  : undefined;
