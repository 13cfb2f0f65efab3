/**
 * Simulates N simultaneous uploads against Rekognition's concurrent-job quota, running the REAL
 * starter handler (lambda/video/start-analysis.ts) with SDK mocks: a Rekognition that throws
 * LimitExceededException when the quota is full and finishes jobs over simulated time, an SQS queue
 * with visibility timeouts, the event source's batch size and maximum concurrency, and the
 * dead-letter threshold. Prints what happened. Usage:
 *   npx tsx scripts/video-simulate.ts [--videos 50] [--quota 20] [--seed 1]
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  LimitExceededException,
  RekognitionClient,
  StartContentModerationCommand,
  StartFaceDetectionCommand,
  StartLabelDetectionCommand,
} from '@aws-sdk/client-rekognition';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { AnalysisName } from '../lambda/video/analyses';
import { makeHandler } from '../lambda/video/start-analysis';
import { seededRandom } from './seeded-random';

export interface SimulationOptions {
  readonly videos: number;
  /** Concurrent stored-video jobs Rekognition allows. */
  readonly quota: number;
  readonly analyses: AnalysisName[];
  /** Shortest and longest job, simulated seconds. */
  readonly jobSeconds: readonly [number, number];
  readonly seed: number;
  /** As deployed: batch size, max concurrency, visibility timeout, maxReceiveCount, backoff. */
  readonly batchSize: number;
  readonly maxConcurrency: number;
  readonly visibilityTimeout: number;
  readonly maxReceiveCount: number;
  readonly baseBackoffSeconds: number;
  readonly maxBackoffSeconds: number;
}

export const DEPLOYED: Omit<SimulationOptions, 'videos' | 'seed' | 'jobSeconds'> = {
  quota: 20,
  analyses: ['labels', 'faces', 'moderation'],
  batchSize: 5,
  maxConcurrency: 2,
  visibilityTimeout: 180,
  maxReceiveCount: 100,
  baseBackoffSeconds: 30,
  maxBackoffSeconds: 900,
};

export interface SimulationReport {
  readonly videos: number;
  readonly videosFullyAnalysed: number;
  readonly jobsStarted: number;
  readonly jobsStartedTwice: number;
  readonly deadLettered: number;
  readonly maxJobsInFlight: number;
  readonly startCalls: number;
  readonly limitExceeded: number;
  readonly invocations: number;
  readonly maxReceiveCount: number;
  readonly secondsUntilAllStarted: number;
  readonly secondsUntilAllAnalysed: number;
}

interface Message {
  readonly id: string;
  readonly body: string;
  visibleAt: number;
  receiveCount: number;
}

