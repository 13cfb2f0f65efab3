import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { describeFindings, findingsOf, testApp } from '../helpers/app';
import { mediaFormatOf } from '../../lambda/speech/media';
import { IMAGE_EXTENSIONS } from '../../lambda/video/analyse-image';
import { SNIFF_BYTES, sniffContainer } from '../../lambda/video/start-analysis';
import { csv, dataset, FEATURES, tarGz, withoutLabel } from './sagemaker-inputs';
import { AssertionStack, allow, declareRunnerSchema, runId, SDK_CALLS_AUTHORIZED_BY } from './smoke-test';

const INTEG = __dirname;
const SNAPSHOTS = fs.readdirSync(INTEG).filter((f) => f.endsWith('.snapshot')).map((f) => path.join(INTEG, f));

type Resource = { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
const templates = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.template.json'))
  .map((f) => ({ file: f, resources: (JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { Resources: Record<string, Resource> }).Resources }));

/** A minimal smoke test: a tested stack with one bucket and an assertion stack that copies into it. */
function copyApp(grant: boolean) {
  const app = testApp();
  const tested = new Stack(app, 'Tested');
  const bucket = new s3.Bucket(tested, 'Bucket');
  const assertions = new AssertionStack(app, 'TestedAssertions', tested);
  const integ = new IntegTest(app, 'SmokeTest', { testCases: [tested], assertionStack: assertions, stackUpdateWorkflow: false });
  const call = integ.assertions.awsApiCall('S3', 'copyObject', { CopySource: 'source/key', Bucket: bucket.bucketName, Key: 'k' });
  if (grant) {
    allow(call, { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::source/key'] }, { actions: ['s3:PutObject'], resources: [bucket.arnForObjects('k')] });
  }
  return app;
}

describe('the committed snapshots of the smoke tests', () => {
  it('exist for the four tests and hold only what integ-runner compares (no asset bundles)', () => {
    expect(SNAPSHOTS.map((d) => path.basename(d)).sort()).toEqual([
      'integ.datalake.ts.snapshot', 'integ.sagemaker.ts.snapshot', 'integ.speech.ts.snapshot', 'integ.video.ts.snapshot',
    ]);
    for (const dir of SNAPSHOTS) {
      const files = fs.readdirSync(dir);
      expect(files.filter((f) => f.startsWith('asset.') || f === 'tree.json')).toEqual([]);
      expect(files).toEqual(expect.arrayContaining(['manifest.json', 'integ.json']));
      const integ = JSON.parse(fs.readFileSync(path.join(dir, 'integ.json'), 'utf8')) as { testCases: Record<string, { stacks: string[]; stackUpdateWorkflow: boolean; assertionStack: string }> };
      const [testCase] = Object.values(integ.testCases);
      // One deployment per run: the update workflow would deploy the previous snapshot first.
      expect(testCase.stackUpdateWorkflow).toBe(false);
      expect(testCase.stacks).toHaveLength(1);
      expect(testCase.stacks[0]).toMatch(/^Integ(DataLake|VideoAnalysis|SpeechChain|SageMakerPlatform)$/);
      expect(testCase.assertionStack).toBe(`${testCase.stacks[0]}Assertions`);
    }
  });

  it('retain nothing: a smoke test leaves no resource behind when its stacks are deleted', () => {
    for (const dir of SNAPSHOTS) {
      for (const { file, resources } of templates(dir)) {
        const retained = Object.entries(resources)
          .filter(([, r]) => /^Retain/.test(r.DeletionPolicy ?? '') || /^Retain/.test(r.UpdateReplacePolicy ?? ''))
          .map(([id]) => `${file}:${id}`);
        expect(retained).toEqual([]);
      }
    }
  });

  it('give every assertion function a log group its stack owns, encrypted and deleted with it', () => {
    for (const dir of SNAPSHOTS) {
      const assertions = templates(dir).find((t) => t.file.endsWith('Assertions.template.json'))!;
      const functions = Object.values(assertions.resources).filter((r) => r.Type === 'AWS::Lambda::Function');
      expect(functions.length).toBeGreaterThanOrEqual(2);
      for (const fn of functions) {
        const ref = ((fn.Properties!.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup)?.Ref;
        const group = ref === undefined ? undefined : assertions.resources[ref];
        expect(group?.Type).toBe('AWS::Logs::LogGroup');
        expect(group?.DeletionPolicy).toBe('Delete');
        expect(group?.Properties?.KmsKeyId).toBeDefined();
        expect(group?.Properties?.RetentionInDays).toBe(365);
      }
    }
  });

  it('keep every role\'s inline policies under the IAM quota of 10,240 characters (ARNs counted at 128 characters)', () => {
    // "IAM and AWS STS quotas": the inline policies of a role total at most 10,240 characters
    // (whitespace not counted). Each reference to another resource is counted as a long ARN.
    const asArns = (x: unknown): unknown => {
      if (Array.isArray(x)) {
        return x.map(asArns);
      }
      if (x !== null && typeof x === 'object') {
        const keys = Object.keys(x);
        if (keys.length === 1 && (keys[0].startsWith('Fn::') || keys[0] === 'Ref')) {
          return 'x'.repeat(128);
        }
        return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, asArns(v)]));
      }
      return x;
    };
    for (const dir of SNAPSHOTS) {
      for (const { file, resources } of templates(dir)) {
        for (const [id, r] of Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::Role')) {
          const policies = (r.Properties?.Policies ?? []) as Array<{ PolicyDocument: unknown }>;
          const size = policies.reduce((n, p) => n + JSON.stringify(asArns(p.PolicyDocument)).length, 0);
          expect({ role: `${file}:${id}`, size: Math.min(size, 10_240) }).toEqual({ role: `${file}:${id}`, size });
        }
      }
    }
  });
});

describe('assertion stack', () => {
  it('fails the synth when a role makes an SDK call IAM does not know without the actions that authorize it', () => {
    expect(() => copyApp(false).synth()).toThrow(/calls s3:CopyObject but is not granted s3:GetObject, s3:PutObject, which authorize it/);
  });

  it('acknowledges such a call only where the authorizing actions are granted, and leaves no finding on the assertion stack', () => {
    const app = copyApp(true);
    // (The bare bucket of the tested stack has findings of its own: only the assertion stack matters here.)
    expect(describeFindings(findingsOf(app).filter((f) => f.path.startsWith('TestedAssertions/')))).toEqual([]);
    const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ pluginName: string; suppressedViolations?: Array<{ ruleName: string }> }>;
    };
    const iam = report.pluginReports.find((p) => p.pluginName === 'iam-authorization');
    expect(iam?.suppressedViolations?.map((v) => v.ruleName)).toEqual(['UnknownAction[s3:CopyObject]']);
  });

  it('maps each SDK call it acknowledges to real IAM actions', () => {
    for (const [call, actions] of Object.entries(SDK_CALLS_AUTHORIZED_BY)) {
      expect(call).toMatch(/^s3:/);
      expect(actions.length).toBeGreaterThan(0);
      actions.forEach((a) => expect(a).toMatch(/^s3:(GetObject|PutObject|ListBucket)$/));
    }
  });
});

