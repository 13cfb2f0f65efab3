import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { listVideos, uploadAndFollow } from '../../scripts/video-analyse';

const s3 = mockClient(S3Client);
const dynamo = mockClient(DynamoDBDocumentClient);
const clients = { s3: new S3Client({}), dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({})) };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'video-cli-'));
const clip = path.join(dir, 'café clip.mp4');
fs.writeFileSync(clip, Buffer.alloc(2048));

const analyses = ['labels', 'faces', 'moderation'];
const row = (s: Record<string, unknown>) => ({ Item: { videoKey: 'videos/café clip.mp4', status: 'IN_PROGRESS', analyses, ...s } });

beforeEach(() => {
  s3.reset();
  dynamo.reset();
  s3.on(PutObjectCommand).resolves({});
});

describe('video-analyse CLI', () => {
  it('uploads with the video content type and follows the analyses to their result documents, printing progress', async () => {
    dynamo.on(GetCommand)
      .resolvesOnce({})
      .resolvesOnce(row({ labels: { status: 'IN_PROGRESS', jobId: 'j1' }, faces: { status: 'IN_PROGRESS', jobId: 'j2' }, moderation: { status: 'IN_PROGRESS', jobId: 'j3' } }))
      .resolvesOnce(row({ labels: { status: 'SUCCEEDED', count: 2500, top: ['Tree', 'Car', 'Dog', 'Person'], resultKey: 'results/videos/café clip.mp4/labels.json' }, faces: { status: 'IN_PROGRESS' }, moderation: { status: 'IN_PROGRESS' } }))
      .resolves(row({
        labels: { status: 'SUCCEEDED', count: 2500, top: ['Tree'], resultKey: 'results/videos/café clip.mp4/labels.json' },
        faces: { status: 'SUCCEEDED', count: 12, top: [], resultKey: 'results/videos/café clip.mp4/faces.json' },
        moderation: { status: 'FAILED', count: 0, statusMessage: 'Unsupported codec', resultKey: 'results/videos/café clip.mp4/moderation.json' },
      }));
    const lines: string[] = [];
    const sleeps: number[] = [];
    const final = await uploadAndFollow(clients, { print: (l) => lines.push(l), sleep: async (ms) => void sleeps.push(ms) }, { file: clip, bucket: 'media', table: 'index', pollMs: 5000 });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'media', Key: 'videos/café clip.mp4', ContentType: 'video/mp4' });
    expect(lines).toEqual([
      'Uploaded s3://media/videos/café clip.mp4 (2048 bytes, video/mp4)',
      '[00:00] waiting for the starter to pick up the upload',
      '[00:05] 0/3 done | labels: running | faces: running | moderation: running',
      '[00:10] 1/3 done | labels: done (2500 items; Tree, Car, Dog) | faces: running | moderation: running',
      '[00:15] 3/3 done | labels: done (2500 items; Tree) | faces: done (12 items) | moderation: FAILED (Unsupported codec)',
      '  labels: s3://media/results/videos/café clip.mp4/labels.json',
      '  faces: s3://media/results/videos/café clip.mp4/faces.json',
      '  moderation: s3://media/results/videos/café clip.mp4/moderation.json',
    ]);
    expect(sleeps).toEqual([5000, 5000, 5000]);
    expect(final.status).toBe('IN_PROGRESS');
  });

  it('stops at a rejection and shows the reason', async () => {
    dynamo.on(GetCommand).resolves({ Item: { videoKey: 'videos/café clip.mp4', status: 'REJECTED', reason: 'unsupported content type "application/octet-stream"' } });
    const lines: string[] = [];
    await uploadAndFollow(clients, { print: (l) => lines.push(l), sleep: async () => undefined }, { file: clip, bucket: 'media', table: 'index' });
    expect(lines[1]).toBe('[00:00] REJECTED: unsupported content type "application/octet-stream"');
  });

  it('refuses a file Rekognition Video cannot take before uploading', async () => {
    const avi = path.join(dir, 'clip.avi');
    fs.writeFileSync(avi, 'x');
    await expect(uploadAndFollow(clients, { print: () => undefined, sleep: async () => undefined }, { file: avi, bucket: 'media', table: 'index' })).rejects.toThrow(
      `${avi}: unsupported file type ".avi" (want .mp4 or .mov)`,
    );
    expect(s3).not.toHaveReceivedAnyCommand();
  });

  it('lists every processed video across scan pages', async () => {
    dynamo.on(ScanCommand)
      .resolvesOnce({ Items: [{ videoKey: 'videos/a.mp4', status: 'REJECTED', reason: 'empty video', updatedAt: '2026-11-25T10:00:00Z' }], LastEvaluatedKey: { videoKey: 'videos/a.mp4' } })
      .resolvesOnce({ Items: [{ videoKey: 'videos/b.mp4', status: 'IN_PROGRESS', analyses: ['labels'], labels: { status: 'SUCCEEDED', count: 3, top: ['Cat'] }, updatedAt: '2026-11-25T11:00:00Z' }] });
    const lines: string[] = [];
    await listVideos(clients, { print: (l) => lines.push(l), sleep: async () => undefined }, 'index');
    expect(lines).toEqual(['videos/b.mp4\t1/1 done | labels: done (3 items; Cat)', 'videos/a.mp4\tREJECTED: empty video']);
  });
});
