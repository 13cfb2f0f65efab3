/**
 * The CreateProcessingJob request of the evaluation step: sagemaker/evaluate.py reads what batch
 * transform wrote for the held-out test split (label,score per row) and writes evaluation.json and
 * roc.png. It runs in the sagemaker-xgboost image (numpy and matplotlib are in it), inside the VPC
 * with network isolation, so its code arrives as an input from S3 like the data.
 */
import type { CreateProcessingJobRequest } from '@aws-sdk/client-sagemaker';
import { Token } from 'aws-cdk-lib';
import { isJobName } from './training-request';

export interface EvaluationRequestInput {
  /** 1-63 letters, digits and hyphens (CreateProcessingJob's ProcessingJobName). */
  readonly jobName: string;
  readonly roleArn: string;
  /** The sagemaker-xgboost image of the region. */
  readonly image: string;
  /** S3 prefix holding evaluate.py (and nothing else). */
  readonly codeUri: string;
  /** Where batch transform wrote "label,score" lines. */
  readonly scoredUri: string;
  /** Where evaluation.json and roc.png go. */
  readonly outputUri: string;
  readonly kmsKeyId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  /** @default 'ml.m5.large' */
  readonly instanceType?: string;
  /** @default 1800 */
  readonly maxRuntimeInSeconds?: number;
  /** Score at or above which a row counts as predicted positive. @default 0.5 */
  readonly threshold?: number;
}

const known = (v: unknown): boolean => !(typeof v === 'string' || typeof v === 'number') || !Token.isUnresolved(v);
const CODE_DIR = '/opt/ml/processing/code';
const SCORED_DIR = '/opt/ml/processing/scored';
const OUTPUT_DIR = '/opt/ml/processing/evaluation';

export function buildEvaluationRequest(input: EvaluationRequestInput): CreateProcessingJobRequest {
  const problems: string[] = [];
  if (known(input.jobName) && !isJobName(input.jobName)) {
    problems.push(`jobName must be 1-63 letters, digits or hyphens (got ${JSON.stringify(input.jobName)})`);
  }
  const runtime = input.maxRuntimeInSeconds ?? 1800;
  if (known(runtime) && (!Number.isInteger(runtime) || runtime < 1)) {
    problems.push(`maxRuntimeInSeconds must be a whole number >= 1 (got ${runtime})`);
  }
  const threshold = input.threshold ?? 0.5;
  if (!(threshold > 0 && threshold < 1)) {
    problems.push(`threshold must be between 0 and 1, exclusive (got ${threshold})`);
  }
  if (input.subnetIds.length === 0 || input.securityGroupIds.length === 0) {
    problems.push('subnetIds and securityGroupIds must be given: the job runs only inside the VPC');
  }
  if (problems.length > 0) {
    throw new Error(`Invalid evaluation request: ${problems.join('; ')}`);
  }
  const s3Input = (name: string, uri: string, localPath: string) => ({
    InputName: name,
    S3Input: { S3Uri: uri, LocalPath: localPath, S3DataType: 'S3Prefix' as const, S3InputMode: 'File' as const, S3DataDistributionType: 'FullyReplicated' as const },
  });
  return {
    ProcessingJobName: input.jobName,
    RoleArn: input.roleArn,
    AppSpecification: {
      ImageUri: input.image,
      ContainerEntrypoint: ['python3', `${CODE_DIR}/evaluate.py`],
      ContainerArguments: ['--scored-dir', SCORED_DIR, '--output-dir', OUTPUT_DIR, '--threshold', String(threshold)],
    },
    ProcessingInputs: [s3Input('code', input.codeUri, CODE_DIR), s3Input('scored', input.scoredUri, SCORED_DIR)],
    ProcessingOutputConfig: {
      Outputs: [{ OutputName: 'evaluation', S3Output: { S3Uri: input.outputUri, LocalPath: OUTPUT_DIR, S3UploadMode: 'EndOfJob' } }],
      KmsKeyId: input.kmsKeyId,
    },
    ProcessingResources: {
      ClusterConfig: { InstanceCount: 1, InstanceType: (input.instanceType ?? 'ml.m5.large') as never, VolumeSizeInGB: 10, VolumeKmsKeyId: input.kmsKeyId },
    },
    NetworkConfig: {
      EnableNetworkIsolation: true,
      EnableInterContainerTrafficEncryption: true,
      VpcConfig: { Subnets: [...input.subnetIds], SecurityGroupIds: [...input.securityGroupIds] },
    },
    StoppingCondition: { MaxRuntimeInSeconds: runtime },
  };
}
