import * as fs from 'node:fs';
import * as path from 'node:path';
import { idleCost, loadPrices, usagePrices } from '../../scripts/cost';
import { Template } from '../../scripts/lib/assembly';

const FIXTURES = path.join(__dirname, '../fixtures/cost');
// A frozen copy of the price table, so this file checks the arithmetic, not today's prices.
const prices = loadPrices(path.join(FIXTURES, 'prices.json'));
const template = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'small-stack.template.json'), 'utf8')) as Template;

const withResources = (extra: Template['Resources']): Template => ({ Resources: { ...template.Resources, ...extra } });
const byResource = (t: Template) => Object.fromEntries(idleCost('Small', t, prices).items.map((i) => [`${i.resource} ${i.what}`, i.monthly]));

describe('idle cost of a template', () => {
  const cost = idleCost('Small', template, prices);
  const monthlyOf = (resource: string) => cost.items.filter((i) => i.resource === `Small/${resource}/Resource`).reduce((a, i) => a + i.monthly, 0);

  it('prices each billable resource by its quantity, at 730 hours a month', () => {
    expect(monthlyOf('DataKey')).toBeCloseTo(1.0, 6); // $1/key-month
    expect(monthlyOf('StreamKey')).toBeCloseTo(1.0, 6);
    expect(monthlyOf('ApiEndpoint')).toBeCloseTo(2 * 0.01 * 730, 6); // 2 subnets = 2 AZs: $14.60
    expect(monthlyOf('Events')).toBeCloseTo(2 * 0.015 * 730, 6); // 2 provisioned shards: $21.90
    expect(monthlyOf('Clicks')).toBeCloseTo(0.04 * 730, 6); // one on-demand stream: $29.20
    expect(monthlyOf('Notebook')).toBeCloseTo(0.05 * 730 + 10 * 0.14, 6); // ml.t3.medium + 10 GB: $37.90
    expect(monthlyOf('ModelEndpoint')).toBeCloseTo(2 * 0.115 * 730, 6); // 2 x ml.m5.large: $167.90
    expect(monthlyOf('ErrorsAlarm')).toBeCloseTo(0.1, 6);
    expect(monthlyOf('ApiKey')).toBeCloseTo(0.4, 6);
  });

  it('adds the items up to the stack total, rounded to cents', () => {
    expect(cost.monthly).toBe(274.0);
    expect(cost.resources).toBe(Object.keys(template.Resources ?? {}).length);
  });

  it('charges nothing for gateway endpoints, aliases, buckets, policies and a stream processor nothing starts', () => {
    const charged = cost.items.map((i) => i.resource);
    for (const free of ['S3Endpoint', 'DataKeyAlias', 'Data', 'WorkerPolicy', 'Processor', 'ModelConfig']) {
      expect(charged).not.toContain(`Small/${free}/Resource`);
    }
  });

  it('lists a billable type it has no price for as not priced instead of dropping it', () => {
    expect(cost.notPriced).toEqual([
      expect.objectContaining({ resource: 'Small/Database/Resource', type: 'AWS::RDS::DBInstance', reason: expect.stringMatching(/no idle price/) }),
    ]);
  });

  it('names the instance type it cannot price', () => {
    const t = withResources({ Notebook: { Type: 'AWS::SageMaker::NotebookInstance', Properties: { InstanceType: 'ml.p4d.24xlarge' } } });
    expect(idleCost('Small', t, prices).notPriced).toContainEqual(
      expect.objectContaining({ type: 'AWS::SageMaker::NotebookInstance', reason: expect.stringContaining('ml.p4d.24xlarge') }),
    );
  });

  it('prices a stream processor the stack starts as running all month', () => {
    const t = withResources({
      // What AwsCustomResource writes: the SDK call as a string joined around a Ref to the processor.
      StartProcessor: {
        Type: 'Custom::AWS',
        Properties: { Create: { 'Fn::Join': ['', ['{"service":"Rekognition","action":"startStreamProcessor","parameters":{"Name":"', { Ref: 'Processor' }, '"}}']] } },
      },
    });
    expect(byResource(t)['Small/Processor/Resource Rekognition stream processor started by StartProcessor, running all month']).toBeCloseTo(0.12 * 60 * 730, 6);
  });

  it('charges high-resolution alarms at their price and metric-math alarms per metric', () => {
    const t: Template = {
      Resources: {
        Fast: { Type: 'AWS::CloudWatch::Alarm', Properties: { Period: 10 } },
        Math: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: { Metrics: [{ Id: 'a', MetricStat: { Period: 300 } }, { Id: 'b', MetricStat: { Period: 300 } }, { Id: 'e', Expression: 'a+b' }] },
        },
      },
    };
    expect(idleCost('Alarms', t, prices).items.map((i) => [i.resource, i.monthly])).toEqual([['Fast', 0.3], ['Math', 0.2]]);
  });

  it('counts provisioned shards of 1 when a provisioned stream leaves ShardCount out', () => {
    const t: Template = { Resources: { S: { Type: 'AWS::Kinesis::Stream', Properties: {} } } };
    expect(idleCost('K', t, prices).monthly).toBe(10.95);
  });
});

describe('usage-based prices', () => {
  it('apply by resource type and by the IAM actions the template grants', () => {
    expect(usagePrices(template, prices).map((u) => u.service)).toEqual(['S3', 'Transcribe']);
  });
});

describe('the repository price table', () => {
  const table = loadPrices();

  it('gives a source URL and a date for every price', () => {
    const entries = [...Object.entries(table.idle), ...table.usage.map((u) => [`${u.service} ${u.what}`, u] as const)];
    const bad = entries
      .filter(([, p]) => !/^https:\/\/aws\.amazon\.com\//.test(p.source) || !/^\d{4}-\d{2}-\d{2}$/.test(p.date))
      .map(([k]) => k);
    expect(bad).toEqual([]);
  });

  it('has every price the calculator asks for', () => {
    expect(() => idleCost('Small', template, table)).not.toThrow();
    expect(idleCost('Small', template, table).monthly).toBeGreaterThan(0);
  });
});
