import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '../..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);

/** The README section under `## <heading>`. */
function section(heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  const end = readme.indexOf('\n## ', start + 1);
  return start < 0 ? '' : readme.slice(start, end < 0 ? undefined : end);
}

describe('README', () => {
  it('reaches the layout within its first screenful, right after the two commands', () => {
    const lines = readme.split('\n');
    const use = lines.indexOf('## Use it');
    const layout = lines.indexOf('## How the project is laid out');
    expect(use).toBeGreaterThan(0);
    expect(layout).toBeGreaterThan(use);
    // A terminal or a rendered page shows ~50 lines: the title, the two commands and the layout's start.
    expect(layout).toBeLessThan(25);
    expect(lines.slice(use, layout).join('\n')).toMatch(/npm ci && npx cdk synth[\s\S]*npm ci && npm test/);
  });

  it('names every directory of the project in its layout, and only directories that exist', () => {
    const layout = section('How the project is laid out');
    // Every directory that holds tracked files, to two levels (lib/stacks/, scripts/docs/, ...), test/ and docs/ as wholes.
    const directories = [...new Set(tracked.map((f) => f.split('/').slice(0, -1)).filter((parts) => parts.length > 0 && !parts[0].startsWith('.'))
      .map((parts) => (['test', 'docs'].includes(parts[0]) ? parts[0] : parts.slice(0, 2).join('/'))))];
    const unnamed = directories.filter((d) => {
      const [top, sub] = d.split('/');
      // A subdirectory may be named on its own (`lib/stacks/`) or in its parent's row (`scripts/`: `docs/`).
      // `lambda/<arch>/` names each architecture's directory.
      return !layout.includes(`\`${d}/`) && !(sub !== undefined && layout.includes(`\`${top}/`) && layout.includes(`\`${sub}/\``))
        && !(sub !== undefined && fs.existsSync(path.join(root, 'docs', `${sub}.md`)) && layout.includes(`\`${top}/<arch>/\``));
    });
    expect(unnamed).toEqual([]);
    const named = [...layout.matchAll(/`((?:bin|lib|lambda|glue|sagemaker|scripts|test|docs)\/[\w./<>-]*)`/g)].map((m) => m[1]).filter((p) => !p.includes('<'));
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((p) => !fs.existsSync(path.join(root, p)))).toEqual([]);
  });
});

describe('names that explain themselves', () => {
  it('no two source files of lib/, lambda/ and scripts/ share a name (a reader greps by file name)', () => {
    const names = tracked.filter((f) => /^(lib|lambda|scripts)\/.*\.ts$/.test(f)).map((f) => path.basename(f));
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });
});

describe('the project refers only to itself', () => {
  it('no tracked file cites a file outside the repository (the fact and its AWS source go in the code or the page)', () => {
    const outside = /GOTCHAS\.md|TOOLCHAIN\.md|STYLE\.md|DEVELOPERS\.md|\/work\//;
    const offenders = tracked
      .filter((f) => !f.endsWith('package-lock.json') && !f.endsWith('readme.test.ts'))
      .filter((f) => {
        const text = fs.readFileSync(path.join(root, f));
        return !text.includes(0) && outside.test(text.toString('utf8'));
      });
    expect(offenders).toEqual([]);
  });

  it('every pointer to docs/performance.md names a section the page has', () => {
    const page = fs.readFileSync(path.join(root, 'docs/performance.md'), 'utf8');
    const headings = [...page.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    const pointers = tracked
      .filter((f) => /\.(ts|js|sh|py)$/.test(f))
      .flatMap((f) => [...fs.readFileSync(path.join(root, f), 'utf8').matchAll(/docs\/performance\.md(?:, "([^"]+)")?/g)].map((m) => ({ f, section: m[1] })));
    expect(pointers.length).toBeGreaterThan(3);
    expect(pointers.filter((p) => p.section !== undefined && !headings.some((h) => h.startsWith(p.section!)))).toEqual([]);
  });
});
