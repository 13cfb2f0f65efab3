/**
 * From the data-flow graph of a template (everything it says) to the diagrams a page shows: the
 * default deployment in one diagram, each opt-in switch's parts in their own, and the failure
 * paths (dead-letter queues) as a table. What is left out of a diagram is moved, never dropped:
 * dead-letter queues go to the table, VPC endpoints into the label of their VPC, an IAM edge the
 * wiring already implies is the wiring's path.
 */
import { byCodeUnit, FlowEdge, FlowGraph, FlowNode, Vpc } from './flow';

export interface DrawnEdge extends FlowEdge {
  /** Data moves both ways (a function reads and writes a bucket): one edge, two heads, pointing the way `bothWays` chose. */
  readonly both?: boolean;
}

export interface DrawnVpc extends Vpc {
  /** The VPC endpoints folded into its label, e.g. ["S3 (gateway)", "sts"]. */
  readonly endpoints: string[];
}

export interface DrawnGraph {
  readonly nodes: FlowNode[];
  readonly edges: DrawnEdge[];
  readonly vpcs: DrawnVpc[];
  /** Nodes of the default deployment drawn in an opt-in diagram to show where its parts attach. */
  readonly context?: ReadonlySet<string>;
}

export interface FailurePath {
  /** The node whose failures go to the queue. */
  readonly from: FlowNode;
  /** What fails, e.g. "failed async events", "after 5 receives". */
  readonly what: string;
  readonly queue: FlowNode;
}

/** A node that only receives failures (a dead-letter queue): no data leaves it and only failures arrive. */
function failureSinks(graph: FlowGraph): Set<string> {
  const sinks = new Set<string>();
  for (const n of graph.nodes) {
    const incoming = graph.edges.filter((e) => e.to === n.id);
    const outgoing = graph.edges.filter((e) => e.from === n.id);
    if (incoming.length > 0 && outgoing.length === 0 && incoming.every((e) => e.style === 'failure')) {
      sinks.add(n.id);
    }
  }
  return sinks;
}

/** Whether `to` is reachable from `from` in two or more steps over the given edges. */
function reachableIndirectly(edges: FlowEdge[], from: string, to: string): boolean {
  const seen = new Set<string>();
  const queue = edges.filter((e) => e.from === from && e.to !== to).map((e) => e.to);
  while (queue.length > 0) {
    const at = queue.shift()!;
    if (at === to) {
      return true;
    }
    if (seen.has(at)) {
      continue;
    }
    seen.add(at);
    queue.push(...edges.filter((e) => e.from === at).map((e) => e.to));
  }
  return false;
}

/** Labels that say which way data moves, so a pair of them can share one two-headed edge. */
const MOVES = new Set(['reads', 'writes']);

/**
 * Which way a read-and-write pair points (the layout ranks its first node before the second):
 * from the node to the store when the node is a job a service runs (what a SageMaker job writes
 * is its output) or gets its data from elsewhere, a store, a queue or a service (a training job
 * reading its channels writes the artifact into Models); else from the store to the node that
 * works on what is in it (a function a workflow invokes reads the transcript, writes its analysis).
 */
function bothWays(read: FlowEdge, write: FlowEdge, edges: FlowEdge[], byId: Map<string, FlowNode>): FlowEdge {
  const store = read.from;
  const node = read.to;
  const job = byId.get(node)?.kind === 'service';
  const fedElsewhere = edges.some((x) => x.to === node && x.from !== store && x.style === 'data' && ['store', 'messaging', 'service'].includes(byId.get(x.from)?.kind ?? ''));
  return job || fedElsewhere ? write : read;
}

/** "Network/Vpc/S3" with detail "Gateway: s3" -> "S3 (gateway)"; "Interface: sagemaker.api" -> "sagemaker.api". */
function endpointName(n: FlowNode): string {
  const [kind, service] = (n.detail ?? '').split(': ');
  if (!service) {
    return n.construct ?? n.service;
  }
  return kind === 'Gateway' ? `${service === 's3' ? 'S3' : service} (gateway)` : service;
}

/**
 * One graph as drawn: failure sinks out (returned as failure paths), VPC endpoints into their VPC's
 * label, IAM edges the wiring already connects through other nodes out, and a read and a write
 * between the same two nodes as one two-headed edge.
 */
