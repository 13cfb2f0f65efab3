/**
 * npm run docs: synthesize the app and rewrite the generated regions of the docs from it:
 * each docs/<architecture>.md's diagrams (Mermaid data flow, workflows, opt-in parts, failure
 * paths), acknowledgement table and smoke-test plan (`integ` region, scripts/integ.ts), and the
 * README's table of architectures. Prose outside the markers is never touched. Prints each diagram's boxes and arrows against the legibility budget
 * and, when Chromium is installed, renders every diagram to diagrams.out/*.png for review.
 *
 *   npm run docs                rewrite the regions (and render the PNGs)
 *   npm run docs -- --no-png    the same without the PNGs
 *   npm run docs -- --check     change nothing; exit 1 and name the files that are out of date
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { synthesizeArchitectures, Synthesized } from './docs/synthesized';
import { BUDGETS, overBudget } from './docs/budget';
import { architectureDiagrams } from './docs/diagrams';
import { docsPageOf, documented, generateDocs } from './docs/generate';
import { DiagramSource, findChromium, PNG_DIR, renderPngs, slug } from './docs/png';
import { docs as integDocs } from './integ';

const root = path.join(__dirname, '..');
const cdkContext = (JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

/** The app as `cdk synth` builds it, minus Lambda bundling and validation: only templates and metadata are read. */
function docsApp(context: Record<string, unknown>): App {
  return new App({
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-docs-')),
    context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], ...context },
    builtinCloudFormationValidation: false,
  });
}

/** Each diagram's counts against its budget, and the diagrams as PNG sources. */
function diagramReport(synth: Synthesized): DiagramSource[] {
  const sources: DiagramSource[] = [];
  console.log('diagram                                              boxes  arrows  (budget)');
  for (const stack of documented(synth)) {
    architectureDiagrams(stack, synth).diagrams.forEach((d, i) => {
      const budget = BUDGETS[d.kind];
      const name = `${stack.architecture}-${i + 1}-${slug(d.title)}`;
      const over = overBudget([{ name, ...d }]).length > 0 ? '  OVER BUDGET (test/docs/budget.test.ts)' : '';
      console.log(`${name.padEnd(52)} ${String(d.nodes).padStart(5)} ${String(d.edges).padStart(7)}  (${budget.nodes}/${budget.edges})${over}`);
      sources.push({ name, source: d.source });
    });
  }
  return sources;
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const png = !check && !argv.includes('--no-png');
  const unknown = argv.filter((a) => a !== '--check' && a !== '--no-png');
  if (unknown.length > 0) {
    throw new Error(`Unknown argument(s) ${unknown.join(' ')}: use no argument, --no-png or --check`);
  }
  const synth = synthesizeArchitectures(docsApp);
  const wanted = ['README.md', ...documented(synth).map((s) => docsPageOf(s.architecture))];
  const files = Object.fromEntries(
    wanted.map((f) => [f, fs.existsSync(path.join(root, f)) ? fs.readFileSync(path.join(root, f), 'utf8') : undefined]),
  );
  const { files: generated, missingPages } = generateDocs(synth, files);
  const stale = Object.entries(generated).filter(([f, text]) => files[f] !== text);
  for (const page of missingPages) {
    console.error(`${page} is missing: every architecture needs its page (layout in the brief, checked by test/docs/docs.test.ts)`);
  }
  if (synth.optIns.length > 0) {
    console.log(`opt-in switches shown in the diagrams: ${synth.optIns.join(', ')}`);
  }
  for (const [name, why] of Object.entries(synth.skippedOptIns ?? {})) {
    console.error(`not drawn: -c ${name}=true (${why}); add the context it needs to OPT_IN_VALUES in lib/app.ts`);
  }
  if (check) {
    for (const [f] of stale) {
      console.error(`${f}: generated regions are out of date (run npm run docs)`);
    }
    if (stale.length === 0) {
      console.log('docs are up to date');
    }
    return stale.length > 0 || missingPages.length > 0 ? 1 : 0;
  }
  for (const [f, text] of stale) {
    fs.writeFileSync(path.join(root, f), text);
    console.log(`updated ${f}`);
  }
  if (stale.length === 0) {
    console.log('docs are up to date');
  }
  const sources = diagramReport(synth);
  const chromium = findChromium();
  if (png && chromium) {
    const written = renderPngs(sources, path.join(root, PNG_DIR), chromium);
    console.log(`${written.length} PNGs for review in ${PNG_DIR}/ (mermaid-cli with ${chromium})`);
  } else if (png) {
    console.log(`no PNGs: no Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH) - they are for review only`);
  }
  return missingPages.length > 0 ? 1 : 0;
}

try {
  const argv = process.argv.slice(2);
  const code = main(argv);
  // The smoke-test plans' regions, with the same --check (one npm script cannot pass its
  // arguments to two commands).
  process.exitCode = Math.max(code, integDocs(argv.includes('--check')));
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
