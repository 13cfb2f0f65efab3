import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchLogsClient, DeleteLogStreamCommand, DescribeLogStreamsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DeleteModelCommand, ListHyperParameterTuningJobsCommand, ListProcessingJobsCommand, ListTrainingJobsCommand, ListTransformJobsCommand,
  SageMakerClient, StopHyperParameterTuningJobCommand, StopProcessingJobCommand, StopTrainingJobCommand,
} from '@aws-sdk/client-sagemaker';
import { DeleteTranscriptionJobCommand, ListTranscriptionJobsCommand, TranscribeClient } from '@aws-sdk/client-transcribe';
import { loadPrices } from '../../scripts/cost';
import {
  docs, INTEG_DIR, isSnapshotFile, main, newRunId, offlineEnv, pruneSnapshot, resolveTarget, runnerCommandLine, sweep,
} from '../../scripts/integ';
import { ARCHITECTURES, PLANS, priceItems, SmokeTestPlan, totalUsd } from '../../scripts/integ/plans';

const ROOT = path.join(__dirname, '../..');

/** Run `fn` with the environment replaced (restored after), so the SDK's default chains see only it. */
async function withEnv<T>(env: NodeJS.ProcessEnv, fn: () => Promise<T>): Promise<T> {
  const saved = process.env;
  process.env = env;
  try {
    return await fn();
  } finally {
    process.env = saved;
  }
}

/** No credentials anywhere, and any SDK call that slipped through would go to a closed local port. */
const noAws = () => offlineEnv();

describe('npm run integ, before anything is deployed', () => {
  it('without credentials or a region: prints the plan, then fails naming both, exit 2 (the command as users run it)', () => {
    const result = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), ['scripts/integ.ts', 'SpeechChain', '--yes'], {
      cwd: ROOT, env: noAws(), encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stdout).toMatch(/Expected cost: about \$\d+\.\d\d/);
    expect(result.stdout).toMatch(/Expected duration: about \d+ minutes/);
    expect(result.stderr).toMatch(/Cannot run the smoke test; missing:\n {2}- AWS credentials: set AWS_PROFILE \(or pass --profile\), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    expect(result.stderr).toMatch(/\n {2}- an AWS region: pass --region <region> or set AWS_REGION/);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/deploying into|ECONNREFUSED/);
  }, 30_000);

  it('names only what is missing: credentials when the region is given', async () => {
    await withEnv({ ...noAws(), AWS_REGION: 'eu-west-1' }, async () => {
      await expect(resolveTarget({})).rejects.toThrow(/missing:\n {2}- AWS credentials: [^\n]*$/);
    });
    await withEnv(noAws(), async () => {
      await expect(resolveTarget({ region: 'eu-west-1', profile: 'sandbox' })).rejects.toThrow(/AWS credentials of profile "sandbox"/);
    });
  });

  it('with credentials and a region but no --yes: says where it would deploy, deploys nothing, exit 1', async () => {
    const env = { ...noAws(), AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE00', AWS_SECRET_ACCESS_KEY: 'example', AWS_REGION: 'eu-west-1' };
    const lines: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    try {
      await withEnv(env, async () => expect(await main(['DataLake'])).toBe(1));
    } finally {
      log.mockRestore();
    }
    expect(lines.join('\n')).toMatch(/Would deploy into eu-west-1\. Nothing was deployed: add --yes to run it\./);
  });

  it('refuses an architecture it does not know, naming it and the ones it knows', async () => {
    await expect(main(['Datalake'])).rejects.toThrow(/one of DataLake, VideoAnalysis, SpeechChain, SageMakerPlatform \(got "Datalake"\)/);
    await expect(main([])).rejects.toThrow(/Name one architecture/);
  });
});

