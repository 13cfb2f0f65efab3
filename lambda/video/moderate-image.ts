/**
 * Image moderation: consumes the image queue (S3 "Object Created" under the images prefix), runs
 * DetectModerationLabels synchronously on the S3 object and writes a result document with a
 * `flagged` verdict (any label at or above the threshold). A wrong file type or an image Rekognition
 * cannot read gets a REJECTED document naming the reason; throttles are retried by the queue.
 */
import { DetectModerationLabelsCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { sqsBatchHandler } from './partial-batch';
import { resultKey } from './analyses';
import { confidence, requiredEnv } from './settings';
import { candidateKeys, extensionOf, findObject, ObjectRef, objectRefsFrom } from './s3-event';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png'];
/** Rekognition's limit for an image read from S3. */
export const MAX_IMAGE_BYTES = 15 * 1024 * 1024;
const PERMANENT = new Set(['InvalidImageFormatException', 'ImageTooLargeException', 'InvalidS3ObjectException', 'InvalidParameterException']);

export interface ModerationConfig {
  readonly resultsPrefix: string;
  /** Labels at or above this confidence (0-100) flag the image. */
  readonly flagThreshold: number;
  /** Labels below this confidence are not returned at all. */
  readonly minConfidence: number;
}

export interface ModerationClients {
  readonly rekognition: RekognitionClient;
  readonly s3: S3Client;
  readonly logger: Logger;
}

export function makeHandler(clients: ModerationClients, config: ModerationConfig) {
  const { rekognition, s3, logger } = clients;
  async function write(ref: ObjectRef, key: string, document: Record<string, unknown>): Promise<void> {
    await s3.send(
      new PutObjectCommand({
        Bucket: ref.bucket,
        Key: resultKey(config.resultsPrefix, key, 'moderation'),
        Body: JSON.stringify({ bucket: ref.bucket, key, versionId: ref.versionId ?? null, ...document }),
        ContentType: 'application/json',
      }),
    );
  }

  async function moderate(ref: ObjectRef): Promise<void> {
    const ext = extensionOf(ref.key);
    if (!IMAGE_EXTENSIONS.includes(ext)) {
      const reason = `unsupported file type ${JSON.stringify(ext || '(no extension)')} for ${JSON.stringify(ref.key)}: want ${IMAGE_EXTENSIONS.join(', ')}`;
      logger.warn('Image rejected', { key: ref.key, reason });
      await write(ref, ref.key, { status: 'REJECTED', reason });
      return;
    }
    const found = await findObject(s3, ref);
    if (!found) {
      // Nothing to write a result beside: the object is gone; the log keeps the record.
      logger.warn('Image rejected', { key: ref.key, reason: `object not found (tried ${JSON.stringify(candidateKeys(ref))})` });
      return;
    }
    if ((found.head.ContentLength ?? 0) > MAX_IMAGE_BYTES) {
      const reason = `image ${JSON.stringify(found.key)} is ${found.head.ContentLength} bytes, over the Rekognition S3 image limit of ${MAX_IMAGE_BYTES}`;
      logger.warn('Image rejected', { key: found.key, reason });
      await write(ref, found.key, { status: 'REJECTED', reason });
      return;
    }
    try {
      const result = await rekognition.send(
        new DetectModerationLabelsCommand({
          Image: { S3Object: { Bucket: ref.bucket, Name: found.key, Version: ref.versionId } },
          MinConfidence: config.minConfidence,
        }),
      );
      const labels = result.ModerationLabels ?? [];
      const flaggedBy = labels.filter((l) => (l.Confidence ?? 0) >= config.flagThreshold).map((l) => l.Name);
      await write(ref, found.key, {
        status: 'SUCCEEDED',
        flagged: flaggedBy.length > 0,
        flaggedBy,
        flagThreshold: config.flagThreshold,
        moderationModelVersion: result.ModerationModelVersion ?? null,
        labels,
      });
      logger.info('Image moderated', { key: found.key, flagged: flaggedBy.length > 0, labels: labels.length });
    } catch (err) {
      if (!PERMANENT.has((err as Error).name)) {
        throw err;
      }
      const reason = `Rekognition refused ${JSON.stringify(found.key)}: ${(err as Error).name}: ${(err as Error).message}`;
      logger.warn('Image rejected', { key: found.key, reason });
      await write(ref, found.key, { status: 'REJECTED', reason });
    }
  }

  return sqsBatchHandler(logger, 'Image not processed', async (r) => {
    for (const ref of objectRefsFrom(r.body)) {
      await moderate(ref);
    }
  });
}

export const handler = process.env.AWS_LAMBDA_FUNCTION_NAME
  ? makeHandler(
      { rekognition: new RekognitionClient({}), s3: new S3Client({}), logger: new Logger({ serviceName: 'image-moderation' }) },
      {
        resultsPrefix: requiredEnv('RESULTS_PREFIX'),
        flagThreshold: confidence('FLAG_THRESHOLD', process.env.FLAG_THRESHOLD, 80),
        minConfidence: confidence('MIN_CONFIDENCE', process.env.MIN_CONFIDENCE, 50),
      },
    )
  : undefined;
