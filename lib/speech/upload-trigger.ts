import { CfnResource, Duration, Names, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DeploymentProfile } from '../config/profile';
import { SecureBucket } from '../constructs/secure-bucket';
import { DeadLetterQueue } from '../constructs/secure-queue';
import { acknowledge } from '../gates';

export interface UploadTriggerProps {
  readonly media: SecureBucket;
  readonly mediaPrefix: string;
  readonly stateMachine: sfn.IStateMachine;
  readonly key: kms.IKey;
  readonly profile: DeploymentProfile;
}

/**
 * The notes' S3 trigger, as an EventBridge rule: every "Object Created" under the media prefix
 * starts one execution with the whole event as input; 185 retries over 24 hours, then a
 * KMS-encrypted dead-letter queue, so no upload is lost silently.
 */
export class UploadTrigger extends Construct {
  public readonly rule: events.Rule;
  public readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: UploadTriggerProps) {
    super(scope, id);
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue', {
      encryptionKey: props.key,
      removalPolicy: props.profile.removalPolicy,
      source: 'the MediaUploaded rule target (events that could not start an execution)',
    });
    // Holds undelivered uploads: keep the logical id it had before this construct existed.
    (this.deadLetterQueue.node.defaultChild as CfnResource).overrideLogicalId('TriggerDeadLetterQueueFD4EB023');

    // A physical name, because the role's trust policy must name the rule's ARN (confused-deputy
    // protection) and the rule names the role: with a generated name the two would depend on each other.
    const ruleName = Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });
    const stack = Stack.of(this);
    // EventBridge sets aws:SourceArn (the rule) and aws:SourceAccount when it assumes a target's role
    // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html).
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnEquals: { 'aws:SourceArn': stack.formatArn({ service: 'events', resource: 'rule', resourceName: ruleName }) },
      }),
    });
    acknowledge(role, 'NIST.800.53.R5-IAMNoInlinePolicy', 'One statement, states:StartExecution on this stack\'s state machine, attached to this one role');

    this.rule = new events.Rule(this, 'MediaUploaded', {
      ruleName,
      description: `Starts the speech chain for every object created under ${props.mediaPrefix} (unsupported formats are rejected with a record)`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [props.media.bucketName] }, object: { key: [{ prefix: props.mediaPrefix }] } },
      },
      targets: [new targets.SfnStateMachine(props.stateMachine, {
        // The whole event is the input: no input transformer that could break on odd keys.
        deadLetterQueue: this.deadLetterQueue,
        role,
        retryAttempts: 185,
        maxEventAge: Duration.hours(24),
      })],
    });
  }
}
