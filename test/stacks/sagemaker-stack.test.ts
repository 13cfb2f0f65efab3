import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AccessLogsBucket, SecureBucket } from '../../lib/constructs/secure-bucket';
import { SecureKey } from '../../lib/constructs/secure-key';
import { NOTEBOOK_ENDPOINTS, SageMakerPlatformStack, SageMakerPlatformStackProps } from '../../lib/stacks/sagemaker-stack';
import { describeFindings, findingsOf, PRODUCTION, SANDBOX, testApp } from '../helpers/app';
import { definitionFrom } from '../helpers/asl';

const MODEL_DATA = 's3://models-bucket/training-output/run-1-0/output/model.tar.gz';

function build(props: Omit<SageMakerPlatformStackProps, 'profile'> & { profile: typeof SANDBOX }, gates = true) {
  const app = testApp({ gates });
  const stack = new SageMakerPlatformStack(app, 'SageMakerPlatform', props);
  return { app, stack };
}

const interfaceEndpoints = (t: Template) => Object.values(t.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }));

describe('SageMakerPlatformStack', () => {
  let sandboxAll: ReturnType<typeof build>;
  let productionAll: ReturnType<typeof build>;
  let sandboxAllT: Template;
  let productionAllT: Template;
  let sandboxDefaultT: Template;
  beforeAll(() => {
    sandboxAll = build({ profile: SANDBOX, notebook: true, endpoint: true, modelDataUrl: MODEL_DATA });
    productionAll = build({ profile: PRODUCTION, notebook: true, endpoint: true, modelDataUrl: MODEL_DATA });
    sandboxAllT = Template.fromStack(sandboxAll.stack);
    productionAllT = Template.fromStack(productionAll.stack);
    sandboxDefaultT = Template.fromStack(build({ profile: SANDBOX }, false).stack);
  });

  it('passes every gate with both opt-ins on, in both profiles (defaults: test/app.test.ts)', () => {
    expect(describeFindings(findingsOf(sandboxAll.app))).toEqual([]);
    expect(describeFindings(findingsOf(productionAll.app))).toEqual([]);
  });

  it('idles cheaply by default: no interface endpoint, notebook or endpoint; one AZ in sandbox', () => {
    expect(interfaceEndpoints(sandboxDefaultT)).toHaveLength(0);
    sandboxDefaultT.resourceCountIs('AWS::SageMaker::NotebookInstance', 0);
    sandboxDefaultT.resourceCountIs('AWS::SageMaker::Endpoint', 0);
    sandboxDefaultT.resourceCountIs('AWS::EC2::Subnet', 1);
    sandboxDefaultT.resourceCountIs('AWS::KMS::Key', 1);
    sandboxDefaultT.resourceCountIs('AWS::EC2::NatGateway', 0);
    sandboxDefaultT.resourceCountIs('AWS::EC2::InternetGateway', 0);
  });

  it('with the notebook: the interface endpoints it needs, in every AZ of the profile', () => {
    const services = (t: Template) => interfaceEndpoints(t).map((e) => JSON.stringify((e as { Properties: { ServiceName: unknown } }).Properties.ServiceName).match(/\.([a-z.]+)"\]\]\}$/)?.[1]).sort();
    expect(services(sandboxAllT)).toEqual(['logs', 'sagemaker.api', 'sagemaker.runtime', 'sts']);
    expect(Object.keys(NOTEBOOK_ENDPOINTS)).toHaveLength(4);
    for (const [t, azs] of [[sandboxAllT, 1], [productionAllT, 2]] as const) {
      t.allResourcesProperties('AWS::EC2::VPCEndpoint', Match.anyValue());
      for (const e of interfaceEndpoints(t)) {
        expect((e as { Properties: { SubnetIds: unknown[]; PrivateDnsEnabled: boolean } }).Properties).toEqual(expect.objectContaining({ SubnetIds: expect.any(Array), PrivateDnsEnabled: true }));
        expect((e as { Properties: { SubnetIds: unknown[] } }).Properties.SubnetIds).toHaveLength(azs);
      }
    }
  });

  it('locks the notebook down: private subnet, no direct internet, no root, IMDSv2 only, KMS volume, auto-stop lifecycle', () => {
    sandboxAllT.hasResourceProperties('AWS::SageMaker::NotebookInstance', {
      InstanceType: 'ml.t3.medium',
      DirectInternetAccess: 'Disabled',
      RootAccess: 'Disabled',
      InstanceMetadataServiceConfiguration: { MinimumInstanceMetadataServiceVersion: '2' },
      KmsKeyId: { Ref: Match.stringLikeRegexp('^Key') },
      SubnetId: { Ref: Match.stringLikeRegexp('IsolatedSubnet1') },
      LifecycleConfigName: Match.anyValue(),
    });
    // Created after its role's policy (KMS, S3, logs), not in parallel with it.
    const [notebook] = Object.values(sandboxAllT.findResources('AWS::SageMaker::NotebookInstance'));
    const rolePolicy = Object.keys(sandboxAllT.findResources('AWS::IAM::Policy')).find((id) => id.startsWith('NotebookRoleDefaultPolicy'));
    expect(rolePolicy).toBeDefined();
    expect(notebook.DependsOn).toEqual(expect.arrayContaining([rolePolicy]));
    const lifecycle = Object.values(sandboxAllT.findResources('AWS::SageMaker::NotebookInstanceLifecycleConfig'))[0] as {
      Properties: { OnStart: Array<{ Content: { 'Fn::Base64': string } }> };
    };
    const script = lifecycle.Properties.OnStart[0].Content['Fn::Base64'];
    expect(script).toContain('def idle_decision(');
    expect(script).toContain('--idle-seconds 3600');
    expect(script).not.toMatch(/__[A-Z_]+__|curl|wget|pip install|git clone/);
    expect(Buffer.from(script).toString('base64').length).toBeLessThanOrEqual(16384);
  });

  it('gives the notebook a role that is not AmazonSageMakerFullAccess and trains only in the VPC', () => {
    sandboxAllT.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('NotebookRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'TrainInVpcOnly', Condition: Match.objectLike({ Bool: { 'sagemaker:NetworkIsolation': 'true' } }) })]) },
    });
    for (const role of Object.values(sandboxAllT.findResources('AWS::IAM::Role'))) {
      expect(JSON.stringify(role)).not.toContain('AmazonSageMakerFullAccess');
    }
  });

  it('hosts the serial inference pipeline in the VPC with KMS, data capture and target-tracking auto scaling', () => {
    sandboxAllT.hasResourceProperties('AWS::SageMaker::Model', {
      Containers: [
        Match.objectLike({ Image: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.dkr.ecr.', '/sagemaker-scikit-learn:1.2-1-cpu-py3'])]) }), ModelDataUrl: MODEL_DATA, Environment: Match.objectLike({ SAGEMAKER_PROGRAM: 'preprocess.py' }) }),
        Match.objectLike({ Image: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['/sagemaker-xgboost:1.7-1'])]) }), ModelDataUrl: MODEL_DATA, Environment: Match.objectLike({ SAGEMAKER_PROGRAM: 'train.py' }) }),
      ],
      InferenceExecutionConfig: { Mode: 'Serial' },
      EnableNetworkIsolation: true,
      VpcConfig: { Subnets: [{ Ref: Match.stringLikeRegexp('IsolatedSubnet1') }], SecurityGroupIds: Match.anyValue() },
    });
    sandboxAllT.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
      DataCaptureConfig: Match.objectLike({ EnableCapture: true, KmsKeyId: Match.anyValue(), DestinationS3Uri: Match.anyValue() }),
      ProductionVariants: [Match.objectLike({ VariantName: 'AllTraffic', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' })],
    });
    sandboxAllT.hasResource('AWS::SageMaker::Endpoint', { DeletionPolicy: 'Delete' });
    productionAllT.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker', ScalableDimension: 'sagemaker:variant:DesiredInstanceCount', MinCapacity: 2, MaxCapacity: 4,
    });
    productionAllT.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' }, TargetValue: 100 }),
    });
  });

  it('validates the training settings at synth and passes the input mode (Pipe) to the job', () => {
    expect(() => build({ profile: SANDBOX, training: { maxRuntimeInSeconds: 7200, maxWaitTimeInSeconds: 3600 } }, false))
      .toThrow('maxWaitTimeInSeconds must be >= maxRuntimeInSeconds (got 3600 < 7200)');
    expect(() => build({ profile: SANDBOX, training: { maxWaitTimeInSeconds: 7200.5 } }, false))
      .toThrow('maxWaitTimeInSeconds must be a whole number of seconds >= 1 (got 7200.5)');
    expect(() => build({ profile: SANDBOX, training: { maxWaitTimeInSeconds: Number.NaN } }, false))
      .toThrow('maxWaitTimeInSeconds must be a whole number of seconds >= 1 (got NaN)');
    expect(() => build({ profile: SANDBOX, training: { maxRuntimeInSeconds: 1800.5 } }, false))
      .toThrow('maxRuntimeInSeconds must be a whole number from 1 to 2419200 (got 1800.5)');
    expect(() => build({ profile: SANDBOX, training: { pcaVarianceTarget: 1 } }, false))
      .toThrow('Workflow: pcaVarianceTarget must be between 0 and 1, exclusive (got 1)');
    const t = Template.fromStack(build({ profile: SANDBOX, training: { inputMode: 'Pipe' } }, false).stack);
    const train = definitionFrom(t, 'WorkflowTrainingStateMachine').States.Train as unknown as { Parameters: { AlgorithmSpecification: { TrainingInputMode: string } } };
    expect(train.Parameters.AlgorithmSpecification.TrainingInputMode).toBe('Pipe');
  });

  it('refuses an endpoint without a model artifact, naming what to pass', () => {
    expect(() => build({ profile: SANDBOX, endpoint: true }, false)).toThrow(/sagemaker\.endpoint=true needs -c sagemaker\.modelDataUrl=s3:\/\//);
    expect(() => build({ profile: SANDBOX, endpoint: true, modelDataUrl: 'models/model.tar.gz' }, false)).toThrow(/modelDataUrl must be the s3:\/\/ URI of a model.tar.gz from a training run \(got "models\/model.tar.gz"\)/);
  });

  it('lets only the project buckets through the S3 gateway endpoint', () => {
    const gateway = Object.values(sandboxDefaultT.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Gateway' } }))[0] as {
      Properties: { PolicyDocument: { Statement: Array<{ Resource: Array<{ 'Fn::GetAtt'?: [string, string] }> }> } };
    };
    const buckets = gateway.Properties.PolicyDocument.Statement[0].Resource.filter((r) => r['Fn::GetAtt']).map((r) => r['Fn::GetAtt']![0].replace(/[0-9A-F]{8}$/, ''));
    expect(buckets.sort()).toEqual(['Checkpoints', 'Inference', 'Models', 'TrainingData']);
  });

  it('runs SageMaker with an execution role of its own: no managed policies, trust limited to this account', () => {
    sandboxDefaultT.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'sagemaker.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } })] },
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('reads training data from the data lake when given its bucket and prefix, and creates no bucket for it', () => {
    const app = testApp();
    const lake = new Stack(app, 'Lake');
    const curated = s3.Bucket.fromBucketName(lake, 'Curated', 'datalake-curated-bucket');
    const stack = new SageMakerPlatformStack(app, 'SageMakerPlatform', { profile: SANDBOX, trainingData: { bucket: curated, prefix: 'curated/churn/' } });
    expect(describeFindings(findingsOf(app))).toEqual([]);
    const t = Template.fromStack(stack);
    expect(Object.keys(t.findResources('AWS::S3::Bucket')).filter((id) => id.startsWith('TrainingData'))).toEqual([]);
    const train = definitionFrom(t, 'WorkflowTrainingStateMachine').States.Train as unknown as { Parameters: { InputDataConfig: Array<{ DataSource: { S3DataSource: { S3Uri: string } } }> } };
    expect(train.Parameters.InputDataConfig.slice(0, 2).map((c) => c.DataSource.S3DataSource.S3Uri)).toEqual([
      's3://datalake-curated-bucket/curated/churn/train/', 's3://datalake-curated-bucket/curated/churn/validation/',
    ]);
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      PolicyDocument: { Statement: [Match.objectLike({ Resource: Match.arrayWith([{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::datalake-curated-bucket/*']] }]) })] },
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Action: ['s3:GetBucket*', 's3:GetObject*', 's3:List*'],
        Resource: Match.arrayWith([{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::datalake-curated-bucket/curated/churn/*']] }]),
      })]) },
    });
  });

  it('reads from a bucket of another stack of the app (the data lake) and still passes every gate', () => {
    const app = testApp();
    const lake = new Stack(app, 'DataLake');
    const key = new SecureKey(lake, 'Key', { description: 'lake' });
    const curated = new SecureBucket(lake, 'Curated', { encryptionKey: key, serverAccessLogsBucket: new AccessLogsBucket(lake, 'AccessLogs') });
    new SageMakerPlatformStack(app, 'SageMakerPlatform', { profile: SANDBOX, trainingData: { bucket: curated, prefix: 'curated/churn/' } });
    expect(describeFindings(findingsOf(app)).filter((f) => f.includes('SageMakerPlatform'))).toEqual([]);
  });

  it('keeps data in production and deletes everything in sandbox', () => {
    for (const [t, policy] of [[sandboxAllT, 'Delete'], [productionAllT, 'Retain']] as const) {
      for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Logs::LogGroup']) {
        const policies = [...new Set(Object.values(t.findResources(type)).map((r) => r.DeletionPolicy))];
        expect({ type, policies }).toEqual({ type, policies: [policy] });
      }
    }
  });

  it('keeps the shape of the training state machine (snapshot of states and transitions)', () => {
    const def = definitionFrom(sandboxAllT, 'WorkflowTrainingStateMachine');
    const shape = Object.fromEntries(Object.entries(def.States).map(([name, s]) => [name, [s.Type, (s as { Resource?: string }).Resource ?? '', (s as { Next?: string }).Next ?? ''].join(' ')]));
    expect(shape).toMatchSnapshot();
  });
});
