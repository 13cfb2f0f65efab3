import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IConstruct } from 'constructs';
import { App, CfnElement, CloudFormationValidatePlugin, IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { IAM_AUTHORIZATION_PLUGIN, IamAuthorizationChecks } from './iam-authorization';
import { PluginRequest, PluginThread, PortableContext, threadStarter } from './plugin-thread';

/**
 * Control Tower proactive rules that do not apply to this project, by rule file name.
 * Each one is exempt for every stack, so the reason must hold for every stack.
 */
export const DISABLED_GUARD_RULES: Readonly<Record<string, string>> = {
  // S3 Object Lock makes objects undeletable for the retention period: a sandbox stack could
  // then never be torn down to zero cost, and ML datasets are rewritten, not archived.
  'ct-s3-pr-9': 'Object Lock would make sandbox teardown impossible; datasets here are working data, not records',
};

export interface GateOptions {
  /**
   * aws-cdk-lib's builtin CloudFormation validation, run by the gates in a worker thread. The gates
   * decide for the app: `false` (or CDK_VALIDATION=false, what `cdk synth --no-validation` sets)
   * turns it off whatever the App's own `builtinCloudFormationValidation` says.
   * @default true
   */
  readonly builtinValidation?: boolean;
}

/**
 * Add every gate to the app: cdk-nag (AwsSolutions, NIST 800-53 R5), the Control Tower guard rules
 * and aws-cdk-lib's builtin CloudFormation validation. aws-cdk-lib runs plugins one after another,
 * so the two slow ones (the guard rules and the builtin validation) run in worker threads:
 * the first plugin starts both, cdk-nag runs in the main thread meanwhile, and the last two take
 * their reports. Registering the builtin validation here replaces aws-cdk-lib's default one.
 */
export function addGates(app: App, options: GateOptions = {}): void {
  const guard = new ControlTowerRules();
  const builtin = new ThreadedCloudFormationValidate(
    (options.builtinValidation ?? true) && process.env.CDK_VALIDATION !== 'false' ? app.outdir : undefined);
  Validations.of(app).addPlugins(
    threadStarter('gates in worker threads (start)', [guard.thread, ...(builtin.thread ? [builtin.thread] : [])]),
    new AwsSolutionsChecks(app),
    new NIST80053R5Checks(app),
    new IamAuthorizationChecks(),
    builtin,
    guard,
  );
}

/**
 * aws-cdk-lib's CloudFormation validation, the same class and rules, run in a worker thread; or,
 * made without an output directory, no validation at all. Being an instance of the class, it takes
 * the place of aws-cdk-lib's default either way. Its engine is a 9 MB WebAssembly module, never
 * loaded in the app's thread (its version comes from its package.json). On this app (figures in
 * docs/performance.md, "Where synth time goes"):
 * - V8 compiles the module twice by default, quickly (Liftoff) and then optimized (TurboFan) in
 *   background threads; with Liftoff only it takes about half the CPU and less wall time, with
 *   the same findings (both tiers implement the same WebAssembly semantics);
 * - the engine costs ~0.9 s to start and is started again for resource types it has not seen, so
 *   the thread warms it up while the app is still being constructed, on a template with the
 *   resource types of the previous synth into the same directory (none on the first): that
 *   choice only decides how much work is left for the real validation, never its findings.
 */
class ThreadedCloudFormationValidate extends CloudFormationValidatePlugin {
  public readonly thread?: PluginThread;

  constructor(outdir?: string) {
    super();
    if (outdir !== undefined) {
      const warmUp = warmUpTemplate(outdir);
      this.thread = new PluginThread(require.resolve('aws-cdk-lib'), 'CloudFormationValidatePlugin', (context) => [{ props: {}, context }], {
        warmUp: { props: {}, context: { templatePaths: [warmUp], stackTemplates: [{ stackConstructPath: 'WarmUp', templatePath: warmUp, accountId: undefined, region: undefined }] } },
        v8Flags: ['--liftoff-only'],
      });
    }
  }

  public override get version(): string {
    return ENGINE_VERSION;
  }

  public override get ruleIds(): string[] {
    return [ENGINE_VERSION];
  }

  public override validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    return this.thread?.report(context) ?? { success: true, violations: [] };
  }
}

