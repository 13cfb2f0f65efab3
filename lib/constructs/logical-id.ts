import { createHash } from 'node:crypto';
import { CfnElement } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * The logical id CDK gives a resource whose construct path below its stack is `components`
 * (e.g. ['Stream', 'Resource']): the same rule as aws-cdk-lib's own (a lone top-level id is kept
 * as it is; otherwise the path's letters and digits, 'Resource' and 'Default' left out, then the
 * first 8 hex digits of the MD5 of the path). test/constructs/logical-id.test.ts compares it with
 * what aws-cdk-lib allocates.
 */
export function logicalIdAt(components: readonly string[]): string {
  const parts = components.filter((c) => c !== 'Default');
  const alnum = (s: string) => s.replace(/[^A-Za-z0-9]/g, '');
  if (parts.length === 1 && alnum(parts[0]).length <= 255) {
    return alnum(parts[0]);
  }
  const hash = createHash('md5').update(parts.join('/')).digest('hex').slice(0, 8).toUpperCase();
  const human: string[] = [];
  for (const c of parts) {
    if (human.length === 0 || !human[human.length - 1].endsWith(c)) {
      human.push(c);
    }
  }
  return human.filter((c) => c !== 'Resource').map(alnum).join('').slice(0, 240) + hash;
}

/**
 * Keep the logical id a stateful resource had before it moved into a construct: a new logical id
 * makes CloudFormation create a new resource and delete the old one (an empty stream, table or log
 * group in place of the full one). `formerPath` is the construct path it had below the stack
 * (`'Stream'`); the path of its CloudFormation resource inside it (`/Resource`) is added.
 */
export function keepLogicalId(construct: IConstruct, formerPath: string): void {
  const element = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  if (!(element instanceof CfnElement)) {
    throw new Error(`${construct.node.path} has no CloudFormation resource whose logical id could be kept`);
  }
  const inside = element === construct ? [] : element.node.path.slice(construct.node.path.length + 1).split('/');
  element.overrideLogicalId(logicalIdAt([...formerPath.split('/'), ...inside]));
}
