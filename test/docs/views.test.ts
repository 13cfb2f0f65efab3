/**
 * From everything a template says to what a diagram draws: nothing is dropped, only moved (a
 * dead-letter queue to the failure table, a VPC endpoint into its VPC's title, an IAM edge the
 * wiring already draws as a path), and the nodes are written so the layout starts at the source.
 */
import { FlowEdge, FlowGraph, FlowNode } from '../../scripts/docs/flow';
import { flowOrder, optInPart, simplify } from '../../scripts/docs/views';

const node = (id: string, kind: FlowNode['kind'], extra: Partial<FlowNode> = {}): FlowNode => ({ id, service: id, construct: id, kind, ...extra });
const edge = (from: string, to: string, label: string, extra: Partial<FlowEdge> = {}): FlowEdge => ({ from, to, label, style: 'data', origin: 'wiring', ...extra });
const links = (edges: FlowEdge[]) => edges.map((e) => `${e.from} -> ${e.to}: ${e.label}${'both' in e && e.both ? ' (both ways)' : ''}`).sort();

/** The video pipeline in small: uploads -> queue -> starter -> service; results written back. */
const VIDEO: FlowGraph = {
  nodes: [
    node('Media', 'store'),
    node('StartQueue', 'messaging'),
    node('StartDlq', 'messaging'),
    node('Starter', 'compute'),
    node('StarterDlq', 'messaging'),
    node('Rekognition', 'service'),
    node('Collector', 'compute'),
    node('Index', 'store'),
    node('S3Endpoint', 'network', { vpc: 'Vpc', detail: 'Gateway: s3' }),
  ],
  edges: [
    edge('Media', 'StartQueue', 'new objects in videos/'),
    edge('StartQueue', 'Starter', 'messages'),
    edge('StartQueue', 'StartDlq', 'after 5 receives', { style: 'failure' }),
    edge('Starter', 'StarterDlq', 'failed async events', { style: 'failure' }),
    // The starter's grant on the bucket: the wiring already brings it the object through the queue.
    edge('Media', 'Starter', 'reads videos/', { origin: 'iam' }),
    edge('Starter', 'Rekognition', 'StartLabelDetection', { origin: 'iam' }),
    edge('Rekognition', 'Collector', 'GetLabelDetection', { origin: 'iam' }),
    edge('Collector', 'Media', 'writes results/', { origin: 'iam' }),
    edge('Index', 'Collector', 'reads', { origin: 'iam' }),
    edge('Collector', 'Index', 'writes', { origin: 'iam' }),
  ],
  vpcs: [{ id: 'Vpc', construct: 'Network', internetGateway: false }],
};

