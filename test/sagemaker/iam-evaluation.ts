/**
 * A small, explicit evaluator of synthesized IAM statements and security group rules for the
 * SageMaker tests: enough of the policy language to decide whether a request with given condition
 * keys is allowed (explicit Deny wins, then any Allow), and whether members of a security group
 * may exchange a protocol/port. Values are compared after rendering CloudFormation intrinsics the
 * same way on both sides (`render`), so a request resolved from the stack and the template's
 * policy meet as plain strings. Operators it does not know throw: a new condition is never
 * silently treated as satisfied.
 */
import { Template } from 'aws-cdk-lib/assertions';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export interface Statement { Sid?: string; Effect: string; Action: string | string[]; Resource: Json; Condition?: Record<string, Record<string, Json>> }
/** Condition keys of one request: a string, a list of strings, or absent (undefined). */
export type RequestContext = Record<string, string | string[] | undefined>;

const PSEUDO: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': 'us-east-1', 'AWS::AccountId': '123456789012', 'AWS::URLSuffix': 'amazonaws.com' };

/** A CloudFormation value as a string: pseudo parameters filled in, references as `<LogicalId>` / `<LogicalId.Attr>`. */
export function render(value: Json): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  const v = value as Record<string, Json>;
  if (v && 'Ref' in v) {
    return PSEUDO[v.Ref as string] ?? `<${v.Ref as string}>`;
  }
  if (v && 'Fn::GetAtt' in v) {
    return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  }
  if (v && 'Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, Json[]];
    return parts.map(render).join(sep);
  }
  throw new Error(`Cannot render ${JSON.stringify(value).slice(0, 200)}`);
}

const list = (v: Json | undefined): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const glob = (pattern: string, value: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(value);

/** Every statement of every AWS::IAM::Policy attached to a role whose logical id starts with `rolePrefix`. */
export function statementsOfRole(template: Template, rolePrefix: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref.startsWith(rolePrefix)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

function conditionHolds(operator: string, key: string, expected: Json, context: RequestContext): boolean {
  const actual = context[key];
  const wanted = list(expected).map(render);
  const values = actual === undefined ? [] : Array.isArray(actual) ? actual : [actual];
  switch (operator) {
    case 'Null':
      return (actual === undefined) === (render(expected) === 'true');
    case 'Bool':
    case 'StringEquals':
    case 'ArnEquals':
      return values.length > 0 && values.every((v) => wanted.includes(v)) && !Array.isArray(actual);
    case 'ForAllValues:StringEquals':
      return values.every((v) => wanted.includes(v));
    default:
      throw new Error(`iam-evaluation does not know the condition operator ${operator}`);
  }
}

export function statementApplies(st: Statement, action: string, resource: string, context: RequestContext): boolean {
  if (!list(st.Action).some((a) => glob(String(a), action)) || !list(st.Resource).some((r) => glob(render(r), resource))) {
    return false;
  }
  return Object.entries(st.Condition ?? {}).every(([op, keys]) => Object.entries(keys).every(([key, expected]) => conditionHolds(op, key, expected, context)));
}

/** 'Deny' (an explicit Deny applies), 'Allow' (an Allow applies), or 'ImplicitDeny'. */
export function decide(statements: Statement[], action: string, resource: string, context: RequestContext): 'Allow' | 'Deny' | 'ImplicitDeny' {
  const applying = statements.filter((st) => statementApplies(st, action, resource, context));
  if (applying.some((st) => st.Effect === 'Deny')) {
    return 'Deny';
  }
  return applying.some((st) => st.Effect === 'Allow') ? 'Allow' : 'ImplicitDeny';
}

export interface SgRule { direction: 'in' | 'out'; protocol: string; from?: number; to?: number }

/** The rules of security group `groupLogicalId` whose peer is the same group (members to members). */
export function selfReferencingRules(template: Template, groupLogicalId: string): SgRule[] {
  const self = (v: Json | undefined) => v !== undefined && render(v) === `<${groupLogicalId}.GroupId>`;
  const rules: SgRule[] = [];
  for (const [type, direction, peer] of [['AWS::EC2::SecurityGroupIngress', 'in', 'SourceSecurityGroupId'], ['AWS::EC2::SecurityGroupEgress', 'out', 'DestinationSecurityGroupId']] as const) {
    for (const r of Object.values(template.findResources(type))) {
      const p = r.Properties as Record<string, Json>;
      if (self(p.GroupId) && self(p[peer])) {
        rules.push({ direction, protocol: String(p.IpProtocol), from: p.FromPort as number | undefined, to: p.ToPort as number | undefined });
      }
    }
  }
  return rules;
}

/** Whether `rules` let members send `protocol` (tcp, udp, or an IP protocol number) on `port` to each other, both ways. */
export function membersReach(rules: SgRule[], protocol: string, port?: number): boolean {
  const covers = (r: SgRule) => r.protocol === '-1' || (r.protocol === protocol && (port === undefined || !['tcp', 'udp'].includes(protocol) || (r.from! <= port && port <= r.to!)));
  return rules.some((r) => r.direction === 'in' && covers(r)) && rules.some((r) => r.direction === 'out' && covers(r));
}
