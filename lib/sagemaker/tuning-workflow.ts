import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { frameworkImageFor } from './images';
import { acknowledgeJobRole, guardrailsFor, loggedStateMachine, passExecutionRole, PlatformResources, sageMakerArn } from './platform';
import { SageMakerTasks } from './sagemaker-tasks';
import { staticHyperparameters, TrainingRequestInput, trainingDefinition } from './training-request';

export interface TuningWorkflowProps extends PlatformResources {
  /** The training state machine's request: tuned jobs get the same data, spot, VPC and KMS settings. */
  readonly trainingRequest: TrainingRequestInput;
  /**
   * Budget of the Bayesian search: training jobs in all, and at once (each is one instance of the
   * training request's type, counted against the account's training quota).
   * @default { maxJobs: 10, maxParallelJobs: 2 }
   */
  readonly budget?: TuningBudget;
}

export interface TuningBudget {
  readonly maxJobs: number;
  readonly maxParallelJobs: number;
}

/**
 * Automatic model tuning: createHyperParameterTuningJob.sync with Bayesian search over max_depth,
 * eta and min_child_weight of the built-in XGBoost algorithm (its own validation:auc metric, so no
 * log regex), ten jobs, two at a time by default (`budget`), each on spot with its own checkpoints. The tuned jobs see the
 * curated features as they are (the built-in algorithm has no PCA stage); `npm run sagemaker --
 * leaderboard` ranks them, and the best hyperparameters go to a training run with --hp.
 */
export class TuningWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: TuningWorkflowProps) {
    super(scope, id);
    const budget = props.budget ?? { maxJobs: 10, maxParallelJobs: 2 };
    if (!Number.isInteger(budget.maxJobs) || !Number.isInteger(budget.maxParallelJobs) || budget.maxParallelJobs < 1 || budget.maxParallelJobs > budget.maxJobs) {
      throw new Error(`Tuning budget needs whole numbers with 1 <= maxParallelJobs <= maxJobs (got maxJobs ${budget.maxJobs}, maxParallelJobs ${budget.maxParallelJobs})`);
    }
    const runName = sfn.JsonPath.stringAt('$.runName');
    const builtin: TrainingRequestInput = {
      ...props.trainingRequest,
      algorithm: { kind: 'builtin', image: frameworkImageFor(this, 'xgboost'), supportsCheckpoints: true },
      hyperparameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: '150' },
      // Each training job of the tuning job gets its own subfolder under this prefix.
      checkpointUri: sfn.JsonPath.format(`s3://${props.checkpointsBucket.bucketName}/tuning/{}/`, runName),
    };
    const { AlgorithmSpecification, ...definition } = trainingDefinition(builtin);
    const tasks = new SageMakerTasks(this);
    const failed = new sfn.Fail(this, 'TuningFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const tune = tasks.task('Tune', 'createHyperParameterTuningJob.sync', {
      // 1-32 characters: SageMaker refuses a longer name at this first call, before any job starts.
      HyperParameterTuningJobName: runName,
      HyperParameterTuningJobConfig: {
        Strategy: 'Bayesian',
        HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'validation:auc' },
        ResourceLimits: { MaxNumberOfTrainingJobs: budget.maxJobs, MaxParallelTrainingJobs: budget.maxParallelJobs },
        ParameterRanges: {
          IntegerParameterRanges: [{ Name: 'max_depth', MinValue: '3', MaxValue: '9', ScalingType: 'Auto' }],
          ContinuousParameterRanges: [
            { Name: 'eta', MinValue: '0.05', MaxValue: '0.5', ScalingType: 'Logarithmic' },
            { Name: 'min_child_weight', MinValue: '1', MaxValue: '10', ScalingType: 'Auto' },
          ],
        },
        TrainingJobEarlyStoppingType: 'Auto',
      },
      TrainingJobDefinition: {
        ...definition,
        AlgorithmSpecification: { TrainingImage: AlgorithmSpecification!.TrainingImage, TrainingInputMode: AlgorithmSpecification!.TrainingInputMode },
        StaticHyperParameters: staticHyperparameters(builtin),
      },
    }, {
      fields: {
        ResultSelector: { 'HyperParameterTuningJobName.$': '$.HyperParameterTuningJobName', 'BestTrainingJob.$': '$.BestTrainingJob' },
        ResultPath: '$.tuning',
      },
    }).addCatch(failed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const definitionChain = new sfn.Choice(this, 'ValidTuningInput?')
      .when(sfn.Condition.and(sfn.Condition.isPresent('$.runName'), sfn.Condition.isString('$.runName')), tune.next(new sfn.Succeed(this, 'TuningDone')))
      .otherwise(new sfn.Fail(this, 'BadTuningInput', { error: 'BadInput', cause: 'Input must be {"runName": "<1-32 letters, digits, hyphens>"}' }));
    this.stateMachine = loggedStateMachine(this, 'StateMachine', 'Logs', definitionChain, Duration.hours(24), props);

    const guard = guardrailsFor(props);
    const arn = (kind: string) => sageMakerArn(this, kind);
    for (const st of [
      new iam.PolicyStatement({ sid: 'TuneInVpcOnly', actions: ['sagemaker:CreateHyperParameterTuningJob'], resources: [arn('hyper-parameter-tuning-job')], conditions: guard.job() }),
      new iam.PolicyStatement({
        sid: 'FollowAndStopTuning',
        actions: ['sagemaker:DescribeHyperParameterTuningJob', 'sagemaker:StopHyperParameterTuningJob', 'sagemaker:ListTrainingJobsForHyperParameterTuningJob', 'sagemaker:DescribeTrainingJob'],
        resources: [arn('hyper-parameter-tuning-job'), arn('training-job')],
      }),
      passExecutionRole(props),
      ...guard.denies(['sagemaker:CreateHyperParameterTuningJob']),
    ]) {
      this.stateMachine.addToRolePolicy(st);
    }
    tasks.grantStepFunctionsAccess(this.stateMachine.role, [arn('hyper-parameter-tuning-job'), arn('training-job')]);
    acknowledgeJobRole(this.stateMachine, ['hyper-parameter-tuning-job', 'training-job']);
  }
}