describe('run ids and the runner schema', () => {
  it('takes a short lower-case run id, and refuses anything else naming it', () => {
    expect(runId(undefined)).toBe('offline');
    expect(runId('m1abc2')).toBe('m1abc2');
    expect(() => runId('Run 1')).toThrow(/INTEG_RUN_ID must be 1-12 lower-case letters or digits \(got "Run 1"\)/);
  });

  it('declares manifest, integ and asset manifests at the runner\'s schema, and nothing else', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-schema-'));
    for (const f of ['manifest.json', 'integ.json', 'A.assets.json', 'A.template.json']) {
      fs.writeFileSync(path.join(dir, f), JSON.stringify({ version: '55.0.0', other: f }));
    }
    declareRunnerSchema(dir, undefined);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).version).toBe('55.0.0');
    declareRunnerSchema(dir, '48.0.0');
    const read = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { version: string; other: string };
    expect(['manifest.json', 'integ.json', 'A.assets.json'].map((f) => [read(f).version, read(f).other])).toEqual([
      ['48.0.0', 'manifest.json'], ['48.0.0', 'integ.json'], ['48.0.0', 'A.assets.json'],
    ]);
    expect(read('A.template.json').version).toBe('55.0.0');
    expect(() => declareRunnerSchema(dir, 'v48')).toThrow(/INTEG_RUNNER_SCHEMA_VERSION must look like 48.0.0 \(got "v48"\)/);
  });
});