/** The validation engine's version, as aws-cdk-lib's plugin reports it, read without loading it. */
const ENGINE_VERSION = (JSON.parse(fs.readFileSync(require.resolve('@aws/cloudformation-validate/package.json', {
  paths: [path.dirname(require.resolve('aws-cdk-lib/package.json'))],
}), 'utf8')) as { version: string }).version;

/** A template with one bare resource of every type in `outdir`'s templates (kept in the OS temp directory). */
function warmUpTemplate(outdir: string): string {
  const types = new Set<string>();
  for (const file of fs.existsSync(outdir) ? fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json')) : []) {
    try {
      for (const type of resourceTypesIn(path.join(outdir, file))) {
        types.add(type);
      }
    } catch {
      // A template being rewritten or not JSON: the warm-up only knows fewer types.
    }
  }
  const template = JSON.stringify({ Resources: Object.fromEntries([...types].sort().map((type, i) => [`R${i}`, { Type: type }])) });
  const file = path.join(os.tmpdir(), `gates-warm-up-${createHash('sha256').update(template).digest('hex').slice(0, 16)}.template.json`);
  if (!fs.existsSync(file)) {
    // Written aside and renamed: a synth beside this one must never read half of it.
    const partial = `${file}.${process.pid}`;
    fs.writeFileSync(partial, template);
    fs.renameSync(partial, file);
  }
  return file;
}

const GUARD_PACKAGE = require.resolve('@cdklabs/cdk-validator-cfnguard');
const GUARD_RULES_DIR = path.join(path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')), 'rules/control-tower');

let evaluatedTypes: ReadonlyMap<string, readonly string[]> | undefined;

/**
 * Every Control Tower rule file name -> the resource types its metadata says it evaluates (empty
 * when it says none, so the rule is always kept). Read once per process.
 */
function guardRuleTypes(): ReadonlyMap<string, readonly string[]> {
  if (!evaluatedTypes) {
    const types = new Map<string, readonly string[]>();
    for (const service of fs.readdirSync(path.join(GUARD_RULES_DIR, 'cfn-guard'))) {
      for (const file of fs.readdirSync(path.join(GUARD_RULES_DIR, 'cfn-guard', service))) {
        const rule = file.replace(/\.guard$/, '');
        const metadata = path.join(GUARD_RULES_DIR, 'metadata', service, `${rule}.metadata.json`);
        const meta = fs.existsSync(metadata) ? (JSON.parse(fs.readFileSync(metadata, 'utf8')) as { EvaluatedResourceTypes?: string[] }) : {};
        types.set(rule, meta.EvaluatedResourceTypes ?? []);
      }
    }
    evaluatedTypes = types;
  }
  return evaluatedTypes;
}

/**
 * Guard rule file names whose metadata says they evaluate only resource types absent from `types`.
 * A rule without such metadata is always kept.
 */
export function guardRulesNotEvaluating(types: ReadonlySet<string>): string[] {
  return [...guardRuleTypes()]
    .filter(([, evaluated]) => evaluated.length > 0 && !evaluated.some((t) => types.has(t)))
    .map(([rule]) => rule)
    .sort();
}

/**
 * The Control Tower rules, run only where they can find something, one template per cfn-guard run,
 * in a worker thread. cfn-guard spends its time per rule file and template, mostly allocating,
 * and a rule whose resource types are not in a template cannot report anything on it; running
 * only each template's own rules cut the guard's time several-fold (docs/performance.md). Decided per synthesis
 * from the templates themselves, so a new resource type brings its rules back automatically.
 * Same plugin name, so acknowledgements (`cdk-validator-cfnguard::<rule>`) and reports are unchanged.
 */
class ControlTowerRules implements IPolicyValidationPlugin {
  public readonly name = 'cdk-validator-cfnguard';
  public readonly thread = new PluginThread(GUARD_PACKAGE, 'CfnGuardValidator', guardRequests);

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    return this.thread.report(context);
  }
}

/** One cfn-guard run per template, with the rules that apply to it; a template none applies to is left out. */
function guardRequests(context: PortableContext): PluginRequest[] {
  return context.templatePaths
    .map((templatePath) => ({
      props: { disabledRules: [...new Set([...Object.keys(DISABLED_GUARD_RULES), ...guardRulesNotEvaluating(resourceTypesIn(templatePath))])] },
      context: { ...context, templatePaths: [templatePath], stackTemplates: context.stackTemplates.filter((s) => s.templatePath === templatePath) },
    }))
    .filter((request) => request.props.disabledRules.length < guardRuleTypes().size); // cfn-guard needs a rule
}

