/**
 * Small local Step Functions harness for the SageMaker state machines: take a definition out of a
 * template (references replaced by fake values), validate it with asl-validator, run it with
 * aws-local-stepfunctions with every Task answered by a local handler. (A generic helper is being
 * written on another branch; the lead folds the two.)
 */
import validator from 'asl-validator';
import { StateMachine } from 'aws-local-stepfunctions';

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node >= 22); polyfill it on Node 20.
const P = Promise as unknown as { withResolvers?: () => unknown };
P.withResolvers ??= () => {
  let resolve: unknown;
  let reject: unknown;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
};

/**
 * Deep copy in this realm. Not structuredClone: under jest it returns objects of Node's outer
 * realm, which aws-local-stepfunctions' plain-object check rejects, so nested "Key.$" fields
 * would silently stay unevaluated.
 */
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export interface Definition { StartAt: string; States: Record<string, { Type: string; [k: string]: unknown }> }
type Resources = Record<string, { Type: string }>;

const FAKE = { account: '123456789012', region: 'eu-west-1' };

function resolveValue(resources: Resources, mappings: Record<string, Record<string, Record<string, string>>>, v: unknown): string {
  if (typeof v === 'string') return v;
  const o = v as Record<string, unknown>;
  if ('Ref' in o) {
    const id = o.Ref as string;
    const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': FAKE.region, 'AWS::AccountId': FAKE.account, 'AWS::URLSuffix': 'amazonaws.com' };
    if (id in pseudo) return pseudo[id];
    if (!(id in resources)) throw new Error(`Definition references unknown ${id}`);
    return resources[id].Type === 'AWS::SageMaker::Endpoint' ? `arn:aws:sagemaker:${FAKE.region}:${FAKE.account}:endpoint/${id.toLowerCase()}` : id.toLowerCase();
  }
  if ('Fn::GetAtt' in o) {
    const [id, attr] = o['Fn::GetAtt'] as [string, string];
    if (!(id in resources)) throw new Error(`Definition references unknown ${id}`);
    const type = resources[id].Type;
    if (attr === 'Arn' && type === 'AWS::IAM::Role') return `arn:aws:iam::${FAKE.account}:role/${id}`;
    if (attr === 'Arn' && type === 'AWS::KMS::Key') return `arn:aws:kms:${FAKE.region}:${FAKE.account}:key/${id}`;
    return `${id.toLowerCase()}-${attr.toLowerCase()}`;
  }
  if ('Fn::FindInMap' in o) {
    const [map, top, second] = (o['Fn::FindInMap'] as unknown[]).map((x) => resolveValue(resources, mappings, x));
    return mappings[map][top][second];
  }
  if ('Fn::Join' in o) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolveValue(resources, mappings, p)).join(sep);
  }
  throw new Error(`Cannot resolve ${JSON.stringify(v).slice(0, 200)}`);
}

/** The definition of the template's state machine whose logical id starts with `prefix`. */
export function definitionFrom(templateJson: unknown, prefix: string): Definition {
  const template = templateJson as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>; Mappings?: Record<string, Record<string, Record<string, string>>> };
  const found = Object.entries(template.Resources).filter(([id, r]) => r.Type === 'AWS::StepFunctions::StateMachine' && id.startsWith(prefix));
  if (found.length !== 1) throw new Error(`Expected one state machine with prefix ${prefix}, found ${found.length}`);
  return JSON.parse(resolveValue(template.Resources, template.Mappings ?? {}, found[0][1].Properties!.DefinitionString)) as Definition;
}

/** asl-validator's errors, empty when valid. */
export function validationErrors(definition: Definition): string[] {
  const result = validator(clone(definition), { checkPaths: true, checkArn: true });
  return result.isValid ? [] : result.errors.map((e) => `${e['Error code']}: ${e.Message}`);
}

/** An error named as Step Functions names it (e.g. 'States.TaskFailed'). */
export function taskError(name: string, message = name): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

export interface LocalRun {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: Json;
  readonly error?: string;
  readonly cause?: string;
  readonly path: string[];
  readonly calls: Record<string, Json[]>;
}

/** Run locally: retries without waiting, $$.Execution/$$.State from the context, Tasks by handler. */
export async function runLocally(definition: Definition, input: Json, handlers: Record<string, (input: Json) => Json | Promise<Json>>): Promise<LocalRun> {
  const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task').map(([n]) => n);
  const missing = tasks.filter((t) => !(t in handlers));
  if (missing.length > 0) throw new Error(`No local handler for ${missing.join(', ')}`);
  const calls: Record<string, Json[]> = {};
  const local = Object.fromEntries(Object.entries(handlers).map(([name, fn]) => [name, async (i: unknown) => {
    (calls[name] ??= []).push(clone(i as Json));
    return (await fn(i as Json)) as never;
  }]));
  const machine = new StateMachine(clone(definition) as never, { validationOptions: { checkArn: true, checkPaths: true } });
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: local,
      retryIntervalOverrides: Object.fromEntries(tasks.map((t) => [t, 0])),
    },
    context: {
      Execution: { Id: `arn:aws:states:${FAKE.region}:${FAKE.account}:execution:Local:run`, Name: 'run', StartTime: '2026-01-01T00:00:00.000Z', Input: input as never },
      // aws-local-stepfunctions does not count retries into $$.State.RetryCount; AWS does.
      State: { EnteredTime: '2026-01-01T00:00:00.000Z', Name: 'local', RetryCount: 0 },
    } as never,
  });
  try {
    const output = (await execution.result) as Json;
    return { status: 'SUCCEEDED', output, path: await enteredStates(execution), calls };
  } catch (err) {
    const e = err as { name?: string; message?: string; cause?: { name?: string; message?: string } };
    return { status: 'FAILED', error: e.cause?.name ?? e.name, cause: e.cause?.message ?? e.message, path: await enteredStates(execution), calls };
  }
}

async function enteredStates(execution: { eventLogs: AsyncIterable<unknown> }): Promise<string[]> {
  const path: string[] = [];
  for await (const event of execution.eventLogs) {
    const ev = event as { type: string; state?: { name: string } };
    if (ev.type === 'StateEntered' && ev.state) path.push(ev.state.name);
  }
  return path;
}
