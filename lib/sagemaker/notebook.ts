import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, Duration, Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeBucketGrant, acknowledgeResource } from '../gates';

const NOTEBOOK_DIR = path.join(__dirname, '../../sagemaker/notebook');
/** CloudFormation's limit for one lifecycle script (base64). */
const LIFECYCLE_LIMIT = 16384;

/** The on-start lifecycle script with the auto-stop program and the idle limit written in. */
export function onStartScript(idle: Duration): string {
  const seconds = idle.toSeconds();
  if (seconds < 600) {
    throw new Error(`idleTimeout must be at least 10 minutes (got ${seconds} s): cron checks every 5 minutes`);
  }
  const program = fs.readFileSync(path.join(NOTEBOOK_DIR, 'autostop.py'), 'utf8').trimEnd();
  return fs.readFileSync(path.join(NOTEBOOK_DIR, 'on-start.sh'), 'utf8')
    .replace('__AUTOSTOP_PY__', () => program)
    .replace('__IDLE_SECONDS__', String(seconds));
}

export interface LockedDownNotebookProps {
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly encryptionKey: kms.IKey;
  /** Role passed to the training jobs the notebook starts. */
  readonly executionRole: iam.IRole;
  /** Buckets the notebook reads (training data, models, inference results). */
  readonly readBuckets: s3.IBucket[];
  /** @default 'ml.t3.medium' */
  readonly instanceType?: string;
  /** @default Duration.hours(1) */
  readonly idleTimeout?: Duration;
  /** Subnets the notebook's training jobs must use (the guardrail condition). */
  readonly subnetIds: string[];
}

/**
 * A notebook instance in an isolated subnet: no direct internet access, no root, encrypted volume,
 * a lifecycle configuration that stops it when idle, and a role that can read the project's
 * buckets and start jobs only inside the VPC, not AmazonSageMakerFullAccess.
 */
export class LockedDownNotebook extends Construct {
  public readonly notebook: sagemaker.CfnNotebookInstance;
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: LockedDownNotebookProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const script = onStartScript(props.idleTimeout ?? Duration.hours(1));
    const encoded = Buffer.from(script, 'utf8').toString('base64');
    if (encoded.length > LIFECYCLE_LIMIT) {
      throw new Error(`${this.node.path}: the on-start script is ${encoded.length} base64 characters (limit ${LIFECYCLE_LIMIT})`);
    }
    const lifecycle = new sagemaker.CfnNotebookInstanceLifecycleConfig(this, 'Lifecycle', {
      onStart: [{ content: Fn.base64(script) }],
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': stack.account } }),
      description: 'Notebook instance: read project data, start jobs only inside the VPC, stop itself when idle',
    });
    for (const bucket of props.readBuckets) {
      bucket.grantRead(this.role);
      acknowledgeBucketGrant(this.role, bucket, 'read');
    }
    props.encryptionKey.grant(this.role, 'kms:CreateGrant', 'kms:DescribeKey');
    props.encryptionKey.grantDecrypt(this.role);
    const sm = (resource: string) => stack.formatArn({ service: 'sagemaker', resource, resourceName: '*' });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'TrainInVpcOnly',
      actions: ['sagemaker:CreateTrainingJob'],
      resources: [sm('training-job')],
      conditions: {
        Null: { 'sagemaker:VpcSubnets': 'false' },
        'ForAllValues:StringEquals': { 'sagemaker:VpcSubnets': props.subnetIds },
        Bool: { 'sagemaker:NetworkIsolation': 'true', 'sagemaker:InterContainerTrafficEncryption': 'true' },
        // The *Arn key: sagemaker:VolumeKmsKey is deprecated (see lib/sagemaker/guardrails.ts).
        ArnEquals: { 'sagemaker:VolumeKmsKeyArn': props.encryptionKey.keyArn },
      },
    }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'FollowJobs',
      actions: ['sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob', 'sagemaker:DescribeTransformJob', 'sagemaker:DescribeEndpoint', 'sagemaker:InvokeEndpoint'],
      resources: [sm('training-job'), sm('transform-job'), sm('endpoint')],
    }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'StopItselfWhenIdle',
      actions: ['sagemaker:StopNotebookInstance', 'sagemaker:DescribeNotebookInstance'],
      resources: [sm('notebook-instance')],
      conditions: { StringEquals: { 'aws:ResourceTag/architecture': 'sagemaker' } },
    }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PassExecutionRoleToSageMakerOnly',
      actions: ['iam:PassRole'],
      resources: [props.executionRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    }));
    const notebookLogs = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/NotebookInstances*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'NotebookLogs',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: [notebookLogs],
    }));

    this.notebook = new sagemaker.CfnNotebookInstance(this, 'Notebook', {
      instanceType: props.instanceType ?? 'ml.t3.medium',
      roleArn: this.role.roleArn,
      subnetId: props.vpc.isolatedSubnets[0].subnetId,
      securityGroupIds: [props.securityGroup.securityGroupId],
      directInternetAccess: 'Disabled',
      rootAccess: 'Disabled',
      kmsKeyId: props.encryptionKey.keyId,
      volumeSizeInGb: 5,
      platformIdentifier: 'notebook-al2-v3',
      lifecycleConfigName: lifecycle.attrNotebookInstanceLifecycleConfigName,
      // IMDSv2 only (session tokens). Left out, CreateNotebookInstance defaults to IMDSv1, "both
      // IMDSv1 and IMDSv2 are supported" (InstanceMetadataServiceConfiguration in the API reference:
      // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InstanceMetadataServiceConfiguration.html).
      instanceMetadataServiceConfiguration: { minimumInstanceMetadataServiceVersion: '2' },
    });
    // Not before its role's policy: a notebook that starts first runs its lifecycle script without
    // its KMS, S3 and log permissions (the role construct includes its DefaultPolicy).
    this.notebook.node.addDependency(this.role);

    acknowledge(this.role, 'NIST.800.53.R5-IAMNoInlinePolicy',
      'The policy is attached to this one notebook role and scoped to the project buckets, SageMaker resources and one PassRole');
    for (const kind of ['training-job', 'transform-job', 'endpoint', 'notebook-instance']) {
      acknowledgeResource(this.role, sm(kind),
        'Names are chosen at run time; creation is conditioned on this VPC, network isolation and the stack key, and stopping on the architecture tag');
    }
    acknowledgeResource(this.role, notebookLogs,
      'SageMaker names the notebook log group and streams (/aws/sagemaker/NotebookInstances, <name>/jupyter.log, <name>/LifecycleConfigOnStart)');
  }
}