function resourceTypesIn(templatePath: string): Set<string> {
  const template = JSON.parse(fs.readFileSync(templatePath, 'utf8')) as { Resources?: Record<string, { Type: string }> };
  return new Set(Object.values(template.Resources ?? {}).map((r) => r.Type));
}

/**
 * Acknowledge one finding of one rule on one construct. `rule` is the cdk-nag id
 * (`AwsSolutions-IAM5[Resource::*]`, `NIST.800.53.R5-LambdaInsideVPC`) or a guard rule name
 * (`guard:LAMBDA_INSIDE_VPC_CHECK`). The reason is recorded in the cloud assembly, where the
 * docs test reads it back.
 */
export function acknowledge(construct: IConstruct, rule: string, reason: string): void {
  if (reason.trim().length < 20) {
    throw new Error(`Acknowledgement of ${rule} on ${construct.node.path} needs a real reason (got ${JSON.stringify(reason)})`);
  }
  const id = rule.startsWith('guard:') ? `cdk-validator-cfnguard::${rule.slice('guard:'.length)}` : rule;
  Validations.of(construct).acknowledge({ id, reason });
}

type BucketAccess = 'read' | 'put' | 'write' | 'readWrite';

const S3_WILDCARD_ACTIONS: Record<BucketAccess, string[]> = {
  read: ['s3:GetObject*', 's3:GetBucket*', 's3:List*'],
  put: ['s3:Abort*'],
  write: ['s3:DeleteObject*', 's3:Abort*'],
  readWrite: ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'],
};
const KMS_ENCRYPT_WILDCARDS = ['kms:ReEncrypt*', 'kms:GenerateDataKey*'];

/**
 * Acknowledge the wildcards a CDK bucket grant writes (`bucket.grantRead(fn)` gives `s3:GetObject*`
 * on `<bucket>/*`), on the one principal that received it. The ids are computed from the bucket's
 * logical id, so the acknowledgement follows the construct and names no hash by hand.
 */
export function acknowledgeBucketGrant(
  principal: IConstruct,
  bucket: s3.IBucket,
  access: BucketAccess,
  objectsKeyPattern = '*',
): void {
  const reason = `CDK grant (${access}) on objects "${objectsKeyPattern}" of ${bucket.node.path} only; the wildcards are the action family and the object keys`;
  const findings = [
    ...S3_WILDCARD_ACTIONS[access].map((a) => `Action::${a}`),
    `Resource::<${logicalIdOf(bucket)}.Arn>/${objectsKeyPattern}`,
  ];
  for (const finding of findings) {
    acknowledge(principal, `AwsSolutions-IAM5[${finding}]`, reason);
  }
  if (access !== 'read' && bucket.encryptionKey) {
    acknowledgeKeyGrant(principal, `Writing SSE-KMS objects to ${bucket.node.path}`);
  }
}

/**
 * Acknowledge the KMS action families (`kms:GenerateDataKey*`, `kms:ReEncrypt*`) that CDK grants
 * write when a principal encrypts with a customer-managed key (writing to an encrypted bucket,
 * queue, topic, stream or table), on the one principal that received them.
 */
export function acknowledgeKeyGrant(principal: IConstruct, why: string): void {
  for (const action of KMS_ENCRYPT_WILDCARDS) {
    acknowledge(principal, `AwsSolutions-IAM5[Action::${action}]`, `${why}: CDK grants the kms:GenerateDataKey* and kms:ReEncrypt* families on that key only`);
  }
}

/**
 * Acknowledge the wildcard-resource finding (`AwsSolutions-IAM5[Resource::...]`) of one ARN on one
 * principal. `arn` is the value the grant was written with (`stack.formatArn(...)`,
 * `asset.bucket.arnForObjects('*')`, tokens welcome), not its rendering: the finding id is computed
 * when the app is validated, from the resolved ARN, exactly as cdk-nag renders it. So the one
 * acknowledgement holds whether the stack is environment-agnostic (`<AWS::AccountId>`) or pinned
 * (`-c account=... -c region=...` writes the literal account, region and partition into the ARN).
 */
