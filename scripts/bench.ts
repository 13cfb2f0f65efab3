/**
 * `npm run bench`: what users feel, measured on this machine and printed as tables (never asserted
 * in a timed test). Budgets come from the performance issue:
 *   - whole-app `cdk synth` (validation, nag/guard, bundling on) <= 2.0x the synth of a one-bucket
 *     app run by the same CLI + tsx + aws-cdk-lib (scripts/bench/baseline-app.ts), same run;
 *   - unit test suite (jest) <= 60 s;
 *   - per Lambda bundle <= 150 KB (index.mjs, minified) and init (module load) <= 50 ms.
 * It also splits the synth into its parts by running variants with parts switched off
 * (scripts/bench/instrumented-app.ts), so a slow synth points at its cause.
 *
 * Usage: npm run bench [-- --runs N] [--skip-jest] [--json FILE]
 * Output directories: cdk.out.bench/ (git-ignored). Runs offline; nothing is deployed.
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildSync } from 'esbuild';
import { BUNDLE_CACHE, bundleOptions, LAMBDA_UNUSED_CREDENTIAL_SOURCES } from '../lib/constructs/node-function';
import { readStacks } from './lib/assembly';

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'cdk.out.bench');
const BIN = path.join(ROOT, 'node_modules/.bin');

export const BUDGETS = { synthRatio: 2.0, jestSeconds: 60, bundleKb: 150, initMs: 50 } as const;

interface Options {
  readonly runs: number;
  readonly skipJest: boolean;
  readonly json?: string;
}

function parseArgs(argv: string[]): Options {
  let runs = 3;
  let skipJest = false;
  let json: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--runs') {
      runs = Number(argv[++i]);
      if (!Number.isInteger(runs) || runs < 1) {
        throw new Error(`--runs needs a whole number >= 1 (got ${JSON.stringify(argv[i])})`);
      }
    } else if (arg === '--skip-jest') {
      skipJest = true;
    } else if (arg === '--json') {
      json = argv[++i];
      if (!json) {
        throw new Error('--json needs a file name');
      }
    } else {
      throw new Error(`Unknown argument ${JSON.stringify(arg)} (use --runs N, --skip-jest, --json FILE)`);
    }
  }
  return { runs, skipJest, json };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sec = (ms: number): string => (Number.isNaN(ms) ? '-' : (ms / 1000).toFixed(2));
const verdict = (ok: boolean): string => (ok ? 'ok' : 'OVER BUDGET');

function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join(' | ')} |`;
  return [line(cells[0]), `|${widths.map((w, c) => (c === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

/**
 * CPU time (user + system) of every finished child process, from /proc/self/stat (Linux; clock
 * ticks are 1/100 s there). On a machine shared with other work, CPU time moves far less than wall
 * time, so the bench reports both. Undefined where /proc is missing.
 */
