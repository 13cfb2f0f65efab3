/**
 * An in-memory DynamoDB table for the document client (lib-dynamodb) under aws-sdk-client-mock:
 * GetCommand, PutCommand and UpdateCommand with the expression grammar the handlers of this
 * project write, evaluated the way DynamoDB does, so a simulation or a test sees conditional
 * writes succeed and fail as they would on AWS. Supported: `SET path = :v, ...`, `REMOVE path,
 * ...`; conditions built from `attribute_exists(path)`, `attribute_not_exists(path)`, and
 * `path <op> :v` (=, <>, <, <=, >, >=) joined by AND, OR and parentheses; paths of names or
 * `#placeholders` separated by dots. Anything else throws naming the expression, so a handler
 * that starts writing something this does not understand fails its tests instead of passing them.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsStub } from 'aws-sdk-client-mock';

type Item = Record<string, unknown>;
type Names = Record<string, string> | undefined;
type Values = Record<string, unknown> | undefined;

export class MemoryTable {
  readonly items = new Map<string, Item>();

  constructor(readonly partitionKey: string) {}

  get(key: Item): Item | undefined {
    const item = this.items.get(this.id(key));
    return item === undefined ? undefined : structuredClone(item);
  }

  /** Answer the document client's Get/Put/Update commands from this table. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  serve(mock: AwsStub<any, any, any>): void {
    mock.on(GetCommand).callsFake(async (input: { Key: Item }) => ({ Item: this.get(input.Key) }));
    mock.on(PutCommand).callsFake(async (input: { Item: Item; ConditionExpression?: string; ExpressionAttributeNames?: Names; ExpressionAttributeValues?: Values }) => {
      const old = this.items.get(this.id(input.Item));
      this.check(old, input.ConditionExpression, input.ExpressionAttributeNames, input.ExpressionAttributeValues);
      this.items.set(this.id(input.Item), structuredClone(input.Item));
      return {};
    });
    mock.on(UpdateCommand).callsFake(async (input: {
      Key: Item; UpdateExpression: string; ConditionExpression?: string; ExpressionAttributeNames?: Names; ExpressionAttributeValues?: Values; ReturnValues?: string;
    }) => {
      const old = this.items.get(this.id(input.Key));
      this.check(old, input.ConditionExpression, input.ExpressionAttributeNames, input.ExpressionAttributeValues);
      const item: Item = structuredClone(old ?? { ...input.Key });
      applyUpdate(item, input.UpdateExpression, input.ExpressionAttributeNames, input.ExpressionAttributeValues);
      this.items.set(this.id(input.Key), item);
      if (input.ReturnValues === 'ALL_NEW') return { Attributes: structuredClone(item) };
      if (input.ReturnValues === 'ALL_OLD') return { Attributes: old ? structuredClone(old) : undefined };
      return {};
    });
  }

  private id(key: Item): string {
    const value = key[this.partitionKey];
    if (typeof value !== 'string') {
      throw new Error(`MemoryTable: key ${this.partitionKey} must be a string (got ${JSON.stringify(value)})`);
    }
    return value;
  }

  private check(item: Item | undefined, condition: string | undefined, names: Names, values: Values): void {
    if (condition && !evaluate(item ?? {}, condition, names, values)) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    }
  }
}

function pathOf(text: string, names: Names): string[] {
  return text.trim().split('.').map((part) => {
    if (part.startsWith('#')) {
      const name = names?.[part];
      if (name === undefined) throw new Error(`MemoryTable: no ExpressionAttributeNames entry for ${part}`);
      return name;
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) throw new Error(`MemoryTable: unsupported path part ${JSON.stringify(part)}`);
    return part;
  });
}

function read(item: Item, path: string[]): unknown {
  let at: unknown = item;
  for (const p of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Item)[p];
  }
  return at;
}

function valueOf(token: string, values: Values): unknown {
  if (!token.startsWith(':') || !values || !(token in values)) {
    throw new Error(`MemoryTable: no ExpressionAttributeValues entry for ${token}`);
  }
  return values[token];
}

function applyUpdate(item: Item, expression: string, names: Names, values: Values): void {
  const clauses = expression.split(/\b(SET|REMOVE)\b/).map((s) => s.trim()).filter((s) => s.length > 0);
  for (let i = 0; i < clauses.length; i += 2) {
    const [verb, body] = [clauses[i], clauses[i + 1] ?? ''];
    for (const action of body.split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
      if (verb === 'SET') {
        const [lhs, rhs] = action.split('=').map((s) => s.trim());
        const path = pathOf(lhs, names);
        let at = item;
        for (const p of path.slice(0, -1)) {
          if (typeof at[p] !== 'object' || at[p] === null) throw new Error(`MemoryTable: SET ${lhs} into a missing map (DynamoDB fails this with a ValidationException)`);
          at = at[p] as Item;
        }
        at[path[path.length - 1]] = structuredClone(valueOf(rhs, values));
      } else if (verb === 'REMOVE') {
        const path = pathOf(action, names);
        const parent = read(item, path.slice(0, -1));
        if (typeof parent === 'object' && parent !== null) delete (parent as Item)[path[path.length - 1]];
      } else {
        throw new Error(`MemoryTable: unsupported update clause ${JSON.stringify(verb)} in ${JSON.stringify(expression)}`);
      }
    }
  }
}

/** Recursive-descent evaluation of a condition expression: OR of ANDs of atoms or parentheses. */
function evaluate(item: Item, expression: string, names: Names, values: Values): boolean {
  const tokens = expression.match(/\(|\)|<>|<=|>=|=|<|>|,|[^\s(),<>=]+/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const expect = (t: string) => {
    if (next() !== t) throw new Error(`MemoryTable: expected ${t} in ${JSON.stringify(expression)}`);
  };
  const or = (): boolean => {
    let v = and();
    while (peek()?.toUpperCase() === 'OR') {
      next();
      v = and() || v;
    }
    return v;
  };
  const and = (): boolean => {
    let v = atom();
    while (peek()?.toUpperCase() === 'AND') {
      next();
      v = atom() && v;
    }
    return v;
  };
  const atom = (): boolean => {
    const t = next();
    if (t === '(') {
      const v = or();
      expect(')');
      return v;
    }
    if (t === 'attribute_exists' || t === 'attribute_not_exists') {
      expect('(');
      const exists = read(item, pathOf(next(), names)) !== undefined;
      expect(')');
      return t === 'attribute_exists' ? exists : !exists;
    }
    const left = read(item, pathOf(t, names));
    const op = next();
    const right = valueOf(next(), values);
    return compare(left, op, right, expression);
  };
  const result = or();
  if (i !== tokens.length) throw new Error(`MemoryTable: could not parse ${JSON.stringify(expression)}`);
  return result;
}

function compare(left: unknown, op: string, right: unknown, expression: string): boolean {
  if (op === '=') return left !== undefined && JSON.stringify(left) === JSON.stringify(right);
  // A comparison with a missing attribute is false here, whatever the operator: the handlers say
  // attribute_not_exists(...) where they mean it, so they never depend on the missing case.
  if (op === '<>') return left !== undefined && JSON.stringify(left) !== JSON.stringify(right);
  if (left === undefined || typeof left !== typeof right || (typeof left !== 'string' && typeof left !== 'number')) return false;
  const l = left as string | number;
  const r = right as string | number;
  switch (op) {
    case '<': return l < r;
    case '<=': return l <= r;
    case '>': return l > r;
    case '>=': return l >= r;
    default: throw new Error(`MemoryTable: unsupported operator ${op} in ${JSON.stringify(expression)}`);
  }
}