export function acknowledgeResource(principal: IConstruct, arn: string, reason: string): void {
  const stack = Stack.of(principal);
  if (reason.trim().length < 20) {
    throw new Error(`Acknowledgement of ${arn} on ${principal.node.path} needs a real reason (got ${JSON.stringify(reason)})`);
  }
  // Validations run after every construct exists and before the plugins read the assembly.
  principal.node.addValidation({
    validate: () => {
      acknowledge(principal, `AwsSolutions-IAM5[${wildcardResourceFinding(stack, arn)}]`, reason);
      return [];
    },
  });
}

/** `Resource::<arn as cdk-nag renders it>` for an ARN of `stack` (tokens resolved and flattened). */
export function wildcardResourceFinding(stack: Stack, arn: string): string {
  return `Resource::${String(flattenCfnReference(stack.resolve(arn)))}`;
}

/**
 * Acknowledge, on the one principal that received it, what CDK's Kinesis stream read grant
 * (`stream.grantRead`, used by Firehose's Kinesis source and Lambda's Kinesis event source) adds
 * that AWS cannot authorize on a stream ARN: kinesis:ListStreams takes no resource ("*" only), and
 * kinesis:SubscribeToShard / DescribeStreamConsumer take enhanced fan-out consumer ARNs. Nothing
 * here registers a consumer or lists streams, so these grant nothing and nothing needs them.
 */
export function acknowledgeStreamReadGrant(principal: IConstruct): void {
  const reason = 'Added by CDK\'s Kinesis stream read grant on the stream ARN; AWS authorizes these only on "*" (ListStreams) or consumer ARNs, so they grant nothing, and no enhanced fan-out consumer is used';
  for (const action of ['kinesis:ListStreams', 'kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer']) {
    acknowledge(principal, `${IAM_AUTHORIZATION_PLUGIN}::ResourceType[${action}]`, reason);
  }
}

/** The granular IAM5 finding for `<resource ARN><suffix>`, e.g. a table's index ARNs. */
export function arnWildcardFinding(resource: IConstruct, suffix: string): string {
  return `Resource::<${logicalIdOf(resource)}.Arn>${suffix}`;
}

function logicalIdOf(resource: IConstruct): string {
  const child = resource.node.defaultChild;
  if (!(child instanceof CfnElement)) {
    throw new Error(`${resource.node.path} has no CloudFormation resource to name in an acknowledgement`);
  }
  return Stack.of(resource).getLogicalId(child);
}

/** One finding left after acknowledgements. */
export interface Finding {
  readonly plugin: string;
  readonly rule: string;
  readonly path: string;
  readonly description: string;
}

interface RawReport {
  pluginReports?: Array<{
    pluginName: string;
    conclusion: string;
    violations?: Array<{
      ruleName: string;
      description: string;
      violatingConstructs?: Array<{ constructPath?: string; resourceLogicalId?: string }>;
    }>;
  }>;
}

/**
 * Read `<outdir>/validation-report.json` and list every finding. The guard plugin can report
 * "success" with findings left (acknowledging one finding flips the conclusion), so this trusts
 * the findings, never the conclusion. Plugins with nothing to report are left out of the file.
 */
export function readFindings(outdir: string): Finding[] {
  const file = path.join(outdir, 'validation-report.json');
  if (!fs.existsSync(file)) {
    return [];
  }
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as RawReport;
  const plugins = report.pluginReports ?? [];
  const findings: Finding[] = [];
  for (const plugin of plugins) {
    for (const v of plugin.violations ?? []) {
      for (const c of v.violatingConstructs ?? [{}]) {
        findings.push({
          plugin: plugin.pluginName,
          rule: v.ruleName,
          path: c.constructPath ?? c.resourceLogicalId ?? '<unknown>',
          description: v.description.split('\n')[0].slice(0, 200),
        });
      }
    }
  }
  return findings;
}

/**
 * Synthesize the app and fail (exit 1, the findings printed) on any finding a gate left. It trusts
 * the findings in the report, not the plugins' conclusions (see readFindings), and a synth error
 * after the report is read is thrown as it was.
 */
export function synthesizeGated(app: App): void {
  let synthError: unknown;
  try {
    app.synth();
  } catch (err) {
    synthError = err;
  }
  const findings = readFindings(app.outdir);
  if (findings.length > 0) {
    console.error(`${findings.length} unacknowledged finding(s):\n${formatFindings(findings)}`);
    process.exit(1);
  }
  if (synthError) {
    throw synthError;
  }
}

export function formatFindings(findings: Finding[]): string {
  return findings.map((f) => `${f.plugin} ${f.rule} at ${f.path}: ${f.description}`).join('\n');
}
