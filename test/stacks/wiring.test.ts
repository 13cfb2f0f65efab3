import { Template, Match } from 'aws-cdk-lib/assertions';
import { addArchitectures } from '../../lib/app';
import { describeFindings, findingsOf, SANDBOX, testApp } from '../helpers/app';

describe('SageMaker training on a data-lake curation run (-c sagemaker.curatedRun)', () => {
  it('reads that run\'s CSV splits from the lake bucket, and every gate still passes', () => {
    const app = testApp({ context: { 'sagemaker.curatedRun': 'jr_0123abcd' } });
    const stacks = addArchitectures(app, { profile: SANDBOX });
    const sagemaker = stacks.find((s) => s.node.id === 'SageMakerPlatform')!;
    const lake = stacks.find((s) => s.node.id === 'DataLake')!;
    expect(describeFindings(findingsOf(app))).toEqual([]);
    expect(sagemaker.dependencies).toContain(lake);
    const t = Template.fromStack(sagemaker);
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['s3:GetObject*']),
            Resource: Match.arrayWith([
              // The lake bucket's ARN comes from the DataLake stack's outputs, then the run's prefix.
              { 'Fn::Join': ['', [{ 'Fn::GetStackOutput': Match.objectLike({ StackName: 'DataLake' }) }, '/curated/events/run=jr_0123abcd/csv/*']] },
            ]),
          }),
        ]),
      },
    });
  });

  it('rejects a run id that could escape the prefix, naming it', () => {
    const app = testApp({ gates: false, context: { 'sagemaker.curatedRun': '../raw' } });
    expect(() => addArchitectures(app, { profile: SANDBOX })).toThrow('Curation run id must be 1-128 characters of [A-Za-z0-9_-] (got "../raw")');
  });
});
