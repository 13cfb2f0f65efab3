/**
 * Reading CloudFormation values the way the data-flow derivation needs them: which resources a
 * value refers to (Ref, Fn::GetAtt, Fn::Sub), and a state machine's DefinitionString with its
 * intrinsic functions turned back into a parseable JSON document.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
  readonly Metadata?: Record<string, Json>;
}

export interface CfnTemplate {
  readonly Description?: string;
  readonly Resources?: Record<string, CfnResource>;
}

const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Logical ids of `value`'s own Ref/Fn::GetAtt/Fn::Sub, or undefined when it is not one. */
function directRefs(value: Record<string, Json>): string[] | undefined {
  const keys = Object.keys(value);
  if (keys.length !== 1) {
    return undefined;
  }
  const [key] = keys;
  const arg = value[key];
  if (key === 'Ref' && typeof arg === 'string') {
    return arg.startsWith('AWS::') ? [] : [arg];
  }
  if (key === 'Fn::GetAtt') {
    if (Array.isArray(arg) && typeof arg[0] === 'string') {
      return [arg[0]];
    }
    if (typeof arg === 'string') {
      return [arg.split('.')[0]];
    }
  }
  if (key === 'Fn::Sub') {
    const text = Array.isArray(arg) ? arg[0] : arg;
    if (typeof text === 'string') {
      const ids = [...text.matchAll(/\$\{([^}!]+)\}/g)].map((m) => m[1].split('.')[0]).filter((id) => !id.startsWith('AWS::'));
      return ids;
    }
  }
  return undefined;
}

/** Every logical id a value refers to, anywhere inside it, in order of appearance, without repeats. */
export function refsIn(value: Json | undefined): string[] {
  const found: string[] = [];
  const walk = (v: Json | undefined): void => {
    if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (isObject(v)) {
      const direct = directRefs(v);
      if (direct) {
        found.push(...direct);
        if (Object.keys(v)[0] === 'Fn::Sub' && Array.isArray(v['Fn::Sub'])) {
          walk(v['Fn::Sub'][1]);
        }
        return;
      }
      Object.values(v).forEach(walk);
    }
  };
  walk(value);
  return [...new Set(found)];
}

/** A reference to a resource inside a flattened string: `{{ref:LogicalId}}`. */
export const tokenFor = (logicalId: string): string => `{{ref:${logicalId}}}`;
const TOKEN = /\{\{ref:([A-Za-z0-9]+)\}\}/g;

/** Logical ids referenced by tokens inside a flattened string. */
export function tokensIn(text: string): string[] {
  return [...new Set([...text.matchAll(TOKEN)].map((m) => m[1]))];
}

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'region',
  'AWS::AccountId': 'account',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'stack',
};

/**
 * Flatten a string-valued intrinsic (Fn::Join, Fn::Sub, Ref, Fn::GetAtt) into text, resource
 * references becoming `{{ref:Id}}` and pseudo parameters fixed words. Used for a state machine's
 * DefinitionString (CDK writes it as Fn::Join of JSON fragments and references) and service names.
 */
export function flatten(value: Json | undefined): string {
  if (value === undefined || value === null) {
    return '';
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  if (Array.isArray(value)) {
    return value.map(flatten).join(',');
  }
  if ('Fn::Join' in value && Array.isArray(value['Fn::Join'])) {
    const [sep, parts] = value['Fn::Join'] as [string, Json[]];
    return (parts ?? []).map(flatten).join(sep);
  }
  if ('Ref' in value && typeof value.Ref === 'string') {
    return PSEUDO[value.Ref] ?? tokenFor(value.Ref);
  }
  if ('Fn::GetAtt' in value) {
    return tokenFor(refsIn(value)[0]);
  }
  if ('Fn::Sub' in value) {
    const arg = value['Fn::Sub'];
    const text = Array.isArray(arg) ? String(arg[0]) : String(arg);
    return text.replace(/\$\{([^}!]+)\}/g, (_m, name: string) => PSEUDO[name] ?? tokenFor(name.split('.')[0]));
  }
  if ('Fn::Select' in value && Array.isArray(value['Fn::Select'])) {
    return `{{select}}${refsIn(value).map(tokenFor).join('')}`;
  }
  return refsIn(value).map(tokenFor).join('');
}

/**
 * Each string leaf of a JSON value with the key path that leads to it, and the list item it sits
 * in (a training channel, a processing input), whose other keys name it.
 */
export function leaves(
  value: Json | undefined,
  path: string[] = [],
  item?: Record<string, Json>,
): Array<{ path: string[]; text: string; item?: Record<string, Json> }> {
  if (typeof value === 'string') {
    return [{ path, text: value, item }];
  }
  if (Array.isArray(value)) {
    return value.flatMap((v) => leaves(v, path, isObject(v) ? v : item));
  }
  if (isObject(value)) {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k], item));
  }
  return [];
}

/**
 * A state machine's definition from its template properties (DefinitionString or Definition), or
 * undefined when it is built from intrinsics this reader does not know.
 */
export function definitionOf(properties: Record<string, Json>): Json | undefined {
  const text = properties.DefinitionString !== undefined ? flatten(properties.DefinitionString) : JSON.stringify(properties.Definition ?? {});
  // A reference that stands for a number or a boolean (a parameter in TimeoutSeconds) is not
  // quoted in the JSON: quote it so the document parses.
  const quoted = text.replace(/([:[,]\s*)(\{\{ref:[A-Za-z0-9]+\}\})/g, '$1"$2"');
  try {
    return JSON.parse(quoted) as Json;
  } catch {
    return undefined;
  }
}

export { isObject };
