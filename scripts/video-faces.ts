/**
 * Manage the known faces the streaming face search alerts on (the stack output FaceCollectionId):
 *   npx tsx scripts/video-faces.ts index --collection <id> --person jane_doe --image ./jane.jpg
 *   npx tsx scripts/video-faces.ts index --collection <id> --person jane_doe --image s3://bucket/faces/jane.jpg
 *   npx tsx scripts/video-faces.ts list --collection <id>
 *   npx tsx scripts/video-faces.ts remove --collection <id> --face-id <FaceId>
 */
import { readFile } from 'node:fs/promises';
import { DeleteFacesCommand, IndexFacesCommand, ListFacesCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import { option, run } from './video-cli';

/** Rekognition's ExternalImageId: 1-255 of [a-zA-Z0-9_.\-:]. The alert reports it as "who". */
const EXTERNAL_ID = /^[a-zA-Z0-9_.\-:]{1,255}$/;

export interface FaceIo {
  readonly print: (line: string) => void;
  readonly readFile: (path: string) => Promise<Uint8Array>;
}

export function imageSource(image: string): { S3Object: { Bucket: string; Name: string } } | { local: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(image);
  return m ? { S3Object: { Bucket: m[1], Name: m[2] } } : { local: image };
}

/** Index the largest face in the image under a person's name. */
export async function indexFace(client: RekognitionClient, io: FaceIo, collection: string, person: string, image: string): Promise<string> {
  if (!EXTERNAL_ID.test(person)) {
    throw new Error(`--person must be 1-255 characters of letters, digits, _ . - : (got ${JSON.stringify(person)})`);
  }
  const source = imageSource(image);
  const Image = 'local' in source ? { Bytes: await io.readFile(source.local) } : source;
  const out = await client.send(
    new IndexFacesCommand({ CollectionId: collection, ExternalImageId: person, Image, MaxFaces: 1, QualityFilter: 'AUTO', DetectionAttributes: ['DEFAULT'] }),
  );
  const face = out.FaceRecords?.[0]?.Face;
  if (!face?.FaceId) {
    const why = (out.UnindexedFaces ?? []).flatMap((u) => u.Reasons ?? []).join(', ') || 'no face found';
    throw new Error(`No face indexed from ${image}: ${why}`);
  }
  io.print(`Indexed ${person} as face ${face.FaceId} (confidence ${face.Confidence?.toFixed(1)})`);
  return face.FaceId;
}

export async function listFaces(client: RekognitionClient, io: FaceIo, collection: string): Promise<number> {
  let NextToken: string | undefined;
  let n = 0;
  do {
    const page = await client.send(new ListFacesCommand({ CollectionId: collection, NextToken, MaxResults: 1000 }));
    for (const f of page.Faces ?? []) {
      io.print(`${f.FaceId}\t${f.ExternalImageId ?? '(no name)'}`);
      n += 1;
    }
    NextToken = page.NextToken;
  } while (NextToken);
  io.print(`${n} face(s) in ${collection}`);
  return n;
}

export async function removeFace(client: RekognitionClient, io: FaceIo, collection: string, faceId: string): Promise<void> {
  const out = await client.send(new DeleteFacesCommand({ CollectionId: collection, FaceIds: [faceId] }));
  if (!out.DeletedFaces?.includes(faceId)) {
    throw new Error(`Face ${JSON.stringify(faceId)} was not in ${collection}`);
  }
  io.print(`Removed face ${faceId}`);
}

async function main(args: string[]): Promise<void> {
  const client = new RekognitionClient({});
  const io: FaceIo = { print: (l) => console.log(l), readFile: (p) => readFile(p) };
  const collection = option(args, 'collection');
  switch (args[0]) {
    case 'index':
      await indexFace(client, io, collection, option(args, 'person'), option(args, 'image'));
      break;
    case 'list':
      await listFaces(client, io, collection);
      break;
    case 'remove':
      await removeFace(client, io, collection, option(args, 'face-id'));
      break;
    default:
      throw new Error(`Unknown command ${JSON.stringify(args[0])}: use index, list or remove`);
  }
}

if (require.main === module) {
  run(main);
}
