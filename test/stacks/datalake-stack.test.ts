import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnElement, Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { namedQueries } from '../../lib/datalake/query-workgroup';
import { DataLakeStack, DataLakeStackProps, glueColumns, loadEventSchema, ZONES } from '../../lib/stacks/datalake-stack';
import { describeFindings, findingsOf, PRODUCTION, SANDBOX, testApp } from '../helpers/app';

const schema = loadEventSchema();

function build(props: Omit<DataLakeStackProps, 'profile'> & { profile?: DataLakeStackProps['profile'] } = {}, gates = false) {
  const app = testApp({ gates });
  const stack = new DataLakeStack(app, 'DataLake', { profile: SANDBOX, ...props });
  return { app, stack };
}

/** The logical id in the template (overrides included, which Stack.getLogicalId does not see). */
function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.resolve((construct.node.defaultChild as CfnElement).logicalId) as string;
}

let sandbox: { stack: DataLakeStack; template: Template; findings: string[] };
let production: { stack: DataLakeStack; template: Template; findings: string[] };

beforeAll(() => {
  // One gated synth per profile for the whole file: each costs 1-2 s.
  for (const profile of [SANDBOX, PRODUCTION]) {
    const { app, stack } = build({ profile }, true);
    const findings = describeFindings(findingsOf(app));
    const built = { stack, template: Template.fromStack(stack), findings };
    if (profile === SANDBOX) sandbox = built;
    else production = built;
  }
});

describe('gates', () => {
  it('passes cdk-nag, NIST 800-53 R5 and the Control Tower rules in both profiles', () => {
    expect(sandbox.findings).toEqual([]);
    expect(production.findings).toEqual([]);
  });
});

describe('Kinesis stream', () => {
  it('is one provisioned shard in the sandbox, encrypted with the stack CMK', () => {
    sandbox.template.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: 1,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: { 'Fn::GetAtt': [logicalId(sandbox.stack, sandbox.stack.key), 'Arn'] } },
    });
  });

  it('is on-demand when asked', () => {
    const { stack } = build({ onDemandStream: true });
    Template.fromStack(stack).hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      ShardCount: Match.absent(),
    });
  });
});

describe('Firehose delivery', () => {
  const destination = (t: Template) =>
    Object.values(t.findResources('AWS::KinesisFirehose::DeliveryStream'))[0].Properties.ExtendedS3DestinationConfiguration;

  it('converts JSON to Parquet against the Glue table, uncompressed at the Firehose level, with >= 64 MiB buffers', () => {
    const tableId = logicalId(sandbox.stack, sandbox.stack.eventsTable);
    sandbox.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      ExtendedS3DestinationConfiguration: Match.objectLike({
        CompressionFormat: 'UNCOMPRESSED',
        DataFormatConversionConfiguration: {
          Enabled: true,
          SchemaConfiguration: Match.objectLike({ TableName: { Ref: tableId }, VersionId: 'LATEST' }),
          InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: Match.anyValue() } },
          OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
        },
      }),
    });
    expect(destination(sandbox.template).BufferingHints.SizeInMBs).toBeGreaterThanOrEqual(64);
    expect(destination(production.template).BufferingHints.SizeInMBs).toBeGreaterThanOrEqual(64);
  });

  it('waits for the Glue table it converts against', () => {
    const tableId = logicalId(sandbox.stack, sandbox.stack.eventsTable);
    sandbox.template.hasResource('AWS::KinesisFirehose::DeliveryStream', { DependsOn: Match.arrayWith([tableId]) });
  });

  it('partitions dynamically on every partition key of the schema, with an error output prefix', () => {
    const d = destination(sandbox.template);
    expect(d.DynamicPartitioningConfiguration).toEqual(expect.objectContaining({ Enabled: true }));
    for (const key of schema.partition_keys) {
      expect(d.Prefix).toContain(`${key.name}=!{partitionKeyFromQuery:${key.name}}`);
    }
    expect(d.Prefix.startsWith(ZONES.raw)).toBe(true);
    expect(d.ErrorOutputPrefix).toMatch(/^errors\/events\/!\{firehose:error-output-type\}\//);
    const extraction = d.ProcessingConfiguration.Processors.find((p: { Type: string }) => p.Type === 'MetadataExtraction');
    const query = extraction.Parameters.find((p: { ParameterName: string }) => p.ParameterName === 'MetadataExtractionQuery').ParameterValue;
    expect(JSON.parse(query.replace(/:(\.[^,}]+)/g, ':"$1"'))).toEqual({
      year: '.event_time[0:4]', month: '.event_time[5:7]', day: '.event_time[8:10]',
    });
  });

  it('logs to a log group and stream the stack creates', () => {
    const groups = sandbox.template.findResources('AWS::Logs::LogGroup');
    const streams = sandbox.template.findResources('AWS::Logs::LogStream');
    const logging = destination(sandbox.template).CloudWatchLoggingOptions;
    expect(logging.Enabled).toBe(true);
    expect(Object.keys(groups)).toContain(logging.LogGroupName.Ref);
    expect(Object.keys(streams)).toContain(logging.LogStreamName.Ref);
    expect(streams[logging.LogStreamName.Ref].Properties.LogGroupName).toEqual({ Ref: logging.LogGroupName.Ref });
  });

  it('gives the Firehose role the KMS grants for the CMK-encrypted bucket and read of exactly the Glue table', () => {
    const keyArn = { 'Fn::GetAtt': [logicalId(sandbox.stack, sandbox.stack.key), 'Arn'] };
    const roles = sandbox.template.findResources('AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'firehose.amazonaws.com' } })]) } },
    });
    const roleId = Object.keys(roles)[0];
    sandbox.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*']), Resource: keyArn }),
          Match.objectLike({ Action: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'] }),
        ]),
      },
    });
    const statements = Object.values(sandbox.template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Resource: unknown }>);
    expect(statements.filter((s) => s.Resource === '*')).toEqual([]);
  });

  it('matches the snapshot of its destination', () => {
    expect(destination(sandbox.template)).toMatchSnapshot();
  });
});

