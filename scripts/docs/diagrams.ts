/**
 * Every diagram of one architecture page, from its synthesized stacks: the data flow of the
 * default deployment, one workflow (state diagram) per state machine, one diagram per opt-in
 * switch that adds parts, and the failure paths as a table. Each diagram comes with its node and
 * edge counts, which the legibility budget checks (test/docs/budget.test.ts).
 */
import { StackDoc, Synthesized } from './synthesized';
import { DiagramKind } from './budget';
import { byCodeUnit, deriveFlow, FlowGraph, integrationOf, serviceName } from './flow';
import { fenced, renderFlowchart, shortConstruct } from './mermaid';
import { renderStateDiagram } from './states';
import { CfnTemplate, definitionOf, isObject, Json, tokensIn } from './template';
import { DrawnGraph, FailurePath, flowOrder, optInPart, simplify } from './views';

export interface Diagram {
  readonly kind: DiagramKind;
  /** Heading of the diagram on the page. */
  readonly title: string;
  /** Mermaid source, without the fence. */
  readonly source: string;
  /** Boxes drawn (a VPC counts as one, start and end markers of a workflow too). */
  readonly nodes: number;
  readonly edges: number;
  /** A sentence under the diagram. */
  readonly note?: string;
}

export interface ArchitectureDiagrams {
  readonly diagrams: Diagram[];
  /** Dead-letter queues and what fails into them, with the switch that brings them when opt-in. */
  readonly failures: Array<FailurePath & { readonly optIn?: string }>;
  /** Switches of the architecture that add nothing to any diagram (they change settings). */
  readonly settingsOnly: string[];
}

const switchFlag = (name: string) => `-c ${name}=true`;

/** The stacks with one switch on: its one-switch synthesis, or every switch when the architecture has only this one. */
function stackWith(stack: StackDoc, synth: Synthesized, name: string): StackDoc | undefined {
  const solo = synth.solo?.[name]?.find((s) => s.artifactId === stack.artifactId);
  return solo ?? synth.withOptIns?.find((s) => s.artifactId === stack.artifactId);
}

function flowchart(kind: Diagram['kind'], title: string, graph: DrawnGraph): Diagram {
  return { kind, title, source: renderFlowchart(graph), nodes: graph.nodes.length + graph.vpcs.length, edges: graph.edges.length };
}

const shortService = (prefix: string) => serviceName(prefix).replace(/^(Amazon|AWS) /, '');

/** "Lambda → Comprehend, Translate" for a function the flow shows calling services; "Transcribe StartTranscriptionJob" for an SDK task. */
function taskDescriber(flow: FlowGraph) {
  return (_name: string, state: Record<string, Json>): string | undefined => {
    const resource = typeof state.Resource === 'string' ? state.Resource : '';
    const call = integrationOf(resource);
    const direct = tokensIn(resource);
    if (direct.length > 0 || (call?.service === 'lambda' && call.action.startsWith('invoke'))) {
      const parameters = isObject(state.Parameters) ? state.Parameters : isObject(state.Arguments) ? state.Arguments : {};
      const fn = direct[0] ?? tokensIn(JSON.stringify(parameters.FunctionName ?? '')).at(0);
      const services = flow.edges
        .filter((e) => e.from === fn && e.style === 'data')
        .map((e) => flow.nodes.find((n) => n.id === e.to))
        .filter((n) => n?.kind === 'service')
        .map((n) => n!.service.replace(/^(Amazon|AWS) /, ''))
        .sort(byCodeUnit);
      return services.length > 0 ? `Lambda → ${services.join(', ')}` : 'Lambda';
    }
    if (!call) {
      return undefined;
    }
    const verb = call.action.charAt(0).toUpperCase() + call.action.slice(1);
    return `${shortService(call.service)} ${verb}${call.pattern === 'sync' ? ' (waits)' : ''}`;
  };
}

function stateNames(template: CfnTemplate, logicalId: string): Set<string> {
  const r = template.Resources?.[logicalId];
  const definition = r ? definitionOf((r.Properties ?? {}) as Record<string, Json>) : undefined;
  const states = isObject(definition) && isObject(definition.States) ? definition.States : {};
  return new Set(Object.keys(states));
}

