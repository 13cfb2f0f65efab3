/**
 * Synthesizes the app the ways users do, two at a time, and fails on anything a user would hit:
 *
 * - every command of the README's "Use it" and "Deploy and destroy" blocks, exactly as written
 *   (`<Stack>` becomes every stack), run up to the point that needs AWS: synth succeeds; bootstrap,
 *   deploy and destroy synthesize, pass every gate, and stop at "no credentials" (they run with no
 *   credentials at all and for the README's example account, so nothing can reach a real one);
 * - the matrix the README's words promise: both profiles environment-agnostic and pinned, every
 *   opt-in part on in both profiles, a second region (us-east-1) for the regional tables;
 * - a bad profile value, which must fail naming the value.
 *
 * Each job writes its own cloud assembly (cdk.out.<job>/): README commands through a per-command
 * user configuration (~/.cdk.json "output"), so the commands stay as written. The unique templates
 * are listed in cdk.out.templates.txt for cfn-lint.
 *
 *   npx tsx scripts/synth-matrix.ts            [--jobs N]   (N defaults to 2, this machine's cores)
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { addArchitectures, everyOptIn } from '../lib/app';
import { PROFILES } from '../lib/config/profile';
import { credentialFreeEnv } from './lib/credential-free-env';

const ROOT = path.join(__dirname, '..');
/** The example account of the README: no credentials exist for it here. */
export const EXAMPLE_ACCOUNT = '123456789012';
const NO_CREDENTIALS = `Need to perform AWS calls for account ${EXAMPLE_ACCOUNT}, but no credentials have been configured`;

export type Expectation =
  | { readonly kind: 'succeeds' }
  /** Synthesizes clean, then stops where it would call AWS. */
  | { readonly kind: 'needs-aws' }
  /** Fails with a message that contains `text`. */
  | { readonly kind: 'fails-naming'; readonly text: string };

export interface Job {
  readonly name: string;
  /** A shell command line, run by bash in the repository root. */
  readonly command: string;
  /** Directory the cloud assembly goes to (relative to the root). */
  readonly outdir: string;
  readonly expect: Expectation;
  /** Run in a pseudo-terminal and answer the confirmation prompt (`cdk destroy` asks). */
  readonly answer?: string;
  /** Where the command comes from (README section), for the report. */
  readonly source: string;
  /** Text the output must contain besides what the expectation checks. */
  readonly mustSay?: string;
}

/** The fenced bash blocks of a README section, one command per line (comments and blank lines dropped). */
export function sectionCommands(readme: string, heading: string): string[] {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) {
    throw new Error(`README has no "## ${heading}" section`);
  }
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const commands: string[] = [];
  for (const block of section.matchAll(/```bash\n([\s\S]*?)```/g)) {
    for (const line of block[1].split('\n')) {
      const command = line.replace(/\s+#.*$/, '').trim();
      if (command !== '' && !command.startsWith('#')) {
        commands.push(command);
      }
    }
  }
  return commands;
}

/**
 * What a README command line is run as and expected to do. `npm ci &&` is dropped (the test runs
 * after it), `npm test` is skipped (it is what runs this), `<Stack>` becomes every stack.
 */
export function readmeJob(line: string, index: number, source: string, stacks: string[]): Job | undefined {
  const command = line.replace(/^npm ci && /, '');
  if (/^npm (test|run)\b/.test(command)) {
    return undefined;
  }
  const cdk = /\bnpx cdk (\w+)/.exec(command);
  if (!cdk) {
    throw new Error(`README command ${JSON.stringify(line)} is not an npx cdk command: teach scripts/synth-matrix.ts what it should do`);
  }
  const verb = cdk[1];
  const expanded = command.replace(/<Stack>/g, stacks.join(' '));
  // The plain `npx cdk synth` is the default (sandbox, environment-agnostic) assembly `npm run cost` reads.
  const outdir = verb === 'synth' && !/ -c /.test(command) ? 'cdk.out.sandbox' : `cdk.out.readme-${index + 1}`;
  // An account pinned without a profile gets the sandbox default, and synth says so in one line.
  const pinned = /-c account=|CDK_DEPLOY_ACCOUNT=/.test(command);
  const mustSay = pinned && !/-c profile=/.test(command) ? 'No -c profile given: account' : undefined;
  const base = { name: `readme-${index + 1}-${verb}`, command: expanded, outdir, source, mustSay };
  if (verb === 'synth') {
    return { ...base, expect: { kind: 'succeeds' } };
  }
  if (['deploy', 'destroy', 'bootstrap', 'diff'].includes(verb)) {
    return { ...base, expect: { kind: 'needs-aws' }, answer: verb === 'destroy' ? 'y' : undefined };
  }
  throw new Error(`README command ${JSON.stringify(line)} uses "cdk ${verb}": teach scripts/synth-matrix.ts what it should do`);
}

