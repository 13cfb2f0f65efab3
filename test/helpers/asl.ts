/**
 * Take a state machine definition out of a synthesized template, validate it with asl-validator
 * and execute it locally with aws-local-stepfunctions, every Task answered by a local handler.
 * Generic: any stack's state machine can be executed this way.
 *
 * Emulator limits met so far (aws-local-stepfunctions 3.0.0):
 * - Promise.withResolvers is needed (Node >= 22): polyfilled below.
 * - aws-sdk:* and other service integrations are not emulated: every Task needs a handler.
 * - $$.Execution.StartTime is set by the emulator (the context value is ignored).
 * - Intrinsic functions returning a string have every backslash removed, so
 *   States.JsonToString of a value holding a double quote yields invalid JSON (AWS escapes it).
 */
import { Template } from 'aws-cdk-lib/assertions';
import validator from 'asl-validator';
import { StateMachine } from 'aws-local-stepfunctions';

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node >= 22). On Node 20 every Task would
// fail with "Promise.withResolvers is not a function", which a Catch turns into an ordinary failure.
interface WithResolvers {
  withResolvers?: <T>() => { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void };
}
const promiseCtor = Promise as unknown as WithResolvers;
if (typeof promiseCtor.withResolvers !== 'function') {
  promiseCtor.withResolvers = <T>() => {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

/**
 * JSON deep copy. Not structuredClone: under jest it builds objects of Node's own realm, which
 * aws-local-stepfunctions' isPlainObj() does not recognise, so nested Parameters go unresolved.
 */
function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export const FAKE_ACCOUNT = '123456789012';
export const FAKE_REGION = 'us-east-1';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Definition = { StartAt: string; States: Record<string, StateJson>; TimeoutSeconds?: number; [k: string]: unknown };
export type StateJson = { Type: string; [k: string]: unknown };

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

/** A fake but well-formed value for `Ref` / `Fn::GetAtt` of a template resource. */
function fakeValue(resources: Record<string, CfnResource>, logicalId: string, attribute?: string): string {
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': FAKE_REGION,
    'AWS::AccountId': FAKE_ACCOUNT,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'TestStack',
    'AWS::StackId': `arn:aws:cloudformation:${FAKE_REGION}:${FAKE_ACCOUNT}:stack/TestStack/00000000-0000-0000-0000-000000000000`,
  };
  if (attribute === undefined && logicalId in pseudo) {
    return pseudo[logicalId];
  }
  const type = resources[logicalId]?.Type;
  if (type === undefined) {
    throw new Error(`Definition references ${logicalId}, which is not a resource of the template`);
  }
  const name = logicalId.toLowerCase();
  const arns: Record<string, string> = {
    'AWS::Lambda::Function': `arn:aws:lambda:${FAKE_REGION}:${FAKE_ACCOUNT}:function:${logicalId}`,
    'AWS::SNS::Topic': `arn:aws:sns:${FAKE_REGION}:${FAKE_ACCOUNT}:${logicalId}`,
    'AWS::SQS::Queue': `arn:aws:sqs:${FAKE_REGION}:${FAKE_ACCOUNT}:${logicalId}`,
    'AWS::S3::Bucket': `arn:aws:s3:::${name}`,
    'AWS::KMS::Key': `arn:aws:kms:${FAKE_REGION}:${FAKE_ACCOUNT}:key/${logicalId}`,
    'AWS::IAM::Role': `arn:aws:iam::${FAKE_ACCOUNT}:role/${logicalId}`,
    'AWS::StepFunctions::StateMachine': `arn:aws:states:${FAKE_REGION}:${FAKE_ACCOUNT}:stateMachine:${logicalId}`,
    'AWS::DynamoDB::Table': `arn:aws:dynamodb:${FAKE_REGION}:${FAKE_ACCOUNT}:table/${logicalId}`,
  };
  if (attribute === 'Arn' || (attribute === undefined && (type === 'AWS::SNS::Topic' || type === 'AWS::SQS::Queue' || type === 'AWS::StepFunctions::StateMachine'))) {
    // Ref of a topic, queue URL aside, or a state machine is its ARN.
    if (type === 'AWS::SQS::Queue' && attribute === undefined) {
      return `https://sqs.${FAKE_REGION}.amazonaws.com/${FAKE_ACCOUNT}/${logicalId}`;
    }
    const arn = arns[type];
    if (!arn) {
      throw new Error(`No fake ARN for ${type} (${logicalId}); add one to test/helpers/asl.ts`);
    }
    return arn;
  }
  if (attribute === undefined) {
    return type === 'AWS::KMS::Key' ? logicalId : name; // bucket, function, role names
  }
  return `${name}-${attribute.toLowerCase()}`;
}

function resolve(resources: Record<string, CfnResource>, value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  const v = value as Record<string, unknown>;
  if ('Ref' in v) {
    return fakeValue(resources, v.Ref as string);
  }
  if ('Fn::GetAtt' in v) {
    const [id, attr] = v['Fn::GetAtt'] as [string, string];
    return fakeValue(resources, id, attr);
  }
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolve(resources, p)).join(sep);
  }
  throw new Error(`Cannot resolve ${JSON.stringify(value).slice(0, 200)} in a definition`);
}

/**
 * The definition of the template's state machine (the only one, or the one whose logical id
 * starts with `logicalIdPrefix`), with every reference replaced by a fake but valid value.
 */
