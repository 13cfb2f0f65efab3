import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addArchitectures, everyOptIn } from '../../lib/app';
import { environmentFrom } from '../../lib/config/environment';
import { DeploymentProfile } from '../../lib/config/profile';
import { PRODUCTION, SANDBOX, testApp } from '../helpers/app';

/** Resource types that hold data or keys: what a profile's removal policy is about. */
const DATA_TYPES = ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Logs::LogGroup', 'AWS::SQS::Queue', 'AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable'];

function removalByType(profile: DeploymentProfile) {
  const app = testApp({ gates: false });
  const stacks = addArchitectures(app, { profile });
  const seen: Record<string, Set<string>> = {};
  let autoDeletes = 0;
  for (const stack of stacks as Stack[]) {
    const t = Template.fromStack(stack);
    for (const type of DATA_TYPES) {
      for (const r of Object.values(t.findResources(type))) {
        (seen[type] ??= new Set()).add(String(r.DeletionPolicy ?? 'Delete (CloudFormation default)'));
      }
    }
    autoDeletes += Object.keys(t.findResources('Custom::S3AutoDeleteObjects')).length;
  }
  return { policies: Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, [...v]])), autoDeletes };
}

/** `<stack>/<logical id> <type> <policy attribute>=<value>` for every resource that would survive its stack's deletion. */
function survivors(profile: DeploymentProfile, env?: { account: string; region: string }): string[] {
  // Every opt-in part on, so the sweep sees every resource an app can hold.
  const app = testApp({ gates: false, context: everyOptIn(() => testApp({ gates: false }), { profile, env }) });
  const left: string[] = [];
  for (const stack of addArchitectures(app, { profile, env }) as Stack[]) {
    for (const [id, r] of Object.entries(Template.fromStack(stack).toJSON().Resources as Record<string, Record<string, string>>)) {
      for (const attribute of ['DeletionPolicy', 'UpdateReplacePolicy']) {
        if (r[attribute] === 'Retain' || r[attribute] === 'RetainExceptOnCreate') {
          left.push(`${stack.stackName}/${id} ${r.Type} ${attribute}=${r[attribute]}`);
        }
      }
    }
  }
  return left;
}

describe('deployment profiles over every architecture stack', () => {
  it.each([
    ['environment-agnostic', undefined],
    ['pinned', { account: '123456789012', region: 'eu-west-1' }],
  ])('sandbox (%s, every opt-in on): no resource of any type survives cdk destroy', (_, env) => {
    expect(survivors(SANDBOX, env)).toEqual([]);
  });

  it('production keeps the Glue database and security configuration (fixed names, catalog metadata)', () => {
    const kept = survivors(PRODUCTION).join('\n');
    for (const type of ['AWS::Glue::Database', 'AWS::Glue::SecurityConfiguration', 'AWS::S3::Bucket', 'AWS::KMS::Key']) {
      expect(kept).toContain(`${type} DeletionPolicy=Retain`);
    }
  });

  it('sandbox deletes every bucket, key, log group, queue and table, and empties buckets', () => {
    const { policies, autoDeletes } = removalByType(SANDBOX);
    expect(Object.keys(policies).length).toBeGreaterThanOrEqual(3);
    for (const [type, values] of Object.entries(policies)) {
      expect({ type, values }).toEqual({ type, values: ['Delete'] });
    }
    expect(autoDeletes).toBeGreaterThan(0);
  });

  it('production retains them and never empties a bucket', () => {
    const { policies, autoDeletes } = removalByType(PRODUCTION);
    for (const [type, values] of Object.entries(policies)) {
      expect({ type, values }).toEqual({ type, values: ['Retain'] });
    }
    expect(autoDeletes).toBe(0);
  });
});

describe('a region outside a regional table', () => {
  const pinnedTo = (region: string) => () => addArchitectures(testApp({ gates: false }), { profile: SANDBOX, env: { account: '123456789012', region } });
  it.each([
    // A real region newer than aws-cdk-lib's Firehose table (the data lake's delivery stream).
    ['mx-central-1', /region "mx-central-1" is not in aws-cdk-lib's table of Firehose CIDR blocks/],
    // A real region without SageMaker's first-party images in the project's table.
    ['ap-southeast-5', /region "ap-southeast-5" in SAGEMAKER_FRAMEWORK_ACCOUNTS \(lib\/sagemaker\/images\.ts\)/],
  ])('%s fails at synth, naming the region and the table, never at deploy', (region, message) => {
    expect(pinnedTo(region)).toThrow(message);
  });

  it('a region no table knows is refused where the environment is read', () => {
    expect(() => environmentFrom({ contextAccount: '123456789012', contextRegion: 'ap-nowhere-9' }))
      .toThrow(/Region "ap-nowhere-9" is not in aws-cdk-lib's table of AWS regions/);
  });
});