function childrenCpuMs(): number | undefined {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); cutime and cstime are fields 16 and 17.
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): { ms: number; cpuMs?: number; result: SpawnSyncReturns<string> } {
  const cpuBefore = childrenCpuMs();
  const started = performance.now();
  const result = spawnSync(command, args, {
    cwd,
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: '1', ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = performance.now() - started;
  const cpuAfter = childrenCpuMs();
  if (result.error) {
    throw result.error;
  }
  return { ms, cpuMs: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore, result };
}

function mustSucceed(what: string, r: SpawnSyncReturns<string>): void {
  if (r.status !== 0) {
    throw new Error(`${what} failed with exit code ${r.status}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  }
}

// ---------------------------------------------------------------- synth

interface SynthVariant {
  readonly name: string;
  readonly env: NodeJS.ProcessEnv;
}

/** Parts switched off one at a time (instrumented-app.ts reads BENCH_*; CDK_VALIDATION is aws-cdk-lib's). */
const VARIANTS: SynthVariant[] = [
  { name: 'full (validation, nag/guard, bundling)', env: {} },
  { name: 'without builtin CloudFormation validation', env: { CDK_VALIDATION: 'false' } },
  { name: 'without nag/guard plugins', env: { BENCH_PLUGINS: 'none' } },
  { name: 'without Lambda bundling', env: { BENCH_BUNDLING: 'off' } },
  { name: 'app construction only (all three off)', env: { CDK_VALIDATION: 'false', BENCH_PLUGINS: 'none', BENCH_BUNDLING: 'off' } },
];

interface InstrumentedReport {
  processMs: number;
  phases: { load?: number; construction?: number; synthesis?: number };
  plugins: Record<string, number>;
  /** Work done in a plugin's worker thread (lib/plugin-thread.ts), warm-up excluded. */
  threadWork?: Record<string, number>;
  bundles: Array<{ asset: string; entry?: string; ms: number }>;
}

interface Timing {
  /** Wall-clock ms. */
  readonly wall: number;
  /** CPU ms of the whole process tree (NaN where unknown). */
  readonly cpu: number;
}
const wallOf = (ts: Timing[]) => median(ts.map((t) => t.wall));
const cpuOf = (ts: Timing[]) => median(ts.map((t) => t.cpu));

function cdkSynth(what: string, outdir: string, opts: { app?: string; env?: NodeJS.ProcessEnv; context?: string[] } = {}): Timing {
  const args = ['synth', '--quiet', '-o', outdir];
  if (opts.app) {
    args.push('--app', opts.app);
  }
  for (const c of opts.context ?? []) {
    args.push('-c', c);
  }
  const { ms, cpuMs, result } = run(path.join(BIN, 'cdk'), args, opts.env);
  mustSucceed(what, result);
  return { wall: ms, cpu: cpuMs ?? NaN };
}

const BASELINE_APP = `${path.join(BIN, 'tsx')} ${path.join(ROOT, 'scripts/bench/baseline-app.ts')}`;
const INSTRUMENTED_APP = `${path.join(BIN, 'tsx')} ${path.join(ROOT, 'scripts/bench/instrumented-app.ts')}`;

interface SynthResults {
  coldBaseline: Timing;
  coldApp: Timing;
  warmBaseline: Timing[];
  warmApp: Timing[];
  variants: Array<{ name: string; ms: Timing[]; reports: InstrumentedReport[] }>;
}

function benchSynth(runs: number): SynthResults {
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  // Cold: an empty output directory, an empty tsx transform cache (tsx keeps it under TMPDIR) and,
  // for the app, an empty Lambda bundle cache (lib/constructs/bundle-cache.ts).
  // The OS file cache stays warm: dropping it needs root.
  const coldTmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cold-'));
  process.stderr.write('synth: cold runs\n');
  const coldBaseline = cdkSynth('baseline synth (cold)', path.join(OUT, 'baseline-cold'), { app: BASELINE_APP, env: { TMPDIR: coldTmp } });
  const coldTmp2 = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cold-'));
  fs.rmSync(BUNDLE_CACHE, { recursive: true, force: true }); // bundles are built again, as after npm ci
  const coldApp = cdkSynth('app synth (cold)', path.join(OUT, 'app-cold'), { env: { TMPDIR: coldTmp2 } });
  fs.rmSync(coldTmp, { recursive: true, force: true });
  fs.rmSync(coldTmp2, { recursive: true, force: true });

  // Warm: interleaved, so load from other users of the machine hits both sides alike.
  const warmBaseline: Timing[] = [];
  const warmApp: Timing[] = [];
  for (let i = 0; i < runs; i++) {
    process.stderr.write(`synth: warm run ${i + 1}/${runs}\n`);
    warmBaseline.push(cdkSynth('baseline synth', path.join(OUT, 'baseline'), { app: BASELINE_APP }));
    warmApp.push(cdkSynth('app synth', path.join(OUT, 'app')));
  }

  const variants = VARIANTS.map((v) => ({ name: v.name, ms: [] as Timing[], reports: [] as InstrumentedReport[] }));
  for (let i = 0; i < runs; i++) {
    VARIANTS.forEach((v, n) => {
      process.stderr.write(`synth: variant "${v.name}" ${i + 1}/${runs}\n`);
      const report = path.join(OUT, `variant-${n}.json`);
      const counters = path.join(OUT, `variant-${n}-counters.json`);
      const ms = cdkSynth(`synth variant "${v.name}"`, path.join(OUT, `variant-${n}`), {
        app: INSTRUMENTED_APP,
        env: { ...v.env, BENCH_REPORT: report, CDK_PERF_COUNTERS_FILE: counters },
        // Makes aws-cdk-lib write its phase counters on every synth, not only slow ones.
        context: ['@aws-cdk/core.slowSynthThreshold=0'],
      });
      variants[n].ms.push(ms);
      variants[n].reports.push(JSON.parse(fs.readFileSync(report, 'utf8')) as InstrumentedReport);
    });
  }
  return { coldBaseline, coldApp, warmBaseline, warmApp, variants };
}

function printSynth(s: SynthResults): Record<string, number> {
  const ratioWarm = wallOf(s.warmApp) / wallOf(s.warmBaseline);
  const ratioCold = s.coldApp.wall / s.coldBaseline.wall;
  console.log('\n## Synth: whole app vs one-bucket baseline (same CLI, tsx, aws-cdk-lib; `cdk synth --quiet`)\n');
  console.log(table(['', 'baseline s', 'whole app s', 'ratio', `budget <= ${BUDGETS.synthRatio}x`, 'baseline CPU s', 'app CPU s', 'CPU ratio'], [
    ['cold (empty cdk.out, tsx and bundle caches)', sec(s.coldBaseline.wall), sec(s.coldApp.wall), ratioCold.toFixed(2), verdict(ratioCold <= BUDGETS.synthRatio),
      sec(s.coldBaseline.cpu), sec(s.coldApp.cpu), (s.coldApp.cpu / s.coldBaseline.cpu).toFixed(2)],
    [`warm (median of ${s.warmApp.length})`, sec(wallOf(s.warmBaseline)), sec(wallOf(s.warmApp)), ratioWarm.toFixed(2), verdict(ratioWarm <= BUDGETS.synthRatio),
      sec(cpuOf(s.warmBaseline)), sec(cpuOf(s.warmApp)), (cpuOf(s.warmApp) / cpuOf(s.warmBaseline)).toFixed(2)],
  ]));

  const full = wallOf(s.variants[0].ms);
  const fullCpu = cpuOf(s.variants[0].ms);
  console.log(`\n## Where synth time goes: variants with parts switched off (instrumented app, median of ${s.variants[0].ms.length})\n`);
  console.log(table(['variant', 'wall s', 'saves s', 'CPU s', 'saves CPU s'], s.variants.map((v) => [
    v.name, sec(wallOf(v.ms)), sec(full - wallOf(v.ms)), sec(cpuOf(v.ms)), sec(fullCpu - cpuOf(v.ms)),
  ])));

  const reports = s.variants[0].reports;
  const med = (f: (r: InstrumentedReport) => number | undefined) => median(reports.map((r) => f(r) ?? 0));
  const rows: Array<Array<string | number>> = [
    ['CLI + Node + tsx start, outside the app process', sec(full - med((r) => r.processMs))],
    ['app: module load until `new App()` (aws-cdk-lib, constructs)', sec(med((r) => r.phases.load))],
    ['app: construction (Lambda bundling happens here)', sec(med((r) => r.phases.construction))],
    ...[...new Set(reports.flatMap((r) => r.bundles.map((b) => b.asset)))].map((asset) => [
      `  bundle ${asset.replace(/\/Code\/Stage$/, '').replace(/\/Function$/, '')}`,
      sec(med((r) => r.bundles.filter((b) => b.asset === asset).reduce((a, b) => a + b.ms, 0))),
    ]),
    ['app: synthesis (every validation plugin runs or is waited for here)', sec(med((r) => r.phases.synthesis))],
  ];
  for (const name of Object.keys(reports[0]?.plugins ?? {})) {
    const threaded = reports[0]?.threadWork?.[name] !== undefined;
    rows.push([`  plugin ${name}${threaded ? ' (main thread waits for its worker)' : ''}`, sec(med((r) => r.plugins[name]))]);
    if (threaded) {
      rows.push([`    its worker thread's work, beside the rows above`, sec(med((r) => r.threadWork?.[name]))]);
    }
  }
  console.log(`\n## Inside the full synth (median of ${reports.length}; indented rows are part of the row above them)\n`);
  console.log(table(['part', 's'], rows));
  return {
    synthBaselineColdS: s.coldBaseline.wall / 1000,
    synthAppColdS: s.coldApp.wall / 1000,
    synthBaselineWarmS: wallOf(s.warmBaseline) / 1000,
    synthAppWarmS: wallOf(s.warmApp) / 1000,
    synthCpuRatioWarm: cpuOf(s.warmApp) / cpuOf(s.warmBaseline),
    synthRatioCold: ratioCold,
    synthRatioWarm: ratioWarm,
  };
}

// ---------------------------------------------------------------- jest

interface JestRun {
  readonly name: string;
  readonly ms: number;
  readonly cpuMs?: number;
  readonly files: Array<{ file: string; ms: number; tests: number }>;
}

function jest(name: string, args: string[]): JestRun {
  process.stderr.write(`jest: ${name}\n`);
  const json = path.join(OUT, `jest-${name.replace(/\W+/g, '-')}.json`);
  const { ms, cpuMs, result } = run(path.join(BIN, 'jest'), ['--silent', '--json', '--outputFile', json, ...args]);
  mustSucceed(`jest (${name})`, result);
  const report = JSON.parse(fs.readFileSync(json, 'utf8')) as {
    testResults: Array<{ name: string; startTime: number; endTime: number; assertionResults: unknown[] }>;
  };
  return {
    name,
    ms,
    cpuMs,
    files: report.testResults
      .map((t) => ({ file: path.relative(ROOT, t.name), ms: t.endTime - t.startTime, tests: t.assertionResults.length }))
      .sort((a, b) => b.ms - a.ms),
  };
}

function benchJest(): Record<string, number> {
  const coldCache = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-jest-'));
  const runs = [
    jest('cold (empty jest cache)', ['--cacheDirectory', coldCache]),
    jest('warm (jest.config.js: every core)', []),
    jest('warm, --maxWorkers=2', ['--maxWorkers=2']),
    jest('warm, --runInBand', ['--runInBand']),
  ];
  fs.rmSync(coldCache, { recursive: true, force: true });
  console.log(`\n## Unit tests (jest --silent, wall s; ${os.cpus().length} cores; budget <= ${BUDGETS.jestSeconds} s)\n`);
  console.log(table(['run', 'wall s', 'budget', 'CPU s'], runs.map((r) => [r.name, sec(r.ms), verdict(r.ms / 1000 <= BUDGETS.jestSeconds), sec(r.cpuMs ?? NaN)])));
  console.log('\nSlowest test files (warm run):\n');
  console.log(table(['file', 'tests', 's'], runs[1].files.slice(0, 8).map((f) => [f.file, f.tests, sec(f.ms)])));
  return { jestColdS: runs[0].ms / 1000, jestWarmS: runs[1].ms / 1000 };
}

// ---------------------------------------------------------------- lambdas

interface LambdaFigures {
  readonly fn: string;
  readonly entry: string;
  readonly kb: number;
  /** Bytes the bundle holds per package (node_modules) or `(project)`, largest first. */
  readonly contents: Array<[string, number]>;
  readonly initMs: number;
  /** The same entry bundled with the SDK left to the runtime's copy (same options otherwise). */
  readonly sdkExternalKb?: number;
  readonly sdkExternalInitMs?: number;
}

/** The function's environment with CloudFormation references replaced by placeholder strings. */
function mockedEnvironment(props: Record<string, unknown> | undefined): Record<string, string> {
  const vars = ((props?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables) ?? {};
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? v : `bench-placeholder-${k.toLowerCase()}`]));
}

/** Median import time of a bundle in fresh Node processes (scripts/bench/init-probe.mjs). */
function initMs(bundle: string, env: Record<string, string>, runs: number, what: string): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { result } = run(process.execPath, [path.join(ROOT, 'scripts/bench/init-probe.mjs'), bundle], env, path.dirname(bundle));
    mustSucceed(`init probe of ${what}`, result);
    times.push((JSON.parse(result.stdout.trim().split('\n').pop()!) as { ms: number }).ms);
  }
  return median(times);
}

