/**
 * bin/app.ts with a stopwatch around the parts of a synth, for `npm run bench`. Run through the
 * CDK CLI like the real app (`cdk synth --app "tsx scripts/bench/instrumented-app.ts"`), so it gets
 * the same context and environment. Switches (environment variables):
 *   BENCH_REPORT=<file>      where to write the measurements (JSON)
 *   BENCH_PLUGINS=none       drop the cdk-nag packs and guard rules (keep the builtin validation)
 *   BENCH_BUNDLING=off       skip Lambda bundling (context aws:cdk:bundling-stacks = [])
 *   CDK_VALIDATION=false     aws-cdk-lib's own switch for its builtin CloudFormation validation
 * Nothing here changes what the app builds; it only measures (and, on request, leaves parts out).
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type { IPolicyValidationPluginBeta1 } from 'aws-cdk-lib';

const load = createRequire(__filename);
const started = performance.now();

const plugins: Record<string, number> = {};
const bundles: Array<{ asset: string; entry?: string; ms: number }> = [];

function timePlugin(name: string, owner: { validate: IPolicyValidationPluginBeta1['validate'] }): void {
  const original = owner.validate;
  owner.validate = function timedValidate(this: unknown, ...args: Parameters<IPolicyValidationPluginBeta1['validate']>) {
    const t = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      plugins[name] = (plugins[name] ?? 0) + performance.now() - t;
    }
  };
}

// The plugins the app adds (whatever they are), timed one by one. A plugin that works in a worker
// thread (lib/plugin-thread.ts) is timed twice: how long the main thread waited for it, and how
// long its thread worked. BENCH_PLUGINS=none keeps only the builtin CloudFormation validation.
const threads: Array<{ name: string; thread: { lastWorkMs?: number } }> = [];
const cdk = load('aws-cdk-lib') as typeof import('aws-cdk-lib');
const addPlugins = cdk.Validations.prototype.addPlugins;
cdk.Validations.prototype.addPlugins = function timedAddPlugins(this: unknown, ...list: IPolicyValidationPluginBeta1[]) {
  const kept = process.env.BENCH_PLUGINS === 'none' ? list.filter((p) => p.name === 'CloudFormation Validate') : list;
  for (const plugin of kept) {
    timePlugin(plugin.name, plugin);
    const thread = (plugin as { thread?: { lastWorkMs?: number } }).thread;
    if (thread) {
      threads.push({ name: plugin.name, thread });
    }
  }
  addPlugins.apply(this, kept);
};
// Every asset bundling (in-process or through a program), by the asset's construct path. The method
// is internal to aws-cdk-lib: if a release renames it, the bench reports no bundling rows.
const staging = cdk.AssetStaging.prototype as unknown as Record<string, unknown>;
const bundle = staging.bundle;
if (typeof bundle === 'function') {
  staging.bundle = function timedBundle(this: { node: { path: string } }, ...args: unknown[]) {
    const t = performance.now();
    try {
      return bundle.apply(this, args);
    } finally {
      bundles.push({ asset: this.node.path, entry: entryOf(args[0]), ms: performance.now() - t });
    }
  };
}

/** The handler file of a NodeFunction bundle: its bundling command carries the esbuild options. */
function entryOf(options: unknown): string | undefined {
  const command = (options as { command?: string[] } | undefined)?.command;
  try {
    const entryPoints = command?.[0] === 'esbuild' ? (JSON.parse(command[1]) as { entryPoints?: string[] }).entryPoints : undefined;
    return entryPoints?.[0];
  } catch {
    return undefined;
  }
}

if (process.env.BENCH_BUNDLING === 'off') {
  const context = JSON.parse(process.env.CDK_CONTEXT_JSON ?? '{}') as Record<string, unknown>;
  process.env.CDK_CONTEXT_JSON = JSON.stringify({ ...context, 'aws:cdk:bundling-stacks': [] });
}

process.on('exit', () => {
  const report = process.env.BENCH_REPORT;
  if (!report) {
    return;
  }
  // aws-cdk-lib's own phase counters (written because the bench sets slowSynthThreshold=0).
  const countersFile = process.env.CDK_PERF_COUNTERS_FILE;
  const counters = countersFile && fs.existsSync(countersFile)
    ? (JSON.parse(fs.readFileSync(countersFile, 'utf8')) as { counters: Record<string, number> }).counters
    : {};
  fs.writeFileSync(report, JSON.stringify({
    processMs: performance.now(),
    instrumentedAtMs: started,
    phases: {
      load: counters['phase:Load'],
      construction: counters['phase:Construction'],
      synthesis: counters['phase:Synthesis'],
    },
    plugins,
    threadWork: Object.fromEntries(threads.map(({ name, thread }) => [name, thread.lastWorkMs ?? 0])),
    bundles,
  }, undefined, 2));
});

load('../../bin/app');
