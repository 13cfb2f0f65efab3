/**
 * What the deployed smoke tests (test/integ/integ.*.ts) share. Each is a CDK app run by
 * @aws-cdk/integ-runner: it deploys one architecture stack, exactly as lib/stacks builds it for the
 * sandbox profile, and a second stack of assertions (@aws-cdk/integ-tests-alpha custom resources
 * that call AWS APIs once the architecture is up) that drives the architecture's smallest real
 * flow and checks what comes out. `npm run integ -- <Architecture> --yes` deploys one into the
 * caller's account and destroys both stacks afterwards; `npm test` synthesizes every one through
 * the same gates as bin/app.ts and compares the architecture stack with its committed snapshot,
 * offline (scripts/integ.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Aspects, CfnResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { AwsApiCall, ExpectedResult, IApiCall, IDeployAssert, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { Construct } from 'constructs';
import { PROFILES } from '../../lib/config/profile';
import { FunctionLogGroups } from '../../lib/constructs/function-log-groups';
import { SecureKey } from '../../lib/constructs/secure-key';
import { acknowledge, addGates, synthesizeGated } from '../../lib/gates';
import { ArchitectureStack } from '../../lib/stacks/architecture';

const ROOT = path.join(__dirname, '../..');

/** The profile every smoke test deploys: everything it creates goes with `cdk destroy`. */
export const SMOKE_TEST_PROFILE = PROFILES.sandbox;

/**
 * Names what one run creates outside CloudFormation (jobs, models, executions), so a second run
 * never collides with the first (SageMaker job names are unique per account and region forever)
 * and `npm run integ` can find and delete what a run left. scripts/integ.ts sets it; a synth
 * without it (the offline snapshot check) uses a fixed value.
 */
export const RUN_ID: string = runId(process.env.INTEG_RUN_ID);

export function runId(value: string | undefined): string {
  const id = value ?? 'offline';
  if (!/^[a-z0-9]{1,12}$/.test(id)) {
    throw new Error(`INTEG_RUN_ID must be 1-12 lower-case letters or digits (got ${JSON.stringify(id)})`);
  }
  return id;
}

/** Stack names of a smoke test: never the names `cdk deploy` gives the architecture, so a test never touches a real deployment. */
export function smokeTestStackNames(architecture: string): { readonly stack: string; readonly assertions: string } {
  return { stack: `Integ${architecture}`, assertions: `Integ${architecture}Assertions` };
}

/**
 * An App built like bin/app.ts builds one: cdk.json's feature flags (integ-runner passes its own
 * recommended set, a subset with the same values, and leaves `@aws-cdk/core:target-partitions`
 * unset, so cdk.json's values are applied after the runner's context) and every gate.
 */
export function smokeTestApp(): App {
  const { context } = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ postCliContext: context });
  addGates(app);
  return app;
}

/** Synthesize and fail, as bin/app.ts does, on any finding a gate left (the report, not the plugins' verdict). */
export function synthesize(app: App): void {
  synthesizeGated(app);
  declareRunnerSchema(app.outdir, process.env.INTEG_RUNNER_SCHEMA_VERSION);
}

/**
 * integ-runner reads three kinds of file of the assembly itself: integ.json (the test cases),
 * manifest.json (stacks and templates) and the asset manifests (asset ids); synthesis, deployment and destruction are done by
 * the project's CDK CLI (the runner's CLI-wrapper engine). The newest integ-runner on the npm
 * registry knows cloud-assembly schemas up to an older major than aws-cdk-lib writes, and refuses
 * the files for that alone, though the fields it reads are unchanged. scripts/integ.ts names the
 * runner's major in INTEG_RUNNER_SCHEMA_VERSION and those files are declared at it; the CDK CLI
 * reads any major up to its own. Without the variable nothing changes.
 */
export function declareRunnerSchema(outdir: string, version: string | undefined): void {
  if (version === undefined) {
    return;
  }
  if (!/^\d+\.0\.0$/.test(version)) {
    throw new Error(`INTEG_RUNNER_SCHEMA_VERSION must look like 48.0.0 (got ${JSON.stringify(version)})`);
  }
  for (const name of ['manifest.json', 'integ.json', ...fs.readdirSync(outdir).filter((f) => f.endsWith('.assets.json'))]) {
    const file = path.join(outdir, name);
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string };
    fs.writeFileSync(file, `${JSON.stringify({ ...manifest, version }, undefined, 2)}\n`);
  }
}

/**
 * The stack of a smoke test's assertions. integ-tests-alpha's custom resources run in Lambda
 * functions and Step Functions waiters it writes as plain CloudFormation: this stack gives them a
 * key and log groups it owns (deleted with it), and acknowledges, on each of those constructs and
 * for each rule, what the library decides and a test stack cannot change (see ASSERTION_FINDINGS).
 */
export class AssertionStack extends Stack {
  public readonly key: SecureKey;

