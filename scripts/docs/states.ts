/**
 * A state machine's workflow as a Mermaid `stateDiagram-v2`, read from its synthesized definition:
 * the states a run goes through and the conditions of each Choice, with the plumbing folded away
 * so the story shows (the notes' Transcribe -> Wait -> status -> decision -> Comprehend):
 *
 * - Failure paths are one node. A state from which no run can succeed (a Fail state, and the
 *   states that only lead to one: record the failure, notify, fail) is folded into "Failure path",
 *   which lists them; the Catch of every task into it is counted on that node, not drawn.
 * - Pass states that only set a variable and go on (a poll counter) are skipped: the edge goes
 *   through them, and a Choice edge whose condition is too long to read takes the Pass's name.
 * - A Catch into a state that can still succeed is drawn, labelled with its error names.
 */
import { Json, isObject } from './template';

export interface StateGraph {
  /** Mermaid source (without the fence). */
  readonly mermaid: string;
  /** States drawn, including the start and end markers and the failure node. */
  readonly nodes: number;
  /** Transitions drawn. */
  readonly edges: number;
}

export interface StateDiagramOptions {
  /** What a Task state calls, in a few words ("Lambda → Comprehend"). */
  readonly describeTask?: (name: string, state: Record<string, Json>) => string | undefined;
  /** States that exist only with an opt-in switch on (drawn dashed, "opt-in" in their box). */
  readonly optInStates?: ReadonlySet<string>;
}

type State = Record<string, Json>;

/** A Choice edge label longer than this is not read at a glance: a skipped Pass's name or a summary replaces it. */
export const MAX_CONDITION_LENGTH = 40;

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** `$.transcription.job.TranscriptionJobStatus` -> `TranscriptionJobStatus`; `$.poll.count` -> `poll.count`. */
export function variableWords(variable: string): string {
  const parts = variable.replace(/^\$\.?/, '').split('.').filter((p) => p.length > 0 && p !== 'value' && p !== 'Payload');
  const last = parts[parts.length - 1] ?? variable;
  // A short, generic last key ("count", "status") reads only with its parent.
  return last.length <= 6 && parts.length > 1 ? `${parts[parts.length - 2]}.${last}` : last;
}

const COMPARISONS: Array<[RegExp, string]> = [
  [/^(String|Numeric|Timestamp)Equals$/, '='],
  [/^(String|Numeric|Timestamp)LessThan$/, '<'],
  [/^(String|Numeric|Timestamp)GreaterThan$/, '>'],
  [/^(String|Numeric|Timestamp)LessThanEquals$/, '≤'],
  [/^(String|Numeric|Timestamp)GreaterThanEquals$/, '≥'],
  [/^StringMatches$/, 'matches'],
];

const GUARDS = ['IsPresent', 'IsString', 'IsNumeric', 'IsBoolean', 'IsNull', 'IsTimestamp'];

/** One ASL condition (a Choice rule without its Next) in words, e.g. `TranscriptionJobStatus = FAILED`. */
export function conditionWords(rule: Record<string, Json>): string {
  if (typeof rule.Condition === 'string') {
    // JSONata: the expression is the condition.
    return rule.Condition.replace(/^\{%\s*|\s*%\}$/g, '');
  }
  if (isObject(rule.Not)) {
    return `not (${conditionWords(rule.Not)})`;
  }
  for (const [op, joiner] of [['And', ' and '], ['Or', ' or ']] as const) {
    if (Array.isArray(rule[op])) {
      return combined(rule[op] as Json[], joiner);
    }
  }
  const variable = typeof rule.Variable === 'string' ? variableWords(rule.Variable) : '?';
  for (const [key, value] of Object.entries(rule)) {
    if (key === 'Variable' || key === 'Next') {
      continue;
    }
    const path = key.endsWith('Path');
    const op = key.replace(/Path$/, '');
    const shown = path ? variableWords(String(value)) : String(value);
    if (op === 'BooleanEquals') {
      return value === true ? variable : value === false ? `not ${variable}` : `${variable} = ${shown}`;
    }
    if (GUARDS.includes(op)) {
      const what = { IsPresent: 'present', IsString: 'a string', IsNumeric: 'a number', IsBoolean: 'a boolean', IsNull: 'null', IsTimestamp: 'a timestamp' }[op];
      return value === false ? `${variable} is not ${what}` : `${variable} is ${what}`;
    }
    const comparison = COMPARISONS.find(([re]) => re.test(op));
    if (comparison) {
      return `${variable} ${comparison[1]} ${shown}`;
    }
    return `${variable} ${op} ${shown}`;
  }
  return variable;
}

