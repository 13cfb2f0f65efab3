/**
 * The docs generator's pieces: Mermaid rendering, acknowledgement tables from the cloud assembly,
 * generated regions, page layout checks and the README table (which keeps `npm run cost`'s cells).
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { appOptIn, optInsRead } from '../../lib/app';
import { acknowledge } from '../../lib/gates';
import { readAssembly, ruleIdOf, StackDoc } from '../../scripts/docs/synthesized';
import { architectureDiagrams, diagramsMarkdown } from '../../scripts/docs/diagrams';
import { acknowledgementTable, architectureTable, generateDocs, staleRegions } from '../../scripts/docs/generate';
import { layoutProblems, readRegion, REQUIRED_SECTIONS, summaryOf, titleOf, writeRegion } from '../../scripts/docs/markdown';
import { renderFlowchart } from '../../scripts/docs/mermaid';
import { DrawnGraph } from '../../scripts/docs/views';
import { testApp } from '../helpers/app';

/** A docs page with the brief's layout: title, paragraph, every section, the two generated regions. */
function pageOf(title: string, paragraph: string, acks = ''): string {
  const regions: Record<string, string[]> = {
    '## Diagram': ['<!-- diagram:start -->', '<!-- diagram:end -->'],
    '## Security notes and acknowledgements': ['<!-- acks:start -->', ...(acks ? [acks] : []), '<!-- acks:end -->'],
  };
  return [`# ${title}`, '', paragraph, '', ...REQUIRED_SECTIONS.flatMap((h) => [h, '', ...(regions[h] ?? []), ''])].join('\n');
}

const GRAPH: DrawnGraph = {
  nodes: [
    { id: 'Fn1', service: 'Lambda', construct: 'Start/Function', kind: 'compute', vpc: 'Vpc1' },
    { id: 'svc_Amazon_Rekognition', service: 'Amazon Rekognition', kind: 'service' },
    { id: 'Bucket1', service: 'S3 bucket', construct: 'Uploads', kind: 'store' },
    { id: 'Table1', service: 'DynamoDB table', construct: 'Index', kind: 'store' },
    { id: 'Schema1', service: 'Glue table', construct: 'Events/Table', kind: 'store' },
  ],
  edges: [
    { from: 'Fn1', to: 'svc_Amazon_Rekognition', label: 'StartLabelDetection', style: 'data', origin: 'iam' },
    { from: 'Bucket1', to: 'Fn1', label: 'new objects in "videos/"', style: 'data', origin: 'wiring' },
    // The function writes its results back into the bucket the uploads came from.
    { from: 'Fn1', to: 'Bucket1', label: 'writes', style: 'data', origin: 'iam' },
    { from: 'Table1', to: 'Fn1', label: 'reads, writes', style: 'data', origin: 'iam', both: true },
    { from: 'Bucket1', to: 'Schema1', label: 'catalogued as', style: 'schema', origin: 'wiring' },
  ],
  vpcs: [{ id: 'Vpc1', construct: 'Network', internetGateway: false, endpoints: ['S3 (gateway)', 'sts'] }],
};

