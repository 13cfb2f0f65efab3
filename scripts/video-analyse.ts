/**
 * Upload a local video to the stack's bucket and follow its analyses to the stored results, or
 * list what has been processed. Stack outputs give the names:
 *   npx tsx scripts/video-analyse.ts upload ./clip.mp4 --bucket <BucketName> --table <IndexTableName>
 *   npx tsx scripts/video-analyse.ts list --table <IndexTableName>
 */
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { MAX_VIDEO_BYTES } from '../lambda/video/start-analysis';
import { option, run } from './video-cli';

const CONTENT_TYPES: Record<string, string> = { '.mp4': 'video/mp4', '.mov': 'video/quicktime' };
/** A single PutObject takes up to 5 GB; larger videos go up with `aws s3 cp` (multipart). */
const MAX_PUT_BYTES = 5 * 1024 ** 3;
const TERMINAL = new Set(['SUCCEEDED', 'FAILED']);

export interface Clients {
  readonly s3: S3Client;
  readonly dynamo: DynamoDBDocumentClient;
}

export interface Io {
  readonly print: (line: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface IndexRow {
  readonly videoKey: string;
  readonly status?: string;
  readonly reason?: string;
  readonly analyses?: string[];
  readonly [analysis: string]: unknown;
}

interface Summary {
  status?: string;
  count?: number;
  top?: string[];
  resultKey?: string;
  statusMessage?: string;
  versionId?: string | null;
}

/** An analysis entry of the row's current upload (an entry left by an earlier version counts as not started). */
function summaryOf(row: IndexRow, analysis: string): Summary | undefined {
  const s = row[analysis] as Summary | undefined;
  return s && (s.versionId === undefined || s.versionId === (row.versionId ?? null)) ? s : undefined;
}

/** One progress line: each analysis with its status, and counts once done. */
export function progressLine(row: IndexRow | undefined, elapsedSeconds: number): string {
  const t = `[${String(Math.floor(elapsedSeconds / 60)).padStart(2, '0')}:${String(elapsedSeconds % 60).padStart(2, '0')}]`;
  if (!row) {
    return `${t} waiting for the starter to pick up the upload`;
  }
  if (row.status === 'REJECTED') {
    return `${t} REJECTED: ${row.reason}`;
  }
  const parts = (row.analyses ?? []).map((a) => {
    const s = summaryOf(row, a);
    if (!s?.status) return `${a}: queued`;
    if (s.status === 'SUCCEEDED') return `${a}: done (${s.count} items${s.top?.length ? `; ${s.top.slice(0, 3).join(', ')}` : ''})`;
    if (s.status === 'FAILED') return `${a}: FAILED (${s.statusMessage})`;
    return `${a}: running`;
  });
  const done = (row.analyses ?? []).filter((a) => TERMINAL.has(summaryOf(row, a)?.status ?? '')).length;
  return `${t} ${done}/${row.analyses?.length ?? 0} done | ${parts.join(' | ')}`;
}

export function isFinished(row: IndexRow | undefined): boolean {
  if (!row) return false;
  if (row.status === 'REJECTED') return true;
  const analyses = row.analyses ?? [];
  return analyses.length > 0 && analyses.every((a) => TERMINAL.has(summaryOf(row, a)?.status ?? ''));
}

export interface UploadOptions {
  readonly file: string;
  readonly bucket: string;
  readonly table: string;
  /** @default 'videos/' */
  readonly prefix?: string;
  /** @default 10000 */
  readonly pollMs?: number;
  /** @default 3 hours */
  readonly timeoutMs?: number;
}

/** Upload, then poll the index until every analysis is SUCCEEDED/FAILED or the video is rejected. */
export async function uploadAndFollow(clients: Clients, io: Io, options: UploadOptions): Promise<IndexRow> {
  const ext = path.extname(options.file).toLowerCase();
  const contentType = CONTENT_TYPES[ext];
  if (!contentType) {
    throw new Error(`${options.file}: unsupported file type ${JSON.stringify(ext)} (want ${Object.keys(CONTENT_TYPES).join(' or ')})`);
  }
  const size = (await stat(options.file)).size;
  if (size > Math.min(MAX_PUT_BYTES, MAX_VIDEO_BYTES)) {
    throw new Error(`${options.file} is ${size} bytes: upload files over 5 GB with "aws s3 cp" (multipart); Rekognition takes up to 10 GB`);
  }
  const key = `${options.prefix ?? 'videos/'}${path.basename(options.file)}`;
  await clients.s3.send(new PutObjectCommand({ Bucket: options.bucket, Key: key, Body: await readFile(options.file), ContentType: contentType }));
  io.print(`Uploaded s3://${options.bucket}/${key} (${size} bytes, ${contentType})`);

  const pollMs = options.pollMs ?? 10_000;
  const deadline = options.timeoutMs ?? 3 * 3600_000;
  let waited = 0;
  let last = '';
  for (;;) {
    const row = (await clients.dynamo.send(new GetCommand({ TableName: options.table, Key: { videoKey: key } }))).Item as IndexRow | undefined;
    const line = progressLine(row, Math.round(waited / 1000));
    if (line.slice(8) !== last) {
      io.print(line);
      last = line.slice(8);
    }
    if (isFinished(row)) {
      for (const a of row!.analyses ?? []) {
        const s = row![a] as Summary | undefined;
        if (s?.resultKey) io.print(`  ${a}: s3://${options.bucket}/${s.resultKey}`);
      }
      return row!;
    }
    if (waited >= deadline) {
      throw new Error(`Gave up after ${Math.round(waited / 1000)} s; the analyses go on: run "list" later`);
    }
    await io.sleep(pollMs);
    waited += pollMs;
  }
}

/** Every row of the index, newest first, one line each. */
export async function listVideos(clients: Clients, io: Io, table: string): Promise<IndexRow[]> {
  const rows: IndexRow[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await clients.dynamo.send(new ScanCommand({ TableName: table, ExclusiveStartKey }));
    rows.push(...((page.Items ?? []) as IndexRow[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  rows.sort((a, b) => String(b.updatedAt ?? '').localeCompare(String(a.updatedAt ?? '')));
  for (const row of rows) {
    io.print(`${row.videoKey}\t${row.status === 'REJECTED' ? `REJECTED: ${row.reason}` : progressLine(row, 0).slice(8)}`);
  }
  return rows;
}

async function main(args: string[]): Promise<void> {
  const clients = { s3: new S3Client({}), dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({})) };
  const io: Io = { print: (l) => console.log(l), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
  const [command, file] = args;
  if (command === 'upload' && file && !file.startsWith('--')) {
    await uploadAndFollow(clients, io, { file, bucket: option(args, 'bucket'), table: option(args, 'table') });
  } else if (command === 'list') {
    await listVideos(clients, io, option(args, 'table'));
  } else {
    throw new Error(`Usage: video-analyse upload <file.mp4|.mov> --bucket <BucketName> --table <IndexTableName> | list --table <IndexTableName> (got ${JSON.stringify(args)})`);
  }
}

if (require.main === module) {
  run(main);
}
