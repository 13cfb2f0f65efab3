import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addArchitectures } from '../../lib/app';
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

describe('deployment profiles over every architecture stack', () => {
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
