import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { AssetStaging, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { BUNDLE_CACHE, LAMBDA_UNUSED_CREDENTIAL_SOURCES, NodeFunction, NodeFunctionProps } from '../../lib/constructs/node-function';
import { SecureKey } from '../../lib/constructs/secure-key';
import { describeFindings, findingsOf, templateOf, testApp } from '../helpers/app';

const ENTRY = path.join(__dirname, '../fixtures/handlers/echo.ts');

function functionIn(props: Partial<NodeFunctionProps> = {}, withVpc = false) {
  // A bare test VPC has no flow logs: the VPC gates belong to the VPC construct's own tests.
  const app = testApp({ gates: !withVpc });
  const stack = new Stack(app, 'FnTest');
  const key = new SecureKey(stack, 'Key', { description: 'fn' });
  const vpc = withVpc
    ? new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0, subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] })
    : undefined;
  const fn = new NodeFunction(stack, 'Fn', { entry: ENTRY, encryptionKey: key, vpc, ...props });
  return { app, stack, key, fn };
}

// The default build, shared by the checks that only read its template: each gated synth runs
// cdk-nag and the Control Tower rules (~1 s), and these checks need no build of their own.
let sharedBuild: ReturnType<typeof functionIn> | undefined;
const defaultFunction = () => (sharedBuild ??= functionIn());

/** Synthesize one bundled function in a fresh output directory; returns its asset directory. */
function synthBundled(fixture: string): string {
  const app = testApp({ gates: false, context: { 'aws:cdk:bundling-stacks': ['**'] } });
  const stack = new Stack(app, 'BundleTest');
  new NodeFunction(stack, 'Fn', { entry: path.join(__dirname, '../fixtures/handlers', fixture), encryptionKey: new SecureKey(stack, 'Key', { description: 'fn' }) });
  const outdir = app.synth().directory;
  const assets = fs.readdirSync(outdir).filter((d) => d.startsWith('asset.') && fs.existsSync(path.join(outdir, d, 'index.mjs')));
  expect(assets).toHaveLength(1);
  return path.join(outdir, assets[0]);
}