/**
 * And/Or in words: type guards on a variable that is also compared are dropped ("deploy present
 * and deploy = batch" -> "deploy = batch"), and several values of one variable are one list
 * ("status = completed or failed").
 */
function combined(rules: Json[], joiner: string): string {
  const list = rules.filter(isObject);
  const compared = new Set(list.filter((r) => typeof r.Variable === 'string' && !Object.keys(r).some((k) => GUARDS.includes(k))).map((r) => r.Variable));
  const kept = list.filter((r) => !(Object.keys(r).some((k) => GUARDS.includes(k)) && compared.has(r.Variable)));
  // Guards alone on one variable: "runName is present and runName is a string" -> "runName is a string".
  const guardsOnly = new Map<string, Record<string, Json>[]>();
  for (const r of kept.filter((x) => Object.keys(x).some((k) => GUARDS.includes(k)))) {
    guardsOnly.set(String(r.Variable), [...(guardsOnly.get(String(r.Variable)) ?? []), r]);
  }
  const withoutRedundantPresence = kept.filter((r) => !(r.IsPresent === true && (guardsOnly.get(String(r.Variable)) ?? []).length > 1));
  const equalities = withoutRedundantPresence.filter((r) => typeof r.StringEquals === 'string' && typeof r.Variable === 'string');
  const sameVariable = equalities.length === withoutRedundantPresence.length && new Set(equalities.map((r) => r.Variable)).size === 1;
  if (sameVariable && equalities.length > 1 && joiner === ' or ') {
    const values = equalities.map((r) => String(r.StringEquals));
    const variable = variableWords(String(equalities[0].Variable));
    return values.length <= 3 ? `${variable} = ${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}` : `${variable} one of ${values.length} values`;
  }
  return withoutRedundantPresence.map((r) => {
    const words = conditionWords(r);
    return Array.isArray(r.And) || Array.isArray(r.Or) ? `(${words})` : words;
  }).join(joiner);
}

/** "KeepOriginalLanguage" -> "keep original language". */
export function nameWords(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[?]/g, '').toLowerCase();
}

function successors(state: State): string[] {
  const next: string[] = [];
  if (typeof state.Next === 'string') {
    next.push(state.Next);
  }
  for (const c of asList(state.Choices as Json[] | undefined)) {
    if (isObject(c) && typeof c.Next === 'string') {
      next.push(c.Next);
    }
  }
  if (typeof state.Default === 'string') {
    next.push(state.Default);
  }
  return next;
}

const catches = (state: State) => asList(state.Catch as Json[] | undefined).filter(isObject);

/** Names of the states from which no run can succeed (only a Fail state is ahead). */
export function failureStates(states: Record<string, State>): Set<string> {
  const succeeds = new Set<string>();
  let changed = true;
  while (changed) {
    changed = false;
    for (const [name, s] of Object.entries(states)) {
      if (succeeds.has(name)) {
        continue;
      }
      const ends = s.Type === 'Succeed' || (s.End === true && s.Type !== 'Fail');
      if (ends || successors(s).some((n) => succeeds.has(n))) {
        succeeds.add(name);
        changed = true;
      }
    }
  }
  return new Set(Object.keys(states).filter((n) => !succeeds.has(n)));
}

function errorWords(errors: Json | undefined): string {
  const names = asList(errors as Json[] | undefined).map((e) => String(e));
  if (names.includes('States.ALL')) {
    return 'any error';
  }
  return names.map((e) => e.replace(/^[A-Za-z]+\./, '')).join(', ');
}

