/**
 * Simulates a burst of uploads against Rekognition's concurrent-job quota, end to end through the
 * REAL handlers: the starter (lambda/video/start-analysis.ts) and the results collector
 * (lambda/video/collect-results.ts), with SDK mocks around them: a Rekognition that throws
 * LimitExceededException while the quota is full, finishes each job over simulated time and
 * publishes its completion; two SQS queues with visibility timeouts, batch sizes, the starter's
 * maximum concurrency and dead-letter thresholds as deployed; the index table in memory with
 * DynamoDB's conditional writes (scripts/lib/memory-table.ts); S3 keeping the result documents.
 * Some keys are uploaded a second time during the burst (a new version), the case where a
 * completion can be stale. Prints what happened. Usage:
 *   npx tsx scripts/video-simulate.ts [--videos 50] [--new-versions 10] [--quota 20] [--seed 1]
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetContentModerationCommand,
  GetFaceDetectionCommand,
  GetLabelDetectionCommand,
  LimitExceededException,
  RekognitionClient,
  StartContentModerationCommand,
  StartFaceDetectionCommand,
  StartLabelDetectionCommand,
} from '@aws-sdk/client-rekognition';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSEvent, SQSBatchResponse } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { ANALYSES, AnalysisName } from '../lambda/video/analyses';
import { makeHandler as makeCollector } from '../lambda/video/collect-results';
import { makeHandler as makeStarter } from '../lambda/video/start-analysis';
import { MemoryTable } from './lib/memory-table';
import { seededRandom } from './seeded-random';

export interface SimulationOptions {
  /** Distinct keys uploaded at t = 0. */
  readonly videos: number;
  /** How many of those keys get a second version, uploaded at `newVersionAtSeconds`. */
  readonly newVersions: number;
  readonly newVersionAtSeconds: number;
  /** Concurrent stored-video jobs Rekognition allows. */
  readonly quota: number;
  readonly analyses: AnalysisName[];
  /** Shortest and longest job, simulated seconds. */
  readonly jobSeconds: readonly [number, number];
  readonly seed: number;
  /** As deployed: starter batch size, max concurrency, visibility timeout, maxReceiveCount, backoff. */
  readonly batchSize: number;
  readonly maxConcurrency: number;
  readonly visibilityTimeout: number;
  readonly maxReceiveCount: number;
  readonly baseBackoffSeconds: number;
  readonly maxBackoffSeconds: number;
  /** As deployed: the results queue (batch size, visibility timeout, maxReceiveCount). */
  readonly resultsBatchSize: number;
  readonly resultsVisibilityTimeout: number;
  readonly resultsMaxReceiveCount: number;
}

export const DEPLOYED: Omit<SimulationOptions, 'videos' | 'newVersions' | 'seed' | 'jobSeconds'> = {
  newVersionAtSeconds: 90,
  quota: 20,
  analyses: ['labels', 'faces', 'moderation'],
  batchSize: 5,
  maxConcurrency: 2,
  visibilityTimeout: 180,
  maxReceiveCount: 100,
  baseBackoffSeconds: 30,
  maxBackoffSeconds: 900,
  resultsBatchSize: 5,
  resultsVisibilityTimeout: 1800,
  resultsMaxReceiveCount: 5,
};

export interface SimulationReport {
  /** Upload events: every key once, plus the new versions. */
  readonly uploads: number;
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
  /** Results the user must end up with: every analysis of the latest version of every key. */
  readonly resultsExpected: number;
  /** Of those, written to S3 from the job of that version and named in the index. */
  readonly resultsWritten: number;
  /** resultsExpected - resultsWritten. */
  readonly lost: number;
  /** Completions of an older version, dropped on purpose (their key has a newer version). */
  readonly staleDropped: number;
  /** Completions retried because their job was not recorded yet. */
  readonly completionRetries: number;
  readonly resultsDeadLettered: number;
  readonly collectorInvocations: number;
}

interface Message {
  readonly id: string;
  readonly body: string;
  visibleAt: number;
  receiveCount: number;
}

interface Job {
  readonly id: string;
  readonly key: string;
  readonly version: string;
  readonly analysis: AnalysisName;
  readonly endsAt: number;
  published: boolean;
}

/** One SQS queue as the event source mapping sees it. */
class SimQueue {
  readonly messages: Message[] = [];
  readonly deadLetters: Message[] = [];
  private count = 0;
  constructor(readonly name: string, readonly visibilityTimeout: number, readonly maxReceiveCount: number) {}

  send(body: string, at: number): void {
    this.messages.push({ id: `${this.name}-${(this.count += 1)}`, body, visibleAt: at, receiveCount: 0 });
  }

