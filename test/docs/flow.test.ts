/**
 * The data-flow derivation on small stacks, one per kind of edge, built with the same aws-cdk-lib
 * the architectures use so the templates are the real shapes (Fn::Join definitions, GetAtt ARNs).
 */
import { CfnParameter, CfnResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as emrs from 'aws-cdk-lib/aws-emrserverless';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kinesisvideo from 'aws-cdk-lib/aws-kinesisvideo';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as rekognition from 'aws-cdk-lib/aws-rekognition';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { readAssembly } from '../../scripts/docs/synthesized';
import { deriveFlow, FlowGraph } from '../../scripts/docs/flow';
import { testApp } from '../helpers/app';

/** Synthesize one small stack and derive its flow. */
function flowOf(build: (stack: Stack) => void): FlowGraph {
  const app = testApp({ gates: false });
  const stack = new Stack(app, 'Fixture', { tags: { architecture: 'fixture' } });
  build(stack);
  const [doc] = readAssembly(app.synth().directory);
  return deriveFlow(doc.template, doc.paths);
}

const nameOf = (g: FlowGraph, id: string) => {
  const n = g.nodes.find((x) => x.id === id)!;
  return n.construct ?? n.service;
};
/** Edges as "From -> To: label" (construct paths, or the service for service nodes). */
const edgesOf = (g: FlowGraph) => g.edges.map((e) => `${nameOf(g, e.from)} -> ${nameOf(g, e.to)}: ${e.label}`);
const linksOf = (g: FlowGraph) => g.edges.map((e) => `${nameOf(g, e.from)} -> ${nameOf(g, e.to)}`);

const fn = (scope: Stack, id: string, environment?: Record<string, string>) =>
  new lambda.Function(scope, id, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('x'), environment });

