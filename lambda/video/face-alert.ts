/**
 * Face alerts: consumes the Kinesis Data Stream the Rekognition stream processor writes its
 * face-search results to, and publishes one SNS alert per known face matched at or above the
 * threshold: who (the ExternalImageId given at indexing), similarity, and when (producer time of
 * the fragment plus the frame offset). A record that cannot be parsed fails with its sequence number
 * so the event source bisects the batch and, after its retries, sends it to the on-failure queue.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { kinesisBatchHandler } from './partial-batch';
import type { KinesisStreamRecord } from 'aws-lambda';
import { confidence, requiredEnv } from './settings';

export interface FaceMatch {
  readonly person: string;
  readonly faceId: string;
  readonly similarity: number;
  /** ISO time of the frame. */
  readonly seenAt: string;
  readonly streamArn: string;
  readonly fragmentNumber: string;
}

interface StreamProcessorOutput {
  InputInformation?: {
    KinesisVideo?: { StreamArn?: string; FragmentNumber?: string; ProducerTimestamp?: number; ServerTimestamp?: number; FrameOffsetInSeconds?: number };
  };
  FaceSearchResponse?: Array<{ MatchedFaces?: Array<{ Similarity?: number; Face?: { FaceId?: string; ExternalImageId?: string } }> }>;
}

/** Matches at or above the threshold in one stream-processor record (the Kinesis data, decoded). */
export function matchesIn(data: string, threshold: number): FaceMatch[] {
  let out: StreamProcessorOutput;
  try {
    out = JSON.parse(data);
  } catch {
    throw new Error(`Stream processor record is not JSON (got ${JSON.stringify(data.slice(0, 200))})`);
  }
  const video = out?.InputInformation?.KinesisVideo;
  if (!video || !Array.isArray(out.FaceSearchResponse)) {
    throw new Error(`Not a face-search record: needs InputInformation.KinesisVideo and FaceSearchResponse (got keys ${JSON.stringify(Object.keys(out ?? {}))})`);
  }
  // ProducerTimestamp and ServerTimestamp are epoch seconds of the fragment; the frame is offset into it.
  const base = video.ProducerTimestamp ?? video.ServerTimestamp ?? 0;
  const seenAt = new Date((base + (video.FrameOffsetInSeconds ?? 0)) * 1000).toISOString();
  const matches: FaceMatch[] = [];
  for (const face of out.FaceSearchResponse) {
    for (const m of face.MatchedFaces ?? []) {
      if ((m.Similarity ?? 0) >= threshold) {
        matches.push({
          person: m.Face?.ExternalImageId ?? '(no external id)',
          faceId: m.Face?.FaceId ?? '(unknown)',
          similarity: m.Similarity ?? 0,
          seenAt,
          streamArn: video.StreamArn ?? '(unknown)',
          fragmentNumber: video.FragmentNumber ?? '(unknown)',
        });
      }
    }
  }
  return matches;
}

export interface AlertConfig {
  readonly topicArn: string;
  readonly threshold: number;
}

export function makeHandler(clients: { sns: SNSClient; logger: Logger }, config: AlertConfig) {
  async function handleRecord(record: KinesisStreamRecord): Promise<void> {
    const data = Buffer.from(record.kinesis.data, 'base64').toString('utf8');
    for (const match of matchesIn(data, config.threshold)) {
      await clients.sns.send(
        new PublishCommand({
          TopicArn: config.topicArn,
          Subject: `Known face: ${match.person}`.slice(0, 100),
          Message: JSON.stringify(match),
          MessageAttributes: { person: { DataType: 'String', StringValue: match.person } },
        }),
      );
      clients.logger.info('Face alert published', { ...match });
    }
  }
  return kinesisBatchHandler(clients.logger, 'Stream record not processed', handleRecord);
}

export const handler = process.env.AWS_LAMBDA_FUNCTION_NAME
  ? makeHandler(
      { sns: new SNSClient({}), logger: new Logger({ serviceName: 'face-alert' }) },
      { topicArn: requiredEnv('TOPIC_ARN'), threshold: confidence('MATCH_THRESHOLD', process.env.MATCH_THRESHOLD, 90) },
    )
  : undefined;