/**
 * Stacks the opt-in jobs synthesize and gate but do not bundle, and why (with --exclusively, the
 * CLI bundles only the stacks named on the command line).
 */
export const UNBUNDLED_WITH_OPT_INS: Readonly<Record<string, string>> = {
  // With datalake.realtime its bundling packages the Kinesis connector JAR, fetched by Maven from
  // Maven Central: the registry this project's machines and CI reach does not hold that artifact.
  DataLake: 'the datalake.realtime application zip needs the connector JAR from Maven Central (docs/datalake.md)',
};

/**
 * The combinations the README promises besides its commands. `bundled`: the stacks the opt-in jobs
 * bundle (all of them when not given).
 */
export function matrixJobs(optInContext: (profile: 'sandbox' | 'production', region?: string) => Record<string, string>, bundled?: string[]): Job[] {
  const synth = (name: string, flags: string[]) => ({
    name,
    // --exclusively: the CLI bundles only the named stacks with it; every stack is still synthesized and gated.
    command: `npx cdk synth --quiet ${[...flags, ...(name.startsWith('optins-') && bundled ? ['--exclusively', ...bundled] : [])].join(' ')}`,
    outdir: `cdk.out.${name}`,
    expect: { kind: 'succeeds' } as Expectation,
    source: 'matrix',
  });
  const optIns = (profile: 'sandbox' | 'production', region?: string) =>
    Object.entries(optInContext(profile, region)).map(([k, v]) => `-c ${k}=${v}`);
  const pinned = (region: string) => [`-c account=${EXAMPLE_ACCOUNT}`, `-c region=${region}`];
  return [
    synth('production', ['-c profile=production']),
    synth('optins-sandbox', ['-c profile=sandbox', ...optIns('sandbox')]),
    synth('optins-production', ['-c profile=production', ...optIns('production')]),
    synth('optins-production-eu-west-1', ['-c profile=production', ...pinned('eu-west-1'), ...optIns('production', 'eu-west-1')]),
    synth('optins-sandbox-us-east-1', ['-c profile=sandbox', ...pinned('us-east-1'), ...optIns('sandbox', 'us-east-1')]),
    {
      name: 'bad-profile',
      command: `npx cdk synth --quiet -c profile=staging -c account=${EXAMPLE_ACCOUNT} -c region=eu-west-1`,
      outdir: 'cdk.out.bad-profile',
      expect: { kind: 'fails-naming', text: 'Unknown deployment profile "staging"' },
      source: 'matrix',
    },
  ];
}

/** An environment with no way to find AWS credentials, and a home whose ~/.cdk.json sends the assembly to `outdir`. */
function isolatedEnv(outdir: string): NodeJS.ProcessEnv {
  return {
    ...credentialFreeEnv({ cdkUserSettings: { output: outdir }, homePrefix: 'synth-matrix-home-' }),
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: '1',
    NO_COLOR: '1',
    npm_config_update_notifier: 'false',
  };
}

interface Outcome {
  readonly job: Job;
  readonly ok: boolean;
  readonly seconds: number;
  readonly why: string;
  readonly output: string;
}

