import { RemovalPolicy } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { dataCapture, pipelineModel, VARIANT_NAME } from './pipeline-model';

export interface RealtimeEndpointProps {
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly executionRole: iam.IRole;
  readonly encryptionKey: kms.IKey;
  readonly inferenceBucket: s3.IBucket;
  /** model.tar.gz of a training run of the state machine (script mode: booster, preprocess.json, code/). */
  readonly modelDataUrl: string;
  /** @default 'ml.m5.large' */
  readonly instanceType?: string;
  /** @default 1 */
  readonly minInstances?: number;
  /** @default 2 */
  readonly maxInstances?: number;
  /** Invocations per instance per minute that auto scaling aims for. @default 100 */
  readonly targetInvocationsPerInstance?: number;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The serial inference pipeline (preprocess -> PCA -> XGBoost) as a model in the VPC with network
 * isolation, an endpoint configuration with a KMS key and data capture, a real-time endpoint, and
 * target-tracking auto scaling on invocations per instance. Bills every hour it exists: opt-in.
 */
export class RealtimeEndpoint extends Construct {
  public readonly endpoint: sagemaker.CfnEndpoint;
  public readonly model: sagemaker.CfnModel;

  constructor(scope: Construct, id: string, props: RealtimeEndpointProps) {
    super(scope, id);
    if (!/^s3:\/\/[^/]+\/.+\.tar\.gz$/.test(props.modelDataUrl)) {
      throw new Error(`${this.node.path}: modelDataUrl must be the s3:// URI of a model.tar.gz from a training run (got ${JSON.stringify(props.modelDataUrl)})`);
    }
    const min = props.minInstances ?? 1;
    const max = props.maxInstances ?? 2;
    if (min < 1 || max < min) {
      throw new Error(`${this.node.path}: need 1 <= minInstances <= maxInstances (got ${min}..${max})`);
    }
    const m = pipelineModel(this, props, undefined, props.modelDataUrl) as {
      ExecutionRoleArn: string;
      Containers: Array<{ Image: string; ModelDataUrl: string; Environment: Record<string, string> }>;
      VpcConfig: { Subnets: string[]; SecurityGroupIds: string[] };
    };
    this.model = new sagemaker.CfnModel(this, 'PipelineModel', {
      executionRoleArn: m.ExecutionRoleArn,
      containers: m.Containers.map((c) => ({ image: c.Image, modelDataUrl: c.ModelDataUrl, environment: c.Environment })),
      inferenceExecutionConfig: { mode: 'Serial' },
      vpcConfig: { subnets: m.VpcConfig.Subnets, securityGroupIds: m.VpcConfig.SecurityGroupIds },
      enableNetworkIsolation: true,
    });
    const capture = dataCapture(props) as {
      InitialSamplingPercentage: number; DestinationS3Uri: string; KmsKeyId: string;
    };
    const config = new sagemaker.CfnEndpointConfig(this, 'Config', {
      kmsKeyId: props.encryptionKey.keyArn,
      productionVariants: [{
        variantName: VARIANT_NAME,
        modelName: this.model.attrModelName,
        initialInstanceCount: min,
        instanceType: props.instanceType ?? 'ml.m5.large',
        initialVariantWeight: 1,
      }],
      dataCaptureConfig: {
        enableCapture: true,
        initialSamplingPercentage: capture.InitialSamplingPercentage,
        destinationS3Uri: capture.DestinationS3Uri,
        kmsKeyId: capture.KmsKeyId,
        captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
        captureContentTypeHeader: { csvContentTypes: ['text/csv'] },
      },
    });
    this.endpoint = new sagemaker.CfnEndpoint(this, 'Endpoint', { endpointConfigName: config.attrEndpointConfigName });
    this.endpoint.applyRemovalPolicy(RemovalPolicy.DESTROY); // an endpoint holds no data; never leave one billing

    const target = new appscaling.ScalableTarget(this, 'ScalingTarget', {
      serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
      resourceId: `endpoint/${this.endpoint.attrEndpointName}/variant/${VARIANT_NAME}`,
      scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      minCapacity: min,
      maxCapacity: max,
    });
    target.scaleToTrackMetric('InvocationsPerInstance', {
      predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
      targetValue: props.targetInvocationsPerInstance ?? 100,
    });
  }
}
