/**
 * SageMaker calls from Step Functions, written once: the managed EventBridge rule each `.sync`
 * integration needs, what Step Functions itself does with tags, how SageMaker's API errors are
 * named and which of them are worth a retry. Both state machines build their Task states with
 * `SageMakerTasks`, which records every integration it renders, so a role is granted the rules
 * of exactly the tasks its state machine runs, never a list kept by hand.
 */
import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** Where AWS states the rule names and the policies below ("IAM policies for Amazon SageMaker", Step Functions developer guide). */
export const SAGEMAKER_SFN_IAM_DOC = 'https://docs.aws.amazon.com/step-functions/latest/dg/sagemaker-iam.html';

/**
 * The EventBridge rule Step Functions manages for each `.sync` SageMaker integration: the state
 * machine's role needs events:PutTargets, events:PutRule and events:DescribeRule on it, or the
 * execution fails when the task starts (SAGEMAKER_SFN_IAM_DOC). Note the tuning rule's name:
 * TuningJobs, not HyperParameterTuningJobs.
 */
export const SYNC_RULES = {
  'createTrainingJob.sync': 'StepFunctionsGetEventsForSageMakerTrainingJobsRule',
  'createTransformJob.sync': 'StepFunctionsGetEventsForSageMakerTransformJobsRule',
  'createHyperParameterTuningJob.sync': 'StepFunctionsGetEventsForSageMakerTuningJobsRule',
  'createProcessingJob.sync': 'StepFunctionsGetEventsForSageMakerProcessingJobsRule',
} as const;

export type SyncIntegration = keyof typeof SYNC_RULES;
export type SageMakerIntegration = SyncIntegration | 'createModel' | 'createEndpointConfig' | 'updateEndpoint';

/** The actions .sync uses on its managed rule. */
export const SYNC_RULE_ACTIONS = ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'];

/**
 * How Step Functions names the errors of the optimized SageMaker integration: an error SageMaker's
 * API models by name (ResourceInUse: the name is taken; ResourceNotFound; ResourceLimitExceeded: a
 * quota) arrives as `SageMaker.<Name>Exception`; every other one (ValidationException,
 * ThrottlingException, internal errors) as the SDK's base class, `SageMaker.AmazonSageMakerException`.
 * A job that ends Failed or Stopped fails the .sync task with `States.TaskFailed`, which in a
 * retrier also matches every other error but States.Timeout, so its retrier must come last.
 */
export const SAGEMAKER_ERRORS = {
  /** Retrying changes nothing: a reused run name, a missing resource, a quota, missing permissions. */
  permanent: ['SageMaker.ResourceInUseException', 'SageMaker.ResourceNotFoundException', 'SageMaker.ResourceLimitExceededException', 'States.Permissions'],
  /** Throttling and 5xx, but also ValidationException: retried a few times within seconds only. */
  unmodelled: 'SageMaker.AmazonSageMakerException',
} as const;

export interface TaskOptions {
  /** Step Functions fields besides Type, Resource and Parameters (ResultSelector, ResultPath, ...). */
  readonly fields?: Record<string, unknown>;
  /**
   * New jobs after a job that ended Failed or Stopped (spot capacity not found within
   * MaxWaitTimeInSeconds, an instance lost): each resumes the run's checkpoints.
   * @default 0
   */
  readonly jobFailureRetries?: number;
}

/** Builds the SageMaker Task states of one state machine and remembers what they call. */
export class SageMakerTasks {
  private readonly integrations = new Set<SageMakerIntegration>();

  constructor(private readonly scope: Construct) {}

  /** A Task state for `arn:<partition>:states:::sagemaker:<integration>` with the project's retry policy. */
  public task(id: string, integration: SageMakerIntegration, parameters: object, options: TaskOptions = {}): sfn.CustomState {
    this.integrations.add(integration);
    const state = new sfn.CustomState(this.scope, id, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Aws.PARTITION}:states:::sagemaker:${integration}`,
        Parameters: sfn.FieldUtils.renderObject(parameters as Record<string, unknown>),
        ...options.fields,
      },
    });
    addSageMakerRetries(state, options.jobFailureRetries ?? 0);
    return state;
  }

  /** The `.sync` integrations rendered so far. */
  public get syncIntegrations(): SyncIntegration[] {
    return [...this.integrations].filter((i): i is SyncIntegration => i in SYNC_RULES).sort();
  }

  /**
   * What Step Functions needs around the jobs themselves (SAGEMAKER_SFN_IAM_DOC): its managed rule
   * for each `.sync` task, exactly those; sagemaker:AddTags on what the tasks create (Step
   * Functions tags what it creates); and sagemaker:ListTags on "*", as every policy of that page
   * grants it. ListTags does take resource types (Service Authorization Reference), but the page
   * does not say which resources Step Functions reads tags from, and a read of tags on a resource
   * the grant missed would fail a run after its job was paid for.
   */
  public grantStepFunctionsAccess(role: iam.IRole, createdArns: string[]): void {
    const stack = Stack.of(this.scope);
    const rules = this.syncIntegrations.map((i) => stack.formatArn({ service: 'events', resource: 'rule', resourceName: SYNC_RULES[i] }));
    if (rules.length > 0) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'SyncEventRules', actions: SYNC_RULE_ACTIONS, resources: rules }));
    }
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'TagWhatTheRunCreates', actions: ['sagemaker:AddTags'], resources: createdArns }));
    // Read-only; "*" as SAGEMAKER_SFN_IAM_DOC grants it.
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadTagsAsDocumented', actions: ['sagemaker:ListTags'], resources: ['*'] }));
  }
}

/**
 * The retry policy of every SageMaker task, in the order Step Functions evaluates it (the first
 * retrier whose ErrorEquals matches decides): permanent errors never, the unmodelled ones three
 * times within about 15 seconds (a throttled call succeeds on the next try; a ValidationException
 * then fails the run in seconds, not minutes), and last, for jobs that may be retried, a job that
 * ended Failed or Stopped.
 */
export function addSageMakerRetries(state: sfn.CustomState, jobFailureRetries: number): void {
  state.addRetry({ errors: [...SAGEMAKER_ERRORS.permanent], maxAttempts: 0 });
  state.addRetry({
    errors: [SAGEMAKER_ERRORS.unmodelled],
    interval: Duration.seconds(2),
    maxAttempts: 3,
    backoffRate: 2,
    maxDelay: Duration.seconds(10),
    jitterStrategy: sfn.JitterType.FULL,
  });
  if (jobFailureRetries > 0) {
    state.addRetry({ errors: [sfn.Errors.TASKS_FAILED], interval: Duration.minutes(1), maxAttempts: jobFailureRetries, jitterStrategy: sfn.JitterType.FULL });
  }
}
