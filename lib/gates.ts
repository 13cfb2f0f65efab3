import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { IConstruct } from 'constructs';
import { CfnElement, IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport, Stack, Stage, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';

/**
 * Control Tower proactive rules that do not apply to this project, by rule file name.
 * Each one is exempt for every stack, so the reason must hold for every stack.
 */
export const DISABLED_GUARD_RULES: Readonly<Record<string, string>> = {
  // S3 Object Lock makes objects undeletable for the retention period: a sandbox stack could
  // then never be torn down to zero cost, and ML datasets are rewritten, not archived.
  'ct-s3-pr-9': 'Object Lock would make sandbox teardown impossible; datasets here are working data, not records',
};

/** Add cdk-nag (AwsSolutions, NIST 800-53 R5) and the Control Tower guard rules to an app or stage. */
export function addGates(stage: Stage): void {
  Validations.of(stage).addPlugins(new AwsSolutionsChecks(stage), new NIST80053R5Checks(stage), new ApplicableGuardRules());
}

const GUARD_RULES_DIR = path.join(path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')), 'rules/control-tower');

/**
 * Guard rule file names whose metadata says they evaluate only resource types absent from `types`.
 * A rule without such metadata is always kept.
 */
export function guardRulesNotEvaluating(types: ReadonlySet<string>): string[] {
  const metadataDir = path.join(GUARD_RULES_DIR, 'metadata');
  const skipped: string[] = [];
  for (const service of fs.readdirSync(metadataDir)) {
    for (const file of fs.readdirSync(path.join(metadataDir, service))) {
      const meta = JSON.parse(fs.readFileSync(path.join(metadataDir, service, file), 'utf8')) as { EvaluatedResourceTypes?: string[] };
      const evaluated = meta.EvaluatedResourceTypes ?? [];
      if (evaluated.length > 0 && !evaluated.some((t) => types.has(t))) {
        skipped.push(file.replace(/\.metadata\.json$/, ''));
      }
    }
  }
  return skipped.sort();
}

/**
 * The Control Tower rules, run only where they can find something: cfn-guard spends most of its
 * time loading ~240 rule files, and a rule whose resource types are in none of the templates
 * being validated cannot report anything. Measured on this app's four templates: 6.6 s with every
 * rule, 1.4 s with the 35 that apply. Decided per synthesis from the templates themselves, so a
 * new resource type brings its rules back automatically. Same plugin name, so acknowledgements
 * (`cdk-validator-cfnguard::<rule>`) and reports are unchanged.
 */
class ApplicableGuardRules implements IPolicyValidationPlugin {
  public readonly name = 'cdk-validator-cfnguard';

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const types = new Set<string>();
    for (const file of context.templatePaths) {
      const template = JSON.parse(fs.readFileSync(file, 'utf8')) as { Resources?: Record<string, { Type: string }> };
      for (const resource of Object.values(template.Resources ?? {})) {
        types.add(resource.Type);
      }
    }
    const disabledRules = [...Object.keys(DISABLED_GUARD_RULES), ...guardRulesNotEvaluating(types)];
    return new CfnGuardValidator({ disabledRules }).validate(context);
  }
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

export function formatFindings(findings: Finding[]): string {
  return findings.map((f) => `${f.plugin} ${f.rule} at ${f.path}: ${f.description}`).join('\n');
}