export async function simulate(options: SimulationOptions): Promise<SimulationReport> {
  const random = seededRandom(options.seed);
  let now = 0;

  const rekognitionClient = new RekognitionClient({ region: 'eu-west-1' });
  const s3Client = new S3Client({ region: 'eu-west-1' });
  const sqsClient = new SQSClient({ region: 'eu-west-1' });
  const dynamoClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
  const rekognition = mockClient(rekognitionClient);
  const s3 = mockClient(s3Client);
  const sqs = mockClient(sqsClient);
  const dynamo = mockClient(dynamoClient);

  // Rekognition: idempotent on ClientRequestToken, LimitExceeded when `quota` jobs are running.
  const jobsByToken = new Map<string, { id: string; video: string; endsAt: number }>();
  const running: { endsAt: number }[] = [];
  let startCalls = 0;
  let limitExceeded = 0;
  let maxJobsInFlight = 0;
  let lastStartAt = 0;
  const fakeStart = async (input: { ClientRequestToken?: string; Video?: { S3Object?: { Name?: string } } }) => {
    startCalls += 1;
    const token = input.ClientRequestToken!;
    const known = jobsByToken.get(token);
    if (known) {
      return { JobId: known.id };
    }
    for (let i = running.length - 1; i >= 0; i -= 1) {
      if (running[i].endsAt <= now) running.splice(i, 1);
    }
    if (running.length >= options.quota) {
      limitExceeded += 1;
      throw new LimitExceededException({ message: 'Too many concurrent jobs', $metadata: {} });
    }
    const [lo, hi] = options.jobSeconds;
    const job = { id: `job-${jobsByToken.size + 1}`, video: input.Video!.S3Object!.Name!, endsAt: now + lo + Math.round(random() * (hi - lo)) };
    jobsByToken.set(token, job);
    running.push(job);
    maxJobsInFlight = Math.max(maxJobsInFlight, running.length);
    lastStartAt = now;
    return { JobId: job.id };
  };
  rekognition.on(StartLabelDetectionCommand).callsFake(fakeStart);
  rekognition.on(StartFaceDetectionCommand).callsFake(fakeStart);
  rekognition.on(StartContentModerationCommand).callsFake(fakeStart);
  s3.on(HeadObjectCommand).resolves({ ContentType: 'video/mp4', ContentLength: 200 * 1024 * 1024 });
  dynamo.on(UpdateCommand).resolves({});
  const visibilityChanges = new Map<string, number>();
  sqs.on(ChangeMessageVisibilityCommand).callsFake(async (input: { ReceiptHandle: string; VisibilityTimeout: number }) => {
    visibilityChanges.set(input.ReceiptHandle, input.VisibilityTimeout);
    return {};
  });

  const handler = makeHandler(
    {
      rekognition: rekognitionClient,
      s3: s3Client,
      sqs: sqsClient,
      dynamo: dynamoClient,
      logger: new Logger({ logLevel: 'SILENT' }),
      random,
    },
    {
      analyses: options.analyses,
      topicArn: 'arn:aws:sns:eu-west-1:111122223333:Completion',
      roleArn: 'arn:aws:iam::111122223333:role/RekognitionPublish',
      tableName: 'index',
      queueUrl: 'start-queue',
      baseBackoffSeconds: options.baseBackoffSeconds,
      maxBackoffSeconds: options.maxBackoffSeconds,
    },
  );

  // N uploads at t=0: one EventBridge "Object Created" event each on the start queue.
  const queue: Message[] = Array.from({ length: options.videos }, (_, i) => ({
    id: `m${i}`,
    body: JSON.stringify({
      source: 'aws.s3',
      'detail-type': 'Object Created',
      detail: { bucket: { name: 'media' }, object: { key: `videos/upload+${i}.mp4`, 'version-id': `v${i}`, size: 200 * 1024 * 1024 } },
    }),
    visibleAt: 0,
    receiveCount: 0,
  }));
  const deadLetters: Message[] = [];
  let invocations = 0;
  let maxReceive = 0;
  const horizon = 7 * 24 * 3600;

  while (queue.length > 0 && now < horizon) {
    let polled = false;
    // Up to maxConcurrency invocations per simulated second, each with up to batchSize messages.
    for (let slot = 0; slot < options.maxConcurrency; slot += 1) {
      const batch: Message[] = [];
      for (const m of queue) {
        if (batch.length === options.batchSize) break;
        if (m.visibleAt > now) continue;
        m.receiveCount += 1;
        if (m.receiveCount > options.maxReceiveCount) {
          deadLetters.push(m);
          continue;
        }
        m.visibleAt = now + options.visibilityTimeout;
        batch.push(m);
      }
      for (const m of deadLetters) {
        const i = queue.indexOf(m);
        if (i >= 0) queue.splice(i, 1);
      }
      if (batch.length === 0) break;
      polled = true;
      invocations += 1;
      const event: SQSEvent = {
        Records: batch.map((m) => ({
          messageId: m.id,
          receiptHandle: `${m.id}:${m.receiveCount}`,
          body: m.body,
          attributes: { ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: '0', SenderId: 'events', ApproximateFirstReceiveTimestamp: '0' },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:eu-west-1:111122223333:start',
          awsRegion: 'eu-west-1',
        })),
      };
      const { batchItemFailures } = await handler(event);
      const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
      for (const m of batch) {
        maxReceive = Math.max(maxReceive, m.receiveCount);
        if (!failed.has(m.id)) {
          queue.splice(queue.indexOf(m), 1);
        } else {
          const delay = visibilityChanges.get(`${m.id}:${m.receiveCount}`);
          if (delay !== undefined) m.visibleAt = now + delay;
        }
      }
    }
    // Jump to the next moment something can happen (a message becomes visible).
    const next = Math.min(...queue.map((m) => m.visibleAt));
    now = polled ? now + 1 : Math.max(now + 1, Number.isFinite(next) ? next : now + 1);
  }

  const jobs = [...jobsByToken.values()];
  const perVideo = new Map<string, number>();
  for (const j of jobs) perVideo.set(j.video, (perVideo.get(j.video) ?? 0) + 1);
  const report: SimulationReport = {
    videos: options.videos,
    videosFullyAnalysed: [...perVideo.values()].filter((n) => n === options.analyses.length).length,
    jobsStarted: jobs.length,
    jobsStartedTwice: [...perVideo.values()].filter((n) => n > options.analyses.length).length,
    deadLettered: deadLetters.length,
    maxJobsInFlight,
    startCalls,
    limitExceeded,
    invocations,
    maxReceiveCount: maxReceive,
    secondsUntilAllStarted: lastStartAt,
    secondsUntilAllAnalysed: Math.max(0, ...jobs.map((j) => j.endsAt)),
  };
  for (const m of [rekognition, s3, sqs, dynamo]) m.restore();
  return report;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) {
    throw new Error(`--${name} must be a positive integer (got ${JSON.stringify(process.argv[i + 1])})`);
  }
  return v;
}

async function main(): Promise<void> {
  const videos = arg('videos', 50);
  const quota = arg('quota', 20);
  const seed = arg('seed', 1);
  console.log(`${videos} simultaneous uploads, ${quota}-job quota, 3 analyses per video, jobs 2-10 min, as deployed (batch ${DEPLOYED.batchSize}, max concurrency ${DEPLOYED.maxConcurrency}, backoff ${DEPLOYED.baseBackoffSeconds}-${DEPLOYED.maxBackoffSeconds} s, maxReceiveCount ${DEPLOYED.maxReceiveCount})`);
  const r = await simulate({ ...DEPLOYED, quota, videos, seed, jobSeconds: [120, 600] });
  const minutes = (s: number) => `${(s / 60).toFixed(1)} min`;
  console.table({
    'videos uploaded': r.videos,
    'videos fully analysed': r.videosFullyAnalysed,
    'jobs started (unique)': r.jobsStarted,
    'videos with a job started twice': r.jobsStartedTwice,
    'dead-lettered': r.deadLettered,
    'max jobs in flight': r.maxJobsInFlight,
    'Start* calls': r.startCalls,
    'LimitExceededException': r.limitExceeded,
    'starter invocations': r.invocations,
    'max receives of one message': r.maxReceiveCount,
    'last job started after': minutes(r.secondsUntilAllStarted),
    'all analysed after': minutes(r.secondsUntilAllAnalysed),
  });
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
