import { CfnElement } from 'aws-cdk-lib';
import { SageMakerPlatformStack } from '../../lib/stacks/sagemaker-stack';
import { definitionFrom } from '../helpers/asl';
import { SANDBOX, templateOf, testApp } from '../helpers/app';

/** The tuning state machine's ResourceLimits for a budget (none: the default). */
function limits(tuningBudget?: { maxJobs: number; maxParallelJobs: number }): unknown {
  const stack = new SageMakerPlatformStack(testApp({ gates: false }), 'SageMakerPlatform', { profile: SANDBOX, tuningBudget });
  const machine = stack.getLogicalId(stack.tuning.stateMachine.node.defaultChild as CfnElement);
  const definition = definitionFrom(templateOf(stack), machine) as { States: Record<string, { Parameters?: { HyperParameterTuningJobConfig?: { ResourceLimits?: unknown } } }> };
  return definition.States.Tune.Parameters?.HyperParameterTuningJobConfig?.ResourceLimits;
}

describe('tuning budget', () => {
  it('is ten jobs, two at once, by default', () => {
    expect(limits()).toEqual({ MaxNumberOfTrainingJobs: 10, MaxParallelTrainingJobs: 2 });
  });

  it('takes a smaller budget (the smoke test runs two jobs)', () => {
    expect(limits({ maxJobs: 2, maxParallelJobs: 2 })).toEqual({ MaxNumberOfTrainingJobs: 2, MaxParallelTrainingJobs: 2 });
  });

  it('refuses a budget that cannot run, naming the values', () => {
    expect(() => limits({ maxJobs: 2, maxParallelJobs: 3 })).toThrow(/1 <= maxParallelJobs <= maxJobs \(got maxJobs 2, maxParallelJobs 3\)/);
    expect(() => limits({ maxJobs: 0, maxParallelJobs: 0 })).toThrow(/got maxJobs 0, maxParallelJobs 0/);
    expect(() => limits({ maxJobs: 1.5, maxParallelJobs: 1 })).toThrow(/whole numbers/);
  });
});
