import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { SecureKey } from '../../lib/constructs/secure-key';
import { FLINK_RUNTIME, RealtimeAnalytics } from '../../lib/datalake/realtime-analytics';
import { jarInRepository, jarName, loadConnectorPin, MavenArtifact } from '../../lib/datalake/realtime-package';
import { glueColumnsOf, sinkTables } from '../../lib/datalake/realtime-sql';
import { DataLakeStack } from '../../lib/stacks/datalake-stack';
import { describeFindings, findingsOf, PRODUCTION, SANDBOX, testApp } from '../helpers/app';

const PINNED = { account: '123456789012', region: 'eu-west-1' };

function build(profile = SANDBOX, options: { gates?: boolean; env?: typeof PINNED; builtinValidation?: boolean } = {}) {
  const app = testApp({ gates: options.gates ?? false, builtinValidation: options.builtinValidation });
  const stack = new DataLakeStack(app, 'DataLake', { profile, realtime: true, env: options.env });
  return { app, stack };
}

const synthesized: Record<string, { stack: DataLakeStack; template: Template; findings: string[] }> = {};

beforeAll(() => {
  // One gated synth per profile, and the pinned environments (acknowledged ARNs then hold literals).
  // The sandbox one also runs aws-cdk-lib's CloudFormation validation (the end-to-end synth of
  // scripts/test.sh leaves the DataLake stack unbundled with the opt-in; see docs/datalake.md).
  for (const [name, profile, env] of [
    ['sandbox', SANDBOX, undefined], ['production', PRODUCTION, undefined],
    ['sandbox pinned', SANDBOX, PINNED], ['production us-east-1', PRODUCTION, { ...PINNED, region: 'us-east-1' }],
  ] as const) {
    const { app, stack } = build(profile, { gates: true, env, builtinValidation: name === 'sandbox' });
    const findings = describeFindings(findingsOf(app));
    synthesized[name] = { stack, template: Template.fromStack(stack), findings };
  }
});

const sandbox = () => synthesized.sandbox;

describe('gates', () => {
  it.each(['sandbox', 'production', 'sandbox pinned', 'production us-east-1'])('%s: no finding left', (name) => {
    expect(synthesized[name].findings).toEqual([]);
  });
});

describe('the application', () => {
  it('runs Flink 2.2 from the zip asset, checkpointing every minute, with snapshots, one KPU and no auto scaling in the sandbox', () => {
    sandbox().template.hasResourceProperties('AWS::KinesisAnalyticsV2::Application', {
      RuntimeEnvironment: 'FLINK-2_2',
      ApplicationMode: 'STREAMING',
      ApplicationConfiguration: Match.objectLike({
        ApplicationCodeConfiguration: { CodeContentType: 'ZIPFILE', CodeContent: { S3ContentLocation: Match.objectLike({ FileKey: Match.stringLikeRegexp('\\.zip$') }) } },
        FlinkApplicationConfiguration: {
          CheckpointConfiguration: { ConfigurationType: 'CUSTOM', CheckpointingEnabled: true, CheckpointInterval: 60000, MinPauseBetweenCheckpoints: 5000 },
          ParallelismConfiguration: { ConfigurationType: 'CUSTOM', Parallelism: 1, ParallelismPerKPU: 1, AutoScalingEnabled: false },
          MonitoringConfiguration: { ConfigurationType: 'CUSTOM', LogLevel: 'INFO', MetricsLevel: 'APPLICATION' },
        },
        ApplicationSnapshotConfiguration: { SnapshotsEnabled: true },
      }),
      RunConfiguration: {
        ApplicationRestoreConfiguration: { ApplicationRestoreType: 'RESTORE_FROM_LATEST_SNAPSHOT' },
        FlinkRunConfiguration: { AllowNonRestoredState: true },
      },
    });
    synthesized.production.template.hasResourceProperties('AWS::KinesisAnalyticsV2::Application', {
      ApplicationConfiguration: Match.objectLike({
        FlinkApplicationConfiguration: Match.objectLike({ ParallelismConfiguration: Match.objectLike({ AutoScalingEnabled: true }) }),
      }),
    });
    expect(FLINK_RUNTIME).toBe('FLINK-2_2');
  });

  it('runs main.py with the pinned connector JAR and tells it the stream, the region and where results go', () => {
    const pin = loadConnectorPin();
    const app = Object.values(sandbox().template.findResources('AWS::KinesisAnalyticsV2::Application'))[0];
    const groups = app.Properties.ApplicationConfiguration.EnvironmentProperties.PropertyGroups as Array<{ PropertyGroupId: string; PropertyMap: Record<string, unknown> }>;
    const byId = Object.fromEntries(groups.map((g) => [g.PropertyGroupId, g.PropertyMap]));
    expect(byId['kinesis.analytics.flink.run.options']).toEqual({ python: 'main.py', jarfile: `lib/${jarName(pin)}` });
    const stack = sandbox().stack;
    expect(byId.realtime).toEqual({
      'stream.arn': stack.resolve(stack.stream.streamArn),
      'aws.region': { Ref: 'AWS::Region' },
      'sink.root': stack.resolve(stack.lakeBucket.s3UrlForObject('realtime/')),
      'source.init.position': 'LATEST',
    });
    // main.py reads exactly these keys.
    const main = fs.readFileSync(path.join(__dirname, '../../flink/realtime/main.py'), 'utf8');
    for (const key of Object.keys(byId.realtime)) {
      expect(main).toContain(`"${key}"`);
    }
  });

  it('logs to a stream of a log group the stack owns, encrypted with the CMK', () => {
    const t = sandbox().template;
    const option = Object.values(t.findResources('AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption'))[0];
    const groups = t.findResources('AWS::Logs::LogGroup', { Properties: { KmsKeyId: Match.anyValue() } });
    const arn = JSON.stringify(option.Properties.CloudWatchLoggingOption.LogStreamARN);
    const group = Object.keys(groups).find((g) => arn.includes(`"Ref":"${g}"`));
    expect(group).toBeDefined();
    const streams = t.findResources('AWS::Logs::LogStream', { Properties: { LogGroupName: { Ref: group } } });
    expect(Object.keys(streams)).toHaveLength(1);
    expect(arn).toContain(`"Ref":"${Object.keys(streams)[0]}"`);
  });
});

