/**
 * The deployed smoke tests (test/integ/integ.*.ts), run by @aws-cdk/integ-runner.
 *
 *   npm run integ -- <Architecture>                  the plan (cost, time, assertions), then checks
 *                                                    credentials and region; deploys nothing
 *   npm run integ -- <Architecture> --yes            deploy Integ<Architecture> and its assertions into
 *                                                    the account, run them, destroy both (on failure too)
 *   npm run integ -- <Architecture> --cleanup        delete what a run that never finished left
 *       options: --region <region> (default: AWS_REGION / the profile's), --profile <name>
 *   npm run integ -- --check                         every test synthesized through every gate and its
 *                                                    snapshot compared, offline (npm test runs this)
 *   npm run integ -- --update-snapshots [<Arch>...]  rewrite snapshots after changing a stack, offline
 *   npm run integ -- --docs [--check]                write (or check) each page's plan region
 *
 * integ-runner drives the CDK CLI of this project (its CLI-wrapper engine): every synth, deploy
 * and destroy is the `cdk` of node_modules/.bin. The offline modes run with no way to find AWS
 * credentials at all, so nothing in `npm test` can reach an account.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CloudFormationClient, DeleteStackCommand, DescribeStacksCommand, Stack } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, DeleteLogStreamCommand, DescribeLogStreamsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DeleteModelCommand, ListHyperParameterTuningJobsCommand, ListProcessingJobsCommand, ListTrainingJobsCommand, ListTransformJobsCommand,
  SageMakerClient, StopHyperParameterTuningJobCommand, StopProcessingJobCommand, StopTrainingJobCommand, StopTransformJobCommand,
} from '@aws-sdk/client-sagemaker';
import { DeleteTranscriptionJobCommand, ListTranscriptionJobsCommand, TranscribeClient } from '@aws-sdk/client-transcribe';
import { loadPrices } from './cost';
import { credentialFreeEnv } from './lib/credential-free-env';
import { readRegion, writeRegion } from './docs/markdown';
import { ARCHITECTURES, Architecture, PLANS, planMarkdown, priceItems, SmokeTestPlan, totalMinutes, totalUsd } from './integ/plans';

const ROOT = path.join(__dirname, '..');
export const INTEG_DIR = 'test/integ';
/** Where a run records its id until everything it made is gone (cdk.out.* is ignored by git). */
const STATE_DIR = path.join(ROOT, 'cdk.out.integ');

/**
 * The cloud-assembly schema major integ-runner 2.190.0 reads (its manifest readers refuse anything
 * newer, and aws-cdk-lib 2.276 writes 55): the newest runner on the npm registry (2.197.10) reads
 * up to 53 and has dropped the CLI-wrapper engine, so it would synthesize and deploy with its own,
 * older toolkit. See declareRunnerSchema in test/integ/smoke-test.ts.
 */
export const RUNNER_SCHEMA_VERSION = '48.0.0';

/** Arguments every integ-runner invocation shares: where the tests are and how to run one (from test/integ/). */
export function runnerArgs(): string[] {
  return ['--directory', INTEG_DIR, '--app', '../../node_modules/.bin/tsx {filePath}', '--test-regex', '^integ\\.[a-z]+\\.ts$'];
}

/** Files of a snapshot the runner's comparison reads: templates, asset manifests (asset ids), manifest.json, integ.json. */
export function isSnapshotFile(name: string): boolean {
  return name === 'manifest.json' || name === 'integ.json' || name === 'cdk.out' || /\.template\.json$/.test(name) || /\.assets\.json$/.test(name);
}

/** Drop what the comparison never reads from a snapshot (asset bundles, the tree, reports: megabytes). */
export function pruneSnapshot(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    if (!isSnapshotFile(name)) {
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    }
  }
}

/**
 * An environment with no way to find AWS credentials (no variables, files, SSO cache or instance
 * metadata), and every SDK endpoint pointed at a closed local port: nothing run in it reaches AWS.
 */
