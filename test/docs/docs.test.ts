/**
 * The committed docs match the app: each architecture page's generated diagram and
 * acknowledgement table, and the README's table of architectures, are what `npm run docs` would
 * write now (compared, never rewritten); every page has the brief's layout; the notes map covers
 * every topic of the study notes. Run `npm run docs` and commit when this fails after a stack change.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Synthesized, synthesizeArchitectures } from '../../scripts/docs/synthesized';
import { countMermaid } from '../../scripts/docs/budget';
import { architectureDiagrams } from '../../scripts/docs/diagrams';
import { docsPageOf, documented, staleRegions, UNDOCUMENTED_ARCHITECTURES } from '../../scripts/docs/generate';
import { layoutProblems } from '../../scripts/docs/markdown';
import { testApp } from '../helpers/app';

const root = path.join(__dirname, '../..');
const read = (file: string): string | undefined => (fs.existsSync(path.join(root, file)) ? fs.readFileSync(path.join(root, file), 'utf8') : undefined);

let synth: Synthesized;
beforeAll(() => {
  // Gates off: the diagram and the acknowledgements come from templates and metadata, which the
  // gates do not change (test/app.test.ts runs the gates over the same app).
  synth = synthesizeArchitectures((context) => testApp({ gates: false, context }));
});

describe('generated regions of the committed docs', () => {
  it('every architecture stack has its docs page, or a recorded reason for having none', () => {
    const missing = synth.stacks
      .filter((s) => !(s.architecture in UNDOCUMENTED_ARCHITECTURES))
      .map((s) => docsPageOf(s.architecture))
      .filter((page) => read(page) === undefined);
    expect(missing).toEqual([]);
  });

  it('no architecture page belongs to an architecture the app no longer has', () => {
    // Architecture pages are the ones with a generated diagram; other docs may sit beside them.
    const pages = fs.readdirSync(path.join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .filter((f) => (read(`docs/${f}`) ?? '').includes('<!-- diagram:start -->'));
    const known = new Set(synth.stacks.map((s) => `${s.architecture}.md`));
    expect(pages.filter((p) => !known.has(p))).toEqual([]);
  });

  it('diagrams, acknowledgement tables and the README table are what npm run docs generates now', () => {
    const files = Object.fromEntries(['README.md', ...documented(synth).map((s) => docsPageOf(s.architecture))].map((f) => [f, read(f)]));
    expect(files['README.md']).toContain('<!-- architectures:start -->');
    expect(staleRegions(synth, files).map((r) => `${r} is out of date: run npm run docs`)).toEqual([]);
  });

  it('the counts npm run docs prints for each diagram are those of the Mermaid it writes (what the budget test counts)', () => {
    const mismatched = documented(synth).flatMap((s) => architectureDiagrams(s, synth).diagrams
      .filter((d) => { const c = countMermaid(d.source); return c.nodes !== d.nodes || c.edges !== d.edges; })
      .map((d) => `${s.architecture} "${d.title}": ${d.nodes}/${d.edges} generated, ${JSON.stringify(countMermaid(d.source))} counted`));
    expect(mismatched).toEqual([]);
  });

  it('every architecture page has the brief\'s sections in order, the generated regions inside them', () => {
    const problems = documented(synth).flatMap((s) => {
      const page = docsPageOf(s.architecture);
      return layoutProblems(read(page) ?? '').map((p) => `${page}: ${p}`);
    });
    expect(problems).toEqual([]);
  });
});

/** Every topic of the study notes (issue 7's list), as the notes-map.md row names it. */
const NOTES_TOPICS = [
  'ML lifecycle',
  'Data preparation',
  'PCA',
  'Encodings',
  'Train/validation/test splits',
  'RecordIO and Pipe mode',
  'Built-in algorithms',
  'Kinesis',
  'Glue',
  'Athena',
  'EMR',
  'Rekognition',
  'Transcribe',
  'Translate',
  'Comprehend',
  'Polly',
  'Lex',
  'Step Functions',
  'SageMaker build',
  'SageMaker train',
  'SageMaker deploy',
  'Security',
  'Managed Spot Training',
  'Hyperparameter tuning',
  'Neo',
  'CloudTrail',
  'CloudWatch',
];

describe('docs/notes-map.md', () => {
  const text = read('docs/notes-map.md') ?? '';
  const rows = text.split('\n').filter((l) => /^\| \*\*/.test(l));
  const rowOf = (topic: string) => rows.find((r) => r.startsWith(`| **${topic}** |`));

  it('has one row per topic of the notes, each saying where the project shows it or why it does not', () => {
    expect(NOTES_TOPICS.filter((t) => rowOf(t) === undefined)).toEqual([]);
    const empty = NOTES_TOPICS.filter((t) => {
      const cells = rowOf(t)!.split(' | ');
      return cells.length < 3 || cells.slice(1).some((c) => c.replace(/\|/g, '').trim().length === 0);
    });
    expect(empty).toEqual([]);
  });

  it('links only files that exist, and names only existing files in rows that are not waiting for a merge', () => {
    const linked = [...text.matchAll(/\]\(\.\.\/([^)#]+)(#[^)]*)?\)/g)].map((m) => m[1]);
    expect(linked.length).toBeGreaterThan(0);
    expect(linked.filter((f) => !fs.existsSync(path.join(root, f)))).toEqual([]);
    const missing = rows
      .filter((r) => !/lands? with issue/.test(r.split(' | ').slice(-1)[0]))
      .flatMap((r) => [...r.matchAll(/`((?:lib|lambda|glue|sagemaker|scripts|test|bin)\/[\w./-]+\.(?:ts|py|json|sh))`/g)].map((m) => m[1]))
      .filter((f) => !fs.existsSync(path.join(root, f)));
    expect(missing).toEqual([]);
  });
});
