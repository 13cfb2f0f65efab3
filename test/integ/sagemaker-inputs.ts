/**
 * What the SageMaker smoke test (integ.sagemaker.ts) puts in the platform's buckets before it
 * starts the state machines: a tiny curated dataset in the SageMaker XGBoost layout (CSV, label in
 * the first column, no header), batch-transform input (the same features, no label), and the
 * script-mode code as `sourcedir.tar.gz` (what `npm run sagemaker -- upload-code` uploads).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { seededRandom } from '../../scripts/seeded-random';

export const FEATURES = 5;

/** `rows` rows of [label, ...features]: the label follows a noisy linear rule, so a model has something to learn. */
export function dataset(rows: number, seed: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: rows }, () => {
    const x = Array.from({ length: FEATURES }, () => random());
    const score = 0.9 * x[0] - 0.6 * x[1] + 0.4 * x[2] + 0.3 * (random() - 0.5);
    return [score > 0.2 ? 1 : 0, ...x];
  });
}

export const csv = (rows: number[][]): string => rows.map((r) => r.map((v) => (Number.isInteger(v) ? String(v) : v.toFixed(4))).join(',')).join('\n') + '\n';

/** Batch-transform input: the features alone, as the inference pipeline reads them. */
export const withoutLabel = (rows: number[][]): number[][] => rows.map((r) => r.slice(1));

/**
 * A gzipped ustar archive of `files` at its root, byte-for-byte the same for the same contents
 * (mode 0644, owner 0, time 0): the framework containers unpack `sourcedir.tar.gz` and run the
 * entry point from its root.
 */
export function tarGz(files: ReadonlyArray<{ readonly name: string; readonly content: Buffer }>): Buffer {
  const blocks: Buffer[] = [];
  for (const { name, content } of files) {
    if (Buffer.byteLength(name) > 100) {
      throw new Error(`tar member names are at most 100 bytes in this writer (got ${JSON.stringify(name)})`);
    }
    const header = Buffer.alloc(512);
    header.write(name, 0, 'utf8');
    header.write('0000644\0', 100, 'ascii'); // mode
    header.write('0000000\0', 108, 'ascii'); // uid
    header.write('0000000\0', 116, 'ascii'); // gid
    header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124, 'ascii'); // size
    header.write('00000000000\0', 136, 'ascii'); // mtime
    header.write('        ', 148, 'ascii'); // checksum, counted as spaces
    header.write('0', 156, 'ascii'); // regular file
    header.write('ustar\0' + '00', 257, 'ascii');
    const checksum = header.reduce((sum, byte) => sum + byte, 0);
    header.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    blocks.push(header, content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024)); // two empty blocks end the archive
  return zlib.gzipSync(Buffer.concat(blocks), { level: 9 });
}

/** sagemaker/train.py and preprocess.py as sourcedir.tar.gz, written to a file for a CDK asset. */
export function sourceDirArchive(sagemakerDir = path.join(__dirname, '../../sagemaker')): string {
  const archive = tarGz(['train.py', 'preprocess.py'].map((name) => ({ name, content: fs.readFileSync(path.join(sagemakerDir, name)) })));
  const dir = path.join(os.tmpdir(), 'integ-sagemaker-sourcedir');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'sourcedir.tar.gz');
  // Written aside and renamed: a synth beside this one must never read half of it.
  const partial = `${file}.${process.pid}`;
  fs.writeFileSync(partial, archive);
  fs.renameSync(partial, file);
  return file;
}