/** Mermaid reads `:` as the start of a description and `;` as the end of a statement: keep both out. */
const escape = (text: string) => text.replace(/"/g, "'").replace(/[:;]/g, ',');

/** The state diagram of one definition. */
export function renderStateDiagram(definition: Json, options: StateDiagramOptions = {}): StateGraph {
  const root = isObject(definition) ? definition : {};
  const states = (isObject(root.States) ? root.States : {}) as Record<string, State>;
  const start = typeof root.StartAt === 'string' ? root.StartAt : undefined;
  if (!start || !states[start]) {
    return { mermaid: 'stateDiagram-v2\n  note "definition not readable from the template" as N', nodes: 1, edges: 0 };
  }
  const failing = failureStates(states);
  const skippable = (name: string) => states[name]?.Type === 'Pass' && typeof states[name].Next === 'string' && !failing.has(name);
  /** Follow skipped Pass states; returns the state reached and the first Pass passed through. */
  const resolve = (name: string): { to: string; via?: string } => {
    let at = name;
    let via: string | undefined;
    const seen = new Set<string>();
    while (skippable(at) && !seen.has(at)) {
      seen.add(at);
      via = via ?? at;
      at = String(states[at].Next);
    }
    return { to: at, via };
  };
  const FAILURE = 'failure_path';
  const ids = new Map<string, string>();
  const idOf = (name: string) => {
    if (failing.has(name)) {
      return FAILURE;
    }
    if (!ids.has(name)) {
      ids.set(name, `s${ids.size}`);
    }
    return ids.get(name)!;
  };

  // Walk from the start over drawn transitions, so unreachable states are not drawn.
  /** Transitions between two drawn states; `plain` when one of them has no condition (a Next). */
  const edges = new Map<string, { from: string; to: string; labels: string[]; plain: boolean }>();
  const addEdge = (from: string, to: string, label: string | undefined) => {
    const key = `${from}>${to}`;
    const edge = edges.get(key) ?? { from, to, labels: [], plain: false };
    if (label && !edge.labels.includes(label)) {
      edge.labels.push(label);
    } else if (!label) {
      edge.plain = true;
    }
    edges.set(key, edge);
  };
  const drawn: string[] = [];
  const failureMembers = new Set<string>();
  let catchesIntoFailure = 0;
  const queue = [resolve(start).to];
  addEdge('[*]', idOf(queue[0]), undefined);
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (drawn.includes(name) || failureMembers.has(name)) {
      continue;
    }
    const s = states[name];
    if (!s) {
      continue;
    }
    if (failing.has(name)) {
      failureMembers.add(name);
      queue.push(...successors(s), ...catches(s).map((c) => String(c.Next)));
      continue;
    }
    drawn.push(name);
    const from = idOf(name);
    const go = (target: string, label?: string) => {
      const { to } = resolve(target);
      addEdge(from, idOf(to), label);
      queue.push(to);
    };
    if (s.Type === 'Choice') {
      for (const rule of asList(s.Choices as Json[] | undefined).filter(isObject)) {
        const target = String(rule.Next);
        const words = conditionWords(rule);
        const via = resolve(target).via;
        go(target, words.length <= MAX_CONDITION_LENGTH ? words : via ? nameWords(via) : `${words.slice(0, MAX_CONDITION_LENGTH - 1)}…`);
      }
      if (typeof s.Default === 'string') {
        const via = resolve(s.Default).via;
        go(s.Default, via && !failing.has(resolve(s.Default).to) ? `otherwise (${nameWords(via)})` : 'otherwise');
      }
    } else if (typeof s.Next === 'string') {
      go(s.Next);
    }
    // A Succeed state says it ends ("succeeds" in its box); any other last state gets the end marker.
    if (s.End === true && s.Type !== 'Succeed') {
      addEdge(from, '[*]', undefined);
    }
    for (const c of catches(s)) {
      const target = String(c.Next);
      if (failing.has(resolve(target).to)) {
        catchesIntoFailure += 1;
        queue.push(resolve(target).to);
      } else {
        go(target, `on ${errorWords(c.ErrorEquals)}`);
      }
    }
  }

  const lines = ['stateDiagram-v2'];
  for (const name of drawn) {
    const s = states[name];
    const id = idOf(name);
    lines.push(`  state "${escape(name)}" as ${id}`);
    const description = describe(name, s, options);
    const parts = [description, options.optInStates?.has(name) ? 'opt-in' : undefined].filter((x): x is string => !!x);
    if (parts.length > 0) {
      lines.push(`  ${id} : ${escape(parts.join(' · '))}`);
    }
  }
  const failureUsed = [...edges.values()].some((e) => e.to === FAILURE) || catchesIntoFailure > 0;
  const nameOf = new Map(drawn.map((n) => [idOf(n), n]));
  if (failureUsed) {
    lines.push(`  state "Failure path" as ${FAILURE}`);
    lines.push(`  ${FAILURE} : ${escape(failureChains(states, failureMembers))}`);
    if (catchesIntoFailure > 0) {
      lines.push(`  ${FAILURE} : ${catchesIntoFailure === 1 ? 'also the Catch of 1 task after its retries' : `also the Catch of ${catchesIntoFailure} tasks after their retries`}`);
    }
  }
  for (const e of edges.values()) {
    if (e.from === FAILURE && e.to === FAILURE) {
      continue;
    }
    // A Next and a Catch to the same state: the Catch label must not read as the only way there.
    let label = e.plain && e.labels.length > 0 ? `also ${e.labels.join(' / ')}` : e.labels.join(' / ');
    // Several long conditions into one state: a Choice that asks a question ("ValidInput?") answers it.
    const question = nameOf.get(e.from);
    if (label.length > 1.5 * MAX_CONDITION_LENGTH && question?.endsWith('?')) {
      label = nameWords(question);
    }
    lines.push(`  ${e.from} --> ${e.to}${label ? ` : ${escape(label)}` : ''}`);
  }
  const optIns = drawn.filter((n) => options.optInStates?.has(n)).map(idOf);
  if (optIns.length > 0) {
    lines.push('  classDef optIn stroke-dasharray: 5 5');
    lines.push(`  class ${optIns.join(',')} optIn`);
  }
  if (failureUsed) {
    lines.push('  classDef failure fill:#fdecea,stroke:#c62828');
    lines.push(`  class ${FAILURE} failure`);
  }
  const usesStart = [...edges.values()].some((e) => e.from === '[*]');
  const usesEnd = [...edges.values()].some((e) => e.to === '[*]');
  const drawnEdges = [...edges.values()].filter((e) => !(e.from === FAILURE && e.to === FAILURE)).length;
  return {
    mermaid: lines.join('\n'),
    nodes: drawn.length + (failureUsed ? 1 : 0) + (usesStart ? 1 : 0) + (usesEnd ? 1 : 0),
    edges: drawnEdges,
  };
}

