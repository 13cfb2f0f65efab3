import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { PrivateVpc } from '../../lib/constructs/private-vpc';
import { AccessLogsBucket, SecureBucket } from '../../lib/constructs/secure-bucket';
import { SecureKey } from '../../lib/constructs/secure-key';
import { describeFindings, findingsOf, testApp } from '../helpers/app';

function build(withEndpoints: boolean) {
  const app = testApp();
  const stack = new Stack(app, 'Test');
  const key = new SecureKey(stack, 'Key', { description: 'test' });
  const logs = new AccessLogsBucket(stack, 'AccessLogs');
  const data = new SecureBucket(stack, 'Data', { encryptionKey: key, serverAccessLogsBucket: logs });
  const vpc = new PrivateVpc(stack, 'Network', {
    encryptionKey: key,
    maxAzs: 2,
    interfaceEndpoints: withEndpoints ? { SageMakerApi: ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API } : undefined,
  });
  vpc.allowBucket(data);
  return { app, stack, vpc, data };
}

describe('PrivateVpc', () => {
  let bare: ReturnType<typeof build>;
  let withEndpoints: ReturnType<typeof build>;
  let t: Template;
  beforeAll(() => {
    bare = build(false);
    withEndpoints = build(true);
    t = Template.fromStack(withEndpoints.stack);
  });

  it('passes every gate, with and without interface endpoints', () => {
    expect(describeFindings(findingsOf(bare.app))).toEqual([]);
    expect(describeFindings(findingsOf(withEndpoints.app))).toEqual([]);
  });

  it('has isolated subnets only: no internet gateway, no NAT, no public IPs', () => {
    t.resourceCountIs('AWS::EC2::InternetGateway', 0);
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    t.resourceCountIs('AWS::EC2::Subnet', 2);
    t.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
    t.resourcePropertiesCountIs('AWS::EC2::Route', { DestinationCidrBlock: '0.0.0.0/0' }, 0);
  });

  it('logs every flow to an encrypted log group kept a year', () => {
    t.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365, KmsKeyId: Match.anyValue() });
  });

  it('limits the S3 gateway endpoint to the registered buckets', () => {
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Effect: 'Allow',
            Resource: [
              { 'Fn::GetAtt': [Match.stringLikeRegexp('^Data'), 'Arn'] },
              { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Data'), 'Arn'] }, '/*']] },
            ],
          }),
        ],
      },
    });
  });

  it('lets members of the workload group reach each other (distributed training)', () => {
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 0,
      ToPort: 65535,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('WorkloadSecurityGroup'), 'GroupId'] },
    });
  });

  it('creates only the interface endpoints asked for, with private DNS', () => {
    t.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' }, 1);
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.sagemaker.api']] },
    });
    Template.fromStack(bare.stack).resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface' }, 0);
  });

  it('rejects a bad AZ count and a VPC with no bucket allowed', () => {
    const app = testApp({ gates: false });
    const stack = new Stack(app, 'Bad');
    const key = new SecureKey(stack, 'Key', { description: 'test' });
    expect(() => new PrivateVpc(stack, 'Zero', { encryptionKey: key, maxAzs: 0 })).toThrow(/maxAzs must be a whole number >= 1 \(got 0\)/);
    new PrivateVpc(stack, 'NoBucket', { encryptionKey: key });
    expect(() => app.synth()).toThrow(/call allowBucket\(\) for at least one bucket/);
  });
});