export function simplify(graph: FlowGraph): { graph: DrawnGraph; failures: FailurePath[] } {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const sinks = failureSinks(graph);
  const failures = graph.edges
    .filter((e) => sinks.has(e.to))
    .map((e) => ({ from: byId.get(e.from)!, what: e.label, queue: byId.get(e.to)! }));
  const endpoints = graph.nodes.filter((n) => n.kind === 'network');
  const vpcs = graph.vpcs.map((v) => ({
    ...v,
    endpoints: endpoints.filter((n) => n.vpc === v.id).map(endpointName).sort(byCodeUnit),
  }));
  const dropped = new Set([...sinks, ...endpoints.filter((n) => n.vpc).map((n) => n.id)]);
  let edges = graph.edges.filter((e) => !dropped.has(e.from) && !dropped.has(e.to));
  const wired = edges.filter((e) => e.origin === 'wiring' && e.style === 'data');
  edges = edges.filter((e) => e.origin !== 'iam' || !reachableIndirectly(wired, e.from, e.to));
  const drawn: DrawnEdge[] = [];
  const merged = new Set<FlowEdge>();
  for (const e of edges) {
    if (merged.has(e)) {
      continue;
    }
    const back = edges.find((x) => x.from === e.to && x.to === e.from && x.style === e.style && !merged.has(x));
    const verbOf = (x: FlowEdge) => x.label.split(' ')[0].replace(/,$/, '');
    if (back && e.style === 'data' && MOVES.has(verbOf(e)) && MOVES.has(verbOf(back)) && verbOf(e) !== verbOf(back)) {
      // One two-headed edge, its label read first: "reads code channel, writes model artifact".
      const [read, write] = verbOf(e) === 'reads' ? [e, back] : [back, e];
      const label = read.label === 'reads' && write.label === 'writes' ? 'reads, writes' : `${read.label}, ${write.label}`;
      drawn.push({ ...bothWays(read, write, edges, byId), label, both: true });
      merged.add(back).add(e);
      continue;
    }
    drawn.push(e);
  }
  const used = new Set(drawn.flatMap((e) => [e.from, e.to]));
  const nodes = graph.nodes.filter((n) => !dropped.has(n.id) && (used.has(n.id) || n.kind !== 'network'));
  return { graph: { nodes, edges: drawn, vpcs: vpcs.filter((v) => nodes.some((n) => n.vpc === v.id)) }, failures };
}

/**
 * The parts one opt-in switch adds: its nodes (not in the default deployment), the default nodes
 * they exchange data with (as context), and the edges that touch an opt-in node.
 */
export function optInPart(base: DrawnGraph, withSwitch: DrawnGraph): DrawnGraph | undefined {
  const inBase = new Set(base.nodes.map((n) => n.id));
  const added = new Set(withSwitch.nodes.filter((n) => !inBase.has(n.id)).map((n) => n.id));
  const baseEndpoints = new Map(base.vpcs.map((v) => [v.id, new Set(v.endpoints)]));
  const newEndpoints = withSwitch.vpcs.some((v) => v.endpoints.some((e) => !baseEndpoints.get(v.id)?.has(e)));
  if (added.size === 0 && !newEndpoints) {
    return undefined;
  }
  const edges = withSwitch.edges.filter((e) => added.has(e.from) || added.has(e.to));
  const touched = new Set(edges.flatMap((e) => [e.from, e.to]));
  const nodes = withSwitch.nodes.filter((n) => added.has(n.id) || touched.has(n.id));
  const context = new Set(nodes.filter((n) => !added.has(n.id)).map((n) => n.id));
  const vpcs = withSwitch.vpcs.filter((v) => nodes.some((n) => n.vpc === v.id));
  return { nodes, edges, vpcs, context };
}

/**
 * Nodes in the order the data first reaches them: breadth first from the sources (where the
 * wiring starts a flow, else nodes nothing flows into), then whatever only a cycle reaches. Mermaid's layout ranks nodes and breaks cycles
 * in the order they are written, so writing them this way puts the source on the left and draws
 * a write back to it (results into the upload bucket) as the edge that turns back.
 */
export function flowOrder(graph: DrawnGraph): FlowNode[] {
  // A machine reading back its own results says nothing about where data starts; a two-headed
  // edge counts the way it points (see bothWays); a table comes after the data it catalogues.
  const data = graph.edges.filter((e) => e.style !== 'failure' && !e.readsBack);
  const ids = graph.nodes.map((n) => n.id);
  const order: string[] = [];
  const visit = (start: string) => {
    const queue = [start];
    while (queue.length > 0) {
      const at = queue.shift()!;
      if (order.includes(at)) {
        continue;
      }
      order.push(at);
      const next = data.filter((e) => e.from === at).map((e) => e.to).sort(byCodeUnit);
      queue.push(...next.filter((n) => !order.includes(n)));
    }
  };
  const reach = (id: string) => {
    const seen = new Set([id]);
    const queue = [id];
    while (queue.length > 0) {
      const at = queue.shift()!;
      for (const e of data.filter((x) => x.from === at && !seen.has(x.to))) {
        seen.add(e.to);
        queue.push(e.to);
      }
    }
    return seen.size;
  };
  const pure = (id: string) => (data.some((e) => e.to === id) ? 0 : 1);
  const readsBack = (id: string) => (graph.edges.some((e) => e.to === id && e.readsBack) ? 1 : 0);
  const store = (id: string) => (graph.nodes.find((n) => n.id === id)?.kind === 'store' ? 1 : 0);
  // Where the template's wiring starts a flow: wired edges out, none in (a bucket whose
  // notifications start everything, though functions write results back into it). First the
  // nodes nothing flows into; then a machine that reads back what its runs wrote (the layout
  // breaks cycles depth first from the first node written, so the read is the edge turned back);
  // then data at rest; then the node reaching most. Each is visited unless an earlier one reached it.
  const wired = data.filter((e) => e.origin === 'wiring');
  const starts = ids.filter((id) => wired.some((e) => e.from === id) && !wired.some((e) => e.to === id));
  const sources = (starts.length > 0 ? starts : ids.filter((id) => pure(id) === 1))
    .sort((a, b) => pure(b) - pure(a) || readsBack(b) - readsBack(a) || store(b) - store(a) || reach(b) - reach(a) || byCodeUnit(a, b));
  for (const id of [...sources, ...ids]) {
    if (!order.includes(id)) {
      visit(id);
    }
  }
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  return order.map((id) => byId.get(id)!);
}