/**
 * The failure path's states as chains a run goes through ("RecordFailure → NotifyFailure →
 * Failed"), separate chains by commas, without the Pass states that only set the error's cause.
 */
function failureChains(states: Record<string, State>, members: Set<string>): string {
  const next = (m: string) => successors(states[m]).filter((n) => members.has(n));
  const entered = new Set([...members].flatMap(next));
  const chains: string[][] = [];
  const placed = new Set<string>();
  for (const start of [...[...members].filter((m) => !entered.has(m)), ...members]) {
    const chain: string[] = [];
    for (let at: string | undefined = start; at && !placed.has(at); at = next(at)[0]) {
      placed.add(at);
      chain.push(at);
    }
    const shown = chain.filter((m) => states[m].Type !== 'Pass');
    if (shown.length > 0) {
      chains.push(shown);
    }
  }
  return chains.map((c) => c.join(' → ')).join(', ');
}

function describe(name: string, s: State, options: StateDiagramOptions): string | undefined {
  switch (s.Type) {
    case 'Task':
      return options.describeTask?.(name, s);
    case 'Wait':
      if (typeof s.Seconds === 'number') {
        return `wait ${s.Seconds} s`;
      }
      return typeof s.SecondsPath === 'string' ? `wait ${variableWords(s.SecondsPath)} s` : 'wait';
    case 'Parallel':
      return `${asList(s.Branches as Json[] | undefined).length} branches in parallel`;
    case 'Map':
      return 'for each item';
    case 'Succeed':
      return 'succeeds';
    default:
      return undefined;
  }
}
