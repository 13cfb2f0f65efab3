import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BuildOptions, buildSync, version as esbuildVersion } from 'esbuild';

/** Files at the root that change what esbuild resolves or compiles without being one of its inputs. */
const ALSO_HASHED = ['package-lock.json', 'package.json', 'tsconfig.json'];

/** Files beside a project module that change how its imports resolve or compile. */
const RESOLUTION_FILES = ['package.json', 'tsconfig.json', 'jsconfig.json'];

/** A handler file: one that exports `handler` (what every NodeFunction entry must do). */
export const HANDLER_EXPORT = /^export\s+(?:const|let|async\s+function|function)\s+handler\b/m;

/** esbuild options for one entry, minus where the output goes. */
export type EntryOptions = Omit<BuildOptions, 'outfile' | 'outdir' | 'metafile'> & { absWorkingDir: string; entryPoints: [string] };

/**
 * Bundle `options.entryPoints[0]` into `outputDir` (as index.mjs and its map) through a cache kept
 * between processes in `cacheDir`. A bundle is reused while every file esbuild read for it (from
 * its metafile: the handler, the project modules and the node_modules files it imports), the
 * lockfile and tsconfig.json keep their content, and the options and esbuild version are the
 * same (the directories and package.json/tsconfig.json files that decide how the project's
 * imports resolve count too, see inputsHash). On a miss the entry is built together with the other handlers of its directory that are
 * not cached yet, in one esbuild run: with the SDK v3 bundled, each function reads ~1,000 files,
 * mostly the same ones, so one run is faster than one per handler (docs/performance.md), and
 * the outputs are byte-identical. Builds happen at the same depth under `cacheDir` whatever the
 * synth's output directory, so a bundle's source map, and so its asset hash, do not depend on
 * where the app is synthesized. Deleting `cacheDir` is always safe.
 *
 * @returns whether the entry's bundle was built or taken from the cache
 */
export function bundleWithCache(options: EntryOptions, outputDir: string, cacheDir: string): 'built' | 'cached' {
  const entry = path.resolve(options.absWorkingDir, options.entryPoints[0]);
  let result: 'built' | 'cached' = 'cached';
  if (!isFresh(cacheEntryDir(cacheDir, options), options.absWorkingDir)) {
    const siblings = fs.readdirSync(path.dirname(entry))
      .map((file) => path.join(path.dirname(entry), file))
      .filter((file) => file !== entry && file.endsWith('.ts') && HANDLER_EXPORT.test(fs.readFileSync(file, 'utf8')))
      .map((file): EntryOptions => ({ ...options, entryPoints: [file] }))
      .filter((sibling) => !isFresh(cacheEntryDir(cacheDir, sibling), options.absWorkingDir));
    try {
      buildTogether([options, ...siblings], cacheDir);
    } catch (error) {
      if (siblings.length === 0) {
        throw error;
      }
      buildTogether([options], cacheDir); // a sibling's own error must not stop this entry
    }
    result = 'built';
  }
  try {
    copyOut(cacheEntryDir(cacheDir, options), outputDir);
  } catch {
    // Another synth replaced the entry while this one copied it: build it again, alone.
    buildTogether([options], cacheDir);
    copyOut(cacheEntryDir(cacheDir, options), outputDir);
    result = 'built';
  }
  return result;
}

function copyOut(entryDir: string, outputDir: string): void {
  const out = path.join(entryDir, 'out');
  fs.mkdirSync(outputDir, { recursive: true });
  for (const file of fs.readdirSync(out)) {
    fs.copyFileSync(path.join(out, file), path.join(outputDir, file));
  }
}

function cacheEntryDir(cacheDir: string, options: EntryOptions): string {
  return path.join(cacheDir, sha256(JSON.stringify({ esbuildVersion, ...options })));
}