describe('Mermaid rendering', () => {
  const text = renderFlowchart(GRAPH);
  const lines = text.split('\n');

  it('is a left-to-right flowchart, VPC members in a subgraph whose one-line title says what the VPC has', () => {
    expect(lines[0]).toBe('flowchart LR');
    const sub = lines.indexOf('  subgraph Vpc1["<b>VPC</b> Network · no internet gateway · endpoints: S3 (gateway), sts"]');
    expect(sub).toBeGreaterThan(0);
    expect(lines[sub + 1]).toBe('    Fn1["<b>Lambda</b><br/>Start"]');
    expect(lines[sub + 2]).toBe('  end');
  });

  it('writes the source first, so the layout reads from it and turns back the write into it', () => {
    const written = lines.map((l) => l.trim().match(/^(\w+)[[(]/)?.[1]).filter((x): x is string => !!x && x !== 'subgraph');
    expect(written[0]).toBe('Bucket1');
    expect(written.indexOf('Bucket1')).toBeLessThan(written.indexOf('Fn1'));
  });

  it('draws stores, services, two-way and schema edges with distinct shapes and escapes quotes', () => {
    expect(text).toContain('Bucket1[("<b>S3 bucket</b><br/>Uploads")]');
    expect(text).toContain('svc_Amazon_Rekognition(["<b>Amazon Rekognition</b>"])');
    expect(text).toContain('Bucket1 -->|"new objects in #quot;videos/#quot;"| Fn1');
    expect(text).toContain('Table1 <-->|"reads, writes"| Fn1');
    expect(text).toContain('Bucket1 -.->|"catalogued as"| Schema1');
    // A construct id that repeats the service ("Events/Table" for a Glue table) is shortened.
    expect(text).toContain('"<b>Glue table</b><br/>Events"');
  });

  it('greys the default deployment\'s nodes in an opt-in diagram', () => {
    const part = renderFlowchart({ ...GRAPH, context: new Set(['Bucket1']) });
    expect(part).toContain('class Bucket1 context');
  });

  it('says so when a stack has no data flow', () => {
    expect(diagramsMarkdown({ diagrams: [], failures: [], settingsOnly: [] })).toMatch(/No data flow/);
  });
});

describe('acknowledgements from the cloud assembly', () => {
  let doc: StackDoc;
  beforeAll(() => {
    const app = testApp({ gates: false });
    const stack = new Stack(app, 'Acks', { tags: { architecture: 'acks' } });
    const queue = new sqs.Queue(stack, 'Jobs');
    const bucket = new s3.Bucket(stack, 'Data');
    acknowledge(queue, 'AwsSolutions-SQS3', 'This queue is itself the dead-letter queue of the pipeline');
    acknowledge(bucket, 'NIST.800.53.R5-S3BucketReplicationEnabled', 'Replication doubles storage cost | for a sandbox');
    acknowledge(bucket, 'guard:s3_bucket_replication_enabled_check', 'Replication doubles storage cost | for a sandbox');
    [doc] = readAssembly(app.synth().directory);
  });

  it('reads every acknowledgement with its construct path relative to the stack and the rule id acknowledge() took', () => {
    expect(doc.acknowledgements).toEqual(expect.arrayContaining([
      { construct: 'Jobs', rule: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the pipeline' },
      { construct: 'Data', rule: 'NIST.800.53.R5-S3BucketReplicationEnabled', reason: 'Replication doubles storage cost | for a sandbox' },
      { construct: 'Data', rule: 'guard:s3_bucket_replication_enabled_check', reason: 'Replication doubles storage cost | for a sandbox' },
    ]));
    expect(ruleIdOf('Annotation::AwsSolutions-IAM5[Resource::*]')).toBe('AwsSolutions-IAM5[Resource::*]');
  });

  it('tabulates one row per construct and reason, escapes pipes, and lists the globally disabled guard rules', () => {
    const table = acknowledgementTable(doc.acknowledgements).split('\n');
    expect(table[0]).toBe('| Construct | Rules | Reason |');
    expect(table).toContain('| `Data` | `NIST.800.53.R5-S3BucketReplicationEnabled`<br>`guard:s3_bucket_replication_enabled_check` | Replication doubles storage cost \\| for a sandbox |');
    expect(table).toContain('| `Jobs` | `AwsSolutions-SQS3` | This queue is itself the dead-letter queue of the pipeline |');
    expect(table.some((l) => l.includes('`ct-s3-pr-9`') && l.includes('lib/gates.ts'))).toBe(true);
  });

  it('marks acknowledgements that exist only with opt-in switches on', () => {
    const extra = [{ construct: 'Stream', rule: 'AwsSolutions-KDS3', reason: 'Opt-in stream uses the AWS managed key for cost' }];
    expect(acknowledgementTable(doc.acknowledgements, extra)).toContain('| `Stream` (opt-in) | `AwsSolutions-KDS3` |');
  });
});

describe('generated regions and page layout', () => {
  const page = pageOf('Video analysis', 'Rekognition labels every uploaded video. More text.', 'old');

  it('rewrites only between the markers and reads the region back', () => {
    const written = writeRegion(page, 'acks', '| new |');
    expect(readRegion(written, 'acks')).toBe('| new |');
    expect(written.replace('| new |', 'old')).toBe(page);
    expect(() => writeRegion('# x', 'diagram', 'y', 'docs/x.md')).toThrow('docs/x.md has no <!-- diagram:start --> ... <!-- diagram:end --> region to fill');
  });

  it('keeps a one-line region (a README cost cell) on one line', () => {
    const row = '| a | <!-- cost:video:start -->old<!-- cost:video:end --> |';
    expect(writeRegion(row, 'cost:video', '$1.00 / $2.00')).toBe('| a | <!-- cost:video:start -->$1.00 / $2.00<!-- cost:video:end --> |');
    expect(() => writeRegion(row, 'cost:video', 'a\nb', 'README.md')).toThrow('README.md: <!-- cost:video:start --> is inside one line');
  });

  it('accepts the brief\'s layout and names what is wrong with another', () => {
    expect(layoutProblems(page)).toEqual([]);
    const swapped = page.replace('## Deploy', '## DEPLOY-TMP').replace('## Prerequisites', '## Deploy').replace('## DEPLOY-TMP', '## Prerequisites');
    expect(layoutProblems(swapped)).toEqual(['section "## Deploy" is out of order']);
    expect(layoutProblems(page.replace('## Teardown', '## Clean up'))).toEqual(['missing section "## Teardown"']);
    expect(layoutProblems(page.replace('<!-- acks:start -->', ''))).toEqual(['missing the <!-- acks:start --> / <!-- acks:end --> lines']);
  });

  it('takes the README title and summary from the page', () => {
    expect(titleOf(page)).toBe('Video analysis');
    expect(summaryOf(page)).toBe('Rekognition labels every uploaded video.');
  });
});

describe('README architecture table', () => {
  const stack = (architecture: string, description?: string): StackDoc => ({
    artifactId: architecture, architecture, description, template: { Resources: {} }, paths: {}, acknowledgements: [],
  });

  it('links each page and its diagram, and keeps the cost cells npm run cost wrote', () => {
    const old = '| x | y | z | <!-- cost:video:start -->$2.00 / $4.00<!-- cost:video:end --> |';
    const table = architectureTable([stack('video', 'Videos labelled by Rekognition')], { 'docs/video.md': '# Video analysis\n' }, old);
    expect(table.split('\n')[2]).toBe('| [Video analysis](docs/video.md) | Videos labelled by Rekognition | [diagram](docs/video.md#diagram) · [deploy](docs/video.md#deploy) | <!-- cost:video:start -->$2.00 / $4.00<!-- cost:video:end --> |');
  });

  it('reports an architecture whose page is missing instead of writing one', () => {
    const result = generateDocs({ stacks: [stack('speech')], optIns: [] }, { 'README.md': '<!-- architectures:start --><!-- architectures:end -->' });
    expect(result.missingPages).toEqual(['docs/speech.md']);
    expect(result.files['README.md']).toContain('[diagram](docs/speech.md#diagram)');
  });
});

describe('opt-in parts', () => {
  it('the app records every switch appOptIn read, so the generator can turn them all on', () => {
    const app = testApp({ gates: false, context: { 'video.streaming': 'true' } });
    expect(appOptIn(app, 'video.streaming')).toBe(true);
    expect(appOptIn(app, 'sagemaker.endpoint')).toBe(false);
    expect(optInsRead(app)).toEqual(['sagemaker.endpoint', 'video.streaming']);
  });

  /** A stack named Video with the given parts: each a queue with its dead-letter queue, read by a function. */
  const synthVideo = (parts: string[]) => {
    const app = testApp({ gates: false });
    const s = new Stack(app, 'Video', { tags: { architecture: 'video' } });
    new s3.Bucket(s, 'Uploads').grantRead(new iam.Role(s, 'Reader', { assumedBy: new iam.ServicePrincipal('rekognition.amazonaws.com') }));
    for (const part of parts) {
      const queue = new sqs.Queue(s, part, { deadLetterQueue: { queue: new sqs.Queue(s, `${part}Dlq`), maxReceiveCount: 5 } });
      new lambda.Function(s, `${part}Worker`, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('x') })
        .addEventSource(new sources.SqsEventSource(queue));
    }
    return readAssembly(app.synth().directory);
  };
  const constructs = (source: string) => [...source.matchAll(/<br\/>(\w+)"/g)].map((m) => m[1]).sort();

  it('draws the parts a switch brings in their own diagram, not in the default one; their dead-letter queues in the table', () => {
    const [base] = synthVideo([]);
    const d = architectureDiagrams(base, { stacks: [base], withOptIns: synthVideo(['Stream']), optIns: ['speech.x', 'video.streaming'] });
    expect(d.diagrams.map((x) => x.title)).toEqual(['Data flow', 'Opt-in: `-c video.streaming=true`']);
    expect(constructs(d.diagrams[0].source)).toEqual(['Uploads']);
    expect(constructs(d.diagrams[1].source)).toEqual(['Stream', 'StreamWorker']);
    expect(d.failures.map((f) => `${f.from.construct} -> ${f.queue.construct} ${f.what} (${f.optIn})`)).toEqual(['Stream -> StreamDlq after 5 receives (-c video.streaming=true)']);
  });

  it('names the one switch that brings each part when an architecture has several', () => {
    const [base] = synthVideo([]);
    const d = architectureDiagrams(base, {
      stacks: [base],
      withOptIns: synthVideo(['Stream', 'Search']),
      optIns: ['video.search', 'video.stream'],
      solo: { 'video.search': synthVideo(['Search']), 'video.stream': synthVideo(['Stream']) },
    });
    const parts = Object.fromEntries(d.diagrams.filter((x) => x.kind === 'opt-in').map((x) => [x.title, constructs(x.source)]));
    expect(parts).toEqual({
      'Opt-in: `-c video.search=true`': ['Search', 'SearchWorker'],
      'Opt-in: `-c video.stream=true`': ['Stream', 'StreamWorker'],
    });
    expect(d.failures.map((f) => `${f.queue.construct} (${f.optIn})`).sort()).toEqual(['SearchDlq (-c video.search=true)', 'StreamDlq (-c video.stream=true)']);
  });

  it('says when a switch only changes settings of the parts drawn', () => {
    const [base] = synthVideo([]);
    const d = architectureDiagrams(base, { stacks: [base], withOptIns: synthVideo([]), optIns: ['video.bigger'] });
    expect(d.settingsOnly).toEqual(['video.bigger']);
    expect(diagramsMarkdown(d)).toContain('`-c video.bigger=true` adds nothing to these diagrams');
  });
});

describe('staleness check', () => {
  const PAGE = pageOf('Fixture', 'Text.');
  const README = '# R\n\n<!-- architectures:start -->\n<!-- architectures:end -->\n';

  function synthOf(build: (s: Stack) => void) {
    const app = testApp({ gates: false });
    const s = new Stack(app, 'Fixture', { tags: { architecture: 'fixture' } });
    build(s);
    return { stacks: readAssembly(app.synth().directory), optIns: [] };
  }
  const base = (s: Stack) => new s3.Bucket(s, 'Data').grantRead(new iam.Role(s, 'Reader', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') }));

  it('passes on what the generator wrote, and names the regions a stack change makes stale', () => {
    const before = synthOf(base);
    const committed = generateDocs(before, { 'README.md': README, 'docs/fixture.md': PAGE }).files;
    expect(staleRegions(before, committed)).toEqual([]);
    const acknowledged = synthOf((s) => {
      base(s);
      acknowledge(s.node.findChild('Data'), 'NIST.800.53.R5-S3BucketReplicationEnabled', 'Replication doubles storage cost for a sandbox');
    });
    expect(staleRegions(acknowledged, committed)).toEqual(['docs/fixture.md <!-- acks -->']);
    const moreFlow = synthOf((s) => {
      base(s);
      new sqs.Queue(s, 'Jobs').grantSendMessages(s.node.findChild('Reader') as iam.Role);
    });
    expect(staleRegions(moreFlow, committed)).toEqual(['docs/fixture.md <!-- diagram -->']);
  });
});
