/**
 * `npm run cost`: what each stack costs per month while it sits idle, from the synthesized
 * templates and the price table in scripts/cost/prices.json (us-east-1 list prices, each with its
 * source and date), with the usage-based prices of what the stack can be billed for beside it.
 *
 * Idle means deployed and unused: no requests, no data. Anything billed by the hour (interface
 * endpoints per AZ, Kinesis shards or on-demand stream hours, notebook and endpoint instances, a
 * running Rekognition stream processor, NAT gateways, ...) and every monthly fee (KMS keys, alarms,
 * secrets) counts. A resource type that is neither priced nor known to be free while idle is listed
 * as "not priced", never dropped.
 *
 * Usage: npm run cost [-- --synth] [-- -c <tag>.<feature>=true ...] [--json FILE] [--readme]
 *   --readme writes each architecture's idle cost per profile into README.md's cost column
 *   (only without -c: the README shows the app as deployed by default).
 *   Reads cdk.out.sandbox/ and cdk.out.production/ (written by `npm test`); synthesizes them when
 *   missing. --synth (implied by -c) synthesizes afresh into cdk.out.cost-<profile>/, e.g. to price
 *   the opt-in parts: `npm run cost -- -c sagemaker.notebook=true`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeRegion } from './docs/markdown';
import { constructPathOf, readStacks, Template, TemplateResource } from './lib/assembly';

export const SANDBOX_BUDGET_USD = 25;
const PROFILES = ['sandbox', 'production'] as const;

export interface Price {
  readonly usd?: number;
  readonly per: string;
  readonly date: string;
  readonly source: string;
  readonly byInstanceType?: Readonly<Record<string, number>>;
}

export interface UsagePrice {
  readonly service: string;
  readonly what: string;
  readonly usd: number;
  readonly per: string;
  /** Resource types (`AWS::S3::Bucket`) or IAM actions (`transcribe:StartTranscriptionJob`) that make it apply. */
  readonly when: readonly string[];
  readonly date: string;
  readonly source: string;
}

export interface PriceTable {
  readonly region: string;
  readonly hoursPerMonth: number;
  readonly idle: Readonly<Record<string, Price>>;
  readonly freeWhileIdle: ReadonlyArray<{ readonly types: readonly string[]; readonly why: string }>;
  readonly usage: readonly UsagePrice[];
}

export interface LineItem {
  readonly resource: string;
  readonly type: string;
  readonly what: string;
  readonly quantity: number;
  readonly unit: string;
  /** Price of one unit for a month. */
  readonly monthlyUnitPrice: number;
  readonly monthly: number;
  /** How the monthly unit price was derived, e.g. "$0.01/endpoint-AZ-hour x 730 h". */
  readonly basis: string;
}

export interface NotPriced {
  readonly resource: string;
  readonly type: string;
  readonly reason: string;
}

export interface StackCost {
  readonly stack: string;
  readonly resources: number;
  readonly items: LineItem[];
  readonly notPriced: NotPriced[];
  readonly monthly: number;
}

export function loadPrices(file = path.join(__dirname, 'cost/prices.json')): PriceTable {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as PriceTable;
}

type Props = Record<string, unknown>;

interface PricingContext {
  readonly logicalId: string;
  readonly resource: TemplateResource;
  readonly props: Props;
  readonly template: Template;
  readonly prices: PriceTable;
}

type Outcome =
  | { readonly kind: 'items'; readonly items: Array<Omit<LineItem, 'resource' | 'type'>> }
  | { readonly kind: 'free'; readonly why: string }
  | { readonly kind: 'notPriced'; readonly reason: string };

const free = (why: string): Outcome => ({ kind: 'free', why });
const notPriced = (reason: string): Outcome => ({ kind: 'notPriced', reason });

function price(prices: PriceTable, key: string): Price & { usd: number } {
  const p = prices.idle[key];
  if (!p || typeof p.usd !== 'number') {
    throw new Error(`scripts/cost/prices.json has no idle price "${key}" with a usd figure`);
  }
  return p as Price & { usd: number };
}

/** A line item for `quantity` units of an hourly price, run all month. */
function hourly(prices: PriceTable, key: string, what: string, quantity: number, unit: string, usdPerHour?: number): Omit<LineItem, 'resource' | 'type'> {
  const p = prices.idle[key];
  const usd = usdPerHour ?? price(prices, key).usd;
  const monthlyUnitPrice = usd * prices.hoursPerMonth;
  return { what, quantity, unit, monthlyUnitPrice, monthly: quantity * monthlyUnitPrice, basis: `$${usd}/${p?.per ?? 'hour'} x ${prices.hoursPerMonth} h` };
}