describe('Glue catalog', () => {
  it('defines the events table from the one schema file, with partition projection', () => {
    sandbox.template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: schema.table,
        StorageDescriptor: Match.objectLike({
          Columns: schema.columns.map((c) => Match.objectLike({ Name: c.name })),
          Location: { 'Fn::Join': ['', ['s3://', { Ref: logicalId(sandbox.stack, sandbox.stack.lakeBucket) }, `/${ZONES.raw}`]] },
        }),
        PartitionKeys: schema.partition_keys.map((k) => Match.objectLike({ Name: k.name, Type: 'string' })),
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.year.type': 'integer',
          'projection.month.range': '1,12',
          'projection.month.digits': '2',
          'projection.day.range': '1,31',
          'projection.day.digits': '2',
        }),
      }),
    });
  });

  it('maps every schema type and names an unsupported one', () => {
    expect(() => glueColumns([{ name: 'x', type: 'varchar(3)' }])).toThrow('Event schema column x has unsupported type "varchar(3)"');
  });

  it('crawls landing CSV with a classifier and the security configuration, unscheduled in the sandbox', () => {
    sandbox.template.hasResourceProperties('AWS::Glue::Classifier', { CsvClassifier: Match.objectLike({ ContainsHeader: 'PRESENT' }) });
    sandbox.template.hasResourceProperties('AWS::Glue::Crawler', {
      Classifiers: [{ Ref: Match.anyValue() }],
      CrawlerSecurityConfiguration: { Ref: Match.anyValue() },
      Targets: { S3Targets: [{ Path: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([`/${ZONES.landingCsv}`])] }) }] },
      Schedule: Match.absent(),
    });
    production.template.hasResourceProperties('AWS::Glue::Crawler', { Schedule: { ScheduleExpression: 'cron(0 3 * * ? *)' } });
  });
});