export function offlineEnv(): NodeJS.ProcessEnv {
  // The CLI's user settings: no notices fetched from the network.
  return credentialFreeEnv({ cdkUserSettings: { notices: false }, drop: ['INTEG_RUN_ID'], closedEndpoints: true, homePrefix: 'integ-offline-home-' });
}

/** What the runner and the CLI it starts need besides the caller's environment. */
function runnerEnv(base: NodeJS.ProcessEnv, runId?: string): NodeJS.ProcessEnv {
  return {
    ...base,
    // The runner starts `cdk` from PATH: this project's CLI, not some other on the machine.
    PATH: `${path.join(ROOT, 'node_modules', '.bin')}${path.delimiter}${base.PATH ?? ''}`,
    INTEG_RUNNER_SCHEMA_VERSION: RUNNER_SCHEMA_VERSION,
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: '1',
    ...(runId === undefined ? {} : { INTEG_RUN_ID: runId }),
  };
}

/**
 * Run integ-runner on `tests` (every test when empty). The test files come first: the runner's
 * array options (--parallel-regions, --profiles, --test-regex) take every word after them, so a
 * test name behind one would be read as a region and every test would run.
 */
export function runnerCommandLine(tests: string[], options: string[]): string[] {
  return [...tests, ...runnerArgs(), ...options];
}

function runRunner(tests: string[], options: string[], env: NodeJS.ProcessEnv, onChild?: (pid: number) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'integ-runner'), runnerCommandLine(tests, options), {
      cwd: ROOT, env, stdio: 'inherit', detached: true,
    });
    if (child.pid !== undefined) {
      onChild?.(child.pid);
    }
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

const snapshotDir = (plan: SmokeTestPlan) => path.join(ROOT, INTEG_DIR, `${plan.file}.snapshot`);