/** A line item for `quantity` units of a monthly price. */
function monthly(prices: PriceTable, key: string, what: string, quantity: number, unit: string): Omit<LineItem, 'resource' | 'type'> {
  const p = price(prices, key);
  return { what, quantity, unit, monthlyUnitPrice: p.usd, monthly: quantity * p.usd, basis: `$${p.usd}/${p.per}` };
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const asNumber = (v: unknown): number | undefined => (isNumber(v) ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : undefined);

/** The logical id a `{Ref}` or `{Fn::GetAtt}` points at, if any. */
function referencedId(v: unknown): string | undefined {
  if (v && typeof v === 'object') {
    const o = v as Props;
    if (typeof o.Ref === 'string') {
      return o.Ref;
    }
    const getAtt = o['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') {
      return getAtt[0];
    }
  }
  return undefined;
}

const HANDLERS: Readonly<Record<string, (c: PricingContext) => Outcome>> = {
  'AWS::KMS::Key': ({ prices }) => ({ kind: 'items', items: [monthly(prices, 'kms-key', 'KMS customer-managed key', 1, 'key')] }),

  'AWS::EC2::VPCEndpoint': ({ props, prices }) => {
    const type = (props.VpcEndpointType as string | undefined) ?? 'Gateway';
    if (type === 'Gateway') {
      return free('gateway endpoints (S3, DynamoDB) have no charge');
    }
    const subnets = props.SubnetIds;
    if (!Array.isArray(subnets)) {
      return notPriced(`${type} endpoint: subnet count not known from the template (SubnetIds is ${JSON.stringify(subnets)})`);
    }
    // An endpoint takes at most one subnet per AZ, so subnets = AZs billed.
    return { kind: 'items', items: [hourly(prices, 'interface-endpoint', `${type} VPC endpoint ${describeService(props.ServiceName)}`, subnets.length, 'AZ')] };
  },

  'AWS::EC2::NatGateway': ({ prices }) => ({ kind: 'items', items: [hourly(prices, 'nat-gateway', 'NAT gateway (plus $/GB processed)', 1, 'gateway')] }),
  'AWS::EC2::EIP': ({ prices }) => ({ kind: 'items', items: [hourly(prices, 'public-ipv4', 'Elastic IP (public IPv4 address)', 1, 'address')] }),

  'AWS::Kinesis::Stream': ({ props, prices }) => {
    const mode = (props.StreamModeDetails as Props | undefined)?.StreamMode ?? 'PROVISIONED';
    if (mode === 'ON_DEMAND') {
      return { kind: 'items', items: [hourly(prices, 'kinesis-on-demand-stream', 'Kinesis data stream, on-demand (stream-hours)', 1, 'stream')] };
    }
    const shards = props.ShardCount === undefined ? 1 : asNumber(props.ShardCount);
    if (shards === undefined) {
      return notPriced(`provisioned stream with ShardCount ${JSON.stringify(props.ShardCount)}`);
    }
    return { kind: 'items', items: [hourly(prices, 'kinesis-shard', 'Kinesis data stream, provisioned shards', shards, 'shard')] };
  },

  'AWS::Kinesis::StreamConsumer': ({ props, template, prices }) => {
    const streamId = referencedId(props.StreamARN);
    const stream = streamId ? template.Resources?.[streamId] : undefined;
    const shards = stream?.Properties?.ShardCount === undefined ? (stream ? 1 : undefined) : asNumber(stream.Properties.ShardCount);
    if (shards === undefined || (stream?.Properties?.StreamModeDetails as Props | undefined)?.StreamMode === 'ON_DEMAND') {
      return notPriced('enhanced fan-out consumer of a stream whose shard count is not in the template');
    }
    return { kind: 'items', items: [hourly(prices, 'kinesis-efo-consumer-shard', 'Kinesis enhanced fan-out consumer', shards, 'consumer-shard')] };
  },

  'AWS::Rekognition::StreamProcessor': ({ logicalId, template, prices }) => {
    // CloudFormation creates a processor stopped; it bills only if something in the stack starts it.
    const refersToProcessor = (json: string) => json.includes(`{"Ref":"${logicalId}"}`) || json.includes(`{"Fn::GetAtt":["${logicalId}",`);
    const starter = Object.entries(template.Resources ?? {}).find(([id, r]) => {
      const json = JSON.stringify(r.Properties ?? {});
      return id !== logicalId && /^(Custom::|AWS::CloudFormation::CustomResource)/.test(r.Type)
        && /startstreamprocessor/i.test(json) && refersToProcessor(json);
    });
    if (!starter) {
      return free('created stopped by CloudFormation and not started by the stack: bills only per minute while running');
    }
    const p = price(prices, 'rekognition-streaming-video');
    const minutes = 60 * prices.hoursPerMonth;
    return {
      kind: 'items',
      items: [{ what: `Rekognition stream processor started by ${starter[0]}, running all month`, quantity: 1, unit: 'processor', monthlyUnitPrice: p.usd * minutes, monthly: p.usd * minutes, basis: `$${p.usd}/minute x ${minutes} min` }],
    };
  },

  'AWS::SageMaker::NotebookInstance': ({ props, prices }) => {
    const type = String(props.InstanceType);
    const usd = prices.idle['sagemaker-notebook']?.byInstanceType?.[type];
    if (usd === undefined) {
      return notPriced(`notebook instance type ${type} is not in scripts/cost/prices.json`);
    }
    const volume = asNumber(props.VolumeSizeInGB) ?? 5;
    return {
      kind: 'items',
      items: [
        hourly(prices, 'sagemaker-notebook', `SageMaker notebook ${type} (InService)`, 1, 'instance', usd),
        monthly(prices, 'sagemaker-ml-storage', 'notebook ML storage volume', volume, 'GB'),
      ],
    };
  },

  'AWS::SageMaker::Endpoint': ({ props, template, prices }) => {
    const configId = referencedId(props.EndpointConfigName);
    const config = configId ? template.Resources?.[configId] : undefined;
    const variants = config?.Properties?.ProductionVariants;
    if (!Array.isArray(variants)) {
      return notPriced('endpoint whose endpoint config is not in the same template');
    }
    const items: Array<Omit<LineItem, 'resource' | 'type'>> = [];
    for (const v of variants as Props[]) {
      const serverless = v.ServerlessConfig as Props | undefined;
      if (serverless) {
        if (serverless.ProvisionedConcurrency !== undefined) {
          return notPriced(`serverless variant ${String(v.VariantName)} with provisioned concurrency`);
        }
        continue; // Serverless inference bills per request and compute second only.
      }
      const type = String(v.InstanceType);
      const usd = prices.idle['sagemaker-hosting']?.byInstanceType?.[type];
      if (usd === undefined) {
        return notPriced(`hosting instance type ${type} is not in scripts/cost/prices.json`);
      }
      items.push(hourly(prices, 'sagemaker-hosting', `SageMaker endpoint variant ${String(v.VariantName ?? '')} ${type}`, asNumber(v.InitialInstanceCount) ?? 1, 'instance', usd));
    }
    return items.length ? { kind: 'items', items } : free('serverless inference only: bills per request and compute second');
  },

  'AWS::CloudWatch::Alarm': ({ props, prices }) => {
    const metrics = Array.isArray(props.Metrics) ? (props.Metrics as Props[]).filter((m) => m.MetricStat) : [];
    const periods = metrics.length ? metrics.map((m) => asNumber((m.MetricStat as Props).Period) ?? 60) : [asNumber(props.Period) ?? 60];
    const highResolution = periods.some((p) => p < 60);
    return {
      kind: 'items',
      items: [monthly(prices, highResolution ? 'cloudwatch-alarm-high-resolution' : 'cloudwatch-alarm',
        `CloudWatch alarm${highResolution ? ' (high resolution)' : ''}`, Math.max(1, metrics.length), 'alarm metric')],
    };
  },
  'AWS::CloudWatch::CompositeAlarm': ({ prices }) => ({ kind: 'items', items: [monthly(prices, 'cloudwatch-composite-alarm', 'CloudWatch composite alarm', 1, 'alarm')] }),
  'AWS::CloudWatch::Dashboard': ({ prices }) => ({ kind: 'items', items: [monthly(prices, 'cloudwatch-dashboard', 'CloudWatch dashboard', 1, 'dashboard')] }),
  'AWS::SecretsManager::Secret': ({ prices }) => ({ kind: 'items', items: [monthly(prices, 'secret', 'Secrets Manager secret', 1, 'secret')] }),
  'AWS::ElasticLoadBalancingV2::LoadBalancer': ({ prices }) => ({ kind: 'items', items: [hourly(prices, 'load-balancer', 'load balancer (plus LCUs)', 1, 'load balancer')] }),
  'AWS::Route53::HostedZone': ({ prices }) => ({ kind: 'items', items: [monthly(prices, 'hosted-zone', 'Route 53 hosted zone', 1, 'zone')] }),

  'AWS::DynamoDB::Table': ({ props, prices }) => {
    // CloudFormation's default billing mode is PROVISIONED.
    if (props.BillingMode === 'PAY_PER_REQUEST') {
      return free('on-demand table: bills per request and GB stored');
    }
    const throughputs = [props.ProvisionedThroughput, ...((props.GlobalSecondaryIndexes as Props[] | undefined) ?? []).map((g) => g.ProvisionedThroughput)]
      .filter((t): t is Props => Boolean(t));
    const rcu = throughputs.map((t) => asNumber(t.ReadCapacityUnits));
    const wcu = throughputs.map((t) => asNumber(t.WriteCapacityUnits));
    if ([...rcu, ...wcu].some((x) => x === undefined) || throughputs.length === 0) {
      return notPriced('provisioned table whose capacity is not a number in the template');
    }
    const sum = (xs: Array<number | undefined>) => xs.reduce<number>((a, x) => a + (x ?? 0), 0);
    return {
      kind: 'items',
      items: [
        hourly(prices, 'dynamodb-rcu', 'DynamoDB provisioned read capacity', sum(rcu), 'RCU'),
        hourly(prices, 'dynamodb-wcu', 'DynamoDB provisioned write capacity', sum(wcu), 'WCU'),
      ],
    };
  },
  'AWS::DynamoDB::GlobalTable': ({ props }) => (props.BillingMode === 'PAY_PER_REQUEST'
    ? free('on-demand global table: bills per request and GB stored')
    : notPriced('provisioned global table')),

  'AWS::KinesisAnalyticsV2::Application': ({ logicalId, props, template, prices }) => {
    // CloudFormation creates a Flink application READY, not running; it bills only if something
    // in the stack starts it (as the Rekognition processor above).
    const starter = Object.entries(template.Resources ?? {}).find(([id, r]) => id !== logicalId
      && /^(Custom::|AWS::CloudFormation::CustomResource)/.test(r.Type)
      && /startapplication/i.test(JSON.stringify(r.Properties ?? {})) && JSON.stringify(r.Properties ?? {}).includes(`{"Ref":"${logicalId}"}`));
    if (!starter) {
      return free('created READY by CloudFormation and not started by the stack: bills per KPU-hour, plus one orchestration KPU and 50 GB running storage per KPU, only while running');
    }
    const flink = (props.ApplicationConfiguration as Props | undefined)?.FlinkApplicationConfiguration as Props | undefined;
    const parallelism = asNumber((flink?.ParallelismConfiguration as Props | undefined)?.Parallelism) ?? 1;
    const kpus = parallelism + 1;
    return {
      kind: 'items',
      items: [
        hourly(prices, 'flink-kpu', `Flink application started by ${starter[0]} (${parallelism} KPU + 1 orchestration KPU)`, kpus, 'KPU'),
        monthly(prices, 'flink-running-storage', 'running application storage (50 GB per KPU)', 50 * parallelism, 'GB'),
      ],
    };
  },

  'AWS::EMRServerless::Application': ({ props }) => (props.InitialCapacity === undefined
    ? free('no pre-initialized capacity: bills vCPU- and GB-hours while a job runs')
    : notPriced('pre-initialized capacity bills while the application is started')),
};

function describeService(serviceName: unknown): string {
  const text = JSON.stringify(serviceName ?? '');
  const m = /\.([a-z0-9.-]+?)"?\]*\}*"?$/.exec(text.replace(/\\"/g, '"'));
  return m ? `(${m[1]})` : '';
}

function matches(pattern: string, value: string): boolean {
  if (pattern.endsWith('*')) {
    return value.toLowerCase().startsWith(pattern.slice(0, -1).toLowerCase());
  }
  return pattern.toLowerCase() === value.toLowerCase();
}

/** Is this type free while idle, and why (from the price table)? */
function freeReason(prices: PriceTable, type: string): string | undefined {
  return prices.freeWhileIdle.find((f) => f.types.some((t) => matches(t, type)))?.why;
}

/** The idle monthly cost of one template: every resource priced, free, or listed as not priced. */
export function idleCost(stack: string, template: Template, prices: PriceTable): StackCost {
  const items: LineItem[] = [];
  const unpriced: NotPriced[] = [];
  const resources = Object.entries(template.Resources ?? {});
  for (const [logicalId, resource] of resources) {
    const where = constructPathOf(logicalId, resource);
    const handler = HANDLERS[resource.Type];
    const outcome: Outcome = handler
      ? handler({ logicalId, resource, props: resource.Properties ?? {}, template, prices })
      : freeReason(prices, resource.Type) !== undefined
        ? free(freeReason(prices, resource.Type)!)
        : notPriced('no idle price in scripts/cost/prices.json and not listed there as free while idle');
    if (outcome.kind === 'items') {
      items.push(...outcome.items.map((i) => ({ ...i, resource: where, type: resource.Type })));
    } else if (outcome.kind === 'notPriced') {
      unpriced.push({ resource: where, type: resource.Type, reason: outcome.reason });
    }
  }
  return { stack, resources: resources.length, items, notPriced: unpriced, monthly: round2(items.reduce((a, i) => a + i.monthly, 0)) };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** IAM actions granted anywhere in the template (identity policies and roles' inline policies). */
function grantedActions(template: Template): string[] {
  const actions: string[] = [];
  const collect = (doc: unknown) => {
    for (const st of ((doc as { Statement?: Props[] } | undefined)?.Statement ?? [])) {
      if (st.Effect === 'Allow') {
        actions.push(...(Array.isArray(st.Action) ? st.Action : [st.Action]).filter((a): a is string => typeof a === 'string'));
      }
    }
  };
  for (const r of Object.values(template.Resources ?? {})) {
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
      collect(r.Properties?.PolicyDocument);
    }
    if (r.Type === 'AWS::IAM::Role') {
      for (const p of (r.Properties?.Policies as Props[] | undefined) ?? []) {
        collect(p.PolicyDocument);
      }
    }
  }
  return actions;
}

/** The usage-based prices that apply to a template: by the resource types in it and the actions it grants. */
export function usagePrices(template: Template, prices: PriceTable): UsagePrice[] {
  const types = new Set(Object.values(template.Resources ?? {}).map((r) => r.Type));
  const actions = grantedActions(template);
  return prices.usage.filter((u) => u.when.some((w) => (w.includes('::')
    ? types.has(w)
    : actions.some((a) => matches(a, w) || matches(w, a)))));
}

// ---------------------------------------------------------------- CLI

const ROOT = path.resolve(__dirname, '..');
const usd = (x: number) => `$${x.toFixed(2)}`;

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => `| ${r.map((v, c) => v.padEnd(widths[c])).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function synth(profile: string, outdir: string, context: string[]): void {
  process.stderr.write(`cost: synthesizing the ${profile} profile into ${path.relative(ROOT, outdir)}/ ...\n`);
  const args = ['synth', '--quiet', '-c', `profile=${profile}`, ...context.flatMap((c) => ['-c', c]), '-o', outdir];
  const r = spawnSync(path.join(ROOT, 'node_modules/.bin/cdk'), args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) {
    throw new Error(`cdk synth -c profile=${profile} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
}

function parseArgs(argv: string[]): { synth: boolean; context: string[]; json?: string; readme: boolean } {
  const context: string[] = [];
  let force = false;
  let readme = false;
  let json: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--synth') {
      force = true;
    } else if (a === '-c' || a === '--context') {
      const kv = argv[++i];
      if (!kv || !kv.includes('=')) {
        throw new Error(`${a} needs key=value (got ${JSON.stringify(kv)})`);
      }
      context.push(kv);
    } else if (a === '--json') {
      json = argv[++i];
    } else if (a === '--readme') {
      readme = true;
    } else {
      throw new Error(`Unknown argument ${JSON.stringify(a)} (use --synth, -c key=value, --json FILE, --readme)`);
    }
  }
  if (readme && context.length > 0) {
    throw new Error(`--readme shows the default app: drop -c ${context.join(' -c ')}`);
  }
  return { synth: force || context.length > 0, context, json, readme };
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  const prices = loadPrices();
  const summary: Record<string, { total: number; stacks: StackCost[] }> = {};
  const byArchitecture: Record<string, Partial<Record<(typeof PROFILES)[number], number>>> = {};
  console.log(`# npm run cost: idle monthly cost (${prices.region} list prices from scripts/cost/prices.json, ${prices.hoursPerMonth} h/month)`);
  console.log(options.context.length ? `\nContext: ${options.context.join(' ')}` : '\nOpt-in parts: as the templates were synthesized (off unless switched on with -c <tag>.<feature>=true).');
  let usageTemplates: Array<{ stack: string; template: Template }> = [];
  for (const profile of PROFILES) {
    const outdir = path.join(ROOT, options.synth ? `cdk.out.cost-${profile}` : `cdk.out.${profile}`);
    if (options.synth || !fs.existsSync(path.join(outdir, 'manifest.json'))) {
      synth(profile, outdir, options.context);
    }
    const stacks = readStacks(outdir);
    const costs = stacks.map((s) => idleCost(s.id, s.template, prices));
    stacks.forEach((s, i) => {
      if (s.architecture) {
        (byArchitecture[s.architecture] ??= {})[profile] = costs[i].monthly;
      }
    });
    const total = round2(costs.reduce((a, c) => a + c.monthly, 0));
    summary[profile] = { total, stacks: costs };
    const when = new Date(fs.statSync(path.join(outdir, 'manifest.json')).mtime).toISOString().replace(/\.\d+Z$/, 'Z');
    console.log(`\n## ${profile} (${path.relative(ROOT, outdir)}/, synthesized ${when})\n`);
    console.log(table(['stack', 'idle $/month', 'resources', 'billed idle', 'not priced'], [
      ...costs.map((c) => [c.stack, usd(c.monthly), String(c.resources), String(c.items.length), String(c.notPriced.length)]),
      ['**whole app**', `**${usd(total)}**`, String(costs.reduce((a, c) => a + c.resources, 0)), '', String(costs.reduce((a, c) => a + c.notPriced.length, 0))],
    ]));
    if (profile === 'sandbox') {
      console.log(`\nBudget: the whole app idles at ${usd(total)}/month in the sandbox profile (budget ${usd(SANDBOX_BUDGET_USD)}): ${total <= SANDBOX_BUDGET_USD ? 'ok' : 'OVER BUDGET'}`);
      usageTemplates = stacks.map((s) => ({ stack: s.id, template: s.template }));
    }
    for (const c of costs) {
      console.log(`\n### ${profile} / ${c.stack}: ${usd(c.monthly)}/month idle\n`);
      if (c.items.length) {
        console.log(table(['resource', 'what', 'quantity', 'unit price / month', '$/month'], c.items.map((i) => [
          i.resource, i.what, `${i.quantity} ${i.unit}`, `${usd(i.monthlyUnitPrice)} (${i.basis})`, usd(i.monthly),
        ])));
      } else {
        console.log('Nothing in this stack bills while idle.');
      }
      if (c.notPriced.length) {
        console.log('\nNot priced (may bill while idle: add a price or a "free while idle" entry to scripts/cost/prices.json):\n');
        console.log(table(['resource', 'type', 'why'], c.notPriced.map((n) => [n.resource, n.type, n.reason])));
      }
    }
  }
  console.log('\n## Usage-based prices (what each stack bills per use, beside the idle cost)\n');
  console.log(table(['stack', 'service', 'what', 'price', 'source (date)'], usageTemplates.flatMap(({ stack, template }) =>
    usagePrices(template, prices).map((u) => [stack, u.service, u.what, `$${u.usd} per ${u.per}`, `${u.source} (${u.date})`]))));
  if (options.json) {
    fs.writeFileSync(options.json, JSON.stringify(summary, undefined, 2));
  }
  if (options.readme) {
    const file = path.join(ROOT, 'README.md');
    let text = fs.readFileSync(file, 'utf8');
    for (const [tag, cost] of Object.entries(byArchitecture)) {
      text = writeRegion(text, `cost:${tag}`, `sandbox ${usd(cost.sandbox ?? 0)} · production ${usd(cost.production ?? 0)}`, 'README.md');
    }
    fs.writeFileSync(file, text);
    console.log(`\nREADME.md cost column updated for ${Object.keys(byArchitecture).join(', ')}`);
  }
}

if (require.main === module) {
  main();
}
