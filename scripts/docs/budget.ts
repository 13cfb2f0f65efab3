/**
 * The legibility budget of the generated diagrams: how many boxes and arrows one diagram may have,
 * counted on the Mermaid source a reader's browser draws. The limits and why they are what they
 * are: test/docs/budget.test.ts.
 */

export interface DiagramCount {
  readonly kind: 'flowchart' | 'state';
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
export const BUDGETS: Readonly<Record<'data flow' | 'opt-in' | 'workflow', Budget>> = {
  'data flow': { nodes: 14, edges: 20 },
  'opt-in': { nodes: 10, edges: 12 },
  workflow: { nodes: 28, edges: 34 },
};

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
    return { kind: 'state', nodes: states + start + end, edges: edges.length };
  }
  if (!lines[0]?.startsWith('flowchart')) {
    throw new Error(`not a flowchart or state diagram: ${JSON.stringify(lines[0])}`);
  }
  const body = lines.slice(1).filter((l) => !/^(classDef|class|style|linkStyle|%%)\b/.test(l));
  const edges = body.filter((l) => EDGE.test(` ${l}`)).length;
  const subgraphs = body.filter((l) => l.startsWith('subgraph ')).length;
  const nodes = body.filter((l) => !EDGE.test(` ${l}`) && !l.startsWith('subgraph ') && l !== 'end' && FLOW_NODE.test(l)).length;
  return { kind: 'flowchart', nodes: nodes + subgraphs, edges };
}

/** The Mermaid blocks of a Markdown text, in order. */
export function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((m) => m[1]);
}