function run(job: Job): Promise<Outcome> {
  const started = Date.now();
  fs.rmSync(path.join(ROOT, job.outdir), { recursive: true, force: true });
  // cdk destroy asks for confirmation and refuses without a terminal: util-linux `script` gives it one.
  const argv = job.answer === undefined ? ['bash', ['-c', job.command]] as const : ['script', ['-qec', job.command, '/dev/null']] as const;
  return new Promise((resolve) => {
    const child = spawn(argv[0], [...argv[1]], { cwd: ROOT, env: isolatedEnv(job.outdir), stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    if (job.answer !== undefined) {
      child.stdin.write(`${job.answer}\n`);
    }
    child.stdin.end();
    child.on('close', (code) => {
      const seconds = (Date.now() - started) / 1000;
      const clean = output.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
      const findings = /unacknowledged finding/.test(clean);
      let ok: boolean;
      let why: string;
      switch (job.expect.kind) {
        case 'succeeds':
          ok = code === 0 && !findings && fs.existsSync(path.join(ROOT, job.outdir, 'manifest.json'));
          why = ok ? 'synthesized' : `exit ${code}${findings ? ', findings left' : ''}`;
          break;
        case 'needs-aws':
          ok = clean.includes(NO_CREDENTIALS) && !findings && fs.existsSync(path.join(ROOT, job.outdir, 'manifest.json'));
          why = ok ? 'synthesized, then stopped for credentials' : 'did not reach the AWS call';
          break;
        case 'fails-naming':
          ok = code !== 0 && clean.includes(job.expect.text);
          why = ok ? `failed naming ${job.expect.text}` : `expected a failure naming ${job.expect.text} (exit ${code})`;
          break;
      }
      if (ok && job.mustSay !== undefined && !clean.includes(job.mustSay)) {
        ok = false;
        why = `did not say "${job.mustSay}"`;
      }
      resolve({ job, ok, seconds, why, output: clean });
    });
  });
}

async function pool(jobs: Job[], width: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const outcome = await run(job);
      console.log(`${outcome.ok ? 'ok  ' : 'FAIL'} ${outcome.seconds.toFixed(1).padStart(5)} s  ${job.name}: ${outcome.why}`);
      outcomes.push(outcome);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return outcomes;
}

/** Unique templates of the successful jobs' assemblies (identical ones, e.g. deploy and destroy's, linted once). */
function uniqueTemplates(outcomes: Outcome[]): string[] {
  const seen = new Map<string, string>();
  for (const { job } of outcomes.filter((o) => o.ok && o.job.expect.kind !== 'fails-naming')) {
    const dir = path.join(ROOT, job.outdir);
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.template.json')).sort()) {
      const digest = createHash('sha256').update(fs.readFileSync(path.join(dir, file))).digest('hex');
      if (!seen.has(digest)) {
        seen.set(digest, path.join(job.outdir, file));
      }
    }
  }
  return [...seen.values()];
}

/** An App as `cdk synth` builds it (cdk.json's feature flags), minus bundling: only its structure is read. */
function structureApp(): App {
  const { context } = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'synth-matrix-')), context: { ...context, 'aws:cdk:bundling-stacks': [] } });
}

function stackNames(): string[] {
  return addArchitectures(structureApp(), { profile: PROFILES.sandbox }).map((s) => s.stackName);
}

async function main(argv: string[]): Promise<number> {
  const jobsFlag = argv.indexOf('--jobs');
  const width = jobsFlag >= 0 ? Number(argv[jobsFlag + 1]) : 2;
  if (!Number.isInteger(width) || width < 1) {
    throw new Error(`--jobs must be a whole number >= 1 (got ${argv[jobsFlag + 1]})`);
  }
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const stacks = stackNames();
  const lines = [
    ...sectionCommands(readme, 'Use it').map((line) => ({ line, source: 'README "Use it"' })),
    ...sectionCommands(readme, 'Deploy and destroy').map((line) => ({ line, source: 'README "Deploy and destroy"' })),
  ];
  const readmeJobs = lines.map(({ line, source }, i) => readmeJob(line, i, source, stacks)).filter((j): j is Job => j !== undefined);
  const jobs = [
    ...readmeJobs,
    ...matrixJobs((profile, region) => everyOptIn(structureApp, {
      profile: PROFILES[profile],
      env: region === undefined ? undefined : { account: EXAMPLE_ACCOUNT, region },
    }), stacks.filter((s) => !(s in UNBUNDLED_WITH_OPT_INS))),
  ];
  const started = Date.now();
  const outcomes = await pool(jobs, width);
  const failed = outcomes.filter((o) => !o.ok);
  for (const o of failed) {
    console.error(`\n== ${o.job.name} (${o.job.source}): ${o.job.command}\n${o.output.split('\n').filter((l) => !l.startsWith('Bundling asset')).slice(-40).join('\n')}`);
  }
  const templates = uniqueTemplates(outcomes);
  fs.writeFileSync(path.join(ROOT, 'cdk.out.templates.txt'), `${templates.join('\n')}\n`);
  console.log(`${jobs.length} jobs (${readmeJobs.length} README commands), ${width} at a time: ${((Date.now() - started) / 1000).toFixed(1)} s; ${templates.length} unique templates for cfn-lint`);
  return failed.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  });
}
