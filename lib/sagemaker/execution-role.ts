import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeBucketGrant, acknowledgeResource } from '../gates';
import type { TrainingDataLocation } from './platform';

export interface SageMakerExecutionRoleProps {
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Key of the training volumes and artifacts (bucket grants add the rest). */
  readonly encryptionKey: kms.IKey;
}

/**
 * The role SageMaker assumes to run training, tuning, transform and hosting containers. Instead of
 * AmazonSageMakerFullAccess (sagemaker:* and broad S3/ECR/EC2 rights on "*"), it holds only what a
 * job in this VPC needs: ENIs in this VPC, its own log groups and metrics, the KMS key; S3 access
 * comes from bucket grants made by the stack. No ECR rights: SageMaker pulls its prebuilt images
 * with service-owned credentials.
 */
export class SageMakerExecutionRole extends Construct {
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: SageMakerExecutionRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
      }),
      description: 'Runs SageMaker training, tuning, transform and hosting containers of this stack inside its VPC',
    });
    const vpcArn = stack.formatArn({ service: 'ec2', resource: 'vpc', resourceName: props.vpc.vpcId });
    const eni = stack.formatArn({ service: 'ec2', resource: 'network-interface', resourceName: '*' });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'NetworkInterfacesInThisVpc',
      actions: ['ec2:CreateNetworkInterface'],
      resources: [
        eni,
        stack.formatArn({ service: 'ec2', resource: 'security-group', resourceName: props.securityGroup.securityGroupId }),
        ...props.vpc.isolatedSubnets.map((s) => stack.formatArn({ service: 'ec2', resource: 'subnet', resourceName: s.subnetId })),
      ],
    }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ManageOwnNetworkInterfaces',
      actions: ['ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface', 'ec2:DeleteNetworkInterfacePermission'],
      resources: [eni],
      conditions: { ArnEquals: { 'ec2:Vpc': vpcArn } },
    }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DescribeNetwork',
      // EC2 Describe* actions support no resource-level permissions.
      actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeVpcs', 'ec2:DescribeDhcpOptions', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups'],
      resources: ['*'],
    }));
    const sageMakerLogs = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'SageMakerLogs',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: [sageMakerLogs],
    }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'SageMakerMetrics',
      // cloudwatch:PutMetricData supports no resource-level permissions; the namespace condition scopes it.
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'aws/sagemaker/*'] } },
    }));
    // Volume encryption: SageMaker creates grants on the key for the EBS volumes it attaches.
    props.encryptionKey.grant(this.role, 'kms:CreateGrant', 'kms:DescribeKey');
    props.encryptionKey.grantEncryptDecrypt(this.role);

    acknowledge(this.role, 'AwsSolutions-IAM5[Resource::*]',
      'ec2:Describe* (network lookups before creating ENIs) and cloudwatch:PutMetricData (namespace-conditioned) support no resource-level permissions');
    acknowledgeResource(this.role, eni,
      'ENI ids are created by SageMaker at run time; deletion and permissions are limited to ENIs in this VPC by the ec2:Vpc condition');
    acknowledgeResource(this.role, sageMakerLogs,
      'SageMaker writes job logs to log groups it names under /aws/sagemaker/ (TrainingJobs, TransformJobs, Endpoints/<name>)');
    acknowledge(this.role, 'NIST.800.53.R5-IAMNoInlinePolicy',
      'The policy is attached to this one role and scoped to this VPC, its log groups and named buckets; a managed policy would hold the same statements');
  }

  /**
   * What jobs read and write: the dataset's prefix read-only; checkpoints, models and inference
   * output read-write. A bucket of this stack is acknowledged by its logical id; one from elsewhere
   * (the data lake's curated bucket, imported or in another stack) only has a name once references
   * are resolved, so its wildcard findings are computed then, in the same form cdk-nag reports them.
   */
  public grantDataAccess(dataset: TrainingDataLocation, readWrite: s3.IBucket[]): void {
    for (const b of readWrite) {
      b.grantReadWrite(this.role);
      acknowledgeBucketGrant(this.role, b, 'readWrite');
    }
    const pattern = `${dataset.prefix}*`;
    dataset.bucket.grantRead(this.role, pattern);
    if (dataset.bucket.node.scope !== undefined && Stack.of(dataset.bucket) === Stack.of(this)) {
      acknowledgeBucketGrant(this.role, dataset.bucket, 'read', pattern);
      return;
    }
    const reason = `Read-only grant on the dataset prefix "${pattern}" of the external bucket ${dataset.bucket.node.path}; the wildcards are the action family and the object keys`;
    for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*']) {
      acknowledge(this.role, `AwsSolutions-IAM5[Action::${action}]`, reason);
    }
    acknowledgeResource(this.role, dataset.bucket.arnForObjects(pattern), reason);
  }
}