describe('what a data-flow diagram draws', () => {
  const { graph, failures } = simplify(VIDEO);

  it('moves dead-letter queues to the failure table, with what fails into them', () => {
    expect(graph.nodes.map((n) => n.id)).not.toEqual(expect.arrayContaining(['StartDlq']));
    expect(graph.nodes.map((n) => n.id)).not.toContain('StarterDlq');
    expect(failures.map((f) => `${f.from.id} -> ${f.queue.id}: ${f.what}`).sort()).toEqual(['StartQueue -> StartDlq: after 5 receives', 'Starter -> StarterDlq: failed async events']);
  });

  it('folds VPC endpoints into the VPC they serve', () => {
    expect(graph.nodes.map((n) => n.id)).not.toContain('S3Endpoint');
    // No node of this diagram is in the VPC, so the VPC is not drawn at all.
    expect(graph.vpcs).toEqual([]);
    const inVpc = simplify({ ...VIDEO, nodes: VIDEO.nodes.map((n) => (n.id === 'Collector' ? { ...n, vpc: 'Vpc' } : n)) }).graph;
    expect(inVpc.vpcs).toEqual([{ id: 'Vpc', construct: 'Network', internetGateway: false, endpoints: ['S3 (gateway)'] }]);
  });

  it('leaves out an IAM edge the wiring already draws as a path, and draws a read and a write as one two-headed edge', () => {
    expect(links(graph.edges)).toEqual([
      'Collector -> Index: reads, writes (both ways)',
      'Collector -> Media: writes results/',
      'Media -> StartQueue: new objects in videos/',
      'Rekognition -> Collector: GetLabelDetection',
      'StartQueue -> Starter: messages',
      'Starter -> Rekognition: StartLabelDetection',
    ]);
  });

  it('points a two-headed edge from the store to a node that works on what is in it', () => {
    const speech = simplify({
      nodes: [node('Machine', 'compute'), node('Transcribe', 'service'), node('Results', 'store'), node('Analyse', 'compute')],
      edges: [
        edge('Machine', 'Transcribe', 'StartTranscriptionJob'),
        edge('Transcribe', 'Results', 'writes transcript'),
        edge('Machine', 'Analyse', 'invokes'),
        edge('Results', 'Analyse', 'reads transcripts/', { origin: 'iam' }),
        edge('Analyse', 'Results', 'writes analyses/', { origin: 'iam' }),
      ],
      vpcs: [],
    });
    expect(links(speech.graph.edges)).toContain('Results -> Analyse: reads transcripts/, writes analyses/ (both ways)');
  });

  it('points it from a job a service runs to the store it writes its output into', () => {
    const evaluation = simplify({
      nodes: [node('Workflow', 'compute'), node('Processing', 'service'), node('Models', 'store')],
      edges: [
        edge('Workflow', 'Processing', 'CreateProcessingJob'),
        edge('Models', 'Processing', 'reads code input'),
        edge('Processing', 'Models', 'writes evaluation output'),
      ],
      vpcs: [],
    });
    expect(links(evaluation.graph.edges)).toContain('Processing -> Models: reads code input, writes evaluation output (both ways)');
  });

  it('writes the upload bucket first though results are written back into it, and the rest in the order data reaches it', () => {
    expect(flowOrder(graph).map((n) => n.id)).toEqual(['Media', 'StartQueue', 'Starter', 'Rekognition', 'Collector', 'Index']);
  });

  it('writes a machine that reads back what its runs wrote before the bucket it reads', () => {
    const order = flowOrder(simplify({
      nodes: [node('Data', 'store'), node('Workflow', 'compute'), node('Job', 'service'), node('Models', 'store')],
      edges: [
        edge('Data', 'Job', 'reads train channel'),
        edge('Workflow', 'Job', 'CreateTrainingJob'),
        edge('Job', 'Models', 'writes model artifact'),
        edge('Models', 'Workflow', 'reads evaluation.json', { readsBack: true }),
      ],
      vpcs: [],
    }).graph).map((n) => n.id);
    expect(order[0]).toBe('Workflow');
    expect(order.indexOf('Models')).toBeGreaterThan(order.indexOf('Job'));
  });
});

describe('the diagram of one opt-in switch', () => {
  const base = simplify(VIDEO).graph;
  const withSwitch = simplify({
    nodes: [...VIDEO.nodes, node('Camera', 'messaging'), node('FrameSearch', 'compute')],
    edges: [...VIDEO.edges, edge('Camera', 'FrameSearch', 'frames (GetImages)', { origin: 'iam' }), edge('FrameSearch', 'Rekognition', 'SearchFacesByImage', { origin: 'iam' })],
    vpcs: VIDEO.vpcs,
  }).graph;

  it('draws the switch\'s parts and, greyed, the default parts they exchange data with', () => {
    const part = optInPart(base, withSwitch)!;
    expect(part.nodes.map((n) => n.id).sort()).toEqual(['Camera', 'FrameSearch', 'Rekognition']);
    expect([...part.context!]).toEqual(['Rekognition']);
    expect(links(part.edges)).toEqual(['Camera -> FrameSearch: frames (GetImages)', 'FrameSearch -> Rekognition: SearchFacesByImage']);
  });

  it('has no diagram when the switch adds nothing to draw', () => {
    expect(optInPart(base, base)).toBeUndefined();
  });
});
