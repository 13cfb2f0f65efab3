/**
 * Image analysis: consumes the image queue (S3 "Object Created" under the images prefix), runs the
 * configured Rekognition Image analyses synchronously on the S3 object (labels, faces with their
 * attributes, text, moderation, celebrities: what the study notes list for images) and writes ONE
 * result document per image, `results/<image key>/analysis.json`, only once every analysis has
 * answered: never a half-written result. A throttle or a service error fails the record alone (the
 * queue retries it, then its DLQ keeps it); a wrong file type or an image Rekognition cannot read
 * gets a REJECTED document naming the reason. A redelivered event rewrites the same document.
 */
import {
  DetectFacesCommand,
  DetectLabelsCommand,
  DetectModerationLabelsCommand,
  DetectTextCommand,
  Image,
  RecognizeCelebritiesCommand,
  RekognitionClient,
} from '@aws-sdk/client-rekognition';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { resultKey } from './analyses';
import { sqsBatchHandler } from './partial-batch';
import { candidateKeys, extensionOf, findObject, ObjectRef, objectRefsFrom } from './s3-event';
import { confidence, requiredEnv } from './settings';

export const IMAGE_ANALYSIS_NAMES = ['labels', 'faces', 'text', 'moderation', 'celebrities'] as const;
export type ImageAnalysisName = (typeof IMAGE_ANALYSIS_NAMES)[number];

/** The IAM action of each analysis (each is one Rekognition Image call per image). */
export const IMAGE_ANALYSIS_ACTIONS: Readonly<Record<ImageAnalysisName, string>> = {
  labels: 'rekognition:DetectLabels',
  faces: 'rekognition:DetectFaces',
  text: 'rekognition:DetectText',
  moderation: 'rekognition:DetectModerationLabels',
  celebrities: 'rekognition:RecognizeCelebrities',
};

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png'];
/** Rekognition's limit for an image read from S3 (Rekognition Developer Guide, "Guidelines and quotas"). */
export const MAX_IMAGE_BYTES = 15 * 1024 * 1024;
/** Errors that mean "this image never will": a REJECTED document, not a retry. */
const PERMANENT = new Set(['InvalidImageFormatException', 'ImageTooLargeException', 'InvalidS3ObjectException', 'InvalidParameterException']);
export const RESULT_NAME = 'analysis';

export interface ImageAnalysisConfig {
  readonly resultsPrefix: string;
  readonly analyses: ImageAnalysisName[];
  /** Moderation labels at or above this confidence (0-100) flag the image. */
  readonly flagThreshold: number;
  /** Labels, moderation labels below this confidence are not returned at all. */
  readonly minConfidence: number;
}

export interface ImageAnalysisClients {
  readonly rekognition: RekognitionClient;
  readonly s3: S3Client;
  readonly logger: Logger;
}

