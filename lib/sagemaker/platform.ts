/**
 * What the platform's workflows share: the resources they run jobs with, one way to create a
 * logged Standard state machine, and the acknowledgements every job-launching role needs.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SecureLogGroup, vendedLogGroupName } from '../constructs/secure-log-group';
import { acknowledge, acknowledgeResource } from '../gates';
import { JobGuardrails } from './guardrails';

/** Where the data is read from: the data lake's curated prefix, or the stack's own bucket. */
export interface TrainingDataLocation {
  readonly bucket: s3.IBucket;
  /**
   * Prefix holding train/, validation/ and test/ (CSV, label first, no header): one complete
   * dataset, such as one data-lake curation run. '' for the bucket root.
   */
  readonly prefix: string;
}

/** The resources every SageMaker job of the platform runs with. */
export interface PlatformResources {
  /** The role SageMaker jobs and models run as (passed with iam:PassRole). */
  readonly executionRole: iam.IRole;
  readonly encryptionKey: kms.IKey;
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly trainingData: TrainingDataLocation;
  readonly checkpointsBucket: s3.IBucket;
  readonly modelsBucket: s3.IBucket;
  readonly inferenceBucket: s3.IBucket;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** Of the execution log groups. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

export const s3Uri = (bucket: s3.IBucket, key: string): string => `s3://${bucket.bucketName}/${key}`;

/** The guardrail conditions for the platform's VPC, security group and key. */
export function guardrailsFor(props: PlatformResources): JobGuardrails {
  return new JobGuardrails({
    subnetIds: props.vpc.isolatedSubnets.map((s) => s.subnetId),
    securityGroupId: props.securityGroup.securityGroupId,
    keyArn: props.encryptionKey.keyArn,
  });
}

/** ARN pattern of a SageMaker resource type whose names are chosen per run. */
export function sageMakerArn(scope: Construct, resource: string): string {
  return Stack.of(scope).formatArn({ service: 'sagemaker', resource, resourceName: '*' });
}

/** A Standard state machine with X-Ray and every event logged to its own encrypted log group. */
export function loggedStateMachine(
  scope: Construct, id: string, logsId: string, definition: sfn.IChainable, timeout: Duration, props: PlatformResources,
): sfn.StateMachine {
  const destination = new SecureLogGroup(scope, logsId, {
    encryptionKey: props.encryptionKey,
    retention: props.logRetention,
    removalPolicy: props.removalPolicy,
    logGroupName: vendedLogGroupName(scope, id, 'states'),
  });
  return new sfn.StateMachine(scope, id, {
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromChainable(definition),
    tracingEnabled: true,
    logs: { destination, level: sfn.LogLevel.ALL, includeExecutionData: true },
    timeout,
  });
}

/** PassRole of the execution role, to SageMaker only. */
export function passExecutionRole(props: PlatformResources): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'PassExecutionRoleToSageMakerOnly',
    actions: ['iam:PassRole'],
    resources: [props.executionRole.roleArn],
    conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
  });
}

/** The acknowledgements of a state machine role that launches SageMaker jobs named per run. */
export function acknowledgeJobRole(machine: sfn.StateMachine, resourceTypes: string[]): void {
  acknowledge(machine.role, 'AwsSolutions-IAM5[Resource::*]',
    'The CloudWatch Logs delivery APIs (logs:CreateLogDelivery, DescribeLogGroups, ...) and xray:GetSampling* CDK adds for logging and tracing accept no resource; sagemaker:ListTags (read-only) is on "*" as the Step Functions guide\'s SageMaker policies grant it');
  for (const kind of resourceTypes) {
    acknowledgeResource(machine.role, sageMakerArn(machine, kind),
      'Job, model and config names come from the run name at execution time; creation is conditioned on this VPC, network isolation and the stack key');
  }
  acknowledge(machine.role, 'NIST.800.53.R5-IAMNoInlinePolicy',
    'The policy is attached to this one state machine role and scoped to SageMaker resources, the .sync rules and one PassRole');
}
