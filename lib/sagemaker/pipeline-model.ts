/**
 * The serial inference pipeline the study notes draw: unseen data is pre-processed, fed into PCA,
 * and PCA's output goes into XGBoost. One model, two containers, one artifact, used by the batch
 * transform of the training state machine and by the opt-in endpoint alike.
 *
 * Why scikit-learn PCA inside the first container and not the built-in PCA algorithm: the built-in
 * PCA answers inference in application/json, application/jsonlines or
 * application/x-recordio-protobuf ("PCA Response Formats":
 * https://docs.aws.amazon.com/sagemaker/latest/dg/PCA-in-formats.html), with the projection under
 * a label key, while XGBoost reads text/csv or text/libsvm ("Common data formats for inference":
 * https://docs.aws.amazon.com/sagemaker/latest/dg/cdf-inference.html): a third container would
 * have to translate. It would also be a second training job in the state machine and a batch
 * transform of the training data through it before XGBoost could train. train.py fits the PCA on
 * the training split in the same job, and the first container answers CSV.
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { frameworkImageFor } from './images';

/** Variant name shared by the CloudFormation endpoint and the configs the state machine creates. */
export const VARIANT_NAME = 'AllTraffic';

export interface PipelineModelProps {
  readonly executionRole: iam.IRole;
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
}

/**
 * A CreateModel request (also the shape of AWS::SageMaker::Model): the scikit-learn container runs
 * sagemaker/preprocess.py (standardise, then PCA) and hands CSV to the XGBoost container. Both
 * read the same model.tar.gz (train.py writes the booster, preprocess.json and both scripts under
 * code/); with network isolation the code comes from the artifact, not from S3.
 */
export function pipelineModel(scope: Construct, props: PipelineModelProps, modelName: string | undefined, modelDataUrl: string): Record<string, unknown> {
  const code = '/opt/ml/model/code';
  return {
    ...(modelName !== undefined ? { ModelName: modelName } : {}),
    ExecutionRoleArn: props.executionRole.roleArn,
    Containers: [
      {
        Image: frameworkImageFor(scope, 'sklearn'),
        ModelDataUrl: modelDataUrl,
        // The hand-over is CSV whatever Accept the caller sent (it applies to the last container).
        Environment: { SAGEMAKER_PROGRAM: 'preprocess.py', SAGEMAKER_SUBMIT_DIRECTORY: code, SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: 'text/csv' },
      },
      {
        Image: frameworkImageFor(scope, 'xgboost'),
        ModelDataUrl: modelDataUrl,
        Environment: { SAGEMAKER_PROGRAM: 'train.py', SAGEMAKER_SUBMIT_DIRECTORY: code },
      },
    ],
    InferenceExecutionConfig: { Mode: 'Serial' },
    VpcConfig: { Subnets: props.vpc.isolatedSubnets.map((s) => s.subnetId), SecurityGroupIds: [props.securityGroup.securityGroupId] },
    EnableNetworkIsolation: true,
  };
}

/** Data capture of an endpoint: requests and responses sampled into the inference bucket, encrypted. */
export function dataCapture(props: { readonly inferenceBucket: s3.IBucket; readonly encryptionKey: kms.IKey }): Record<string, unknown> {
  return {
    EnableCapture: true,
    InitialSamplingPercentage: 100,
    DestinationS3Uri: `s3://${props.inferenceBucket.bucketName}/data-capture/`,
    KmsKeyId: props.encryptionKey.keyArn,
    CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
    CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'] },
  };
}
