/**
 * The legibility budget of the generated diagrams, and the notes' figures in them. Both read the
 * committed pages, which test/docs/docs.test.ts keeps equal to what `npm run docs` generates from
 * the app, so a stack change that crowds a diagram fails here once its page is regenerated.
 *
 * Why these limits (BUDGETS in scripts/docs/budget.ts), boxes / arrows per diagram:
 * - Data flow 14 / 20. The notes' figures have 5 to 9 boxes; a learner matches them to a diagram of
 *   the default deployment, which needs a few more (queues, functions, the buckets between steps).
 *   Before issue 16 each page drew everything in one diagram: video 24 boxes / 34 arrows, speech
 *   19 / 30, sagemaker 20 / 26, data lake 15 / 19 with its real-time part, which mermaid-cli
 *   rendered 3757, 3104, 2949 and 1805 px wide: a quarter to a half of their size in a 900 px
 *   Markdown column, the notes' chain lost among dead-letter queues and opt-in parts. Mermaid lays
 *   a flowchart out in ranks and widens it with every rank and every label, so the count bounds
 *   what a column can hold: today's largest (speech, 13 / 19) renders 2299 px wide, the longest
 *   chain (video, 10 / 14 in nine ranks) 2632 px.
 * - Opt-in 10 / 12. An opt-in part is what one switch adds plus the boxes it attaches to, greyed:
 *   it is drawn to be small (today at most 8 / 7, video's live face search, 997 px wide; the
 *   widest is the data lake's real-time part, 7 / 6, 1390 px).
 * - Workflow 28 / 32. A state diagram reads top down like the Step Functions console, so it may be
 *   longer than wide; what makes one illegible is branches side by side. The speech chain, the
 *   largest, has 35 states and 56 transitions in its definition; drawn with the plumbing folded it
 *   is 25 / 28 and renders 874 x 2125 px, its full size in the column.
 *
 * Today's counts (boxes / arrows, `npm run docs` prints them): data lake data flow 10 / 10, opt-in
 * datalake.realtime 7 / 6; video data flow 10 / 14, opt-in video.streaming 8 / 7; speech data flow
 * 13 / 19, workflow 25 / 28; sagemaker data flow 12 / 15, workflow TrainingStateMachine 13 / 12,
 * workflow Tuning 5 / 4, opt-in sagemaker.endpoint 5 / 3, opt-in sagemaker.notebook 7 / 5. Sizes
 * measured with mermaid-cli 11.17.0 and Chromium 2026-12-01 (the SVG's natural width).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUDGETS, countMermaid, kindOfTitle, mermaidBlocks, overBudget, titledBlocks } from '../../scripts/docs/budget';

const root = path.join(__dirname, '../..');
const ARCHITECTURES = ['datalake', 'video', 'speech', 'sagemaker'];
const pageOf = (architecture: string) => fs.readFileSync(path.join(root, 'docs', `${architecture}.md`), 'utf8');
const diagramRegion = (text: string) => text.slice(text.indexOf('<!-- diagram:start -->'), text.indexOf('<!-- diagram:end -->'));

describe('legibility budget', () => {
  const diagrams = ARCHITECTURES.flatMap((a) =>
    titledBlocks(diagramRegion(pageOf(a))).map((b) => ({ name: `docs/${a}.md "${b.title}"`, ...countMermaid(b.source), kind: kindOfTitle(b.title) })),
  );

  it('every architecture page draws its diagrams under headings, every Mermaid block of the region counted', () => {
    for (const a of ARCHITECTURES) {
      const region = diagramRegion(pageOf(a));
      expect(titledBlocks(region).length).toBe(mermaidBlocks(region).length);
      expect(titledBlocks(region)[0]?.title).toBe('Data flow');
    }
    expect(diagrams.length).toBeGreaterThanOrEqual(ARCHITECTURES.length);
  });

  it('every diagram is within the boxes and arrows of its kind', () => {
    expect(overBudget(diagrams)).toEqual([]);
  });

  it('names a diagram over its budget with its counts', () => {
    const crowded = { name: 'docs/x.md "Data flow"', kind: 'data flow' as const, nodes: BUDGETS['data flow'].nodes + 1, edges: BUDGETS['data flow'].edges };
    expect(overBudget([crowded])).toEqual([`docs/x.md "Data flow": ${BUDGETS['data flow'].nodes + 1} boxes > ${BUDGETS['data flow'].nodes}`]);
  });

  it('counts boxes and arrows of a flowchart: nodes and subgraphs, every kind of arrow, no style lines', () => {
    const source = [
      'flowchart LR',
      '  A[("<b>S3 bucket</b>")]',
      '  subgraph V["VPC"]',
      '    B(["<b>job</b>"])',
      '  end',
      '  C[/"queue"/]',
      '  A -->|"reads"| B',
      '  B <-->|"reads, writes"| C',
      '  A -.->|"schema"| C',
      '  classDef context fill:#eee',
      '  class A context',
    ].join('\n');
    expect(countMermaid(source)).toEqual({ syntax: 'flowchart', nodes: 4, edges: 3 });
  });
});

/** A flowchart's boxes ("Service Construct") and arrows, parsed from the generated Mermaid. */
function parseFlowchart(source: string) {
  const labels = new Map<string, string>();
  for (const m of source.matchAll(/^\s+(\w+)[[(/{]+"<b>([^<]+)<\/b>(?:<br\/>([^<"]+))?/gm)) {
    labels.set(m[1], `${m[2]} ${m[3] ?? ''}`.trim());
  }
  const edges = [...source.matchAll(/^\s+(\w+) (<-->|-->|-\.->)(?:\|"([^"]*)"\|)? (\w+)$/gm)].map((m) => ({ from: m[1], to: m[4], both: m[2] === '<-->', label: m[3] ?? '' }));
  const find = (pattern: RegExp) => [...labels].filter(([, l]) => pattern.test(l)).map(([id]) => id);
  return { labels, edges, find };
}

/** Whether the boxes matching each pattern form a path, each step an arrow (or a two-headed one) of the diagram. */
function pathOf(source: string, figure: RegExp[]): string[] {
  const { edges, find, labels } = parseFlowchart(source);
  const missing: string[] = [];
  for (let i = 0; i + 1 < figure.length; i += 1) {
    const linked = find(figure[i]).some((a) => find(figure[i + 1]).some((b) => edges.some((e) => (e.from === a && e.to === b) || (e.both && e.from === b && e.to === a))));
    if (!linked) {
      missing.push(`${figure[i]} -> ${figure[i + 1]} (boxes: ${[...labels.values()].join('; ')})`);
    }
  }
  return missing;
}

/** The first diagram of a page and the one titled `title`. */
const block = (architecture: string, title = 'Data flow') => titledBlocks(diagramRegion(pageOf(architecture))).find((b) => b.title.startsWith(title))!.source;

describe('each page opens with a diagram a learner can match to the notes\' figure', () => {
  it('data lake: Kinesis -> Firehose -> S3 -> Glue table -> Athena, the bucket curated by Glue and EMR', () => {
    const flow = block('datalake');
    expect(pathOf(flow, [/^Kinesis Data Streams/, /^Data Firehose/, /^S3 bucket Lake/, /^Glue table/, /^Athena/])).toEqual([]);
    expect(pathOf(flow, [/^S3 bucket Lake/, /^Glue job/])).toEqual([]);
    expect(pathOf(flow, [/^S3 bucket Lake/, /^EMR Serverless/])).toEqual([]);
    expect(flow).toContain('writes Parquet');
  });

  it('video: S3 -> (SQS) -> Lambda -> Rekognition -> SNS -> SQS -> Lambda; live face search on Kinesis Video in its own diagram', () => {
    expect(pathOf(block('video'), [/^S3 bucket Media/, /^SQS queue Start/, /^Lambda Start/, /^Amazon Rekognition/, /^SNS topic/, /^SQS queue Completion/, /^Lambda Results/])).toEqual([]);
    expect(block('video')).toContain('job completion');
    expect(pathOf(block('video', 'Opt-in'), [/^Kinesis Video Streams/, /^Lambda Live\/FrameSearch/])).toEqual([]);
    expect(pathOf(block('video', 'Opt-in'), [/^Rekognition face collection/, /^Lambda Live\/FrameSearch/])).toEqual([]);
  });

  it('speech: an upload starts Step Functions, which runs Transcribe; the transcript goes to Comprehend', () => {
    expect(pathOf(block('speech'), [/^S3 bucket Media/, /^Step Functions/, /^Amazon Transcribe/, /^S3 bucket Results/, /^Lambda Analysis/, /^Amazon Comprehend/])).toEqual([]);
  });

  it('speech workflow: Transcribe -> Wait -> status check -> decision -> Comprehend, the polling loop, the language branch, Polly', () => {
    const workflow = block('speech', 'Workflow');
    const names = new Map([...workflow.matchAll(/state "([^"]+)" as (\w+)/g)].map((m) => [m[2], m[1]]));
    const steps = [...workflow.matchAll(/^ {2}(\w+) --> (\w+)/gm)].map((m) => `${names.get(m[1])} -> ${names.get(m[2])}`);
    expect(steps).toEqual(expect.arrayContaining([
      'StartTranscription -> WaitForTranscription',
      'WaitForTranscription -> GetTranscriptionStatus',
      'GetTranscriptionStatus -> TranscriptionStatus',
      'TranscriptionStatus -> WaitForTranscription',
      'TranscriptionStatus -> ComprehendSupportsLanguage',
      'ComprehendSupportsLanguage -> TranslateTranscript',
      'ComprehendSupportsLanguage -> AnalyseTranscript',
      'SpeakSummary -> SpeechStatus',
    ]));
    expect(workflow).toContain(': Lambda → Comprehend');
    expect(workflow).toContain(': Lambda → Polly');
  });

  it('sagemaker: a private VPC, spot training with checkpoints, tuning, batch transform, the serial inference pipeline, and the notebook and endpoint opt-in', () => {
    const flow = block('sagemaker');
    expect(flow).toMatch(/subgraph \w+\["<b>VPC<\/b> [^"]*no internet gateway/);
    expect(flow).toMatch(/SageMaker training job<\/b><br\/><i>[^<]*Managed Spot · checkpoints/);
    expect(flow).toMatch(/SageMaker tuning job<\/b><br\/><i>Bayesian search/);
    expect(flow).toMatch(/SageMaker model<\/b><br\/><i>serial pipeline: preprocess\.py on scikit-learn → train\.py on xgboost/);
    expect(pathOf(flow, [/^S3 bucket TrainingData/, /^SageMaker training job/, /^S3 bucket Models/])).toEqual([]);
    expect(pathOf(flow, [/^SageMaker batch transform job/, /^S3 bucket Inference/])).toEqual([]);
    const workflow = block('sagemaker', 'Workflow: `Workflow');
    expect(workflow).toMatch(/state "Train"[\s\S]*state "CreateModel"[\s\S]*state "BatchTransform"[\s\S]*state "Evaluate"/);
    expect(block('sagemaker', 'Opt-in: `-c sagemaker.notebook')).toContain('SageMaker notebook');
    expect(block('sagemaker', 'Opt-in: `-c sagemaker.endpoint')).toContain('SageMaker endpoint');
  });
});
