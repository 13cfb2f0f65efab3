import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ArnFormat, CfnResource, CloudFormationValidatePlugin, IPolicyValidationPluginBeta1, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AccessLogsBucket, SecureBucket } from '../lib/constructs/secure-bucket';
import { SecureKey } from '../lib/constructs/secure-key';
import { acknowledge, acknowledgeResource, addGates, DISABLED_GUARD_RULES, guardRulesNotEvaluating } from '../lib/gates';
import { findingsOf, testApp } from './helpers/app';

/** A stack whose one data bucket is compliant, to break one property at a time. */
function compliantStack(options: Parameters<typeof testApp>[0] = {}) {
  const app = testApp(options);
  const stack = new Stack(app, 'Broken');
  const key = new SecureKey(stack, 'Key', { description: 'gate test' });
  const logs = new AccessLogsBucket(stack, 'AccessLogs');
  const bucket = new SecureBucket(stack, 'Data', { encryptionKey: key, serverAccessLogsBucket: logs });
  return { app, stack, bucket };
}

function rulesAt(app: ReturnType<typeof testApp>, pathEnd: string): string[] {
  return findingsOf(app)
    .filter((f) => f.path.endsWith(pathEnd))
    .map((f) => `${f.plugin}/${f.rule}`)
    .sort();
}

