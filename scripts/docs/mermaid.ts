/**
 * Render a drawn data-flow graph as a Mermaid `flowchart LR` (GitHub renders Mermaid in Markdown).
 * Nodes are written in the order data first reaches them (`flowOrder`), so the source sits on the
 * left; the output is deterministic, so a committed diagram can be compared byte for byte.
 */
import { FlowNode } from './flow';
import { DrawnGraph, DrawnVpc, flowOrder } from './views';

/** Mermaid labels are quoted strings: keep quotes and markup characters out of them. */
export function escape(text: string): string {
  return text.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

/** Trailing construct ids that repeat what the service already says ("Start/Starter/Function"). */
const GENERIC_LEAVES = new Set(['Function', 'Queue', 'Topic', 'Table', 'Bucket', 'StateMachine', 'Resource', 'Default']);

/** A construct path as a box shows it: "Images/Queue/Queue" -> "Images/Queue", "Notebook/Notebook" -> "Notebook". */
export function shortConstruct(path: string): string {
  const parts = path.split('/');
  while (parts.length > 1 && (GENERIC_LEAVES.has(parts[parts.length - 1]) || parts[parts.length - 1] === parts[parts.length - 2])) {
    parts.pop();
  }
  return parts.join('/');
}

function nodeLabel(n: FlowNode): string {
  const lines = [`<b>${escape(n.service)}</b>`];
  if (n.construct) {
    lines.push(escape(shortConstruct(n.construct)));
  }
  if (n.detail) {
    lines.push(`<i>${escape(n.detail)}</i>`);
  }
  return lines.join('<br/>');
}

function nodeLine(n: FlowNode): string {
  const label = `"${nodeLabel(n)}"`;
  switch (n.kind) {
    case 'store':
      return `${n.id}[(${label})]`;
    case 'messaging':
      return `${n.id}[/${label}/]`;
    case 'service':
      return `${n.id}([${label}])`;
    case 'network':
      return `${n.id}{{${label}}}`;
    default:
      return `${n.id}[${label}]`;
  }
}

/** One line: Mermaid keeps room for one line of a subgraph's title, a second overlaps its nodes. */
function vpcLabel(v: DrawnVpc): string {
  const parts = [`<b>VPC</b> ${escape(v.construct)}`];
  if (v.internetGateway === false) {
    parts.push('no internet gateway');
  }
  if (v.endpoints.length > 0) {
    parts.push(`endpoints: ${escape(v.endpoints.join(', '))}`);
  }
  return parts.join(' · ');
}

/** The Mermaid source of one flowchart (without the fence). */
export function renderFlowchart(graph: DrawnGraph): string {
  const lines = ['flowchart LR'];
  const order = flowOrder(graph);
  const written = new Set<string>();
  for (const n of order) {
    if (written.has(n.id)) {
      continue;
    }
    const vpc = graph.vpcs.find((v) => v.id === n.vpc);
    if (!vpc) {
      lines.push(`  ${nodeLine(n)}`);
      written.add(n.id);
      continue;
    }
    // The whole VPC where its first member comes in the order.
    lines.push(`  subgraph ${vpc.id}["${vpcLabel(vpc)}"]`);
    for (const member of order.filter((x) => x.vpc === vpc.id)) {
      lines.push(`    ${nodeLine(member)}`);
      written.add(member.id);
    }
    lines.push('  end');
  }
  const rank = new Map(order.map((n, i) => [n.id, i]));
  const at = (id: string) => rank.get(id) ?? 0;
  const edges = [...graph.edges].sort((a, b) => at(a.from) - at(b.from) || at(a.to) - at(b.to));
  for (const e of edges) {
    const arrow = e.both ? '<-->' : e.style === 'data' ? '-->' : '-.->';
    lines.push(e.label ? `  ${e.from} ${arrow}|"${escape(e.label)}"| ${e.to}` : `  ${e.from} ${arrow} ${e.to}`);
  }
  const context = graph.nodes.filter((n) => graph.context?.has(n.id)).map((n) => n.id);
  if (context.length > 0) {
    lines.push('  classDef context fill:#eeeeee,stroke:#9e9e9e,color:#616161');
    lines.push(`  class ${context.join(',')} context`);
  }
  return lines.join('\n');
}

/** A Mermaid block for Markdown. */
export const fenced = (source: string): string => ['```mermaid', source, '```'].join('\n');