describe('its role', () => {
  const statements = () => {
    const t = sandbox().template;
    const roles = t.findResources('AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'kinesisanalytics.amazonaws.com' } })] } },
    });
    const roleId = Object.keys(roles)[0];
    expect(roles[roleId].Properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
    return Object.values(t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
  };

  it('reads the stream and decrypts with its key, writes only realtime/ of the lake, and never on "*"', () => {
    const s = statements();
    const actions = s.flatMap((x) => [x.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards', 'kms:Decrypt', 's3:PutObject', 'logs:PutLogEvents']));
    expect(s.filter((x) => x.Resource === '*')).toEqual([]);
    const s3Writes = s.filter((x) => [x.Action].flat().includes('s3:PutObject'));
    expect(JSON.stringify(s3Writes.map((x) => x.Resource))).toContain('/realtime/*');
    expect(JSON.stringify(s3Writes.map((x) => x.Resource))).not.toMatch(/Arn"\]\},"\/\*"/);
  });

  it('puts log events only into its own log stream', () => {
    const put = statements().find((x) => [x.Action].flat().includes('logs:PutLogEvents'))!;
    expect(JSON.stringify(put.Resource)).toMatch(/:log-stream:/);
  });
});

describe('result tables', () => {
  it('has a Glue table per result table of the SQL, with its columns, JSON, and dt projected as a date', () => {
    const tables = sinkTables();
    expect(tables.map((t) => t.name).sort()).toEqual(['conversion_anomalies', 'country_leaderboard', 'minute_metrics', 'rejected_events']);
    for (const t of tables) {
      sandbox().template.hasResourceProperties('AWS::Glue::Table', {
        TableInput: Match.objectLike({
          Name: `realtime_${t.name}`,
          PartitionKeys: [{ Name: 'dt', Type: 'string' }],
          StorageDescriptor: Match.objectLike({
            Columns: t.columns.filter((c) => c.name !== 'dt').map((c) => Match.objectLike({ Name: c.name })),
            SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
            Location: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([`/realtime/${t.name}/`])] }),
          }),
          Parameters: Match.objectLike({ 'projection.enabled': 'true', 'projection.dt.type': 'date', 'projection.dt.format': 'yyyy-MM-dd' }),
        }),
      });
    }
  });

  it('maps the SQL types it knows and names one it does not', () => {
    const sql = "CREATE TABLE t (\n  a TIMESTAMP(3),\n  b DECIMAL(10, 2)\n) WITH (\n  'path' = '${sink_root}t/'\n);";
    const [t] = sinkTables(sql);
    expect(t.columns).toEqual([{ name: 'a', type: 'TIMESTAMP(3)' }, { name: 'b', type: 'DECIMAL(10, 2)' }]);
    expect(() => glueColumnsOf(t, 'data')).toThrow('Column t.b has Flink type "DECIMAL(10, 2)", which has no Glue type here');
    expect(() => sinkTables('CREATE TABLE x (\n  a INT\n) WITH (\n  \'connector\' = \'kinesis\'\n);')).toThrow('has no result table');
  });
});

describe('teardown', () => {
  const types = ['AWS::KinesisAnalyticsV2::Application', 'AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption', 'AWS::Logs::LogGroup', 'AWS::Logs::LogStream'];
  it.each([['sandbox', 'Delete'], ['production', 'Retain']])('%s: %s', (name, policy) => {
    for (const type of types) {
      const policies = [...new Set(Object.values(synthesized[name].template.findResources(type)).map((r) => r.DeletionPolicy))];
      expect({ type, policies }).toEqual({ type, policies: [policy] });
    }
  });
});

describe('without the opt-in', () => {
  it('has no application, no result tables and needs no connector', () => {
    const app = testApp({ gates: false });
    const stack = new DataLakeStack(app, 'DataLake', { profile: SANDBOX });
    const t = Template.fromStack(stack);
    expect(t.findResources('AWS::KinesisAnalyticsV2::Application')).toEqual({});
    expect(Object.values(t.findResources('AWS::Glue::Table')).map((r) => r.Properties.TableInput.Name)).toEqual(['events']);
    expect(stack.realtime).toBeUndefined();
  });
});

describe('packaging, when CDK bundles the stack', () => {
  const fakeJar = (dir: string, artifact: Omit<MavenArtifact, 'sha256'>) => {
    const jar = jarInRepository({ ...artifact, sha256: null }, dir);
    fs.mkdirSync(path.dirname(jar), { recursive: true });
    fs.writeFileSync(jar, 'PK stand-in for the connector');
    return createHash('sha256').update(fs.readFileSync(jar)).digest('hex');
  };
  const coords = { groupId: 'org.example', artifactId: 'connector', version: '1.0-2.0' };

  it('zips main.py, job.py, analytics.sql and the verified JAR under lib/', () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'connector-cache-'));
    const sha256 = fakeJar(cacheDir, coords);
    const app = testApp({ gates: false, context: { 'aws:cdk:bundling-stacks': ['**'] } });
    const stack = new Stack(app, 'Bundled');
    const deps = dependencies(stack);
    new RealtimeAnalytics(stack, 'Realtime', { ...deps, connector: { artifact: { ...coords, sha256 }, cacheDir, fetch: () => { throw new Error('must not fetch: the JAR is cached'); } } });
    const assembly = app.synth();
    const staged = fs.readdirSync(assembly.directory).filter((f) => f.startsWith('asset.'))
      .map((f) => path.join(assembly.directory, f)).find((d) => fs.existsSync(path.join(d, 'main.py')));
    expect(staged).toBeDefined();
    expect(fs.readdirSync(staged!).sort()).toEqual(['analytics.sql', 'job.py', 'lib', 'main.py']);
    expect(fs.readdirSync(path.join(staged!, 'lib'))).toEqual(['connector-1.0-2.0.jar']);
  });

  it('refuses a JAR whose SHA-256 is not the pinned one, naming both', () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'connector-cache-'));
    const sha256 = fakeJar(cacheDir, coords);
    const app = testApp({ gates: false, context: { 'aws:cdk:bundling-stacks': ['**'] } });
    const stack = new Stack(app, 'Bundled');
    expect(() => new RealtimeAnalytics(stack, 'Realtime', { ...dependencies(stack), connector: { artifact: { ...coords, sha256: '0'.repeat(64) }, cacheDir } }))
      .toThrow(`has SHA-256 ${sha256}, but flink/realtime/connector.json pins ${'0'.repeat(64)}`);
  });
});

function dependencies(stack: Stack) {
  const key = new SecureKey(stack, 'Key', { description: 'test key' });
  return {
    stream: new kinesis.Stream(stack, 'Stream', { encryptionKey: key, encryption: kinesis.StreamEncryption.KMS }),
    bucket: new s3.Bucket(stack, 'Lake', { encryptionKey: key }),
    encryptionKey: key,
    database: new glue.Database(stack, 'Db'),
  };
}