  constructor(scope: Construct, id: string, tested: Stack) {
    super(scope, id, {
      description: `Assertions of the smoke test of ${tested.stackName}: integ-tests-alpha custom resources, deleted with the test`,
      tags: { project: 'ml-on-aws-reference-architectures', architecture: 'integ', profile: SMOKE_TEST_PROFILE.name },
    });
    this.key = new SecureKey(this, 'Key', {
      description: `${id}: logs of the assertion functions and waiters`,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: SMOKE_TEST_PROFILE.keyPendingWindow,
    });
    // The provider functions would otherwise log to /aws/lambda/<name>, which Lambda creates outside
    // the stack and `cdk destroy` leaves behind.
    Aspects.of(this).add(new FunctionLogGroups({ encryptionKey: this.key, retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY }));
    // Acknowledgements go on constructs integ-tests-alpha creates while assertions are declared,
    // so they are made once every construct exists (validations run before the gates read the assembly).
    this.node.addValidation({ validate: () => (acknowledgeAssertionConstructs(this), []) });
  }
}

/**
 * The findings integ-tests-alpha's constructs raise, by the kind of construct (its CloudFormation
 * type), and why each is acknowledged rather than fixed. The library writes these resources as
 * CfnResource with fixed properties; the test stack exists for the minutes of one run.
 */
export const ASSERTION_FINDINGS: Readonly<Record<string, ReadonlyArray<readonly [rule: string, reason: string]>>> = {
  'AWS::Lambda::Function': [
    ['NIST.800.53.R5-LambdaInsideVPC', 'integ-tests-alpha assertion provider: calls public AWS APIs for the few minutes of a smoke test; the architecture under test has no VPC for it to join'],
    ['guard:lambda_inside_vpc_check', 'integ-tests-alpha assertion provider: calls public AWS APIs for the few minutes of a smoke test; the architecture under test has no VPC for it to join'],
    ['NIST.800.53.R5-LambdaConcurrency', 'integ-tests-alpha assertion provider: invoked once per assertion by CloudFormation or its waiter, never by anything else'],
    ['NIST.800.53.R5-LambdaDLQ', 'integ-tests-alpha assertion provider: a synchronous custom-resource handler; a failed call fails the deployment, which is the test result'],
    ['AwsSolutions-L1', 'integ-tests-alpha picks the runtime (the latest Node.js it knows); it runs only while a smoke test runs'],
  ],
  'AWS::IAM::Role': [
    ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', 'integ-tests-alpha attaches the Lambda basic execution policy to its provider role; the function logs to a group this stack owns'],
    ['AwsSolutions-IAM5[Resource::*]', 'integ-tests-alpha grants each asserted SDK call on "*" (AssertionsProvider.addPolicyStatementFromSdkCall); the role lives for one smoke test and calls only the APIs the test names'],
    ['NIST.800.53.R5-IAMNoInlinePolicy', 'integ-tests-alpha writes its provider and waiter policies inline; the roles live for one smoke test'],
  ],
  'AWS::StepFunctions::StateMachine': [
    ['AwsSolutions-SF1', 'integ-tests-alpha waiter: a retry loop around one assertion; each attempt is a Lambda call whose log group (owned by this stack) records it'],
    ['NIST.800.53.R5-StepFunctionStateMachineLogging', 'integ-tests-alpha waiter: a retry loop around one assertion; each attempt is a Lambda call whose log group (owned by this stack) records it'],
    ['guard:step_functions_state_machine_logging_enabled_check', 'integ-tests-alpha waiter: a retry loop around one assertion; each attempt is a Lambda call whose log group (owned by this stack) records it'],
    ['guard:step_functions_state_machine_tracing_enabled_check', 'integ-tests-alpha waiter: a retry loop around one assertion; X-Ray tracing would show one Lambda call per attempt, which its log group already records'],
    ['AwsSolutions-SF2', 'integ-tests-alpha waiter: a retry loop around one assertion; X-Ray tracing would show one Lambda call per attempt, which its log group already records'],
    ['NIST.800.53.R5-StepFunctionStateMachineXray', 'integ-tests-alpha waiter: a retry loop around one assertion; X-Ray tracing would show one Lambda call per attempt, which its log group already records'],
  ],
};

/**
 * SDK calls integ-tests-alpha grants under the call's own name, which is no IAM action, and the
 * actions that do authorize them (Amazon S3 API Reference, "Permissions" of each operation). The
 * test must grant those itself: a role that names the call without them is an error.
 */
export const SDK_CALLS_AUTHORIZED_BY: Readonly<Record<string, readonly string[]>> = {
  's3:CopyObject': ['s3:GetObject', 's3:PutObject'],
  's3:ListObjectsV2': ['s3:ListBucket'],
  's3:HeadObject': ['s3:GetObject'],
};