/** Parse IMAGE_ANALYSES ("labels,faces"): unknown or empty names the bad value. */
export function parseImageAnalyses(value: string | undefined): ImageAnalysisName[] {
  const names = (value ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const unknown = names.filter((n) => !(IMAGE_ANALYSIS_NAMES as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new Error(`IMAGE_ANALYSES must list some of ${IMAGE_ANALYSIS_NAMES.join(', ')} (got ${JSON.stringify(value)})`);
  }
  return [...new Set(names)] as ImageAnalysisName[];
}

type Run = (rekognition: RekognitionClient, image: Image, config: ImageAnalysisConfig) => Promise<Record<string, unknown>>;

const RUN: Readonly<Record<ImageAnalysisName, Run>> = {
  labels: async (r, image, c) => {
    const out = await r.send(new DetectLabelsCommand({ Image: image, MinConfidence: c.minConfidence }));
    return { labels: out.Labels ?? [], labelModelVersion: out.LabelModelVersion ?? null };
  },
  faces: async (r, image) => {
    const out = await r.send(new DetectFacesCommand({ Image: image, Attributes: ['ALL'] }));
    return { faces: out.FaceDetails ?? [] };
  },
  text: async (r, image) => {
    const out = await r.send(new DetectTextCommand({ Image: image }));
    const detections = out.TextDetections ?? [];
    return { lines: detections.filter((d) => d.Type === 'LINE').map((d) => d.DetectedText), textDetections: detections };
  },
  moderation: async (r, image, c) => {
    const out = await r.send(new DetectModerationLabelsCommand({ Image: image, MinConfidence: c.minConfidence }));
    const labels = out.ModerationLabels ?? [];
    const flaggedBy = labels.filter((l) => (l.Confidence ?? 0) >= c.flagThreshold).map((l) => l.Name);
    return { flagged: flaggedBy.length > 0, flaggedBy, flagThreshold: c.flagThreshold, labels, moderationModelVersion: out.ModerationModelVersion ?? null };
  },
  celebrities: async (r, image) => {
    const out = await r.send(new RecognizeCelebritiesCommand({ Image: image }));
    return { celebrities: out.CelebrityFaces ?? [], unrecognizedFaces: (out.UnrecognizedFaces ?? []).length };
  },
};

export function makeHandler(clients: ImageAnalysisClients, config: ImageAnalysisConfig) {
  const { rekognition, s3, logger } = clients;
  async function write(ref: ObjectRef, key: string, document: Record<string, unknown>): Promise<void> {
    await s3.send(
      new PutObjectCommand({
        Bucket: ref.bucket,
        Key: resultKey(config.resultsPrefix, key, RESULT_NAME),
        Body: JSON.stringify({ bucket: ref.bucket, key, versionId: ref.versionId ?? null, ...document }),
        ContentType: 'application/json',
      }),
    );
  }

  async function rejected(ref: ObjectRef, key: string, reason: string): Promise<void> {
    logger.warn('Image rejected', { key, reason });
    await write(ref, key, { status: 'REJECTED', reason });
  }

  async function analyse(ref: ObjectRef): Promise<void> {
    const ext = extensionOf(ref.key);
    if (!IMAGE_EXTENSIONS.includes(ext)) {
      await rejected(ref, ref.key, `unsupported file type ${JSON.stringify(ext || '(no extension)')} for ${JSON.stringify(ref.key)}: want ${IMAGE_EXTENSIONS.join(', ')}`);
      return;
    }
    const found = await findObject(s3, ref);
    if (!found) {
      // Nothing to write a result beside: the object is gone; the log keeps the record.
      logger.warn('Image rejected', { key: ref.key, reason: `object not found (tried ${JSON.stringify(candidateKeys(ref))})` });
      return;
    }
    if ((found.head.ContentLength ?? 0) > MAX_IMAGE_BYTES) {
      await rejected(ref, found.key, `image ${JSON.stringify(found.key)} is ${found.head.ContentLength} bytes, over the Rekognition S3 image limit of ${MAX_IMAGE_BYTES}`);
      return;
    }
    const image: Image = { S3Object: { Bucket: ref.bucket, Name: found.key, Version: ref.versionId } };
    const results: Record<string, unknown> = {};
    try {
      // One call per analysis, in parallel: the document is written only when all have answered.
      const answers = await Promise.all(config.analyses.map((a) => RUN[a](rekognition, image, config)));
      config.analyses.forEach((a, i) => (results[a] = answers[i]));
    } catch (err) {
      if (!PERMANENT.has((err as Error).name)) {
        throw err;
      }
      await rejected(ref, found.key, `Rekognition refused ${JSON.stringify(found.key)}: ${(err as Error).name}: ${(err as Error).message}`);
      return;
    }
    await write(ref, found.key, { status: 'SUCCEEDED', analyses: config.analyses, analysedAt: new Date().toISOString(), ...results });
    logger.info('Image analysed', { key: found.key, analyses: config.analyses });
  }

  return sqsBatchHandler(logger, 'Image not processed', async (r) => {
    for (const ref of objectRefsFrom(r.body)) {
      await analyse(ref);
    }
  });
}

export const handler = process.env.AWS_LAMBDA_FUNCTION_NAME
  ? makeHandler(
      { rekognition: new RekognitionClient({}), s3: new S3Client({}), logger: new Logger({ serviceName: 'image-analysis' }) },
      {
        resultsPrefix: requiredEnv('RESULTS_PREFIX'),
        analyses: parseImageAnalyses(process.env.IMAGE_ANALYSES),
        flagThreshold: confidence('FLAG_THRESHOLD', process.env.FLAG_THRESHOLD, 80),
        minConfidence: confidence('MIN_CONFIDENCE', process.env.MIN_CONFIDENCE, 50),
      },
    )
  : undefined;