/**
 * The handler file a function was bundled from: recorded by the instrumented synth (from the
 * bundling command) under the function's asset path; `undefined` when it is not known.
 */
function entryOf(fnPath: string, entries: ReadonlyMap<string, string>): string | undefined {
  for (const [asset, entry] of entries) {
    if (asset.startsWith(`${fnPath}/`)) {
      return path.relative(ROOT, entry);
    }
  }
  return undefined;
}

/** What a deployed bundle is made of, by package: rebuilt with the same options and a metafile. */
function contentsOf(entry: string): Array<[string, number]> {
  const result = buildSync({ ...bundleOptions(path.join(ROOT, entry), [...LAMBDA_UNUSED_CREDENTIAL_SOURCES]), absWorkingDir: ROOT, outfile: path.join(OUT, 'contents/index.mjs'), write: false, metafile: true, logLevel: 'error' });
  const bytes = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? '(project)';
      bytes.set(pkg, (bytes.get(pkg) ?? 0) + bytesInOutput);
    }
  }
  return [...bytes].sort((a, b) => b[1] - a[1]);
}

/** Rebuild an entry with the AWS SDK left to the runtime (same esbuild options otherwise), to compare size and init. */
function buildWithExternalSdk(entry: string, n: number): string {
  const outfile = path.join(OUT, 'sdk-external', String(n), 'index.mjs');
  buildSync({ ...bundleOptions(path.join(ROOT, entry), ['@aws-sdk/*']), absWorkingDir: ROOT, outfile, logLevel: 'error' });
  return outfile;
}