describe('data-flow edges derived from a template', () => {
  it('EventBridge: an S3 "Object Created" rule is an edge from the bucket to each target, with the key prefix', () => {
    const g = flowOf((s) => {
      const bucket = new s3.Bucket(s, 'Uploads', { eventBridgeEnabled: true });
      const rule = new events.Rule(s, 'OnUpload', {
        eventPattern: { source: ['aws.s3'], detailType: ['Object Created'], detail: { bucket: { name: [bucket.bucketName] }, object: { key: [{ prefix: 'videos/' }] } } },
      });
      rule.addTarget(new targets.LambdaFunction(fn(s, 'Starter')));
      rule.addTarget(new targets.SfnStateMachine(new sfn.StateMachine(s, 'Pipeline', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(s, 'Nothing')) })));
    });
    expect(edgesOf(g)).toEqual(expect.arrayContaining([
      'Uploads -> Starter: new objects in videos/',
      'Uploads -> Pipeline: new objects in videos/',
    ]));
    // The rule itself is how, not where, data goes: it is not a node, nor is the role it starts the machine with.
    expect(g.nodes.map((n) => n.service)).not.toContain('EventBridge rule');
    expect(g.nodes.map((n) => n.service)).not.toContain('EventBridge');
  });

  it('EventBridge: a service event (Transcribe job state change) comes from the service node', () => {
    const g = flowOf((s) => {
      new events.Rule(s, 'OnJobDone', {
        eventPattern: { source: ['aws.transcribe'], detailType: ['Transcribe Job State Change'] },
        targets: [new targets.LambdaFunction(fn(s, 'Resume'))],
      });
    });
    expect(edgesOf(g)).toContain('Amazon Transcribe -> Resume: Transcribe Job State Change');
  });

  it('event source mappings: SQS and Kinesis into the function; the queue\'s redrive to its DLQ', () => {
    const g = flowOf((s) => {
      const dlq = new sqs.Queue(s, 'Failed');
      const queue = new sqs.Queue(s, 'Jobs', { deadLetterQueue: { queue: dlq, maxReceiveCount: 5 }, visibilityTimeout: Duration.minutes(6) });
      const stream = new kinesis.Stream(s, 'Clicks', { shardCount: 1 });
      const worker = fn(s, 'Worker');
      worker.addEventSource(new sources.SqsEventSource(queue));
      worker.addEventSource(new sources.KinesisEventSource(stream, {
        startingPosition: lambda.StartingPosition.LATEST,
        onFailure: new sources.SqsDlq(new sqs.Queue(s, 'FailedBatches')),
      }));
    });
    expect(edgesOf(g)).toEqual(expect.arrayContaining([
      'Jobs -> Worker: messages',
      'Clicks -> Worker: records',
      'Jobs -> Failed: after 5 receives',
      'Worker -> FailedBatches: failed batches',
    ]));
    // The function's sqs:GetQueueAttributes on its failure queue is not data coming back.
    expect(linksOf(g)).not.toContain('FailedBatches -> Worker');
    expect(g.edges.find((e) => e.label === 'after 5 receives')!.style).toBe('failure');
  });

  it('SNS: subscriptions from the topic to a queue and a function, and the subscription DLQ', () => {
    const g = flowOf((s) => {
      const topic = new sns.Topic(s, 'Done');
      const dlq = new sqs.Queue(s, 'Undelivered');
      topic.addSubscription(new subs.SqsSubscription(new sqs.Queue(s, 'Results'), { deadLetterQueue: dlq }));
      topic.addSubscription(new subs.LambdaSubscription(fn(s, 'Notify')));
    });
    expect(edgesOf(g)).toEqual(expect.arrayContaining([
      'Done -> Results: messages',
      'Done -> Notify: messages',
      'Done -> Undelivered: undeliverable messages',
    ]));
  });

  it('S3 bucket notifications: bucket to function, without CDK\'s notification handler', () => {
    const g = flowOf((s) => {
      const bucket = new s3.Bucket(s, 'Inbox');
      bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(fn(s, 'OnObject')), { prefix: 'in/' });
    });
    expect(edgesOf(g)).toEqual(['Inbox -> OnObject: new objects in in/']);
    expect(g.nodes.map((n) => n.construct)).toEqual(expect.arrayContaining(['Inbox', 'OnObject']));
    expect(g.nodes.some((n) => /BucketNotificationsHandler/.test(n.construct ?? ''))).toBe(false);
  });

  it('Firehose: source stream -> delivery stream -> bucket as Parquet, Glue table as the schema', () => {
    const g = flowOf((s) => {
      const stream = new kinesis.Stream(s, 'Events', { shardCount: 1 });
      const lake = new s3.Bucket(s, 'Lake');
      const db = new glue.CfnDatabase(s, 'Catalog', { catalogId: s.account, databaseInput: {} });
      const table = new glue.CfnTable(s, 'EventsTable', {
        catalogId: s.account,
        databaseName: db.ref,
        tableInput: { storageDescriptor: { location: `s3://${lake.bucketName}/events/`, columns: [{ name: 'id', type: 'string' }] } },
      });
      const role = new iam.Role(s, 'DeliveryRole', { assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com') });
      stream.grantRead(role);
      lake.grantReadWrite(role);
      new firehose.CfnDeliveryStream(s, 'ToParquet', {
        deliveryStreamType: 'KinesisStreamAsSource',
        kinesisStreamSourceConfiguration: { kinesisStreamArn: stream.streamArn, roleArn: role.roleArn },
        extendedS3DestinationConfiguration: {
          bucketArn: lake.bucketArn,
          roleArn: role.roleArn,
          bufferingHints: { sizeInMBs: 64 },
          dataFormatConversionConfiguration: {
            enabled: true,
            schemaConfiguration: { databaseName: db.ref, tableName: table.ref, roleArn: role.roleArn },
            inputFormatConfiguration: { deserializer: { openXJsonSerDe: {} } },
            outputFormatConfiguration: { serializer: { parquetSerDe: {} } },
          },
        },
      });
    });
    expect(edgesOf(g)).toEqual(expect.arrayContaining([
      'Events -> ToParquet: records',
      'ToParquet -> Lake: writes Parquet',
      'EventsTable -> ToParquet: schema for conversion',
      'Lake -> EventsTable: catalogued as',
    ]));
    // The role's grants say the same as the wiring: no second, reversed edge.
    expect(linksOf(g)).not.toContain('Lake -> ToParquet');
  });

  it('Step Functions: Task states to the services they call, and the buckets those read and write', () => {
    const g = flowOf((s) => {
      const media = new s3.Bucket(s, 'Media');
      const transcripts = new s3.Bucket(s, 'Transcripts');
      const models = new s3.Bucket(s, 'Models');
      const code = new s3.Bucket(s, 'Code');
      const jobRole = new iam.Role(s, 'JobRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
      code.grantRead(jobRole);
      const start = new tasks.CallAwsService(s, 'StartTranscription', {
        service: 'transcribe',
        action: 'startTranscriptionJob',
        parameters: {
          TranscriptionJobName: sfn.JsonPath.stringAt('$.name'),
          Media: { MediaFileUri: sfn.JsonPath.format('s3://{}/{}', media.bucketName, sfn.JsonPath.stringAt('$.key')) },
          OutputBucketName: transcripts.bucketName,
        },
        iamResources: ['*'],
      });
      const analyse = new tasks.LambdaInvoke(s, 'Analyse', { lambdaFunction: fn(s, 'Sentiment') });
      const train = new sfn.CustomState(s, 'Train', {
        stateJson: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync',
          Parameters: {
            RoleArn: jobRole.roleArn,
            InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3Uri: `s3://${media.bucketName}/train/` } } }],
            OutputDataConfig: { S3OutputPath: `s3://${models.bucketName}/out/` },
            CheckpointConfig: { S3Uri: `s3://${models.bucketName}/checkpoints/` },
          },
        },
      });
      new sfn.StateMachine(s, 'Chain', { definitionBody: sfn.DefinitionBody.fromChainable(start.next(analyse).next(train)) });
    });
    expect(edgesOf(g)).toEqual(expect.arrayContaining([
      // Labels say what moves (the API reference's meaning of each parameter), not the parameter's name.
      'Chain -> Amazon Transcribe: StartTranscriptionJob',
      'Media -> Amazon Transcribe: reads media',
      'Amazon Transcribe -> Transcripts: writes transcript',
      'Chain -> Sentiment: invokes',
      'Chain -> SageMaker training job: CreateTrainingJob',
      'Media -> SageMaker training job: reads train channel',
      'SageMaker training job -> Models: writes model artifact, checkpoints',
      // The execution role passed to the job: what it may read, the job reads.
      'Code -> SageMaker training job: reads',
    ]));
    expect(g.edges.map((e) => e.label).join(' ')).not.toMatch(/S3Uri|OutputBucketName|MediaFileUri|S3OutputPath/);
    expect(g.nodes.map((n) => n.service)).not.toContain('SageMaker');
  });

  it('Rekognition notification channel: function -> Rekognition -> topic, from the passed role and its grant', () => {
    const g = flowOf((s) => {
      const topic = new sns.Topic(s, 'AmazonRekognitionJobs');
      const role = new iam.Role(s, 'RekognitionRole', { assumedBy: new iam.ServicePrincipal('rekognition.amazonaws.com') });
      topic.grantPublish(role);
      const starter = fn(s, 'StartDetection', { TOPIC_ARN: topic.topicArn, ROLE_ARN: role.roleArn });
      starter.addToRolePolicy(new iam.PolicyStatement({ actions: ['rekognition:StartLabelDetection'], resources: ['*'] }));
      starter.addToRolePolicy(new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [role.roleArn] }));
      fn(s, 'Collect').addToRolePolicy(new iam.PolicyStatement({ actions: ['rekognition:GetLabelDetection'], resources: ['*'] }));
    });
    expect(edgesOf(g)).toEqual(expect.arrayContaining([
      'StartDetection -> Amazon Rekognition: StartLabelDetection',
      // Rekognition Video publishes only the completion status of its jobs to this topic.
      'Amazon Rekognition -> AmazonRekognitionJobs: job completion',
      // Reading a job's results brings data back from the service.
      'Amazon Rekognition -> Collect: GetLabelDetection',
    ]));
  });

  it('Step Functions: a definition with a number from a template parameter still parses', () => {
    const g = flowOf((s) => {
      const seconds = new CfnParameter(s, 'PollSeconds', { type: 'Number', default: 30 });
      const wait = new sfn.Wait(s, 'Pause', { time: sfn.WaitTime.duration(Duration.seconds(seconds.valueAsNumber)) });
      new sfn.StateMachine(s, 'Poller', { definitionBody: sfn.DefinitionBody.fromChainable(wait.next(new tasks.LambdaInvoke(s, 'Check', { lambdaFunction: fn(s, 'Status') }))) });
    });
    expect(edgesOf(g)).toContain('Poller -> Status: invokes');
  });

  it('Rekognition notification channel in a state\'s parameters: video bucket -> Rekognition -> topic', () => {
    const g = flowOf((s) => {
      const videos = new s3.Bucket(s, 'Videos');
      const topic = new sns.Topic(s, 'AmazonRekognitionDone');
      const role = new iam.Role(s, 'PublishRole', { assumedBy: new iam.ServicePrincipal('rekognition.amazonaws.com') });
      const start = new tasks.CallAwsService(s, 'StartLabels', {
        service: 'rekognition',
        action: 'startLabelDetection',
        parameters: {
          Video: { S3Object: { Bucket: videos.bucketName, Name: sfn.JsonPath.stringAt('$.key') } },
          NotificationChannel: { RoleArn: role.roleArn, SnsTopicArn: topic.topicArn },
        },
        iamResources: ['*'],
      });
      new sfn.StateMachine(s, 'Detect', { definitionBody: sfn.DefinitionBody.fromChainable(start) });
    });
    expect(edgesOf(g).sort()).toEqual([
      'Amazon Rekognition -> AmazonRekognitionDone: job completion',
      'Detect -> Amazon Rekognition: StartLabelDetection',
      'Videos -> Amazon Rekognition: reads video',
    ]);
  });

  it('IAM grants: read is an edge from the bucket, put an edge to it', () => {
    const g = flowOf((s) => {
      const raw = new s3.Bucket(s, 'Raw');
      const curated = new s3.Bucket(s, 'Curated');
      const f = fn(s, 'Transform');
      raw.grantRead(f);
      curated.grantPut(f);
    });
    expect(edgesOf(g)).toEqual(expect.arrayContaining(['Raw -> Transform: reads', 'Transform -> Curated: writes']));
  });

  it('Glue: a job\'s arguments and role, a crawler\'s S3 targets and database', () => {
    const g = flowOf((s) => {
      const raw = new s3.Bucket(s, 'Raw');
      const curated = new s3.Bucket(s, 'Curated');
      const role = new iam.Role(s, 'GlueRole', { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
      const db = new glue.CfnDatabase(s, 'Catalog', { catalogId: s.account, databaseInput: {} });
      new glue.CfnJob(s, 'ToParquet', {
        role: role.roleArn,
        command: { name: 'glueetl', scriptLocation: `s3://${raw.bucketName}/scripts/job.py` },
        defaultArguments: { '--input_path': `s3://${raw.bucketName}/in/`, '--output_path': `s3://${curated.bucketName}/out/` },
      });
      new glue.CfnCrawler(s, 'Crawl', { role: role.roleArn, databaseName: db.ref, targets: { s3Targets: [{ path: `s3://${curated.bucketName}/out/` }] } });
    });
    expect(edgesOf(g)).toEqual(expect.arrayContaining([
      // The prefixes the arguments name, not the arguments' names.
      'Raw -> ToParquet: reads in/',
      'ToParquet -> Curated: writes out/',
      'Curated -> Crawl: crawls out/',
      'Crawl -> Catalog: writes tables',
    ]));
  });

  it('Athena: the workgroup reads the tables its named queries name and writes query results to its bucket', () => {
    const g = flowOf((s) => {
      const results = new s3.Bucket(s, 'Results');
      const lake = new s3.Bucket(s, 'Lake');
      const db = new glue.CfnDatabase(s, 'Catalog', { catalogId: s.account, databaseInput: {} });
      new glue.CfnTable(s, 'Events', { catalogId: s.account, databaseName: db.ref, tableInput: { name: 'events', storageDescriptor: { location: `s3://${lake.bucketName}/events/` } } });
      const wg = new athena.CfnWorkGroup(s, 'Analysts', { name: 'analysts', workGroupConfiguration: { resultConfiguration: { outputLocation: `s3://${results.bucketName}/athena/` } } });
      new athena.CfnNamedQuery(s, 'DailyCounts', { database: db.ref, workGroup: wg.ref, queryString: 'SELECT day, count(*) FROM events GROUP BY day' });
    });
    expect(edgesOf(g).sort()).toEqual(['Analysts -> Results: writes query results', 'Events -> Analysts: read by named queries', 'Lake -> Events: catalogued as']);
  });

  it('EMR Serverless: the job role, passed at StartJobRun, acts as the stack\'s one application', () => {
    const g = flowOf((s) => {
      const lake = new s3.Bucket(s, 'Lake');
      new emrs.CfnApplication(s, 'Spark', { releaseLabel: 'emr-7.5.0', type: 'SPARK' });
      const role = new iam.Role(s, 'JobRole', { assumedBy: new iam.ServicePrincipal('emr-serverless.amazonaws.com') });
      lake.grantReadWrite(role);
    });
    expect(edgesOf(g).sort()).toEqual(['Lake -> Spark: reads', 'Spark -> Lake: writes']);
  });

  it('Kinesis Video -> Rekognition stream processor -> Kinesis data stream', () => {
    const g = flowOf((s) => {
      const video = new kinesisvideo.CfnStream(s, 'Camera', { dataRetentionInHours: 24 });
      const out = new kinesis.Stream(s, 'Faces', { shardCount: 1 });
      const role = new iam.Role(s, 'ProcessorRole', { assumedBy: new iam.ServicePrincipal('rekognition.amazonaws.com') });
      new rekognition.CfnStreamProcessor(s, 'FaceSearch', {
        roleArn: role.roleArn,
        kinesisVideoStream: { arn: video.attrArn },
        kinesisDataStream: { arn: out.streamArn },
        faceSearchSettings: { collectionId: 'faces' },
      });
    });
    expect(edgesOf(g)).toEqual(expect.arrayContaining(['Camera -> FaceSearch: video frames', 'FaceSearch -> Faces: analysis results']));
  });

  it('VPC: endpoints and the resources in its subnets are drawn inside the VPC', () => {
    const g = flowOf((s) => {
      const vpc = new ec2.Vpc(s, 'Network', { maxAzs: 1, natGateways: 0, subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
      vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
      vpc.addInterfaceEndpoint('Runtime', { service: ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME });
      const data = new s3.Bucket(s, 'Data');
      const f = new lambda.Function(s, 'Private', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('x'), vpc });
      data.grantRead(f);
      // A training job in the VPC's subnets, started by a state machine that itself is not in the VPC.
      const train = new sfn.CustomState(s, 'Train', {
        stateJson: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync',
          Parameters: {
            VpcConfig: { Subnets: vpc.isolatedSubnets.map((x) => x.subnetId), SecurityGroupIds: [f.connections.securityGroups[0].securityGroupId] },
            InputDataConfig: [{ DataSource: { S3DataSource: { S3Uri: data.s3UrlForObject('train/') } } }],
          },
        },
      });
      new sfn.StateMachine(s, 'Training', { definitionBody: sfn.DefinitionBody.fromChainable(train) });
    });
    // Isolated subnets only: no internet gateway attached.
    expect(g.vpcs).toEqual([{ id: expect.any(String), construct: 'Network', internetGateway: false }]);
    const inVpc = g.nodes.filter((n) => n.vpc === g.vpcs[0].id).map((n) => `${n.construct ?? n.service} ${n.detail ?? ''}`.trim());
    expect(inVpc.sort()).toEqual(['Network/Runtime Interface: sagemaker.runtime', 'Network/S3 Gateway: s3', 'Private', 'SageMaker training job']);
    expect(g.nodes.find((n) => n.construct === 'Data')!.vpc).toBeUndefined();
    expect(g.nodes.find((n) => n.construct === 'Training')!.vpc).toBeUndefined();
  });

  it('SageMaker hosting: artifact -> model -> endpoint -> data capture; a shared execution role adds nothing the wiring says', () => {
    const g = flowOf((s) => {
      const models = new s3.Bucket(s, 'Models');
      const capture = new s3.Bucket(s, 'Capture');
      const role = new iam.Role(s, 'ExecutionRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
      models.grantReadWrite(role);
      const model = new sagemaker.CfnModel(s, 'Model', { executionRoleArn: role.roleArn, primaryContainer: { image: 'xgboost', modelDataUrl: models.s3UrlForObject('model.tar.gz') } });
      new sagemaker.CfnModel(s, 'Spare', { executionRoleArn: role.roleArn, primaryContainer: { image: 'xgboost', modelDataUrl: models.s3UrlForObject('spare.tar.gz') } });
      const config = new sagemaker.CfnEndpointConfig(s, 'Config', {
        productionVariants: [{ modelName: model.attrModelName, variantName: 'AllTraffic', initialInstanceCount: 1, instanceType: 'ml.m5.large' }],
        dataCaptureConfig: { destinationS3Uri: capture.s3UrlForObject('capture/'), initialSamplingPercentage: 100, captureOptions: [{ captureMode: 'Input' }] },
      });
      new sagemaker.CfnEndpoint(s, 'Endpoint', { endpointConfigName: config.attrEndpointConfigName });
    });
    expect(edgesOf(g).sort()).toEqual([
      'Endpoint -> Capture: writes captured requests',
      'Model -> Endpoint: serves',
      'Models -> Model: model artifact',
      'Models -> Spare: model artifact',
    ]);
  });

  it('leaves out CDK\'s custom-resource machinery (bucket auto-delete) and encryption keys', () => {
    const g = flowOf((s) => {
      const bucket = new s3.Bucket(s, 'Scratch', { autoDeleteObjects: true, removalPolicy: RemovalPolicy.DESTROY, encryption: s3.BucketEncryption.KMS });
      bucket.grantRead(fn(s, 'Reader'));
    });
    expect(linksOf(g)).toEqual(['Scratch -> Reader']);
    expect(g.nodes.map((n) => n.service).sort()).toEqual(['Lambda', 'S3 bucket']);
  });

  it('IAM grants on key prefixes say which objects move; Kinesis Video GetDataEndpoint moves none', () => {
    const g = flowOf((s) => {
      const media = new s3.Bucket(s, 'Media');
      const video = new kinesisvideo.CfnStream(s, 'Camera', { dataRetentionInHours: 24 });
      const f = fn(s, 'Frames');
      media.grantPut(f, 'frames/*');
      media.grantRead(f, 'videos/*');
      f.addToRolePolicy(new iam.PolicyStatement({ actions: ['kinesisvideo:GetDataEndpoint', 'kinesisvideo:GetImages'], resources: [video.attrArn] }));
    });
    expect(edgesOf(g).sort()).toEqual(['Camera -> Frames: frames (GetImages)', 'Frames -> Media: writes frames/', 'Media -> Frames: reads videos/']);
  });

  it('Rekognition face search reads the collection it searches; a type the reader has no name for is still drawn', () => {
    const g = flowOf((s) => {
      const faces = new rekognition.CfnCollection(s, 'Faces', { collectionId: 'known-faces' });
      const widget = new CfnResource(s, 'Widget', { type: 'AWS::Example::Widget', properties: {} });
      const f = fn(s, 'Search');
      f.addToRolePolicy(new iam.PolicyStatement({ actions: ['rekognition:SearchFacesByImage'], resources: [faces.attrArn] }));
      f.addToRolePolicy(new iam.PolicyStatement({ actions: ['example:PutWidget'], resources: [widget.ref] }));
    });
    expect(edgesOf(g).sort()).toEqual(['Faces -> Search: SearchFacesByImage', 'Search -> Widget: writes']);
    expect(g.nodes.find((n) => n.construct === 'Faces')!.service).toBe('Rekognition face collection');
    expect(g.nodes.find((n) => n.construct === 'Widget')!.service).toBe('Example Widget');
  });

  it('SageMaker jobs say what the notes look for: the script, Managed Spot, checkpoints, a serial inference pipeline', () => {
    const g = flowOf((s) => {
      const models = new s3.Bucket(s, 'Models');
      const train = new sfn.CustomState(s, 'Train', {
        stateJson: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync',
          Parameters: {
            HyperParameters: { sagemaker_program: '"train.py"' },
            EnableManagedSpotTraining: true,
            CheckpointConfig: { S3Uri: `s3://${models.bucketName}/checkpoints/` },
            OutputDataConfig: { S3OutputPath: `s3://${models.bucketName}/out/` },
          },
        },
      });
      const model = new sfn.CustomState(s, 'Model', {
        stateJson: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sagemaker:createModel',
          Parameters: {
            InferenceExecutionConfig: { Mode: 'Serial' },
            Containers: [
              { Image: '123.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3', Environment: { SAGEMAKER_PROGRAM: 'preprocess.py' } },
              { Image: '123.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1', Environment: { SAGEMAKER_PROGRAM: 'train.py' } },
            ],
          },
        },
      });
      const readBack = new tasks.CallAwsService(s, 'ReadReport', {
        service: 's3',
        action: 'getObject',
        parameters: { Bucket: models.bucketName, Key: sfn.JsonPath.format('out/{}/report.json', sfn.JsonPath.stringAt('$.name')) },
        iamResources: [models.arnForObjects('*')],
      });
      new sfn.StateMachine(s, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(train.next(model).next(readBack)) });
      // A model resource whose image URIs are built from the account and region (Fn::Join in the template).
      const role = new iam.Role(s, 'ModelRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
      new sagemaker.CfnModel(s, 'PipelineModel', {
        executionRoleArn: role.roleArn,
        inferenceExecutionConfig: { mode: 'Serial' },
        containers: ['sagemaker-scikit-learn:1.2-1-cpu-py3', 'sagemaker-xgboost:1.7-1'].map((repo) => ({
          image: `${s.account}.dkr.ecr.${s.region}.${s.urlSuffix}/${repo}`,
          modelDataUrl: models.s3UrlForObject('model.tar.gz'),
        })),
      });
    });
    const detail = (service: string) => g.nodes.find((n) => n.service === service && !n.construct)?.detail;
    expect(detail('SageMaker training job')).toBe('train.py · Managed Spot · checkpoints');
    expect(detail('SageMaker model')).toBe('serial pipeline: preprocess.py on scikit-learn → train.py on xgboost');
    expect(g.nodes.find((n) => n.construct === 'PipelineModel')?.detail).toBe('serial pipeline: scikit-learn → xgboost');
    // The machine reading back what its own job wrote: marked, so the layout does not start the flow at the bucket.
    const back = g.edges.find((e) => nameOf(g, e.from) === 'Models' && nameOf(g, e.to) === 'Workflow')!;
    expect(back).toMatchObject({ label: 'reads report.json', readsBack: true });
  });
});