/** One workflow diagram per state machine of the fullest synthesis, opt-in states marked. */
function workflows(stack: StackDoc, full: StackDoc, switches: string[], synth: Synthesized): Diagram[] {
  const flow = deriveFlow(full.template, full.paths);
  // In the order the data flow reaches them (the machine that runs the jobs before the one that tunes).
  const order = flowOrder(simplify(flow).graph).map((n) => n.id);
  const at = (id: string) => (order.includes(id) ? order.indexOf(id) : order.length);
  const machines = Object.entries(full.template.Resources ?? {})
    .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
    .sort(([a], [b]) => at(a) - at(b) || byCodeUnit(a, b));
  return machines.map(([id, r]) => {
    const definition = definitionOf((r.Properties ?? {}) as Record<string, Json>);
    const construct = shortConstruct(full.paths[id] ?? id);
    const inDefault = stack.template.Resources?.[id] !== undefined;
    const defaultStates = stateNames(stack.template, id);
    const optInStates = new Set([...stateNames(full.template, id)].filter((n) => inDefault && !defaultStates.has(n)));
    const bringing = switches.filter((o) => [...optInStates].some((n) => stateNames(stackWith(stack, synth, o)?.template ?? {}, id).has(n)));
    const graph = renderStateDiagram(definition ?? null, { describeTask: taskDescriber(flow), optInStates });
    const whole = inDefault ? '' : ` (opt-in: ${switches.map(switchFlag).join(' / ')})`;
    const note = bringing.length > 0 ? `The dashed states exist only with \`${bringing.map(switchFlag).join('` / `')}\`.` : undefined;
    return { kind: 'workflow' as const, title: `Workflow: \`${construct}\`${whole}`, source: graph.mermaid, nodes: graph.nodes, edges: graph.edges, note };
  });
}

/** Every diagram of one architecture. */
export function architectureDiagrams(stack: StackDoc, synth: Synthesized): ArchitectureDiagrams {
  const main = simplify(deriveFlow(stack.template, stack.paths));
  const diagrams: Diagram[] = [];
  if (main.graph.nodes.length > 0) {
    diagrams.push(flowchart('data flow', 'Data flow', main.graph));
  }
  const switches = synth.optIns.filter((o) => o.startsWith(`${stack.architecture}.`));
  const full = synth.withOptIns?.find((s) => s.artifactId === stack.artifactId) ?? stack;
  diagrams.push(...workflows(stack, full, switches, synth));
  const failures: ArchitectureDiagrams['failures'] = [...main.failures];
  const known = new Set(main.failures.map((f) => f.queue.id));
  const settingsOnly: string[] = [];
  for (const name of switches) {
    const withSwitch = stackWith(stack, synth, name);
    if (!withSwitch) {
      continue;
    }
    const drawn = simplify(deriveFlow(withSwitch.template, withSwitch.paths));
    const part = optInPart(main.graph, drawn.graph);
    if (part) {
      diagrams.push(flowchart('opt-in', `Opt-in: \`${switchFlag(name)}\``, part));
    }
    const extra = drawn.failures.filter((f) => !known.has(f.queue.id));
    extra.forEach((f) => known.add(f.queue.id));
    failures.push(...extra.map((f) => ({ ...f, optIn: switchFlag(name) })));
    if (!part && extra.length === 0) {
      settingsOnly.push(name);
    }
  }
  return { diagrams, failures, settingsOnly };
}

const label = (n: { construct?: string; service: string }) => (n.construct ? `${n.service} \`${shortConstruct(n.construct)}\`` : n.service);

/** The Markdown of the diagram region. */
export function diagramsMarkdown(d: ArchitectureDiagrams): string {
  if (d.diagrams.length === 0) {
    return '_No data flow in this stack\'s template yet._';
  }
  const out: string[] = [];
  for (const diagram of d.diagrams) {
    out.push(`### ${diagram.title}`, '', fenced(diagram.source), '', ...(diagram.note ? [diagram.note, ''] : []));
  }
  for (const name of d.settingsOnly) {
    out.push(`\`${switchFlag(name)}\` adds nothing to these diagrams: it changes settings of the parts drawn.`, '');
  }
  if (d.failures.length > 0) {
    out.push('### Failure paths', '', '| What can fail | What goes to the queue | Dead-letter queue |', '| --- | --- | --- |');
    const rows = d.failures.map((f) => `| ${label(f.from)}${f.optIn ? ` (opt-in \`${f.optIn}\`)` : ''} | ${f.what} | \`${f.queue.construct ?? f.queue.service}\` |`);
    out.push(...rows.sort(byCodeUnit), '');
  }
  const kinds = new Set(d.diagrams.map((x) => x.kind));
  out.push([
    'Generated by `npm run docs` from the synthesized templates (sandbox profile): a stack change redraws them.',
    'Data flow: arrows carry data the way it moves (two heads: both ways; dotted: a schema), labelled with what moves; they come from the wiring the templates state and from IAM grants, so data named only at run time (an S3 URI built from the execution input) is not drawn.',
    ...(kinds.has('workflow') ? ['Workflows: the states of each state machine; Pass states that only count or set a value are skipped, and the states from which a run can only fail are one "Failure path".'] : []),
    ...(kinds.has('opt-in') ? ['Opt-in diagrams: grey boxes are the default deployment\'s parts the opt-in parts exchange data with.'] : []),
  ].join(' '));
  return out.join('\n');
}