describe('Glue ETL job', () => {
  it('is Glue 5.0 Spark at the smallest size over the whole history by default (a run is a complete dataset), the curate package and KMS everywhere', () => {
    sandbox.template.hasResourceProperties('AWS::Glue::Job', {
      Command: { Name: 'glueetl', PythonVersion: '3', ScriptLocation: Match.anyValue() },
      GlueVersion: '5.0',
      WorkerType: 'G.1X',
      NumberOfWorkers: 2,
      SecurityConfiguration: { Ref: Match.anyValue() },
      DefaultArguments: Match.objectLike({
        '--job-bookmark-option': 'job-bookmark-disable',
        '--extra-py-files': Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('\\.zip$')])] }),
        // Glue 5.0 reads its log groups' names from this prefix (it ignores --continuous-log-logGroup).
        '--custom-logGroup-prefix': { 'Fn::Join': ['', ['/aws-glue/jobs/DataLake-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }]] },
      }),
    });
    // The stack owns both groups Glue writes under that prefix.
    for (const kind of ['error', 'output']) {
      sandbox.template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: { 'Fn::Join': ['/', [Match.objectLike({ 'Fn::Join': Match.anyValue() }), kind]] },
        KmsKeyId: Match.anyValue(),
        RetentionInDays: 365,
      });
    }
    const keyArn = { 'Fn::GetAtt': [logicalId(sandbox.stack, sandbox.stack.key), 'Arn'] };
    sandbox.template.hasResourceProperties('AWS::Glue::SecurityConfiguration', {
      EncryptionConfiguration: {
        CloudWatchEncryption: { CloudWatchEncryptionMode: 'SSE-KMS', KmsKeyArn: keyArn },
        JobBookmarksEncryption: { JobBookmarksEncryptionMode: 'CSE-KMS', KmsKeyArn: keyArn },
        S3Encryptions: [{ S3EncryptionMode: 'SSE-KMS', KmsKeyArn: keyArn }],
      },
    });
  });

  it('passes every argument the Glue entry point asks for (besides the two Glue supplies)', () => {
    const script = fs.readFileSync(path.join(__dirname, '../../glue/jobs/curate_job.py'), 'utf8');
    const list = /getResolvedOptions\(sys\.argv, \[([^\]]+)\]\)/.exec(script)![1];
    const wanted = [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]).filter((n) => n !== 'JOB_NAME' && n !== 'JOB_RUN_ID');
    const job = Object.values(sandbox.template.findResources('AWS::Glue::Job'))[0];
    const passed = Object.keys(job.Properties.DefaultArguments);
    expect(wanted.length).toBeGreaterThan(0);
    expect(passed).toEqual(expect.arrayContaining(wanted.map((n) => `--${n}`)));
  });

  it('uploads the scripts as plain assets: no deployment Lambda beyond the bucket auto-delete', () => {
    const functions = Object.keys(sandbox.template.findResources('AWS::Lambda::Function'));
    expect(functions.every((id) => id.startsWith('CustomS3AutoDeleteObjects'))).toBe(true);
    expect(sandbox.template.findResources('Custom::CDKBucketDeployment')).toEqual({});
  });

  it('rejects sizes below the service minimums, naming the value', () => {
    expect(() => build({ glueWorkers: 1 })).toThrow('glueWorkers must be >= 2, the Glue minimum for G.1X (got 1)');
    expect(() => build({ shardCount: 0 })).toThrow('shardCount must be >= 1 (got 0)');
    expect(() => build({ bufferingInterval: Duration.seconds(30) })).toThrow('bufferingInterval must be 60-900 seconds with dynamic partitioning (got 30)');
    expect(() => build({ bytesScannedCutoff: Size.mebibytes(1) })).toThrow('bytesScannedCutoff must be at least 10 MB, the Athena minimum (got 1048576 bytes)');
  });
});

describe('EMR Serverless', () => {
  it('has no pre-initialized capacity, starts on submit, stops when idle and is capped', () => {
    sandbox.template.hasResourceProperties('AWS::EMRServerless::Application', {
      Type: 'SPARK',
      InitialCapacity: Match.absent(),
      AutoStartConfiguration: { Enabled: true },
      AutoStopConfiguration: { Enabled: true, IdleTimeoutMinutes: 5 },
      MaximumCapacity: { Cpu: '8 vCPU', Memory: '32 GB' },
      MonitoringConfiguration: Match.objectLike({
        CloudWatchLoggingConfiguration: Match.objectLike({ Enabled: true, LogGroupName: { Ref: Match.anyValue() } }),
      }),
    });
  });

  it('lets only this application assume the job role', () => {
    sandbox.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({
          Principal: { Service: 'emr-serverless.amazonaws.com' },
          Condition: Match.objectLike({ ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': ['SparkApplication', 'Arn'] } } }),
        })],
      },
    });
  });
});

describe('Athena', () => {
  it('enforces encrypted results, a scan cutoff and recursive delete in the sandbox only', () => {
    const keyArn = { 'Fn::GetAtt': [logicalId(sandbox.stack, sandbox.stack.key), 'Arn'] };
    sandbox.template.hasResourceProperties('AWS::Athena::WorkGroup', {
      RecursiveDeleteOption: true,
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 1024 ** 3,
        ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: keyArn }, OutputLocation: Match.anyValue() },
      }),
    });
    production.template.hasResourceProperties('AWS::Athena::WorkGroup', { RecursiveDeleteOption: false });
  });

  it('has named queries that prune on the projected partitions, relative to the day they run', () => {
    const queries = Object.values(sandbox.template.findResources('AWS::Athena::NamedQuery')).map((q) => JSON.stringify(q.Properties.QueryString));
    // Every partition key is compared with a value computed from current_date: a literal date
    // (the queries once said 2026-11-25) returns nothing on any other day.
    const keys = schema.partition_keys.map((k) => k.name);
    const pruned = queries.filter((q) => keys.every((k) => q.includes(`${k} = date_format(current_date`))
      || (q.includes(`${keys.join(' || ')} BETWEEN`) && q.includes('current_date')));
    expect(pruned.length).toBeGreaterThanOrEqual(2);
    for (const q of queries) {
      expect(q).not.toMatch(/\b20\d\d\b/);
    }
    sandbox.template.hasResourceProperties('AWS::Athena::NamedQuery', { WorkGroup: { Ref: 'WorkGroup' } });
  });

  it('computes the date range of the range query across month ends', () => {
    const range = namedQueries('"db"."events"').DateRangeQuery.sql;
    expect(range).toContain("year || month || day BETWEEN date_format(current_date - INTERVAL '6' DAY, '%Y%m%d') AND date_format(current_date, '%Y%m%d')");
  });
});