describe('gates', () => {
  describe('acknowledgeResource', () => {
    /** A role granted a wildcard log-group ARN, acknowledged (or not) by the ARN it was granted. */
    function wildcardGrant(env: { account: string; region: string } | undefined, ack: boolean) {
      const app = testApp();
      const stack = new Stack(app, 'Pinned', { env });
      const role = new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
      const logs = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws-glue/jobs/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
      role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream'], resources: [logs] }));
      if (ack) {
        acknowledgeResource(role, logs, 'Glue names its own log groups under /aws-glue/jobs/ at run time');
      }
      return findingsOf(app).filter((f) => f.rule.startsWith('AwsSolutions-IAM5')).map((f) => f.rule);
    }

    it.each([
      ['environment-agnostic', undefined, 'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws-glue/jobs/*'],
      ['pinned', { account: '123456789012', region: 'eu-west-1' }, 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws-glue/jobs/*'],
    ])('covers the finding of an %s stack, rendered as cdk-nag renders it', (_, env, rendered) => {
      expect(wildcardGrant(env, false)).toEqual([`AwsSolutions-IAM5[Resource::${rendered}]`]);
      expect(wildcardGrant(env, true)).toEqual([]);
    });

    it('refuses an acknowledgement without a real reason', () => {
      const stack = new Stack(testApp(), 'S');
      const role = new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
      expect(() => acknowledgeResource(role, '*', 'because')).toThrow(/needs a real reason/);
    });
  });

  it('catch a bucket that accepts plain HTTP', () => {
    const app = testApp();
    const stack = new Stack(app, 'Broken');
    const key = new SecureKey(stack, 'Key', { description: 'gate test' });
    const logs = new AccessLogsBucket(stack, 'AccessLogs');
    new s3.Bucket(stack, 'NoTls', {
      encryptionKey: key,
      encryption: s3.BucketEncryption.KMS,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      versioned: true,
      serverAccessLogsBucket: logs,
    });
    const rules = rulesAt(app, 'NoTls/Resource');
    expect(rules).toEqual(
      expect.arrayContaining([
        'AwsSolutions/AwsSolutions-S10',
        'NIST.800.53.R5/NIST.800.53.R5-S3BucketSSLRequestsOnly',
      ]),
    );
  });

  it('catch a wildcard IAM action', () => {
    const { app, stack, bucket } = compliantStack();
    const role = new iam.Role(stack, 'Admin', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: [bucket.bucketArn] }));
    expect(rulesAt(app, 'Admin/DefaultPolicy/Resource')).toEqual(
      expect.arrayContaining(['AwsSolutions/AwsSolutions-IAM5[Action::s3:*]']),
    );
    const admin = new iam.Role(stack, 'FullAdmin', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    admin.addToPolicy(new iam.PolicyStatement({ actions: ['*'], resources: ['*'] }));
    expect(rulesAt(app, 'FullAdmin/DefaultPolicy/Resource')).toEqual(
      expect.arrayContaining([
        'AwsSolutions/AwsSolutions-IAM5[Action::*]',
        'NIST.800.53.R5/NIST.800.53.R5-IAMPolicyNoStatementsWithFullAccess',
        'cdk-validator-cfnguard/iam_inline_policy_no_statements_with_full_access_check',
      ]),
    );
  });

  it('catch a bucket stripped of its customer-managed key', () => {
    const { app, bucket } = compliantStack();
    (bucket.node.defaultChild as s3.CfnBucket).bucketEncryption = {
      serverSideEncryptionConfiguration: [{ serverSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    };
    expect(rulesAt(app, 'Data/Resource')).toEqual(
      expect.arrayContaining(['cdk-validator-cfnguard/s3_bucket_default_encryption_kms_check']),
    );
  });

  it('still report guard findings left after one is acknowledged (the guard acknowledge bug)', () => {
    const { app, stack } = compliantStack();
    const first = new s3.CfnBucket(stack, 'First', {});
    new s3.CfnBucket(stack, 'Second', {});
    acknowledge(first, 'guard:s3_bucket_logging_enabled_check', 'Deliberately acknowledged to reproduce the bug');
    const findings = findingsOf(app);
    const logging = findings.filter((f) => f.rule === 's3_bucket_logging_enabled_check').map((f) => f.path);
    expect(logging).toEqual(['Broken/Second']);
  });

  it('catch an invalid template with the builtin CloudFormation validation', () => {
    const app = testApp({ gates: false, builtinValidation: true });
    const stack = new Stack(app, 'Invalid');
    new CfnResource(stack, 'Typo', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeot: 30 } });
    expect(findingsOf(app).map((f) => `${f.plugin}/${f.rule}`)).toEqual(['CloudFormation Validate/F3002']);
  });

  it('refuse an acknowledgement without a real reason', () => {
    const { bucket } = compliantStack();
    expect(() => acknowledge(bucket, 'AwsSolutions-S1', 'n/a')).toThrow(
      'Acknowledgement of AwsSolutions-S1 on Broken/Data needs a real reason (got "n/a")',
    );
  });

  it('disable guard rules only with a reason, by rule file name', () => {
    for (const [rule, reason] of Object.entries(DISABLED_GUARD_RULES)) {
      expect(rule).toMatch(/^ct-[a-z0-9]+-pr-\d+$/);
      expect(reason.length).toBeGreaterThan(30);
    }
  });
});

describe('guard rules that cannot apply', () => {
  it('are skipped only when none of their resource types is in the templates', () => {
    const withBucket = guardRulesNotEvaluating(new Set(['AWS::S3::Bucket']));
    const none = guardRulesNotEvaluating(new Set());
    expect(withBucket).not.toContain('ct-s3-pr-2');
    expect(none).toContain('ct-s3-pr-2');
    expect(withBucket).toContain('ct-rds-pr-1');
    expect(none.length).toBeGreaterThan(200);
  });
});

describe('builtin CloudFormation validation run by the gates (in a worker thread)', () => {
  /** A stack with three template errors the builtin validation knows. */
  function invalidStack(app: ReturnType<typeof testApp>) {
    const stack = new Stack(app, 'Invalid');
    new CfnResource(stack, 'Typo', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeot: 30 } });
    new CfnResource(stack, 'WrongType', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeout: 'thirty' } });
    new CfnResource(stack, 'BadValue', { type: 'AWS::Logs::LogGroup', properties: { RetentionInDays: 8 } });
    return stack;
  }
  const builtinFindings = (app: ReturnType<typeof testApp>) =>
    findingsOf(app).filter((f) => f.plugin === 'CloudFormation Validate').map((f) => `${f.rule} ${f.path}`).sort();

  it("finds what aws-cdk-lib's own builtin validation finds, once", () => {
    const own = testApp({ gates: false, builtinValidation: true });
    invalidStack(own);
    const gated = testApp({ builtinValidation: true });
    invalidStack(gated);
    const expected = ['F3002 Invalid/Typo', 'F3012 Invalid/WrongType', 'W3030 Invalid/BadValue'];
    expect(builtinFindings(own)).toEqual(expected);
    expect(builtinFindings(gated)).toEqual(expected);
  });

  it('runs beside the guard rules, whose findings still come back', () => {
    const { app, stack, bucket } = compliantStack({ builtinValidation: true });
    new CfnResource(stack, 'Typo', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeot: 30 } });
    (bucket.node.defaultChild as s3.CfnBucket).bucketEncryption = {
      serverSideEncryptionConfiguration: [{ serverSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    };
    expect(rulesAt(app, 'Broken/Typo')).toContain('CloudFormation Validate/F3002');
    expect(rulesAt(app, 'Data/Resource')).toContain('cdk-validator-cfnguard/s3_bucket_default_encryption_kms_check');
  });

  it("never loads the validation engine in the app's own thread", () => {
    const run = spawnSync(path.join(__dirname, '../node_modules/.bin/tsx'), [path.join(__dirname, 'fixtures/gates/main-thread-probe.ts')], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout.trim().split('\n').pop()!)).toEqual({ builtinRules: ['F3002'], engineLoadedHere: false });
  });

  it("reports the engine version aws-cdk-lib's own plugin reports", () => {
    const app = testApp({ builtinValidation: true });
    const registered = (app as unknown as { _validationPlugins: IPolicyValidationPluginBeta1[] })._validationPlugins
      .find((p) => p instanceof CloudFormationValidatePlugin);
    expect(registered?.version).toBe(new CloudFormationValidatePlugin().version);
    expect(registered?.ruleIds).toEqual(new CloudFormationValidatePlugin().ruleIds);
  });

  it('turns the validation off for an app whose own default is on', () => {
    const app = testApp({ gates: false, builtinValidation: true });
    addGates(app, { builtinValidation: false });
    invalidStack(app);
    expect(builtinFindings(app)).toEqual([]);
  });

  it('stays off when CDK_VALIDATION=false, as aws-cdk-lib documents for its own', () => {
    const before = process.env.CDK_VALIDATION;
    process.env.CDK_VALIDATION = 'false';
    try {
      const app = testApp({ builtinValidation: true });
      invalidStack(app);
      expect(builtinFindings(app)).toEqual([]);
      expect(findingsOf(app).length).toBeGreaterThan(0); // cdk-nag still ran
    } finally {
      if (before === undefined) {
        delete process.env.CDK_VALIDATION;
      } else {
        process.env.CDK_VALIDATION = before;
      }
    }
  });
});