/** `--check`: synth every test (every gate) and compare its architecture stack with the snapshot. Offline. */
async function check(): Promise<number> {
  const started = Date.now();
  const code = await runRunner([], ['--max-workers', '2', '--parallel-regions=us-east-1'], runnerEnv(offlineEnv()));
  console.log(`integ snapshot check of ${ARCHITECTURES.length} tests: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (code !== 0) {
    console.error('A smoke test failed to synthesize (see its findings above) or its architecture stack differs from its snapshot.\n'
      + 'If the stack changed on purpose: npm run integ -- --update-snapshots <Architecture>, and commit test/integ/*.snapshot.');
  }
  return code;
}

/** `--update-snapshots`: synthesize and write the snapshots of the named (or all) tests, deploying nothing. Offline. */
async function updateSnapshots(architectures: Architecture[]): Promise<number> {
  const plans = architectures.map((a) => PLANS[a]);
  for (const plan of plans) {
    fs.rmSync(snapshotDir(plan), { recursive: true, force: true });
  }
  const code = await runRunner(plans.map((p) => p.file), ['--update-on-failed', '--dry-run', '--max-workers', '2', '--parallel-regions=us-east-1'],
    runnerEnv(offlineEnv()));
  for (const plan of plans.filter((p) => fs.existsSync(snapshotDir(p)))) {
    pruneSnapshot(snapshotDir(plan));
  }
  return code;
}

/** `--docs`: write each page's `integ` region from its plan (or, with `--check`, fail when one is stale). */
export function docs(checkOnly: boolean): number {
  const prices = loadPrices();
  let stale = 0;
  for (const plan of Object.values(PLANS)) {
    const file = path.join(ROOT, plan.page);
    const text = fs.readFileSync(file, 'utf8');
    const wanted = planMarkdown(plan, prices);
    if (readRegion(text, 'integ') === wanted.trim()) {
      continue;
    }
    if (checkOnly) {
      console.error(`${plan.page}: the "integ" region is out of date: run npm run integ -- --docs`);
      stale++;
    } else {
      fs.writeFileSync(file, writeRegion(text, 'integ', wanted, plan.page));
      console.log(`${plan.page}: integ region written`);
    }
  }
  return stale === 0 ? 0 : 1;
}

export function printPlan(plan: SmokeTestPlan, print: (line: string) => void = console.log): void {
  const prices = loadPrices();
  const items = priceItems(plan, prices);
  print(`Smoke test of ${plan.architecture} (${INTEG_DIR}/${plan.file}): stacks Integ${plan.architecture} and Integ${plan.architecture}Assertions, sandbox profile`);
  print(`Expected cost: about $${totalUsd(items).toFixed(2)} (${prices.region} list prices, scripts/cost/prices.json)`);
  for (const item of items) {
    print(`  ${item.usd === undefined ? 'not priced' : `$${item.usd.toFixed(4)}`}  ${item.what}`);
  }
  print(`Expected duration: about ${totalMinutes(plan)} minutes (deploy ~${plan.minutes.deploy}, assertions ~${plan.minutes.test}, destroy ~${plan.minutes.destroy}); the assertions give up after ${plan.maxTestMinutes} minutes`);
  print('It asserts:');
  plan.asserts.forEach((a) => print(`  - ${a}`));
  print('Outside its two stacks:');
  plan.outside.forEach((o) => print(`  - ${o}`));
}

export interface Target {
  readonly region: string;
  readonly profile?: string;
}

/**
 * The account the command would deploy into: credentials and a region from the SDK's default chain
 * (or --profile/--region). What is missing is named, with how to provide it; nothing is called.
 */
export async function resolveTarget(options: { region?: string; profile?: string }): Promise<Target> {
  const client = new CloudFormationClient({ region: options.region, profile: options.profile });
  const missing: string[] = [];
  try {
    await client.config.credentials();
  } catch (err) {
    missing.push(`AWS credentials${options.profile ? ` of profile ${JSON.stringify(options.profile)}` : ''}: set AWS_PROFILE (or pass --profile), `
      + 'or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or sign in with `aws sso login` '
      + `(the SDK's default chain found none: ${(err as Error).message.split('\n')[0]})`);
  }
  let region: string | undefined;
  try {
    region = await client.config.region();
  } catch {
    missing.push('an AWS region: pass --region <region> or set AWS_REGION (or give the profile a region)');
  }
  if (missing.length > 0 || region === undefined) {
    throw new Error(`Cannot run the smoke test; missing:\n  - ${missing.join('\n  - ')}`);
  }
  return { region, profile: options.profile };
}

async function describe(cfn: CloudFormationClient, stackName: string): Promise<Stack | undefined> {
  try {
    return (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  } catch (err) {
    if (/does not exist/.test((err as Error).message)) {
      return undefined;
    }
    throw err;
  }
}

const stackNames = (architecture: Architecture) => [`Integ${architecture}Assertions`, `Integ${architecture}`];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll a stack every 30 s, for at most `minutes`, while `busy` holds; its last state (undefined: gone). */
async function waitWhile(cfn: CloudFormationClient, name: string, busy: (status: string) => boolean, minutes: number): Promise<Stack | undefined> {
  for (let i = 0; ; i++) {
    const stack = await describe(cfn, name);
    if (stack === undefined || !busy(stack.StackStatus ?? '') || i >= minutes * 2) {
      return stack;
    }
    await sleep(30_000);
  }
}

/**
 * Delete a run's stacks (assertions first: they read the architecture's outputs) and wait; true
 * when none is left. A stack still being created or updated is waited for first (CloudFormation
 * refuses to delete it meanwhile); a DELETE_FAILED one (a network interface still attached) is tried
 * once more.
 */
async function deleteStacks(cfn: CloudFormationClient, architecture: Architecture, log: (l: string) => void): Promise<boolean> {
  const changing = (status: string) => /_IN_PROGRESS$/.test(status) && status !== 'DELETE_IN_PROGRESS';
  for (const name of stackNames(architecture)) {
    for (let attempt = 1; attempt <= 2; attempt++) {
      const stack = await waitWhile(cfn, name, changing, 60);
      if (stack === undefined) {
        break;
      }
      if (stack.StackStatus !== 'DELETE_IN_PROGRESS') {
        log(`deleting ${name} (${stack.StackStatus})`);
        await cfn.send(new DeleteStackCommand({ StackName: name }));
      }
      // Deletes here take minutes; network interfaces SageMaker attached can hold a VPC for ~20.
      const after = await waitWhile(cfn, name, (status) => status === 'DELETE_IN_PROGRESS', 45);
      if (after === undefined || after.StackStatus === 'DELETE_COMPLETE') {
        break;
      }
      log(`${name}: ${after.StackStatus} (${after.StackStatusReason ?? 'no reason given'})${attempt === 1 ? '; trying once more' : ''}`);
    }
  }
  const left = (await Promise.all(stackNames(architecture).map((n) => describe(cfn, n)))).filter((s): s is Stack => s !== undefined);
  left.forEach((s) => log(`LEFT: stack ${s.StackName} (${s.StackStatus}): delete it in the CloudFormation console`));
  return left.length === 0;
}

/**
 * Delete what a run made outside its stacks, found by its run id: Transcribe jobs, the SageMaker
 * model and the jobs' log streams; stop SageMaker jobs still running (a running job holds the VPC's network
 * interfaces and so the stack). Returns what it could not delete.
 */
export async function sweep(architecture: Architecture, runId: string, target: Target, log: (l: string) => void): Promise<string[]> {
  const config = { region: target.region, profile: target.profile };
  const failures: string[] = [];
  const attempt = async (what: string, action: () => Promise<unknown>) => {
    try {
      await action();
      log(`swept: ${what}`);
    } catch (err) {
      const name = (err as Error).name;
      // Already gone (deleted by the test itself, or never made) is what the sweep wants.
      if (!/NotFound|ValidationException/.test(name) || !/not (be )?found|n't be found|does not exist|Could not find/i.test((err as Error).message)) {
        failures.push(`${what}: ${name}: ${(err as Error).message}`);
      }
    }
  };
  if (architecture === 'SpeechChain') {
    const transcribe = new TranscribeClient(config);
    const jobs = (await transcribe.send(new ListTranscriptionJobsCommand({ JobNameContains: `speech-${runId}` }))).TranscriptionJobSummaries ?? [];
    for (const job of jobs) {
      await attempt(`Transcribe job ${job.TranscriptionJobName}`, () => transcribe.send(new DeleteTranscriptionJobCommand({ TranscriptionJobName: job.TranscriptionJobName })));
    }
  }
  if (architecture === 'SageMakerPlatform') {
    const sagemaker = new SageMakerClient(config);
    const prefix = `integ-${runId}`;
    const running = { StatusEquals: 'InProgress' as const, NameContains: prefix };
    for (const job of (await sagemaker.send(new ListHyperParameterTuningJobsCommand(running))).HyperParameterTuningJobSummaries ?? []) {
      await attempt(`stop tuning job ${job.HyperParameterTuningJobName}`, () => sagemaker.send(new StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName: job.HyperParameterTuningJobName })));
    }
    for (const job of (await sagemaker.send(new ListTrainingJobsCommand(running))).TrainingJobSummaries ?? []) {
      await attempt(`stop training job ${job.TrainingJobName}`, () => sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: job.TrainingJobName })));
    }
    for (const job of (await sagemaker.send(new ListTransformJobsCommand(running))).TransformJobSummaries ?? []) {
      await attempt(`stop transform job ${job.TransformJobName}`, () => sagemaker.send(new StopTransformJobCommand({ TransformJobName: job.TransformJobName })));
    }
    for (const job of (await sagemaker.send(new ListProcessingJobsCommand(running))).ProcessingJobSummaries ?? []) {
      await attempt(`stop processing job ${job.ProcessingJobName}`, () => sagemaker.send(new StopProcessingJobCommand({ ProcessingJobName: job.ProcessingJobName })));
    }
    // The training state machine names the model after the run (lib/sagemaker/training-workflow.ts).
    await attempt(`SageMaker model ${prefix}`, () => sagemaker.send(new DeleteModelCommand({ ModelName: prefix })));
    const logs = new CloudWatchLogsClient(config);
    for (const group of SAGEMAKER_JOB_LOG_GROUPS) {
      let streams: string[] = [];
      try {
        streams = ((await logs.send(new DescribeLogStreamsCommand({ logGroupName: group, logStreamNamePrefix: prefix }))).logStreams ?? [])
          .map((s) => s.logStreamName!).filter(Boolean);
      } catch (err) {
        if ((err as Error).name !== 'ResourceNotFoundException') {
          failures.push(`log streams of ${group}: ${(err as Error).message}`);
        }
      }
      for (const stream of streams) {
        await attempt(`log stream ${group}/${stream}`, () => logs.send(new DeleteLogStreamCommand({ logGroupName: group, logStreamName: stream })));
      }
    }
  }
  return failures;
}

