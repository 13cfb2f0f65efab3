import * as path from 'node:path';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { NodeFunction } from '../constructs/node-function';
import { acknowledgeBucketGrant } from '../gates';
import { acknowledgeInvoke, chainFunction, ChainStepsProps, invokeHandler, publish, SNS_TRANSIENT_ERRORS, retryThenCatch } from './steps';

/**
 * The notes' "result passed on": WriteResult writes the one result JSON per media file (the
 * analysis and what became of the spoken summary) at the key derived from the media key, and
 * NotifyCompletion publishes its summary.
 */
export class ChainResult extends Construct {
  public readonly start: tasks.LambdaInvoke;
  public readonly write: NodeFunction;

  constructor(scope: Construct, id: string, props: ChainStepsProps) {
    super(scope, id);
    const { results, failure } = props;
    this.write = chainFunction(this, 'WriteResult', { ...props, entry: path.join(__dirname, '../../lambda/speech/write-result.ts') });
    results.grantRead(this.write, 'analyses/*');
    results.grantPut(this.write, 'results/*');
    acknowledgeBucketGrant(this.write.role, results, 'read', 'analyses/*');
    acknowledgeBucketGrant(this.write.role, results, 'put', 'results/*');

    this.start = invokeHandler(this, 'WriteResult', this.write, failure, {
      media: sfn.JsonPath.objectAt('$.prepared.value'),
      speech: sfn.JsonPath.objectAt('$.speech.value'),
      execution: { id: sfn.JsonPath.stringAt('$$.Execution.Id'), startTime: sfn.JsonPath.stringAt('$$.Execution.StartTime') },
    }, { 'summary.$': '$.Payload' }, '$.result');
    const notify = retryThenCatch(publish(this, 'NotifyCompletion', props.notifications, 'COMPLETED', '$.result.summary'), failure, { errors: SNS_TRANSIENT_ERRORS });
    this.start.next(notify).next(new sfn.Succeed(this, 'Analysed'));
  }

  public permit(role: iam.IRole): void {
    acknowledgeInvoke(role, this.write);
  }
}