/** One esbuild run for entries that share every option but the entry point. */
function buildTogether(entries: readonly EntryOptions[], cacheDir: string): void {
  const shared = entries[0];
  const batch = path.join(cacheDir, `batch-${process.pid}-${Date.now()}.tmp`);
  fs.mkdirSync(batch, { recursive: true });
  try {
    // Fractional, like mtimeMs (Date.now() is floored: a file saved in the same millisecond just
    // before the build would look edited during it).
    const started = performance.timeOrigin + performance.now();
    const result = buildSync({
      ...shared, // every option but the entry points, which are replaced here
      entryPoints: entries.map((e, i) => ({ in: e.entryPoints[0], out: `${i}/index` })),
      outdir: batch,
      outExtension: { '.js': '.mjs' },
      metafile: true,
    });
    entries.forEach((entry, i) => {
      const output = Object.entries(result.metafile.outputs).find(([file]) => path.resolve(shared.absWorkingDir, file) === path.join(batch, `${i}/index.mjs`));
      if (!output) {
        throw new Error(`esbuild wrote no bundle for ${entry.entryPoints[0]}`);
      }
      const inputs = Object.keys(output[1].inputs).sort();
      // Staged beside its final place and renamed, so a synth running beside this one never
      // reads half an entry; the output stays at the same depth under cacheDir.
      const staging = path.join(batch, `${i}.staged`);
      fs.mkdirSync(staging);
      fs.renameSync(path.join(batch, String(i)), path.join(staging, 'out'));
      // A module edited while esbuild ran (cdk watch, a checkout) may be in the bundle with its old
      // content: such an entry serves this synth but is never reused.
      const hash = editedSince(shared.absWorkingDir, inputs, started) ? 'not reusable' : inputsHash(shared.absWorkingDir, inputs);
      fs.writeFileSync(path.join(staging, 'inputs.json'), JSON.stringify({ hash, inputs }));
      const target = cacheEntryDir(cacheDir, entry);
      fs.rmSync(target, { recursive: true, force: true });
      try {
        fs.renameSync(staging, target);
      } catch {
        // Another synth stored the same entry first; its bundle is the same.
      }
    });
  } finally {
    fs.rmSync(batch, { recursive: true, force: true });
  }
}

function isFresh(entryDir: string, root: string): boolean {
  try {
    const record = JSON.parse(fs.readFileSync(path.join(entryDir, 'inputs.json'), 'utf8')) as { hash: string; inputs: string[] };
    return inputsHash(root, record.inputs) === record.hash && fs.readdirSync(path.join(entryDir, 'out')).length > 0;
  } catch {
    return false;
  }
}

/**
 * One hash over everything that decides the bundle: the content of every input and of the root
 * files above, and for the project's own modules (not node_modules, which the lockfile covers) the
 * file names of their directories and the directories above those (a new `x.ts` beside
 * `x/index.ts` changes what `./x` imports) and the package.json/tsconfig.json files from their
 * directories up to the root. A missing file gives
 * a hash no record has.
 */
function inputsHash(root: string, inputs: readonly string[]): string {
  const hash = createHash('sha256');
  const add = (label: string, content: string | Buffer) => hash.update(`${label}\0`).update(content).update('\0');
  const listed = new Set<string>();
  const configured = new Set<string>();
  for (const file of inputs.map((i) => path.resolve(root, i)).filter((f) => isProjectModule(root, f))) {
    // `./x` and `../x` resolve in these two; the root's own listing changes with every synth (cdk.out).
    for (const dir of [path.dirname(file), path.dirname(path.dirname(file))].filter((d) => d !== root && isWithin(root, d))) {
      listed.add(dir);
    }
    for (let dir = path.dirname(file); isWithin(root, dir); dir = path.dirname(dir)) {
      configured.add(dir);
    }
  }
  const files = [...ALSO_HASHED.map((f) => path.join(root, f)), ...inputs.map((i) => path.resolve(root, i))];
  for (const dir of [...listed].sort()) {
    add(`dir ${dir}`, fs.readdirSync(dir).sort().join('\n'));
  }
  for (const dir of [...configured].sort()) {
    files.push(...RESOLUTION_FILES.map((f) => path.join(dir, f)));
  }
  for (const file of files) {
    add(file, fs.existsSync(file) ? fs.readFileSync(file) : '\0missing');
  }
  return hash.digest('hex');
}

/** Whether a project module esbuild read was modified after `since` (ms since the epoch). */
function editedSince(root: string, inputs: readonly string[], since: number): boolean {
  return inputs
    .map((i) => path.resolve(root, i))
    .filter((f) => isProjectModule(root, f))
    .some((f) => !fs.existsSync(f) || fs.statSync(f).mtimeMs >= since);
}

function isProjectModule(root: string, file: string): boolean {
  return isWithin(root, file) && !file.split(path.sep).includes('node_modules') && fs.existsSync(file);
}

function isWithin(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return !relative.startsWith('..') && !path.isAbsolute(relative);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