/** Where SageMaker writes the logs of a run's jobs, one stream per job and instance named after the job. */
export const SAGEMAKER_JOB_LOG_GROUPS = ['/aws/sagemaker/TrainingJobs', '/aws/sagemaker/TransformJobs', '/aws/sagemaker/ProcessingJobs'];

interface RunState {
  readonly architecture: Architecture;
  readonly runId: string;
  readonly region: string;
  readonly profile?: string;
  readonly started: string;
}

const statePath = (architecture: Architecture) => path.join(STATE_DIR, `${architecture}.json`);

/** A run id: what the run names outside CloudFormation carries, base-36 time (a new one every second). */
export const newRunId = (now = Date.now()) => Math.floor(now / 1000).toString(36);

/** `<Architecture> --yes`: deploy, assert, destroy; clean up in a finally path whatever happens. */
async function deployAndTest(plan: SmokeTestPlan, target: Target): Promise<number> {
  const cfn = new CloudFormationClient({ region: target.region, profile: target.profile });
  for (const name of stackNames(plan.architecture)) {
    const existing = await describe(cfn, name);
    if (existing !== undefined) {
      throw new Error(`Stack ${name} already exists in ${target.region} (${existing.StackStatus}): another run is going on, or one never finished. `
        + `Run: npm run integ -- ${plan.architecture} --cleanup --region ${target.region}`);
    }
  }
  if (await describe(cfn, 'CDKToolkit') === undefined) {
    throw new Error(`The CDK is not bootstrapped in ${target.region}: run npx cdk bootstrap --region ${target.region}${target.profile ? ` --profile ${target.profile}` : ''}`);
  }
  const runId = newRunId();
  const state: RunState = { architecture: plan.architecture, runId, region: target.region, profile: target.profile, started: new Date().toISOString() };
  fs.mkdirSync(STATE_DIR, { recursive: true });
  fs.writeFileSync(statePath(plan.architecture), `${JSON.stringify(state, undefined, 2)}\n`);
  // The runner rewrites the snapshot after a successful run (with this run's id in it): keep the committed one.
  const snapshot = snapshotDir(plan);
  const backup = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-snapshot-'));
  fs.cpSync(snapshot, backup, { recursive: true });

  let runner: number | undefined;
  let interrupted = 0;
  const interrupt = (signal: NodeJS.Signals) => {
    if (++interrupted > 1) {
      console.error(`\n${signal} again: stopping now. Finish with: npm run integ -- ${plan.architecture} --cleanup --region ${target.region}`);
      process.exit(130);
    }
    console.error(`\n${signal}: stopping the test, then deleting what it made (${signal} again to skip that)`);
    if (runner !== undefined) {
      try {
        process.kill(-runner, 'SIGINT');
      } catch {
        // already gone
      }
    }
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  let code = 1;
  try {
    console.log(`\nRun ${runId}: deploying into ${target.region}${target.profile ? ` (profile ${target.profile})` : ''}; state in ${path.relative(ROOT, statePath(plan.architecture))}\n`);
    code = await runRunner([plan.file], [
      '--force', '--disable-update-workflow', '-vv', `--parallel-regions=${target.region}`,
      ...(target.profile ? [`--profiles=${target.profile}`] : []),
    ], runnerEnv(process.env, runId), (pid) => (runner = pid));
  } finally {
    runner = undefined;
    fs.rmSync(snapshot, { recursive: true, force: true });
    fs.cpSync(backup, snapshot, { recursive: true });
    const left = await cleanUp(plan.architecture, runId, target);
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    if (left.length === 0) {
      fs.rmSync(statePath(plan.architecture), { force: true });
    }
    console.log(`\n${plan.architecture} smoke test ${code === 0 ? 'PASSED' : 'FAILED'}; ${left.length === 0 ? 'nothing left in the account' : `left behind:\n  ${left.join('\n  ')}`}`);
  }
  return code;
}

/** Both stacks gone and the run's outside resources swept; what is left, named. */
async function cleanUp(architecture: Architecture, runId: string | undefined, target: Target): Promise<string[]> {
  const cfn = new CloudFormationClient({ region: target.region, profile: target.profile });
  const log = (l: string) => console.log(`cleanup: ${l}`);
  if (runId !== undefined) {
    // First, stop what still runs: a running SageMaker job holds the network interfaces of the
    // VPC the stack deletes. What this pass cannot do, the pass after the stacks reports.
    await sweep(architecture, runId, target, log);
  }
  const left = await deleteStacks(cfn, architecture, log) ? [] : [`stacks ${stackNames(architecture).join(', ')} (see above)`];
  if (runId === undefined) {
    return [...left, `no record of the run id: check by hand what the page lists under "What a run leaves outside its two stacks"`];
  }
  return [...left, ...await sweep(architecture, runId, target, log)];
}

function architectureOf(name: string | undefined): Architecture {
  if (name === undefined || !(ARCHITECTURES as readonly string[]).includes(name)) {
    throw new Error(`Name an architecture: one of ${ARCHITECTURES.join(', ')} (got ${JSON.stringify(name ?? '')})`);
  }
  return name as Architecture;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      yes: { type: 'boolean', default: false },
      cleanup: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      'update-snapshots': { type: 'boolean', default: false },
      docs: { type: 'boolean', default: false },
      region: { type: 'string' },
      profile: { type: 'string' },
    },
  });
  if (values.docs) {
    return docs(values.check!);
  }
  if (values.check) {
    return check();
  }
  if (values['update-snapshots']) {
    return updateSnapshots(positionals.length > 0 ? positionals.map(architectureOf) : [...ARCHITECTURES]);
  }
  if (positionals.length !== 1) {
    throw new Error(`Name one architecture: npm run integ -- <${ARCHITECTURES.join('|')}> [--yes] [--region <region>] [--profile <name>]`);
  }
  const plan = PLANS[architectureOf(positionals[0])];
  if (values.cleanup) {
    const target = await resolveTarget(values);
    const recorded = fs.existsSync(statePath(plan.architecture))
      ? (JSON.parse(fs.readFileSync(statePath(plan.architecture), 'utf8')) as RunState) : undefined;
    const left = await cleanUp(plan.architecture, recorded?.region === target.region ? recorded.runId : undefined, target);
    if (left.length === 0) {
      fs.rmSync(statePath(plan.architecture), { force: true });
    }
    console.log(left.length === 0 ? 'Nothing left.' : `Left:\n  ${left.join('\n  ')}`);
    return left.length === 0 ? 0 : 1;
  }
  printPlan(plan);
  const target = await resolveTarget(values);
  if (!values.yes) {
    console.log(`\nWould deploy into ${target.region}${target.profile ? ` with profile ${target.profile}` : ''}. Nothing was deployed: add --yes to run it.`);
    return 1;
  }
  return deployAndTest(plan, target);
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  });
}