describe('test inputs', () => {
  const fixture = (name: string) => fs.readFileSync(path.join(INTEG, 'fixtures', name));

  it('video: an MP4 (ftyp) with an H.264 track (avc1), what Rekognition Video reads', () => {
    const mp4 = fixture('test-pattern.mp4');
    expect(mp4.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(mp4.includes(Buffer.from('avc1'))).toBe(true);
    expect(mp4.length).toBeLessThan(50_000);
    // The starter's own check of a video's first bytes accepts it.
    expect(sniffContainer(mp4.subarray(0, SNIFF_BYTES), 'videos/integ-x/test-pattern.mp4')).toEqual({ container: 'MP4' });
  });

  it('image: a PNG of 320 x 240, over Rekognition\'s 80-pixel minimum', () => {
    const png = fixture('test-pattern.png');
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([320, 240]);
    expect(IMAGE_EXTENSIONS).toContain('.png');
  });

  it('speech: Ogg Opus (a format the chain and Transcribe accept), small enough to commit', () => {
    const ogg = fixture('speech.ogg');
    expect(ogg.subarray(0, 4).toString('latin1')).toBe('OggS');
    expect(ogg.includes(Buffer.from('OpusHead'))).toBe(true);
    expect(ogg.length).toBeLessThan(120_000);
    expect(mediaFormatOf('media/integ-x/speech-x.ogg')).toBe('ogg');
  });

  it('SageMaker: the same dataset for the same seed, label first, both classes, batch input without the label', () => {
    const rows = dataset(400, 1);
    expect(dataset(400, 1)).toEqual(rows);
    expect(rows.every((r) => r.length === FEATURES + 1 && (r[0] === 0 || r[0] === 1))).toBe(true);
    const positives = rows.filter((r) => r[0] === 1).length;
    expect(positives).toBeGreaterThan(40);
    expect(positives).toBeLessThan(360);
    const lines = csv(rows).trimEnd().split('\n');
    expect(lines).toHaveLength(400);
    expect(lines[0]).toMatch(/^[01](,\d\.\d{4}){5}$/);
    expect(csv(withoutLabel(rows)).split('\n')[0]).toMatch(/^\d\.\d{4}(,\d\.\d{4}){4}$/);
  });

  it('SageMaker: sourcedir.tar.gz is a tar.gz GNU tar reads, with the files at its root, the same bytes every time', () => {
    const files = [{ name: 'train.py', content: Buffer.from('print("train")\n') }, { name: 'preprocess.py', content: Buffer.alloc(700, 0x61) }];
    const archive = tarGz(files);
    expect(tarGz(files)).toEqual(archive);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-tar-'));
    fs.writeFileSync(path.join(dir, 'sourcedir.tar.gz'), archive);
    expect(execFileSync('tar', ['-tzf', 'sourcedir.tar.gz'], { cwd: dir, encoding: 'utf8' }).trim().split('\n')).toEqual(['train.py', 'preprocess.py']);
    execFileSync('tar', ['-xzf', 'sourcedir.tar.gz'], { cwd: dir });
    expect(fs.readFileSync(path.join(dir, 'preprocess.py'))).toEqual(files[1].content);
    expect(() => tarGz([{ name: 'x'.repeat(101), content: Buffer.alloc(0) }])).toThrow(/at most 100 bytes/);
  });
});
