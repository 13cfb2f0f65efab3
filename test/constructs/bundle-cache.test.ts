import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleWithCache, EntryOptions } from '../../lib/constructs/bundle-cache';

/** A throwaway project: two handlers sharing a module, and a module that is not a handler. */
function project() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-cache-'));
  const dir = path.join(root, 'lambda/demo');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'shared.ts'), 'export const greeting = (name: string) => `hello ${name}`;\n');
  fs.writeFileSync(path.join(dir, 'first.ts'), "import { greeting } from './shared';\nexport const handler = async () => greeting('first');\n");
  fs.writeFileSync(path.join(dir, 'second.ts'), "import { greeting } from './shared';\nexport async function handler() { return greeting('second'); }\n");
  const options = (file: string): EntryOptions => ({
    absWorkingDir: root,
    entryPoints: [path.join(dir, file)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    minify: true,
    sourcemap: true,
    logLevel: 'silent',
  });
  const out = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `bundle-out-${name}-`));
  return { root, dir, cache: path.join(root, 'cache'), options, out };
}

const read = (dir: string) => fs.readFileSync(path.join(dir, 'index.mjs'), 'utf8');

describe('bundleWithCache', () => {
  it('builds once, then copies the same bundle and map from the cache', () => {
    const p = project();
    const first = p.out('a');
    expect(bundleWithCache(p.options('first.ts'), first, p.cache)).toBe('built');
    expect(read(first)).toContain('hello');
    expect(fs.readdirSync(first).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    const again = p.out('b');
    expect(bundleWithCache(p.options('first.ts'), again, p.cache)).toBe('cached');
    for (const file of ['index.mjs', 'index.mjs.map']) {
      expect(fs.readFileSync(path.join(again, file))).toEqual(fs.readFileSync(path.join(first, file)));
    }
  });

  it('builds the sibling handlers in the same run, and only handlers', () => {
    const p = project();
    bundleWithCache(p.options('first.ts'), p.out('a'), p.cache);
    const entries = fs.readdirSync(p.cache);
    expect(entries).toHaveLength(2); // first.ts and second.ts; shared.ts exports no handler
    const second = p.out('b');
    expect(bundleWithCache(p.options('second.ts'), second, p.cache)).toBe('cached');
    expect(read(second)).toContain('second');
  });

  it('rebuilds when a module the bundle imports changes, and only then', () => {
    const p = project();
    bundleWithCache(p.options('first.ts'), p.out('a'), p.cache);
    fs.writeFileSync(path.join(p.dir, 'shared.ts'), 'export const greeting = (name: string) => `goodbye ${name}`;\n');
    const changed = p.out('b');
    expect(bundleWithCache(p.options('first.ts'), changed, p.cache)).toBe('built');
    expect(read(changed)).toContain('goodbye');
    expect(bundleWithCache(p.options('first.ts'), p.out('c'), p.cache)).toBe('cached');
  });

  it('rebuilds when a new file changes what an import resolves to', () => {
    const p = project();
    fs.mkdirSync(path.join(p.dir, 'shared'));
    fs.renameSync(path.join(p.dir, 'shared.ts'), path.join(p.dir, 'shared/index.ts'));
    bundleWithCache(p.options('first.ts'), p.out('a'), p.cache);
    fs.writeFileSync(path.join(p.dir, 'shared.ts'), 'export const greeting = (name: string) => `shadowed ${name}`;\n');
    const out = p.out('b');
    expect(bundleWithCache(p.options('first.ts'), out, p.cache)).toBe('built');
    expect(read(out)).toContain('shadowed');
  });

  it('rebuilds when package.json changes how an import resolves', () => {
    const p = project();
    fs.writeFileSync(path.join(p.dir, 'uses-alias.ts'), "import { who } from '#who';\nexport const handler = async () => who();\n");
    fs.writeFileSync(path.join(p.dir, 'a.ts'), "export const who = () => 'from-a';\n");
    fs.writeFileSync(path.join(p.dir, 'b.ts'), "export const who = () => 'from-b';\n");
    fs.writeFileSync(path.join(p.root, 'package.json'), JSON.stringify({ imports: { '#who': './lambda/demo/a.ts' } }));
    bundleWithCache(p.options('uses-alias.ts'), p.out('a'), p.cache);
    fs.writeFileSync(path.join(p.root, 'package.json'), JSON.stringify({ imports: { '#who': './lambda/demo/b.ts' } }));
    const out = p.out('b');
    expect(bundleWithCache(p.options('uses-alias.ts'), out, p.cache)).toBe('built');
    expect(read(out)).toContain('from-b');
  });

  it('never reuses a bundle whose modules were edited while esbuild ran', () => {
    const p = project();
    const future = new Date(Date.now() + 60_000); // as if saved during the build
    fs.utimesSync(path.join(p.dir, 'shared.ts'), future, future);
    expect(bundleWithCache(p.options('first.ts'), p.out('a'), p.cache)).toBe('built');
    expect(bundleWithCache(p.options('first.ts'), p.out('b'), p.cache)).toBe('built');
  });

  it('rebuilds when the options or the lockfile change', () => {
    const p = project();
    bundleWithCache(p.options('first.ts'), p.out('a'), p.cache);
    expect(bundleWithCache({ ...p.options('first.ts'), minify: false }, p.out('b'), p.cache)).toBe('built');
    fs.writeFileSync(path.join(p.root, 'package-lock.json'), '{"lockfileVersion": 3}');
    expect(bundleWithCache(p.options('first.ts'), p.out('c'), p.cache)).toBe('built');
  });

  it('builds again when the cached entry cannot be copied (another synth replacing it)', () => {
    const p = project();
    bundleWithCache(p.options('first.ts'), p.out('a'), p.cache);
    const [entry] = fs.readdirSync(p.cache).filter((d) => fs.readdirSync(path.join(p.cache, d, 'out')).length > 0 && read(path.join(p.cache, d, 'out')).includes('first'));
    const map = path.join(p.cache, entry, 'out/index.mjs.map');
    fs.rmSync(map);
    fs.mkdirSync(map); // copying a directory as a file fails, as a half-replaced entry would
    const out = p.out('b');
    expect(bundleWithCache(p.options('first.ts'), out, p.cache)).toBe('built');
    expect(fs.statSync(path.join(out, 'index.mjs.map')).isFile()).toBe(true);
    expect(read(out)).toContain('first');
  });

  it('throws what esbuild reports for a broken handler, leaving nothing in the cache', () => {
    const p = project();
    fs.writeFileSync(path.join(p.dir, 'first.ts'), 'export const handler = async () => {\n');
    expect(() => bundleWithCache(p.options('first.ts'), p.out('a'), p.cache)).toThrow(/lambda\/demo\/first\.ts:2:0: ERROR: Unexpected end of file/);
    expect(fs.readdirSync(p.cache)).toEqual([]);
  });

  it('still bundles a healthy handler beside a broken one', () => {
    const p = project();
    fs.writeFileSync(path.join(p.dir, 'second.ts'), 'export const handler = async () => {\n');
    const out = p.out('a');
    expect(bundleWithCache(p.options('first.ts'), out, p.cache)).toBe('built');
    expect(read(out)).toContain('first');
    expect(fs.readdirSync(p.cache)).toHaveLength(1);
  });
});
