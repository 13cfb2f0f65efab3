import { Template } from 'aws-cdk-lib/assertions';
import { PlaceholderStack } from '../../lib/stacks/placeholder-stack';
import { PRODUCTION, SANDBOX, testApp } from '../helpers/app';

function template(profile: typeof SANDBOX) {
  const app = testApp({ gates: false });
  return Template.fromStack(new PlaceholderStack(app, 'Placeholder', { profile }));
}

describe('deployment profiles on a real stack', () => {
  it('sandbox deletes data and empties buckets on teardown', () => {
    const t = template(SANDBOX);
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Logs::LogGroup', 'AWS::SQS::Queue']) {
      const policies = Object.values(t.findResources(type)).map((r) => r.DeletionPolicy);
      expect({ type, policies: [...new Set(policies)] }).toEqual({ type, policies: ['Delete'] });
    }
    expect(Object.keys(t.findResources('Custom::S3AutoDeleteObjects'))).toHaveLength(2);
    t.hasResourceProperties('AWS::KMS::Key', { PendingWindowInDays: 7 });
  });

  it('production retains data and never empties buckets', () => {
    const t = template(PRODUCTION);
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Logs::LogGroup', 'AWS::SQS::Queue']) {
      const policies = Object.values(t.findResources(type)).map((r) => r.DeletionPolicy);
      expect({ type, policies: [...new Set(policies)] }).toEqual({ type, policies: ['Retain'] });
    }
    expect(Object.keys(t.findResources('Custom::S3AutoDeleteObjects'))).toHaveLength(0);
    t.hasResourceProperties('AWS::KMS::Key', { PendingWindowInDays: 30 });
  });
});
