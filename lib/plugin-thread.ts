import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport } from 'aws-cdk-lib';

/**
 * The part of a validation context that can cross to a worker thread (everything but the app's
 * construct tree, which the plugins run here do not read).
 */
export type PortableContext = Omit<IPolicyValidationContext, 'appConstruct'>;

/** One `new <export>(props).validate(context)` to run in the thread. */
export interface PluginRequest {
  readonly props: Record<string, unknown>;
  readonly context: PortableContext;
}

export interface PluginThreadOptions {
  /**
   * Run this request as soon as the plugin is created, long before any template exists: work the
   * plugin does once per instance (an engine to start) is then done by the time the real requests
   * come, on a core the app's construction leaves idle.
   * @default - the thread starts with the first real request
   */
  readonly warmUp?: PluginRequest;
  /**
   * V8 flags the worker sets before it loads the plugin. V8 flags are process-wide, so they must
   * be ones that change how fast code runs, never what it computes.
   * @default - none
   */
  readonly v8Flags?: string[];
}

/**
 * A validation plugin's work, done in a worker thread. aws-cdk-lib runs plugins one after another
 * and each must answer synchronously, so a slow one holds up the rest and they share one core.
 * `start` hands the work to a thread and returns at once; `report` waits for it (starting it first
 * if `start` was not called for the same templates). The thread loads the plugin from an installed
 * package by export name, so it needs no TypeScript loader, and keeps one plugin instance per
 * distinct props, so a warm-up serves the requests after it.
 *
 * A worker gets its own small heap too, which matters for aws-cdk-lib's CloudFormation
 * validation: its engine allocates heavily, and in the app's thread every collection also walks
 * the whole construct tree, which made it markedly slower inside the app than alone (docs/performance.md).
 */
export class PluginThread {
  /** Milliseconds the thread spent on the last report, warm-up excluded (for `npm run bench`). */
  public lastWorkMs?: number;
  private readonly v8Flags: string[];
  private idle?: SpawnedWorker;
  private running?: SpawnedWorker & { readonly key: string };

  /**
   * @param module absolute path of the package's entry point (`require.resolve(...)`)
   * @param exportName the plugin class it exports
   * @param requestsOf the calls to make for a context (none: the plugin reports success)
   */
  constructor(
    private readonly module: string,
    private readonly exportName: string,
    private readonly requestsOf: (context: PortableContext) => PluginRequest[],
    options: PluginThreadOptions = {},
  ) {
    this.v8Flags = options.v8Flags ?? [];
    if (options.warmUp) {
      this.idle = this.spawn([options.warmUp]);
    }
  }

  public start(context: IPolicyValidationContext): void {
    if (this.running) {
      // A start for other templates: that answer is not wanted.
      this.running.port.close();
      void this.running.worker.terminate();
    }
    const spawned = this.idle ?? this.spawn([]);
    this.idle = undefined;
    spawned.port.postMessage({ requests: this.requestsOf(portableContext(context)) });
    this.running = { ...spawned, key: keyOf(context) };
  }

  public report(context: IPolicyValidationContext): PolicyValidationPluginReport {
    if (this.running?.key !== keyOf(context)) {
      this.start(context);
    }
    const { port, done, worker, errors } = this.running!;
    this.running = undefined;
    const waited = Atomics.wait(done, 0, 0, TIMEOUT_MS);
    const answer = receiveMessageOnPort(port)?.message as { reports?: PolicyValidationPluginReport[]; ms?: number; error?: string } | undefined;
    port.close();
    if (waited === 'timed-out') {
      void worker.terminate();
      throw new Error(`${this.exportName} gave no answer in ${TIMEOUT_MS / 1000} s (templates: ${context.templatePaths.join(', ')})`);
    }
    if (!answer?.reports) {
      throw new Error(`${this.exportName} failed in its worker thread: ${answer?.error ?? (errors.length > 0 ? errors.map(String).join('; ') : 'no report came back')}`);
    }
    this.lastWorkMs = answer.ms;
    return { success: answer.reports.every((r) => r.success), violations: answer.reports.flatMap((r) => r.violations) };
  }

  /** A worker that runs `warmUp`, then answers one message of requests. */
  private spawn(warmUp: PluginRequest[]): SpawnedWorker {
    const done = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(WORKER, {
      eval: true,
      // Plain Node: the app's own flags (a TypeScript loader) would only slow the worker down.
      execArgv: [],
      workerData: { module: this.module, exportName: this.exportName, v8Flags: this.v8Flags, warmUp, port: port2, done },
      transferList: [port2],
    });
    worker.unref();
    // The worker reports its own errors through the port; this keeps one that escapes it (an
    // error event nobody listens to would end the app) for the message of the failure.
    const errors: unknown[] = [];
    worker.on('error', (error) => errors.push(error));
    return { worker, port: port1, done, errors };
  }
}

interface SpawnedWorker {
  readonly worker: Worker;
  readonly port: MessagePort;
  /** Set to 1 by the worker once it has posted its answer (or its error). */
  readonly done: Int32Array;
  readonly errors: unknown[];
}

/**
 * A plugin that only starts the threads, for the front of the plugin list: it reports nothing,
 * and a plugin without violations is left out of the validation report.
 */
export function threadStarter(name: string, threads: readonly PluginThread[]): IPolicyValidationPlugin {
  return {
    name,
    validate(context) {
      for (const thread of threads) {
        thread.start(context);
      }
      return { success: true, violations: [] };
    },
  };
}

/**
 * The worker. A failure while loading or warming up is kept and reported with the requests. It
 * answers exactly once: with the reports, or with the error if a plugin throws, an error escapes
 * (a rejected promise) or the thread exits before answering (process.exit). The main thread's
 * timeout is left for a thread that can no longer run any code (out of memory, a hang).
 */
const WORKER = `
const { workerData: { module, exportName, v8Flags, warmUp, port, done } } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
let answered = false;
function answer(message) {
  if (answered) return;
  answered = true;
  try {
    port.postMessage(message);
    port.close();
  } finally {
    Atomics.store(done, 0, 1);
    Atomics.notify(done, 0);
  }
}
const fail = (e) => answer({ error: String((e && e.stack) || e) });
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
process.on('exit', (code) => fail(new Error('the worker thread exited (code ' + code + ') before answering')));
for (const flag of v8Flags) require('node:v8').setFlagsFromString(flag);
const instances = new Map();
let failure;
function run({ props, context }) {
  const key = JSON.stringify(props);
  if (!instances.has(key)) {
    const Plugin = require(module)[exportName];
    if (typeof Plugin !== 'function') {
      throw new Error(module + ' exports no class named ' + exportName);
    }
    instances.set(key, new Plugin(props));
  }
  return instances.get(key).validate(context);
}
try {
  warmUp.forEach(run);
} catch (e) {
  failure = e;
}
port.once('message', ({ requests }) => {
  const started = performance.now();
  try {
    if (failure) throw failure;
    answer({ reports: requests.map(run), ms: performance.now() - started });
  } catch (e) {
    fail(e);
  }
});`;
const TIMEOUT_MS = 300_000;

function portableContext(context: IPolicyValidationContext): PortableContext {
  return {
    templatePaths: [...context.templatePaths],
    stackTemplates: context.stackTemplates.map((s) => ({ ...s })),
    accountId: context.accountId,
    region: context.region,
  };
}

function keyOf(context: IPolicyValidationContext): string {
  return [...context.templatePaths].sort().join('\n');
}