  /** Up to `size` visible messages, made invisible; ones past maxReceiveCount go to the DLQ. */
  receive(size: number, now: number): Message[] {
    const batch: Message[] = [];
    for (const m of [...this.messages]) {
      if (batch.length === size) break;
      if (m.visibleAt > now) continue;
      m.receiveCount += 1;
      if (m.receiveCount > this.maxReceiveCount) {
        this.deadLetters.push(m);
        this.messages.splice(this.messages.indexOf(m), 1);
        continue;
      }
      m.visibleAt = now + this.visibilityTimeout;
      batch.push(m);
    }
    return batch;
  }

  settle(batch: Message[], response: SQSBatchResponse, now: number, visibility: Map<string, number>): void {
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    for (const m of batch) {
      if (!failed.has(m.id)) {
        this.messages.splice(this.messages.indexOf(m), 1);
      } else {
        const delay = visibility.get(`${m.id}:${m.receiveCount}`);
        if (delay !== undefined) m.visibleAt = now + delay;
      }
    }
  }

  nextVisible(): number {
    return Math.min(...this.messages.map((m) => m.visibleAt));
  }
}

function sqsEventOf(batch: Message[], queue: string): SQSEvent {
  return {
    Records: batch.map((m) => ({
      messageId: m.id,
      receiptHandle: `${m.id}:${m.receiveCount}`,
      body: m.body,
      attributes: { ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: '0', SenderId: 'sim', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:eu-west-1:111122223333:${queue}`,
      awsRegion: 'eu-west-1',
    })),
  };
}

export async function simulate(options: SimulationOptions): Promise<SimulationReport> {
  if (options.newVersions > options.videos) {
    throw new Error(`newVersions (${options.newVersions}) must not exceed videos (${options.videos})`);
  }
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
  const table = new MemoryTable('videoKey');
  table.serve(dynamo);

  const startQueue = new SimQueue('start', options.visibilityTimeout, options.maxReceiveCount);
  const resultsQueue = new SimQueue('results', options.resultsVisibilityTimeout, options.resultsMaxReceiveCount);

  // Rekognition: idempotent on ClientRequestToken, LimitExceeded when `quota` jobs are running.
  const jobsByToken = new Map<string, Job>();
  const jobsById = new Map<string, Job>();
  let startCalls = 0;
  let limitExceeded = 0;
  let maxJobsInFlight = 0;
  let lastStartAt = 0;
  const running = () => [...jobsById.values()].filter((j) => j.endsAt > now).length;
  const fakeStart = (analysis: AnalysisName) => async (input: { ClientRequestToken?: string; Video?: { S3Object?: { Name?: string; Version?: string } } }) => {
    startCalls += 1;
    const known = jobsByToken.get(input.ClientRequestToken!);
    if (known) {
      return { JobId: known.id };
    }
    if (running() >= options.quota) {
      limitExceeded += 1;
      throw new LimitExceededException({ message: 'Too many concurrent jobs', $metadata: {} });
    }
    const [lo, hi] = options.jobSeconds;
    const job: Job = {
      id: `job-${jobsById.size + 1}`,
      key: input.Video!.S3Object!.Name!,
      version: input.Video!.S3Object!.Version!,
      analysis,
      endsAt: now + lo + Math.round(random() * (hi - lo)),
      published: false,
    };
    jobsByToken.set(input.ClientRequestToken!, job);
    jobsById.set(job.id, job);
    maxJobsInFlight = Math.max(maxJobsInFlight, running());
    lastStartAt = now;
    return { JobId: job.id };
  };
  rekognition.on(StartLabelDetectionCommand).callsFake(fakeStart('labels'));
  rekognition.on(StartFaceDetectionCommand).callsFake(fakeStart('faces'));
  rekognition.on(StartContentModerationCommand).callsFake(fakeStart('moderation'));
  const fakeGet = (items: string) => async (input: { JobId: string }) => {
    const job = jobsById.get(input.JobId)!;
    return { JobStatus: 'SUCCEEDED', Video: { S3Object: { Bucket: 'media', Name: job.key, Version: job.version } }, [items]: [{ Timestamp: 0 }] };
  };
  rekognition.on(GetLabelDetectionCommand).callsFake(fakeGet('Labels'));
  rekognition.on(GetFaceDetectionCommand).callsFake(fakeGet('Faces'));
  rekognition.on(GetContentModerationCommand).callsFake(fakeGet('ModerationLabels'));

  s3.on(HeadObjectCommand).resolves({ ContentType: 'video/mp4', ContentLength: 200 * 1024 * 1024 });
  const ftyp = Uint8Array.from(Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypisom'), Buffer.from([0, 0, 2, 0])]));
  s3.on(GetObjectCommand).resolves({ Body: { transformToByteArray: async () => ftyp } as never });
  const documents = new Map<string, { versionId: string; jobId: string }>();
  s3.on(PutObjectCommand).callsFake(async (input: { Key: string; Body: string }) => {
    const doc = JSON.parse(input.Body);
    documents.set(input.Key, { versionId: doc.versionId, jobId: doc.jobId });
    return {};
  });
  const visibilityChanges = new Map<string, number>();
  sqs.on(ChangeMessageVisibilityCommand).callsFake(async (input: { ReceiptHandle: string; VisibilityTimeout: number }) => {
    visibilityChanges.set(input.ReceiptHandle, input.VisibilityTimeout);
    return {};
  });

  let staleDropped = 0;
  let completionRetries = 0;
  const quiet = new Logger({ logLevel: 'SILENT' });
  const collectorLogger = new Logger({ logLevel: 'SILENT' });
  // Count what the collector logs (its decisions), without printing it.
  collectorLogger.warn = ((message: unknown) => {
    if (String(message).startsWith('Stale completion')) staleDropped += 1;
  }) as Logger['warn'];
  collectorLogger.error = ((_message: unknown, extra?: unknown) => {
    if (/not recorded in the index yet|No index row/.test(String((extra as { error?: Error })?.error?.message))) completionRetries += 1;
  }) as Logger['warn'];
  const starter = makeStarter(
    { rekognition: rekognitionClient, s3: s3Client, sqs: sqsClient, dynamo: dynamoClient, logger: quiet, random },
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
  const collector = makeCollector(
    { rekognition: rekognitionClient, s3: s3Client, dynamo: dynamoClient, logger: collectorLogger },
    { tableName: 'index', resultsBucket: 'media', resultsPrefix: 'results/' },
  );

  // Uploads: every key at t=0 (sequencer 1), some keys again later (a new version, sequencer 2).
  const upload = (i: number, version: number, at: number) =>
    startQueue.send(JSON.stringify({
      source: 'aws.s3',
      'detail-type': 'Object Created',
      detail: { bucket: { name: 'media' }, object: { key: `videos/upload+${i}.mp4`, 'version-id': `v${i}-${version}`, size: 200 * 1024 * 1024, sequencer: `00${version}` } },
    }), at);
  for (let i = 0; i < options.videos; i += 1) upload(i, 1, 0);
  const newVersionKeys = Array.from({ length: options.newVersions }, (_, n) => Math.floor((n * options.videos) / Math.max(1, options.newVersions)));
  for (const i of newVersionKeys) upload(i, 2, options.newVersionAtSeconds);

  let invocations = 0;
  let collectorInvocations = 0;
  let maxReceive = 0;
  const horizon = 7 * 24 * 3600;
  const pending = () => startQueue.messages.length + resultsQueue.messages.length + [...jobsById.values()].filter((j) => !j.published).length;

  while (pending() > 0 && now < horizon) {
    let active = false;
    // Rekognition publishes each job's completion (SNS -> results queue) when it ends.
    for (const job of jobsById.values()) {
      if (!job.published && job.endsAt <= now) {
        job.published = true;
        const message = { JobId: job.id, Status: 'SUCCEEDED', API: ANALYSES[job.analysis].api, JobTag: job.analysis, Timestamp: now * 1000, Video: { S3ObjectName: job.key, S3Bucket: 'media' } };
        resultsQueue.send(JSON.stringify({ Type: 'Notification', MessageId: job.id, TopicArn: 'completion', Message: JSON.stringify(message) }), now);
      }
    }
    // The starter: up to maxConcurrency invocations per simulated second.
    for (let slot = 0; slot < options.maxConcurrency; slot += 1) {
      const batch = startQueue.receive(options.batchSize, now);
      if (batch.length === 0) break;
      active = true;
      invocations += 1;
      startQueue.settle(batch, await starter(sqsEventOf(batch, 'start')), now, visibilityChanges);
      for (const m of batch) maxReceive = Math.max(maxReceive, m.receiveCount);
    }
    // The collector: no concurrency cap, every visible completion this second.
    for (let batch = resultsQueue.receive(options.resultsBatchSize, now); batch.length > 0; batch = resultsQueue.receive(options.resultsBatchSize, now)) {
      active = true;
      collectorInvocations += 1;
      resultsQueue.settle(batch, await collector(sqsEventOf(batch, 'results')), now, new Map());
    }
    const nextJob = Math.min(...[...jobsById.values()].filter((j) => !j.published).map((j) => j.endsAt));
    const next = Math.min(startQueue.nextVisible(), resultsQueue.nextVisible(), nextJob);
    now = active ? now + 1 : Math.max(now + 1, Number.isFinite(next) ? next : now + 1);
  }

  // What the user must end up with: each analysis of each key's latest version, from its own job.
  const latest = new Map<string, string>();
  for (let i = 0; i < options.videos; i += 1) latest.set(`videos/upload ${i}.mp4`, `v${i}-${newVersionKeys.includes(i) ? 2 : 1}`);
  let resultsWritten = 0;
  for (const [key, version] of latest) {
    for (const analysis of options.analyses) {
      const job = [...jobsById.values()].find((j) => j.key === key && j.version === version && j.analysis === analysis);
      const doc = documents.get(`results/${key}/${analysis}.json`);
      const entry = table.get({ videoKey: key })?.[analysis] as { jobId?: string; status?: string } | undefined;
      if (job && doc?.jobId === job.id && doc.versionId === version && entry?.jobId === job.id && entry.status === 'SUCCEEDED') {
        resultsWritten += 1;
      }
    }
  }
  const jobs = [...jobsById.values()];
  const perUpload = new Map<string, number>();
  for (const j of jobs) perUpload.set(`${j.key}@${j.version}`, (perUpload.get(`${j.key}@${j.version}`) ?? 0) + 1);
  const resultsExpected = latest.size * options.analyses.length;
  const report: SimulationReport = {
    uploads: options.videos + options.newVersions,
    videosFullyAnalysed: [...perUpload.values()].filter((n) => n === options.analyses.length).length,
    jobsStarted: jobs.length,
    jobsStartedTwice: [...perUpload.values()].filter((n) => n > options.analyses.length).length,
    deadLettered: startQueue.deadLetters.length,
    maxJobsInFlight,
    startCalls,
    limitExceeded,
    invocations,
    maxReceiveCount: maxReceive,
    secondsUntilAllStarted: lastStartAt,
    secondsUntilAllAnalysed: Math.max(0, ...jobs.map((j) => j.endsAt)),
    resultsExpected,
    resultsWritten,
    lost: resultsExpected - resultsWritten,
    staleDropped,
    completionRetries,
    resultsDeadLettered: resultsQueue.deadLetters.length,
    collectorInvocations,
  };
  for (const m of [rekognition, s3, sqs, dynamo]) m.restore();
  return report;
}

function arg(name: string, fallback: number, min = 1): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < min) {
    throw new Error(`--${name} must be an integer >= ${min} (got ${JSON.stringify(process.argv[i + 1])})`);
  }
  return v;
}

async function main(): Promise<void> {
  const videos = arg('videos', 50);
  const newVersions = arg('new-versions', 10, 0);
  const quota = arg('quota', 20);
  const seed = arg('seed', 1);
  console.log(`${videos} simultaneous uploads (+${newVersions} new versions of some of them after ${DEPLOYED.newVersionAtSeconds} s), ${quota}-job quota, 3 analyses per video, jobs 2-10 min, as deployed (starter batch ${DEPLOYED.batchSize}, max concurrency ${DEPLOYED.maxConcurrency}, backoff ${DEPLOYED.baseBackoffSeconds}-${DEPLOYED.maxBackoffSeconds} s, maxReceiveCount ${DEPLOYED.maxReceiveCount}; results queue visibility ${DEPLOYED.resultsVisibilityTimeout} s, maxReceiveCount ${DEPLOYED.resultsMaxReceiveCount})`);
  const r = await simulate({ ...DEPLOYED, quota, videos, newVersions, seed, jobSeconds: [120, 600] });
  const minutes = (s: number) => `${(s / 60).toFixed(1)} min`;
  console.table({
    'uploads (events)': r.uploads,
    'uploads fully started': r.videosFullyAnalysed,
    'jobs started (unique)': r.jobsStarted,
    'uploads with a job started twice': r.jobsStartedTwice,
    'start queue dead-lettered': r.deadLettered,
    'max jobs in flight': r.maxJobsInFlight,
    'Start* calls': r.startCalls,
    'LimitExceededException': r.limitExceeded,
    'starter invocations': r.invocations,
    'max receives of one start message': r.maxReceiveCount,
    'last job started after': minutes(r.secondsUntilAllStarted),
    'all jobs finished after': minutes(r.secondsUntilAllAnalysed),
    'results expected (latest version x analyses)': r.resultsExpected,
    'results written': r.resultsWritten,
    'lost': r.lost,
    'stale completions dropped (older versions)': r.staleDropped,
    'completions retried (not recorded yet)': r.completionRetries,
    'results queue dead-lettered': r.resultsDeadLettered,
    'collector invocations': r.collectorInvocations,
  });
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
