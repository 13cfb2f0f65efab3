import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SecureBucket } from '../constructs/secure-bucket';
import { acknowledgeBucketGrant } from '../gates';
import { addRetries, publish, putRecord, S3_TRANSIENT_ERRORS, SNS_TRANSIENT_ERRORS } from './steps';

export interface FailurePathProps {
  readonly results: SecureBucket;
  readonly notifications: sns.ITopic;
}

/**
 * Where every task's uncaught error ends: record it next to the results (`failures/<execution>.json`),
 * notify, then fail the execution with the original error. A record that cannot be written still
 * notifies; a notification that cannot be sent still fails with the original error.
 */
export class FailurePath extends Construct {
  /** The first state: RecordFailure. */
  public readonly start: sfn.IChainable;
  private readonly props: FailurePathProps;

  constructor(scope: Construct, id: string, props: FailurePathProps) {
    super(scope, id);
    this.props = props;
    const failed = new sfn.Fail(this, 'Failed', { stateName: 'Failed', errorPath: '$.error.Error', causePath: '$.error.Cause' });
    // The whole state: event, prepared media, last job status and the error (pointers only, a few KB).
    const notify = publish(this, 'NotifyFailure', props.notifications, 'FAILED', '$');
    addRetries(notify, { errors: SNS_TRANSIENT_ERRORS });
    notify.addCatch(failed, { errors: ['States.ALL'], resultPath: '$.notifyError' });
    const record = putRecord(this, 'RecordFailure', props.results, 'failures/', { 'Key.$': "States.Format('failures/{}.json', $$.Execution.Name)" }, {
      status: 'FAILED',
      'error.$': '$.error',
      media: { 'bucket.$': '$.detail.bucket.name', 'key.$': '$.detail.object.key' },
    });
    addRetries(record, { errors: S3_TRANSIENT_ERRORS });
    record.addCatch(notify, { errors: ['States.ALL'], resultPath: '$.recordError' });
    record.next(notify).next(failed);
    this.start = record;
  }

  /** The key for the SSE-KMS record (CDK's task statement gives s3:PutObject only) and the topic. */
  public permit(role: iam.IRole): void {
    this.props.results.grantPut(role, 'failures/*');
    acknowledgeBucketGrant(role, this.props.results, 'put', 'failures/*');
    this.props.notifications.grantPublish(role);
  }
}