describe('integ-runner command line', () => {
  it('runs offline with nothing to find credentials with, and SDK endpoints on a closed local port', () => {
    const saved = process.env;
    process.env = { ...saved, AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_PROFILE: 'prod', AWS_REGION: 'eu-west-1', CDK_DEPLOY_ACCOUNT: '123456789012', INTEG_RUN_ID: 'x1' };
    try {
      const env = offlineEnv();
      expect(Object.keys(env).filter((k) => /^(AWS_(ACCESS|SECRET|SESSION|PROFILE|REGION|DEFAULT)|CDK_DEPLOY_|INTEG_RUN_ID)/.test(k))).toEqual([]);
      expect(env).toMatchObject({ AWS_EC2_METADATA_DISABLED: 'true', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
      expect(fs.existsSync(env.AWS_SHARED_CREDENTIALS_FILE!)).toBe(false);
      expect(JSON.parse(fs.readFileSync(path.join(env.HOME!, '.cdk.json'), 'utf8'))).toEqual({ notices: false });
    } finally {
      process.env = saved;
    }
  });

  it('puts the test before every option, so an array option cannot take it for a region', () => {
    const line = runnerCommandLine(['integ.speech.ts'], ['--force', '--parallel-regions=eu-west-1']);
    expect(line[0]).toBe('integ.speech.ts');
    expect(line.slice(-2)).toEqual(['--force', '--parallel-regions=eu-west-1']);
    expect(line).toEqual(expect.arrayContaining(['--directory', INTEG_DIR, '--app', '../../node_modules/.bin/tsx {filePath}']));
  });

  it('prunes a snapshot to what the comparison reads', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-prune-'));
    const names = ['manifest.json', 'integ.json', 'cdk.out', 'A.template.json', 'A.assets.json', 'A.metadata.json', 'tree.json', 'validation-report.json'];
    names.forEach((n) => fs.writeFileSync(path.join(dir, n), '{}'));
    fs.mkdirSync(path.join(dir, 'asset.abc.bundle'));
    pruneSnapshot(dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['A.assets.json', 'A.template.json', 'cdk.out', 'integ.json', 'manifest.json']);
    expect(names.filter(isSnapshotFile)).toHaveLength(5);
  });

  it('names runs with a short lower-case id that changes every second', () => {
    expect(newRunId(Date.UTC(2026, 11, 1))).toMatch(/^[a-z0-9]{1,12}$/);
    expect(newRunId(1_000)).not.toBe(newRunId(2_000));
  });
});

describe('plans', () => {
  const prices = loadPrices();

  it('has one test per architecture, its file, snapshot and page', () => {
    expect(Object.keys(PLANS)).toEqual([...ARCHITECTURES]);
    for (const plan of Object.values(PLANS)) {
      expect(fs.existsSync(path.join(ROOT, INTEG_DIR, plan.file))).toBe(true);
      expect(fs.existsSync(path.join(ROOT, INTEG_DIR, `${plan.file}.snapshot`))).toBe(true);
      expect(fs.readFileSync(path.join(ROOT, plan.page), 'utf8')).toMatch(/\n## Prove it in your account\n/);
    }
  });

  it('prices every item from prices.json or says it is not priced', () => {
    for (const plan of Object.values(PLANS)) {
      const items = priceItems(plan, prices);
      expect(items).toHaveLength(plan.costs.length);
      items.forEach((i) => expect(i.usd === undefined ? i.basis : i.basis).toMatch(/^(not priced|\$[\d.]+.*\(https:\/\/aws\.amazon\.com\/.*, \d{4}-\d\d-\d\d\))$/));
      expect(totalUsd(items)).toBeGreaterThanOrEqual(0.01);
      expect(totalUsd(items)).toBeLessThan(1);
    }
  });

  it('computes hourly, monthly and usage prices', () => {
    const plan: SmokeTestPlan = {
      ...PLANS.DataLake,
      minutes: { deploy: 30, test: 0, destroy: 30 },
      costs: [
        { idle: 'kinesis-shard', quantity: 2, what: 'shards' },
        { idle: 'kms-key', quantity: 730, what: 'keys' },
        { idle: 'sagemaker-hosting', instanceType: 'ml.m5.large', quantity: 2, what: 'instance-hours' },
        { service: 'Transcribe', whatStartsWith: 'batch', quantity: 10, what: 'minutes' },
        { notPriced: 'something' },
      ],
    };
    expect(priceItems(plan, prices).map((i) => i.usd)).toEqual([
      2 * prices.idle['kinesis-shard'].usd!, 1, 2 * prices.idle['sagemaker-hosting'].byInstanceType!['ml.m5.large'], 10 * 0.024, undefined,
    ]);
    expect(() => priceItems({ ...plan, costs: [{ idle: 'nope', quantity: 1, what: 'x' }] }, prices)).toThrow(/no idle price "nope"/);
    expect(() => priceItems({ ...plan, costs: [{ service: 'X', whatStartsWith: 'y', quantity: 1, what: 'x' }] }, prices)).toThrow(/no usage price of X "y\.\.\."/);
    expect(totalUsd([{ what: 'a', usd: 0.0001, basis: '' }])).toBe(0.01);
    expect(totalUsd([{ what: 'a', usd: 0.123, basis: '' }, { what: 'b', basis: 'not priced' }])).toBe(0.13);
  });

  it('is what each page\'s "Prove it in your account" section says (npm run integ -- --docs)', () => {
    const errors: string[] = [];
    const error = jest.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    try {
      expect(docs(true)).toBe(0);
    } finally {
      error.mockRestore();
    }
    expect(errors).toEqual([]);
  });
});

describe('sweep of what a run made outside its stacks', () => {
  const target = { region: 'eu-west-1' };

  it('SpeechChain: deletes the run\'s Transcribe jobs, found by the run id in their name', async () => {
    const transcribe = mockClient(TranscribeClient);
    transcribe.on(ListTranscriptionJobsCommand, { JobNameContains: 'speech-m1abc' }).resolves({ TranscriptionJobSummaries: [{ TranscriptionJobName: 'speech-m1abc-x-0123' }] });
    transcribe.on(DeleteTranscriptionJobCommand).resolves({});
    const log: string[] = [];
    await expect(sweep('SpeechChain', 'm1abc', target, (l) => log.push(l))).resolves.toEqual([]);
    expect(transcribe.commandCalls(DeleteTranscriptionJobCommand).map((c) => c.args[0].input.TranscriptionJobName)).toEqual(['speech-m1abc-x-0123']);
    expect(log).toEqual(['swept: Transcribe job speech-m1abc-x-0123']);
    transcribe.restore();
  });

  it('SageMakerPlatform: stops running jobs, deletes the model and the job log streams; a model already gone is fine, other errors are reported', async () => {
    const sagemaker = mockClient(SageMakerClient);
    const logs = mockClient(CloudWatchLogsClient);
    sagemaker.on(ListHyperParameterTuningJobsCommand).resolves({ HyperParameterTuningJobSummaries: [{ HyperParameterTuningJobName: 'integ-m1abc-tune' } as never] });
    sagemaker.on(ListTrainingJobsCommand).resolves({ TrainingJobSummaries: [{ TrainingJobName: 'integ-m1abc-0' } as never] });
    sagemaker.on(ListTransformJobsCommand).resolves({ TransformJobSummaries: [] });
    sagemaker.on(ListProcessingJobsCommand).resolves({ ProcessingJobSummaries: [{ ProcessingJobName: 'integ-m1abc' } as never] });
    sagemaker.on(StopProcessingJobCommand).resolves({});
    sagemaker.on(StopHyperParameterTuningJobCommand).resolves({});
    sagemaker.on(StopTrainingJobCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    sagemaker.on(DeleteModelCommand, { ModelName: 'integ-m1abc' }).rejects(Object.assign(new Error('Could not find model "arn:...:model/integ-m1abc".'), { name: 'ValidationException' }));
    logs.on(DescribeLogStreamsCommand, { logGroupName: '/aws/sagemaker/TrainingJobs', logStreamNamePrefix: 'integ-m1abc' })
      .resolves({ logStreams: [{ logStreamName: 'integ-m1abc-0/algo-1-1700000000' }] });
    logs.on(DescribeLogStreamsCommand, { logGroupName: '/aws/sagemaker/TransformJobs' })
      .rejects(Object.assign(new Error('The specified log group does not exist.'), { name: 'ResourceNotFoundException' }));
    logs.on(DescribeLogStreamsCommand, { logGroupName: '/aws/sagemaker/ProcessingJobs' }).resolves({ logStreams: [{ logStreamName: 'integ-m1abc/algo-1-1700000001' }] });
    logs.on(DeleteLogStreamCommand).resolves({});

    const failures = await sweep('SageMakerPlatform', 'm1abc', target, () => undefined);
    expect(sagemaker.commandCalls(ListTrainingJobsCommand)[0].args[0].input).toEqual({ StatusEquals: 'InProgress', NameContains: 'integ-m1abc' });
    expect(sagemaker.commandCalls(StopHyperParameterTuningJobCommand).map((c) => c.args[0].input.HyperParameterTuningJobName)).toEqual(['integ-m1abc-tune']);
    expect(sagemaker.commandCalls(StopProcessingJobCommand).map((c) => c.args[0].input.ProcessingJobName)).toEqual(['integ-m1abc']);
    expect(sagemaker.commandCalls(DeleteModelCommand).map((c) => c.args[0].input.ModelName)).toEqual(['integ-m1abc']);
    expect(logs.commandCalls(DeleteLogStreamCommand).map((c) => c.args[0].input)).toEqual([
      { logGroupName: '/aws/sagemaker/TrainingJobs', logStreamName: 'integ-m1abc-0/algo-1-1700000000' },
      { logGroupName: '/aws/sagemaker/ProcessingJobs', logStreamName: 'integ-m1abc/algo-1-1700000001' },
    ]);
    expect(failures).toEqual(['stop training job integ-m1abc-0: ThrottlingException: Rate exceeded']);
    sagemaker.restore();
    logs.restore();
  });

  it('DataLake and VideoAnalysis: nothing to sweep, no call made', async () => {
    const sagemaker = mockClient(SageMakerClient);
    const transcribe = mockClient(TranscribeClient);
    await expect(sweep('DataLake', 'm1abc', target, () => undefined)).resolves.toEqual([]);
    await expect(sweep('VideoAnalysis', 'm1abc', target, () => undefined)).resolves.toEqual([]);
    expect(sagemaker.calls()).toHaveLength(0);
    expect(transcribe.calls()).toHaveLength(0);
    sagemaker.restore();
    transcribe.restore();
  });
});
