import { Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as path from 'node:path';
import { Construct } from 'constructs';
import { AnalysisName } from '../../lambda/video/analyses';
import { NodeFunction } from '../constructs/node-function';
import { acknowledgeBucketGrant } from '../gates';
import { RESULTS_PREFIX, VIDEOS_PREFIX, VideoPartProps } from './common';
import { CompletionChannel } from './completion-channel';
import { rekognitionAction } from './video-starter';

export interface ResultsCollectorProps extends VideoPartProps {
  readonly bucket: s3.IBucket;
  readonly index: dynamodb.ITable;
  readonly channel: CompletionChannel;
  readonly analyses: AnalysisName[];
  readonly timeout: Duration;
}

/** The collector: pages through Get* for each completion and writes one result document per video and analysis. */
export class ResultsCollector extends Construct {
  public readonly function: NodeFunction;

  constructor(scope: Construct, id: string, props: ResultsCollectorProps) {
    super(scope, id);
    const fn = new NodeFunction(this, 'Collector', {
      entry: path.join(__dirname, '../../lambda/video/collect-results.ts'),
      encryptionKey: props.key,
      timeout: props.timeout,
      // A long video's labels run to hundreds of thousands of items held in memory before one write.
      memorySize: 1024,
      environment: { TABLE_NAME: props.index.tableName, RESULTS_BUCKET: props.bucket.bucketName, RESULTS_PREFIX, POWERTOOLS_SERVICE_NAME: 'video-results' },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.function = fn;
    props.bucket.grantPut(fn, `${RESULTS_PREFIX}${VIDEOS_PREFIX}*`);
    acknowledgeBucketGrant(fn.role, props.bucket, 'put', `${RESULTS_PREFIX}${VIDEOS_PREFIX}*`);
    // The collector reads a row and updates one attribute (GetItem, UpdateItem); grantReadWriteData
    // would also grant the table's stream actions on the table ARN, where they authorize nothing.
    props.index.grant(fn, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    props.key.grantEncryptDecrypt(fn);
    // The Get* stored-video operations have no resource types (Service Authorization Reference, Amazon Rekognition).
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadVideoAnalyses',
      actions: [...new Set(props.analyses.map((a) => rekognitionAction(a, 'Get')))],
      resources: ['*'],
    }));
    fn.function.addEventSource(new sources.SqsEventSource(props.channel.resultsQueue.queue, { batchSize: 5, reportBatchItemFailures: true }));
  }
}
