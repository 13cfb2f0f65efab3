import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledge } from '../gates';

export interface EventStreamProps {
  /** Customer-managed key of the stream. */
  readonly encryptionKey: kms.IKey;
  /**
   * On-demand capacity instead of provisioned shards. On-demand bills ~$29.20/month per stream
   * even when idle, one shard ~$10.95/month.
   * @default false
   */
  readonly onDemand?: boolean;
  /**
   * Shards of the provisioned stream (1 MB/s or 1,000 records/s in, each).
   * @default 1
   */
  readonly shardCount?: number;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** Ingest: the Kinesis data stream producers write session events to, encrypted with the CMK. */
export class EventStream extends Construct {
  public readonly stream: kinesis.Stream;

  constructor(scope: Construct, id: string, props: EventStreamProps) {
    super(scope, id);
    const shardCount = props.shardCount ?? 1;
    if (shardCount < 1) {
      throw new Error(`shardCount must be >= 1 (got ${shardCount})`);
    }
    this.stream = new kinesis.Stream(this, 'Stream', {
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: props.encryptionKey,
      streamMode: props.onDemand ? kinesis.StreamMode.ON_DEMAND : kinesis.StreamMode.PROVISIONED,
      shardCount: props.onDemand ? undefined : shardCount,
      retentionPeriod: Duration.hours(24),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    acknowledge(this.stream, 'AwsSolutions-KDS3',
      'Encrypted with the stack CMK on purpose (rotation, key policy, one key for the whole flow) instead of the AWS managed aws/kinesis key');
  }
}
