/**
 * The legibility budget of the generated diagrams: how many boxes and arrows one diagram may have,
 * counted on the Mermaid source a reader's browser draws. The limits and why they are what they
 * are: test/docs/budget.test.ts.
 */

export interface DiagramCount {
  readonly syntax: 'flowchart' | 'state';
  /** Boxes: nodes and VPC subgraphs of a flowchart; states, the failure node, start and end of a state diagram. */
  readonly nodes: number;
  /** Arrows. */
  readonly edges: number;
}

export interface Budget {
  readonly nodes: number;
  readonly edges: number;
}

/**
 * Limits per kind of diagram. A data flow is read left to right across the page, so its limit is
 * what fits the width; a workflow is read top down like the Step Functions console, so it may be
 * longer. Reasons and today's counts: test/docs/budget.test.ts.
 */
export const BUDGETS: Readonly<Record<DiagramKind, Budget>> = {
  'data flow': { nodes: 14, edges: 20 },
  'opt-in': { nodes: 10, edges: 12 },
  workflow: { nodes: 28, edges: 32 },
};

export type DiagramKind = 'data flow' | 'opt-in' | 'workflow';

/** The kind of a diagram from its heading on the page ("### Workflow: `StateMachine`"). */
export function kindOfTitle(title: string): DiagramKind {
  return title.startsWith('Workflow') ? 'workflow' : title.startsWith('Opt-in') ? 'opt-in' : 'data flow';
}

/** "<name>: 15 boxes > 14" for every diagram over its budget; empty when all fit. */
export function overBudget(diagrams: Array<{ name: string; kind: DiagramKind; nodes: number; edges: number }>): string[] {
  return diagrams.flatMap((d) => {
    const budget = BUDGETS[d.kind];
    return [
      ...(d.nodes > budget.nodes ? [`${d.name}: ${d.nodes} boxes > ${budget.nodes}`] : []),
      ...(d.edges > budget.edges ? [`${d.name}: ${d.edges} arrows > ${budget.edges}`] : []),
    ];
  });
}

/** Each `### <title>` of a diagram region with the Mermaid block under it. */
export function titledBlocks(markdown: string): Array<{ title: string; source: string }> {
  return [...markdown.matchAll(/^### (.+)\n\n```mermaid\n([\s\S]*?)\n```/gm)].map((m) => ({ title: m[1], source: m[2] }));
}

const EDGE = /\s(-->|<-->|-\.->|==>)\s?/;
const FLOW_NODE = /^\s*([A-Za-z0-9_]+)\s*(\[|\(|\{\{|\[\/|\(\[|>)/;

/** Count the boxes and arrows of one Mermaid diagram (flowchart or stateDiagram-v2). */
export function countMermaid(source: string): DiagramCount {
  const lines = source.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  if (lines[0]?.startsWith('stateDiagram')) {
    const states = lines.filter((l) => /^state\s/.test(l)).length;
    const edges = lines.filter((l) => EDGE.test(` ${l}`));
    const start = edges.some((l) => l.startsWith('[*]')) ? 1 : 0;
    const end = edges.some((l) => /-->\s*\[\*\]/.test(l)) ? 1 : 0;
    return { syntax: 'state', nodes: states + start + end, edges: edges.length };
  }
  if (!lines[0]?.startsWith('flowchart')) {
    throw new Error(`not a flowchart or state diagram: ${JSON.stringify(lines[0])}`);
  }
  const body = lines.slice(1).filter((l) => !/^(classDef|class|style|linkStyle|%%)\b/.test(l));
  const edges = body.filter((l) => EDGE.test(` ${l}`)).length;
  const subgraphs = body.filter((l) => l.startsWith('subgraph ')).length;
  const nodes = body.filter((l) => !EDGE.test(` ${l}`) && !l.startsWith('subgraph ') && l !== 'end' && FLOW_NODE.test(l)).length;
  return { syntax: 'flowchart', nodes: nodes + subgraphs, edges };
}

/** The Mermaid blocks of a Markdown text, in order. */
export function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((m) => m[1]);
}
