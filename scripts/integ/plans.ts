/**
 * What each deployed smoke test (test/integ/integ.*.ts) does, takes and costs: printed by
 * `npm run integ -- <Architecture>` before anything is deployed and written into each page's "Prove
 * it in your account" section (`npm run integ -- --docs`). Costs are computed from
 * scripts/cost/prices.json (us-east-1 list prices, each with its source and date); durations are
 * estimates (nothing here has an AWS account to measure them in).
 */
import { PriceTable } from '../cost';

export const ARCHITECTURES = ['DataLake', 'VideoAnalysis', 'SpeechChain', 'SageMakerPlatform'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** One billed quantity of a test, in the unit of the price it names in prices.json. */
export type CostItem =
  /** An hourly or monthly price (`idle` table) for `quantity` units over the whole test. */
  | { readonly idle: string; readonly instanceType?: string; readonly quantity: number; readonly what: string }
  /** A usage price (`usage` table, found by service and the start of `what`), `quantity` in its `per` unit. */
  | { readonly service: string; readonly whatStartsWith: string; readonly quantity: number; readonly what: string }
  /** Billed, but prices.json has no figure for it: shown, never dropped. */
  | { readonly notPriced: string };

export interface SmokeTestPlan {
  readonly architecture: Architecture;
  /** The integ-runner test file under test/integ/. */
  readonly file: string;
  readonly page: string;
  /** Estimated minutes: CloudFormation create, the assertions, CloudFormation delete. */
  readonly minutes: { readonly deploy: number; readonly test: number; readonly destroy: number };
  /** The longest the assertions may wait in all (their waiters' timeouts): the worst case. */
  readonly maxTestMinutes: number;
  readonly costs: readonly CostItem[];
  readonly asserts: readonly string[];
  /** What a run creates outside its two stacks, and how it goes away. */
  readonly outside: readonly string[];
}

const KEYS = { idle: 'kms-key', quantity: 2, what: 'two KMS keys (the architecture\'s and the assertion stack\'s), prorated' } as const;

export const PLANS: Readonly<Record<Architecture, SmokeTestPlan>> = {
  DataLake: {
    architecture: 'DataLake',
    file: 'integ.datalake.ts',
    page: 'docs/datalake.md',
    minutes: { deploy: 8, test: 4, destroy: 6 },
    maxTestMinutes: 15,
    costs: [
      { idle: 'kinesis-shard', quantity: 1, what: 'one provisioned shard' },
      KEYS,
      { service: 'Firehose', whatStartsWith: 'ingestion', quantity: 0.0015, what: '300 records, each billed as 5 KB: 0.0015 GB' },
      { service: 'Firehose', whatStartsWith: 'format conversion', quantity: 0.0015, what: '0.0015 GB converted to Parquet' },
      { service: 'Athena', whatStartsWith: 'data scanned', quantity: 0.00001, what: 'one query, billed at the 10 MB minimum' },
      { service: 'Step Functions', whatStartsWith: 'standard workflow', quantity: 0.1, what: 'about 100 transitions of the assertion waiters' },
      { notPriced: 'Firehose dynamic partitioning of 0.0015 GB and one S3 object (a fraction of a cent)' },
    ],
    asserts: [
      'PutRecords of 300 generated session events into the stream answers FailedRecordCount 0',
      'a Parquet object appears under raw/events/year=2026/month=11/day=25/ (Firehose buffer interval: 60 s in sandbox)',
      'an Athena query through the Glue table\'s partition projection counts exactly the 300 events of the run',
    ],
    outside: ['Athena keeps the query in its history (free, not deletable); nothing else: the buckets empty themselves on destroy'],
  },
  VideoAnalysis: {
    architecture: 'VideoAnalysis',
    file: 'integ.video.ts',
    page: 'docs/video.md',
    minutes: { deploy: 5, test: 6, destroy: 5 },
    maxTestMinutes: 62,
    costs: [
      { service: 'Rekognition Video', whatStartsWith: 'stored video', quantity: 3, what: 'three analyses of a 3-second clip, at most one billed minute each' },
      KEYS,
      { service: 'Step Functions', whatStartsWith: 'standard workflow', quantity: 0.1, what: 'about 100 transitions of the assertion waiters' },
      { notPriced: 'five Rekognition Image calls on one image, a few DynamoDB, SQS and SNS requests (a fraction of a cent)' },
    ],
    asserts: [
      'a 3-second H.264 test pattern uploaded under videos/ gets labels, faces and moderation jobs, each recorded SUCCEEDED in the index row',
      'each analysis has its result document under results/, SUCCEEDED, with the clip\'s own frame width (320)',
      'a test-pattern PNG uploaded under images/ gets one analysis document: SUCCEEDED, listing labels, faces, text, moderation and celebrities, not flagged',
    ],
    outside: ['nothing: Rekognition keeps no job resources; the bucket and table go with the stack'],
  },
  SpeechChain: {
    architecture: 'SpeechChain',
    file: 'integ.speech.ts',
    page: 'docs/speech.md',
    minutes: { deploy: 5, test: 4, destroy: 4 },
    maxTestMinutes: 15,
    costs: [
      { service: 'Transcribe', whatStartsWith: 'batch transcription', quantity: 0.47, what: '28 s of speech' },
      { service: 'Comprehend', whatStartsWith: 'sentiment', quantity: 15, what: 'three APIs over ~420 characters: 5 units each' },
      { service: 'Polly', whatStartsWith: 'standard voices', quantity: 0.0005, what: 'a summary of up to ~500 characters' },
      KEYS,
      { service: 'Step Functions', whatStartsWith: 'standard workflow', quantity: 0.1, what: 'the chain\'s execution and the assertion waiters, about 100 transitions' },
    ],
    asserts: [
      'uploading ~28 s of generated English speech under media/ starts one execution, which SUCCEEDS',
      'the result JSON names an English language code, the sentiment POSITIVE and at least one key phrase',
      'the spoken summary was synthesized: its MP3 exists (audio/mpeg)',
    ],
    outside: ['the run\'s Transcribe job: deleted by the test and again by the command\'s sweep (jobs named speech-<run id>-...)'],
  },
  SageMakerPlatform: {
    architecture: 'SageMakerPlatform',
    file: 'integ.sagemaker.ts',
    page: 'docs/sagemaker.md',
    minutes: { deploy: 6, test: 40, destroy: 8 },
    maxTestMinutes: 100,
    costs: [
      { service: 'SageMaker', whatStartsWith: 'training, ml.m5.xlarge', quantity: 0.3, what: 'three ml.m5.large training jobs (one run, two tuning) of ~6 billed minutes, priced at the ml.m5.xlarge on-demand rate as a ceiling (spot bills up to 90% less)' },
      { idle: 'sagemaker-hosting', instanceType: 'ml.m5.large', quantity: 0.2, what: 'one batch transform and one evaluation (processing) job on ml.m5.large, ~6 billed minutes each, at the ml.m5.large hosting rate prices.json records (the transform and processing rates are not recorded there)' },
      KEYS,
      { service: 'Step Functions', whatStartsWith: 'standard workflow', quantity: 0.2, what: 'two executions and the assertion waiters, about 200 transitions' },
      { notPriced: 'VPC flow-log and job-log ingestion (kilobytes)' },
    ],
    asserts: [
      'the training state machine, given a generated dataset (train 400, validation 100, test 100 rows, label first) and the code, SUCCEEDS: spot training in the no-internet VPC, the preprocess -> PCA -> XGBoost pipeline model, batch transform of the test split, evaluation',
      'the model artifact exists, encrypted with the platform key (aws:kms); the scored test split holds "label,score" lines; evaluation.json next to the model counts all 100 test rows',
      'the tuning state machine with a budget of 2 training jobs SUCCEEDS with a completed best training job',
    ],
    outside: [
      'the model integ-<run id>: deleted by the test and again by the command\'s sweep',
      'log streams integ-<run id>* in /aws/sagemaker/TrainingJobs, TransformJobs and ProcessingJobs: deleted by the command\'s sweep (the log groups, shared by every job of the account, stay)',
      'training, tuning, transform and processing jobs stay listed in SageMaker (job records cannot be deleted and cost nothing); the sweep stops any still running',
    ],
  },
};

export interface PricedItem {
  readonly what: string;
  readonly usd?: number;
  readonly basis: string;
}

/** Hours a test keeps its resources, deploy to destroy. */
export const testHours = (plan: SmokeTestPlan) => (plan.minutes.deploy + plan.minutes.test + plan.minutes.destroy) / 60;

/** Each cost item with its dollars (or why it has none), from the price table. */
export function priceItems(plan: SmokeTestPlan, prices: PriceTable): PricedItem[] {
  const hours = testHours(plan);
  return plan.costs.map((item): PricedItem => {
    if ('notPriced' in item) {
      return { what: item.notPriced, basis: 'not priced' };
    }
    if ('idle' in item) {
      const price = prices.idle[item.idle];
      const unit = item.instanceType !== undefined ? price?.byInstanceType?.[item.instanceType] : price?.usd;
      if (price === undefined || unit === undefined) {
        throw new Error(`${plan.architecture}: prices.json has no idle price ${JSON.stringify(item.idle)}${item.instanceType ? ` for ${item.instanceType}` : ''}`);
      }
      const monthly = /month/.test(price.per);
      // Instance-hour items carry their own hours; the rest are held for the whole test.
      const units = item.instanceType !== undefined ? item.quantity : item.quantity * (monthly ? hours / prices.hoursPerMonth : hours);
      return { what: item.what, usd: units * unit, basis: `$${unit}/${price.per} (${price.source}, ${price.date})` };
    }
    const price = prices.usage.find((u) => u.service === item.service && u.what.startsWith(item.whatStartsWith));
    if (price === undefined) {
      throw new Error(`${plan.architecture}: prices.json has no usage price of ${item.service} "${item.whatStartsWith}..."`);
    }
    return { what: item.what, usd: item.quantity * price.usd, basis: `$${price.usd} per ${price.per} (${price.source}, ${price.date})` };
  });
}

/** The priced total, rounded up to the cent (never shown as less than $0.01). */
export function totalUsd(items: readonly PricedItem[]): number {
  const sum = items.reduce((s, i) => s + (i.usd ?? 0), 0);
  return Math.max(0.01, Math.ceil(sum * 100 - 1e-9) / 100);
}

export const totalMinutes = (plan: SmokeTestPlan) => plan.minutes.deploy + plan.minutes.test + plan.minutes.destroy;

/** The plan as Markdown: what a page's "Prove it in your account" section shows. */
export function planMarkdown(plan: SmokeTestPlan, prices: PriceTable): string {
  const items = priceItems(plan, prices);
  const money = (usd?: number) => (usd === undefined ? 'not priced' : usd < 0.01 ? '< $0.01' : `$${usd.toFixed(2)}`);
  const stack = plan.architecture;
  return [
    `One command deploys this architecture in the sandbox profile into your account as \`Integ${stack}\` (a \`${stack}\` you`,
    `deployed is never touched), drives its smallest real flow with \`@aws-cdk/integ-tests-alpha\` assertions run by`,
    `\`@aws-cdk/integ-runner\` ([test/integ/${plan.file}](../test/integ/${plan.file})), and destroys it, on failure too. It needs`,
    'credentials, a region and a bootstrapped account (`npx cdk bootstrap`); without them it names what is missing and deploys nothing.',
    '',
    '```bash',
    `npm run integ -- ${plan.architecture}          # prints this plan, checks credentials and region, deploys nothing`,
    `npm run integ -- ${plan.architecture} --yes    # deploys Integ${plan.architecture} and its assertions, runs them, destroys both`,
    '```',
    '',
    `**Expected cost: about $${totalUsd(items).toFixed(2)}** (${prices.region} list prices from \`scripts/cost/prices.json\`).`,
    `**Expected duration: about ${totalMinutes(plan)} minutes** (deploy ~${plan.minutes.deploy}, assertions ~${plan.minutes.test}, destroy ~${plan.minutes.destroy}; estimates, not measured);`,
    `the assertions give up after ${plan.maxTestMinutes} minutes at most.`,
    '',
    '| Billed | Dollars | Price |',
    '| --- | --- | --- |',
    ...items.map((i) => `| ${i.what} | ${money(i.usd)} | ${i.basis} |`),
    '',
    'What it asserts (any failed assertion fails the test; the stacks are destroyed all the same):',
    '',
    ...plan.asserts.map((a) => `- ${a}`),
    '',
    'What a run leaves outside its two stacks:',
    '',
    ...plan.outside.map((o) => `- ${o}`),
    '',
    `If the machine running it dies mid-test, the stacks stay and bill: \`npm run integ -- ${stack} --cleanup --region <region>\``,
    `deletes them (the assertions stack first) and sweeps what the run made outside them (its id is kept in`,
    `\`cdk.out.integ/${stack}.json\` until everything is gone). Without that file, delete the stacks \`Integ${stack}Assertions\` and`,
    `\`Integ${stack}\` in the CloudFormation console and check the list above by hand.`,
  ].join('\n');
}