function acknowledgeAssertionConstructs(stack: AssertionStack): void {
  for (const node of stack.node.findAll()) {
    if (!(node instanceof CfnResource)) {
      continue;
    }
    for (const [rule, reason] of ASSERTION_FINDINGS[node.cfnResourceType] ?? []) {
      acknowledge(node, rule, reason);
    }
    if (node.cfnResourceType === 'AWS::IAM::Role') {
      const actions = policyActions(stack, node);
      for (const [call, authorizedBy] of Object.entries(SDK_CALLS_AUTHORIZED_BY).filter(([c]) => actions.has(c))) {
        const missing = authorizedBy.filter((a) => !actions.has(a));
        if (missing.length > 0) {
          throw new Error(`${node.node.path} calls ${call} but is not granted ${missing.join(', ')}, which authorize it`);
        }
        acknowledge(node, `iam-authorization::UnknownAction[${call}]`,
          `integ-tests-alpha grants the SDK call under its own name; IAM authorizes ${call} by ${authorizedBy.join(' and ')}, granted on the named resources`);
      }
    }
  }
}

/** Every action an inline policy of a role written as a CfnResource names. */
function policyActions(stack: Stack, role: CfnResource): Set<string> {
  const properties = (role as unknown as { _cfnProperties?: { Policies?: unknown } })._cfnProperties ?? {};
  const policies = (stack.resolve(properties.Policies) ?? []) as Array<{ PolicyDocument?: { Statement?: Array<{ Action?: string | string[] }> } }>;
  return new Set(policies.flatMap((p) => p.PolicyDocument?.Statement ?? []).flatMap((st) => [st.Action ?? []].flat()));
}

/** An IAM statement the assertion functions need besides the one integ-tests-alpha writes per SDK call. */
export interface Allow {
  readonly actions: string[];
  readonly resources: string[];
}

/** Use of an architecture's key: reading what it encrypted, writing into what it encrypts. */
export const useKey = (key: kms.IKey): Allow => ({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [key.keyArn] });

/**
 * Give the functions behind `call` (its provider and, once it waits, its waiter's) what `statements`
 * allow. integ-tests-alpha shares one function per kind in the stack, so a statement added for one
 * call serves all; each call still names what it needs, so the test reads on its own.
 */
export function allow(call: IApiCall, ...statements: Allow[]): IApiCall {
  for (const s of statements) {
    const statement = { Effect: 'Allow', Action: s.actions, Resource: s.resources };
    call.provider.addToRolePolicy(statement);
    (call as AwsApiCall).waiterProvider?.addToRolePolicy(statement);
  }
  return call;
}

/**
 * Poll `call` until the value at `path` of its answer matches `expected`: every `interval`, for at
 * most `timeout` (then the deployment fails with "Operation timed out" and the call's request).
 */
export function waitFor(call: IApiCall, path: string, expected: ExpectedResult, timing: { timeout: Duration; interval: Duration }, ...statements: Allow[]): IApiCall {
  call.assertAtPath(path, expected).waitForAssertions({ totalTimeout: timing.timeout, interval: timing.interval, backoffRate: 1 });
  return allow(call, ...statements);
}

/** A Step Functions execution that has stopped, whatever the outcome: wait for this, then assert SUCCEEDED, so a failed run fails at once. */
export const EXECUTION_ENDED = ExpectedResult.stringLikeRegexp('^(SUCCEEDED|FAILED|TIMED_OUT|ABORTED)$');

/** A file of the test's inputs, uploaded by CDK as an asset into the bootstrap bucket. */
export function fixture(scope: Construct, name: string): s3assets.Asset {
  return new s3assets.Asset(scope, `Fixture-${name.replace(/[^A-Za-z0-9]/g, '-')}`, { path: path.join(__dirname, 'fixtures', name) });
}

/**
 * Copy an asset into a bucket of the architecture under test, which S3 reports as "Object Created"
 * like any upload. CopyObject is authorized by s3:GetObject on the source and s3:PutObject on the
 * target ("Required permissions" of CopyObject in the Amazon S3 API Reference), plus the target
 * bucket's key.
 */
export function copyIntoBucket(assertions: IDeployAssert, asset: s3assets.Asset, bucket: s3.IBucket, key: string): IApiCall {
  const call = assertions.awsApiCall('S3', 'copyObject', {
    CopySource: `${asset.s3BucketName}/${asset.s3ObjectKey}`,
    Bucket: bucket.bucketName,
    Key: key,
  });
  return allow(call,
    { actions: ['s3:GetObject'], resources: [asset.bucket.arnForObjects(asset.s3ObjectKey)] },
    { actions: ['s3:PutObject'], resources: [bucket.arnForObjects(key)] },
    ...(bucket.encryptionKey ? [useKey(bucket.encryptionKey)] : []));
}

/** Chain calls so each starts only after the previous one succeeded; returns the last. */
export function inOrder(...calls: IApiCall[]): IApiCall {
  return calls.reduce((previous, next) => previous.next(next));
}

/** The IntegTest of one smoke test: the architecture stack as its only test case, no update workflow, no asset diffs. */
export function smokeTest(app: App, architecture: ArchitectureStack, assertions: AssertionStack): IntegTest {
  return new IntegTest(app, 'SmokeTest', {
    testCases: [architecture],
    assertionStack: assertions,
    // One deployment: the update workflow would first deploy the committed snapshot (twice the
    // time and cost). Without it integ-runner also leaves asset directories out of the snapshot.
    stackUpdateWorkflow: false,
    diffAssets: false,
  });
}