function benchLambdas(outdir: string, runs: number, entries: ReadonlyMap<string, string>): LambdaFigures[] {
  const figures: LambdaFigures[] = [];
  const probeRuns = Math.max(runs, 7);
  for (const stack of readStacks(outdir)) {
    for (const [logicalId, res] of Object.entries(stack.template.Resources ?? {})) {
      const asset = res.Metadata?.['aws:asset:path'];
      if (res.Type !== 'AWS::Lambda::Function' || typeof asset !== 'string') {
        continue;
      }
      const bundle = path.join(outdir, asset, 'index.mjs');
      // Only the project's bundled functions; CDK's own helpers (auto-delete objects etc.) ship as index.js.
      if (!fs.existsSync(bundle)) {
        continue;
      }
      const fn = String(res.Metadata?.['aws:cdk:path'] ?? logicalId).replace(/\/Function\/Resource$/, '').replace(/\/Resource$/, '');
      process.stderr.write(`lambda: ${fn}\n`);
      const env = {
        ...mockedEnvironment(res.Properties),
        AWS_REGION: 'us-east-1',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIABENCHMARKONLY000',
        AWS_SECRET_ACCESS_KEY: 'bench-only-not-a-secret',
        AWS_LAMBDA_FUNCTION_NAME: fn.replace(/\W+/g, '-'),
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(res.Properties?.MemorySize ?? 128),
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      };
      const entry = entryOf(fn, entries);
      const external = entry ? buildWithExternalSdk(entry, figures.length) : undefined;
      figures.push({
        fn,
        entry: entry ?? '(unknown)',
        kb: fs.statSync(bundle).size / 1024,
        contents: entry ? contentsOf(entry) : [],
        initMs: initMs(bundle, env, probeRuns, fn),
        sdkExternalKb: external ? fs.statSync(external).size / 1024 : undefined,
        sdkExternalInitMs: external ? initMs(external, env, probeRuns, `${fn} (SDK external)`) : undefined,
      });
    }
  }
  console.log(`\n## Lambda functions (from ${path.relative(ROOT, outdir)}; budgets: index.mjs <= ${BUDGETS.bundleKb} KB unless a dependency needs more, init <= ${BUDGETS.initMs} ms)\n`);
  console.log('init = median time to import the bundle in a fresh Node process with its environment mocked: parsing,');
  console.log('the SDK modules it imports and the clients it builds at module load (Lambda\'s "Init" minus runtime start).');
  console.log('"as deployed" has the SDK v3 clients inside the bundle (lib/constructs/node-function.ts says why); "SDK external"');
  console.log(`rebuilds the same entry leaving @aws-sdk/* to node_modules (on Lambda: the runtime's copy). Node ${process.version} here, nodejs24.x on Lambda.\n`);
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
  const sizeVerdict = (f: LambdaFigures) => {
    if (f.kb <= BUDGETS.bundleKb) {
      return 'ok';
    }
    const own = f.contents.find(([pkg]) => pkg === '(project)')?.[1] ?? 0;
    const deps = f.contents.filter(([pkg]) => pkg !== '(project)').slice(0, 2).map(([pkg, bytes]) => `${pkg} ${kb(bytes)}`).join(', ');
    return own / 1024 <= BUDGETS.bundleKb ? `ok: own code ${kb(own)}, needs ${deps}` : 'OVER BUDGET';
  };
  console.log(table(['function', 'entry', 'as deployed KB', 'size', 'init ms', 'init', 'SDK external KB', 'init ms', 'init'], figures.map((f) => [
    f.fn, f.entry, f.kb.toFixed(1), sizeVerdict(f), f.initMs.toFixed(1), verdict(f.initMs <= BUDGETS.initMs),
    f.sdkExternalKb?.toFixed(1) ?? '-', f.sdkExternalInitMs?.toFixed(1) ?? '-',
    f.sdkExternalInitMs === undefined ? '-' : verdict(f.sdkExternalInitMs <= BUDGETS.initMs),
  ])));
  if (figures.length === 0) {
    console.log('(no bundled functions found)');
  }
  return figures;
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  const started = performance.now();
  console.log(`# npm run bench: ${new Date().toISOString()}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version}`);
  const synth = benchSynth(options.runs);
  const summary: Record<string, unknown> = { ...printSynth(synth) };
  const entries = new Map(synth.variants[0].reports.flatMap((r) => r.bundles.filter((b) => b.entry).map((b) => [b.asset, b.entry!] as [string, string])));
  summary.lambdas = benchLambdas(path.join(OUT, 'app'), options.runs, entries);
  if (!options.skipJest) {
    Object.assign(summary, benchJest());
  }
  console.log(`\nbench took ${sec(performance.now() - started)} s; load average now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (other users of the machine inflate every figure, the ratio least)`);
  if (options.json) {
    fs.writeFileSync(options.json, JSON.stringify(summary, undefined, 2));
  }
}

main();