describe('NodeFunction', () => {
  it('runs Node.js 24 on ARM64 with X-Ray and an encrypted environment, source maps off at run time', () => {
    const { fn, stack, key } = functionIn({ environment: { TABLE: 't' } });
    templateOf(fn).hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      KmsKeyArn: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as never), 'Arn'] },
      Environment: { Variables: Match.objectEquals({ TABLE: 't' }) },
      Timeout: 30,
      MemorySize: 256,
    });
  });

  it('logs to its own encrypted log group with a year of retention', () => {
    const { fn, stack } = defaultFunction();
    const t = templateOf(fn);
    const logGroupId = stack.getLogicalId(fn.logGroup.node.defaultChild as never);
    t.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: { Ref: logGroupId } } });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365, KmsKeyId: Match.anyValue() });
  });

  it('sends failed async invocations to an encrypted dead-letter queue', () => {
    const { fn, stack } = defaultFunction();
    templateOf(fn).hasResourceProperties('AWS::Lambda::Function', {
      DeadLetterConfig: {
        TargetArn: { 'Fn::GetAtt': [stack.getLogicalId(fn.asyncDeadLetterQueue.node.defaultChild as never), 'Arn'] },
      },
    });
  });

  it('uses a role with no managed policies when outside a VPC', () => {
    const { fn } = defaultFunction();
    templateOf(fn).hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('runs in isolated subnets when given a VPC, with the AWS policy for its network interfaces', () => {
    const { fn } = functionIn({}, true);
    const t = templateOf(fn);
    t.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: [{ Ref: Match.stringLikeRegexp('IsolatedSubnet1') }], SecurityGroupIds: Match.anyValue() },
    });
    t.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [{ 'Fn::Join': ['', Match.arrayWith([':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole'])] }],
    });
  });

  it('sets reserved concurrency when asked', () => {
    const { fn } = functionIn({ reservedConcurrentExecutions: 3, timeout: Duration.minutes(2) });
    templateOf(fn).hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 3, Timeout: 120 });
  });

  it('records why concurrency is unreserved, in the caller\'s words when given', () => {
    const reasonOf = (fn: NodeFunction) =>
      fn.function.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .map((m) => (m.data as Record<string, string>)['Annotation::NIST.800.53.R5-LambdaConcurrency'])
        .find((reason) => reason !== undefined);
    expect(reasonOf(functionIn({ unreservedConcurrencyReason: 'The event source maximum concurrency caps it' }).fn)).toBe('The event source maximum concurrency caps it');
    expect(reasonOf(functionIn().fn)).toMatch(/^No downstream quota to protect/);
  });

  it('rejects a timeout over 15 minutes and reserved concurrency below 1, naming the value', () => {
    expect(() => functionIn({ timeout: Duration.minutes(16) })).toThrow('FnTest/Fn: timeout must be <= 900 seconds (got 960)');
    expect(() => functionIn({ reservedConcurrentExecutions: 0 })).toThrow('FnTest/Fn: reservedConcurrentExecutions must be >= 1 (got 0)');
  });

  it('applies source maps at run time only when asked', () => {
    const { fn } = functionIn({ environment: { TABLE: 't' }, sourceMapsAtRuntime: true });
    templateOf(fn).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectEquals({ NODE_OPTIONS: '--enable-source-maps', TABLE: 't' }) },
    });
  });

  it('names an entry that exports no handler', () => {
    const entry = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'no-handler-')), 'main.ts');
    fs.writeFileSync(entry, 'export const main = async () => 1;\n');
    expect(() => functionIn({ entry })).toThrow(`FnTest/Fn: entry must export \`handler\` (export const handler = ... or export async function handler) (got ${entry})`);
  });

  it('names a missing entry file', () => {
    expect(() => functionIn({ entry: '/nowhere/handler.ts' })).toThrow('FnTest/Fn: entry file not found (got /nowhere/handler.ts)');
  });

  it('bundles the entry in-process into one minified ESM file with a source map', () => {
    const app = testApp({ gates: false, context: { 'aws:cdk:bundling-stacks': ['**'] } });
    const stack = new Stack(app, 'BundleTest');
    new NodeFunction(stack, 'Fn', { entry: ENTRY, encryptionKey: new SecureKey(stack, 'Key', { description: 'fn' }) });
    const outdir = app.synth().directory;
    const bundles = fs.readdirSync(outdir)
      .filter((d) => d.startsWith('asset.') && fs.existsSync(path.join(outdir, d, 'index.mjs')))
      .map((d) => path.join(outdir, d));
    expect(bundles).toHaveLength(1);
    const code = fs.readFileSync(path.join(bundles[0], 'index.mjs'), 'utf8');
    expect(code.startsWith("import { createRequire } from 'module';const require = createRequire(import.meta.url);")).toBe(true);
    expect(code).toMatch(/export\{\w+ as handler\}/);
    expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    expect(code.split('\n').length).toBeLessThan(5);
    const map = JSON.parse(fs.readFileSync(path.join(bundles[0], 'index.mjs.map'), 'utf8')) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sources.some((s) => s.endsWith('test/fixtures/handlers/echo.ts'))).toBe(true);
    expect(map.sourcesContent).toBeUndefined();
  });

  it('bundles the SDK in, leaving out only the credential sources Lambda never reaches, and the bundle runs', () => {
    const outdir = synthBundled('sdk-client.ts');
    const code = fs.readFileSync(path.join(outdir, 'index.mjs'), 'utf8');
    expect(code).not.toMatch(/from\s*"@aws-sdk\/client-s3"/);
    const imported = [...new Set([...code.matchAll(/import\("([^"]+)"\)/g)].map((m) => m[1]))].filter((m) => !m.startsWith('node:')).sort();
    expect(imported.length).toBeGreaterThan(0);
    expect([...LAMBDA_UNUSED_CREDENTIAL_SOURCES]).toEqual(expect.arrayContaining(imported));
    const run = spawnSync(process.execPath, ['--input-type=module', '-e',
      `const { handler } = await import(${JSON.stringify(pathToFileURL(path.join(outdir, 'index.mjs')).href)}); console.log(await handler());`], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-3', AWS_ACCESS_KEY_ID: 'AKIATESTONLY', AWS_SECRET_ACCESS_KEY: 'test-only' },
    });
    expect(run.stderr).not.toMatch(/Error/); // Node 20 here: the SDK may warn that it wants a newer Node
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe('eu-west-3');
  });

  it('gives a bundle the same asset whatever directory the app is synthesized to', () => {
    // Two cold builds: no bundle cache, and the second synth stages the asset again, as another process would.
    fs.rmSync(BUNDLE_CACHE, { recursive: true, force: true });
    const first = synthBundled('echo.ts');
    AssetStaging.clearAssetHashCache();
    fs.rmSync(BUNDLE_CACHE, { recursive: true, force: true });
    const assets = [first, synthBundled('echo.ts')].map((dir) => path.basename(dir));
    expect(assets[0]).toMatch(/^asset\.[0-9a-f]{64}$/);
    expect(assets[1]).toBe(assets[0]);
  });

  it('passes every gate', () => {
    const { app } = defaultFunction();
    expect(describeFindings(findingsOf(app))).toEqual([]);
  });
});