export function definitionFrom(template: Template, logicalIdPrefix?: string): Definition {
  const json = template.toJSON() as { Resources: Record<string, CfnResource> };
  const machines = Object.entries(json.Resources)
    .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
    .filter(([id]) => logicalIdPrefix === undefined || id.startsWith(logicalIdPrefix));
  if (machines.length !== 1) {
    throw new Error(`Expected one state machine${logicalIdPrefix ? ` with prefix ${logicalIdPrefix}` : ''}, found ${machines.map(([id]) => id).join(', ') || 'none'}`);
  }
  const body = machines[0][1].Properties?.DefinitionString;
  return JSON.parse(resolve(json.Resources, body)) as Definition;
}

/** asl-validator's errors (empty when valid), with path and ARN checks on. */
export function validateDefinition(definition: Definition): string[] {
  const result = validator(cloneJson(definition), { checkPaths: true, checkArn: true });
  return result.isValid ? [] : result.errors.map((e) => `${e['Error code']}: ${e.Message}`);
}

/** Every state of a definition, nested Map and Parallel states included. */
export function allStates(definition: Pick<Definition, 'States'>): Record<string, StateJson> {
  const out: Record<string, StateJson> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    out[name] = state;
    const nested = [state.Iterator, state.ItemProcessor, ...((state.Branches as Json[] | undefined) ?? [])];
    for (const n of nested) {
      if (n && typeof n === 'object' && 'States' in (n as object)) {
        Object.assign(out, allStates(n as unknown as Definition));
      }
    }
  }
  return out;
}

/** A local Task handler: receives the state's effective input, returns its result or throws. */
export type TaskHandler = (input: Json) => Json | Promise<Json>;

/** An error with the name Step Functions would report (e.g. 'Transcribe.ThrottlingException'). */
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
  /** State names in the order they were entered. */
  readonly path: string[];
  /** Retries per state. */
  readonly retries: Record<string, number>;
  /** Caught errors per state. */
  readonly caught: Record<string, string[]>;
  /** Inputs each Task handler received, by state name. */
  readonly calls: Record<string, Json[]>;
}

export interface RunOptions {
  /** One handler per Task state (all are required: SDK integrations are not emulated). */
  readonly handlers: Record<string, TaskHandler>;
  readonly executionName?: string;
  /** @default 2026-01-01T00:00:00.000Z */
  readonly startTime?: string;
}

/**
 * Execute a definition locally: Waits and retry intervals zeroed, $$.Execution and $$.State
 * provided through the context, every Task answered by its handler.
 */
export async function runLocally(definition: Definition, input: Json, options: RunOptions): Promise<LocalRun> {
  const states = allStates(definition);
  const tasks = Object.entries(states).filter(([, s]) => s.Type === 'Task').map(([n]) => n);
  const missing = tasks.filter((t) => !(t in options.handlers));
  if (missing.length > 0) {
    throw new Error(`No local handler for Task state(s) ${missing.join(', ')}`);
  }
  const unknown = Object.keys(options.handlers).filter((h) => !tasks.includes(h));
  if (unknown.length > 0) {
    throw new Error(`Handlers for states that are not Tasks of the definition: ${unknown.join(', ')}`);
  }
  const calls: Record<string, Json[]> = {};
  const taskResourceLocalHandlers = Object.fromEntries(Object.entries(options.handlers).map(([name, fn]) => [
    name,
    async (i: unknown) => {
      (calls[name] ??= []).push(cloneJson(i as Json));
      return (await fn(i as Json)) as never;
    },
  ]));
  const zero = (type: string[]) => Object.fromEntries(Object.entries(states).filter(([, s]) => type.includes(s.Type)).map(([n]) => [n, 0]));
  const name = options.executionName ?? 'local-execution';
  const startTime = options.startTime ?? '2026-01-01T00:00:00.000Z';
  const machine = new StateMachine(cloneJson(definition) as never, { validationOptions: { checkArn: true, checkPaths: true } });
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers,
      waitTimeOverrides: zero(['Wait']),
      retryIntervalOverrides: zero(['Task', 'Parallel', 'Map']),
    },
    context: {
      Execution: {
        Id: `arn:aws:states:${FAKE_REGION}:${FAKE_ACCOUNT}:execution:Local:${name}`,
        Name: name,
        StartTime: startTime,
        Input: input as never,
      },
      State: { EnteredTime: startTime, Name: 'local' },
    },
  });
  let status: LocalRun['status'] = 'SUCCEEDED';
  let output: Json | undefined;
  let error: string | undefined;
  let cause: string | undefined;
  try {
    output = (await execution.result) as Json;
  } catch (err) {
    status = 'FAILED';
    const e = err as { name?: string; message?: string; cause?: { name?: string; message?: string } };
    error = e.cause?.name ?? e.name;
    cause = e.cause?.message ?? e.message;
  }
  const path: string[] = [];
  const retries: Record<string, number> = {};
  const caught: Record<string, string[]> = {};
  for await (const event of execution.eventLogs) {
    const ev = event as { type: string; state?: { name: string } };
    if (ev.type === 'StateEntered' && ev.state) {
      path.push(ev.state.name);
    } else if (ev.type === 'StateRetried' && ev.state) {
      retries[ev.state.name] = (retries[ev.state.name] ?? 0) + 1;
    } else if (ev.type === 'StateCaught' && ev.state) {
      (caught[ev.state.name] ??= []).push(String((event as { catch?: { catcher?: { ErrorEquals?: string[] } } }).catch?.catcher?.ErrorEquals));
    }
  }
  return { status, output, error, cause, path, retries, caught, calls };
}