describe('refactoring into constructs', () => {
  // The logical ids of these resources before the stack was split into one construct per box:
  // CloudFormation replaces a resource whose logical id changes (a new empty stream or table).
  const BEFORE: Record<string, string> = {
    'AWS::KMS::Key': 'Key961B73FD',
    'AWS::Kinesis::Stream': 'Stream790BDEE4',
    'AWS::Glue::Database': 'Catalog742F25FD',
    'AWS::Glue::Table': 'EventsTableCE1C227A',
    'AWS::KinesisFirehose::DeliveryStream': 'DeliveryStream58CF96DB',
    'AWS::Glue::Job': 'CurateJob401FF178',
    'AWS::EMRServerless::Application': 'SparkApplication',
    'AWS::Glue::Crawler': 'LandingCrawler',
    'AWS::Athena::WorkGroup': 'WorkGroup',
    'AWS::Logs::LogStream': 'DeliveryLogsS3Destination1A13962C',
  };

  it.each(Object.entries(BEFORE))('keeps the logical id of the %s', (type, id) => {
    expect(Object.keys(sandbox.template.findResources(type))).toEqual([id]);
    expect(Object.keys(production.template.findResources(type))).toEqual([id]);
  });

  it('keeps the delivery role\'s logical id: the stream\'s source configuration names it, and a changed source configuration replaces the delivery stream', () => {
    const roleId = 'DeliveryRole2A8B8F29';
    expect(sandbox.template.toJSON().Resources[roleId]?.Type).toBe('AWS::IAM::Role');
    sandbox.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      KinesisStreamSourceConfiguration: Match.objectLike({ RoleARN: { 'Fn::GetAtt': [roleId, 'Arn'] } }),
    });
  });

  it('keeps the logical ids of the buckets and log groups, and the name of the database', () => {
    expect(Object.keys(sandbox.template.findResources('AWS::S3::Bucket')).sort()).toEqual(['AccessLogs8B620ECA', 'Lake5F1B88EA', 'QueryResults655BC675']);
    expect(Object.keys(sandbox.template.findResources('AWS::Logs::LogGroup')).sort()).toEqual(expect.arrayContaining(['CurateJobLogs3066FC5E', 'DeliveryLogsAB0E43B0', 'EmrLogsD6C4659A']));
    sandbox.template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: Match.objectLike({ Name: 'datalakecatalog4522c06e' }) });
  });
});

describe('teardown', () => {
  const DATA = ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Logs::LogGroup', 'AWS::Kinesis::Stream', 'AWS::Athena::WorkGroup'];
  it.each([
    ['sandbox', () => sandbox.template, 'Delete'],
    ['production', () => production.template, 'Retain'],
  ])('%s deletion policy of data resources', (_name, template, policy) => {
    for (const type of DATA) {
      const policies = [...new Set(Object.values(template().findResources(type)).map((r) => r.DeletionPolicy))];
      expect({ type, policies }).toEqual({ type, policies: [policy] });
    }
  });
});

describe('outputs and grant surface', () => {
  it('outputs what the CLIs and the docs use', () => {
    const outputs = Object.keys(sandbox.template.findOutputs('*'));
    expect(outputs).toEqual(expect.arrayContaining([
      'StreamName', 'LakeBucketName', 'CuratedS3Uri', 'WorkGroupName', 'DatabaseName', 'EventsTableName',
      'CurateJobName', 'CrawlerName', 'EmrApplicationId', 'EmrJobRoleArn', 'EmrEntryPoint', 'CuratePackageS3Uri',
    ]));
  });

  it('grantReadCurated gives read of the curated prefix and decrypt with the lake key', () => {
    const { stack } = build();
    const role = new iam.Role(stack, 'Trainer', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    const grant = stack.grantReadCurated(role);
    expect(grant.success).toBe(true);
    expect(stack.curatedPrefix).toBe(ZONES.curated);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(role.node.defaultChild as never) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['s3:GetObject*']),
            Resource: Match.arrayWith([{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack, stack.lakeBucket), 'Arn'] }, `/${ZONES.curated}*`]] }]),
          }),
          Match.objectLike({ Action: Match.arrayWith(['kms:Decrypt']) }),
        ]),
      },
    });
  });
});
