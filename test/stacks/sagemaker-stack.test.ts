import { Match, Template } from 'aws-cdk-lib/assertions';
import { SageMakerPlatformStack } from '../../lib/stacks/sagemaker-stack';
import { describeFindings, findingsOf, PRODUCTION, SANDBOX, testApp } from '../helpers/app';

describe('SageMakerPlatformStack gates', () => {
  it('sandbox default passes every gate', () => {
    const app = testApp();
    new SageMakerPlatformStack(app, 'SageMakerPlatform', { profile: SANDBOX });
    expect(describeFindings(findingsOf(app))).toEqual([]);
  });
  it('production with notebook and endpoint passes every gate', () => {
    const app = testApp();
    new SageMakerPlatformStack(app, 'SageMakerPlatform', { profile: PRODUCTION, notebook: true, endpoint: true, modelDataUrl: 's3://models-bucket/training-output/run-1-0/output/model.tar.gz' });
    expect(describeFindings(findingsOf(app))).toEqual([]);
  });
});
void Match; void Template;
