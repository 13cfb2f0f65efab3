/**
 * The one place a CreateTrainingJob request is built. The training state machine renders it into
 * its custom state (values that vary per run are JSONPath tokens there) and the CLI sends it with
 * @aws-sdk/client-sagemaker, so both launch exactly the same kind of job: Managed Spot Training,
 * checkpoints, VPC, network isolation, inter-container encryption, KMS for volume and output.
 */
import type {
  CreateTrainingJobRequest,
  HyperParameterTrainingJobDefinition,
  TrainingInputMode,
} from '@aws-sdk/client-sagemaker';
import { Token } from 'aws-cdk-lib';

/** How the training code gets into the container. */
export type Algorithm =
  /** The built-in XGBoost algorithm (its container supports checkpoints since 1.3-1). */
  | { readonly kind: 'builtin'; readonly image: string; readonly supportsCheckpoints: boolean }
  /** Script mode: a framework container runs `entryPoint` from a sourcedir.tar.gz in S3. */
  | { readonly kind: 'script'; readonly image: string; readonly sourceDirUri: string; readonly entryPoint: string };

export interface TrainingRequestInput {
  /** 1-63 characters of letters, digits and hyphens. */
  readonly jobName: string;
  /** Execution role SageMaker assumes for the job. */
  readonly roleArn: string;
  readonly algorithm: Algorithm;
  readonly hyperparameters?: Readonly<Record<string, string>>;
  /** S3 prefix of the training channel. */
  readonly trainUri: string;
  /** S3 prefix of the validation channel. @default - no validation channel */
  readonly validationUri?: string;
  /** Where SageMaker writes model.tar.gz. */
  readonly outputUri: string;
  /** Where /opt/ml/checkpoints is synced; one prefix per run so a retry resumes its own run. */
  readonly checkpointUri: string;
  /** File copies the data to the volume first; Pipe streams it (RecordIO/CSV) and starts sooner. @default 'File' */
  readonly inputMode?: TrainingInputMode;
  /** @default 'text/csv' */
  readonly contentType?: string;
  /** @default 'ml.m5.large' */
  readonly instanceType?: string;
  /** @default 1 */
  readonly instanceCount?: number;
  /** @default 10 */
  readonly volumeSizeInGb?: number;
  /** @default 3600 */
  readonly maxRuntimeInSeconds: number;
  /** Managed Spot Training: how long to wait for spot capacity plus run. Must be >= maxRuntimeInSeconds. */
  readonly maxWaitTimeInSeconds?: number;
  /** @default true */
  readonly spot?: boolean;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  /** KMS key for the training volume and the output artifacts. */
  readonly kmsKeyId: string;
}

/** Built-in algorithms without checkpoints restart from zero after an interruption; AWS caps their wait. */
export const MAX_WAIT_WITHOUT_CHECKPOINTS = 3600;
/** CreateTrainingJob's ceiling for MaxRuntimeInSeconds (28 days). */
export const MAX_RUNTIME_LIMIT = 2_419_200;
/**
 * Job names as the SageMaker API reference constrains them: a length AND a pattern (the pattern
 * alone lets hyphens through uncounted). TrainingJobName (also ModelName, TransformJobName,
 * ProcessingJobName, EndpointConfigName): 1-63 characters,
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTrainingJob.html;
 * HyperParameterTuningJobName: 1-32,
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateHyperParameterTuningJob.html.
 */
const NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;
export const isJobName = (name: string): boolean => name.length <= 63 && NAME_PATTERN.test(name);
export const isTuningJobName = (name: string): boolean => name.length <= 32 && NAME_PATTERN.test(name);

/** Throw, naming the value, unless `name` is a valid tuning job name (1-32 letters, digits, hyphens). */
export function validateTuningJobName(name: string): void {
  if (!isTuningJobName(name)) {
    throw new Error(`A tuning job name must be 1-32 letters, digits or hyphens, starting with a letter or digit (got ${JSON.stringify(name)}, ${name.length} characters)`);
  }
}

const S3_URI = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/;
const LOCAL_CHECKPOINT_DIR = '/opt/ml/checkpoints';
const CODE_CHANNEL_DIR = '/opt/ml/input/data/code';

const known = (v: unknown): boolean => !(typeof v === 'string' ? Token.isUnresolved(v) : typeof v === 'number' && Token.isUnresolved(v));

/** Validate and throw with the bad value named; values that are CDK/JSONPath tokens are checked at run time by SageMaker. */
export function validateTrainingInput(input: TrainingRequestInput): void {
  const problems: string[] = [];
  const spot = input.spot ?? true;
  const runtime = input.maxRuntimeInSeconds;
  if (known(input.jobName) && !isJobName(input.jobName)) {
    problems.push(`jobName must be 1-63 letters, digits or hyphens (got ${JSON.stringify(input.jobName)}, ${input.jobName.length} characters)`);
  }
  if (known(runtime) && (!Number.isInteger(runtime) || runtime < 1 || runtime > MAX_RUNTIME_LIMIT)) {
    problems.push(`maxRuntimeInSeconds must be a whole number from 1 to ${MAX_RUNTIME_LIMIT} (got ${runtime})`);
  }
  const wait = input.maxWaitTimeInSeconds;
  if (wait !== undefined && known(wait) && (!Number.isInteger(wait) || wait < 1)) {
    problems.push(`maxWaitTimeInSeconds must be a whole number of seconds >= 1 (got ${wait})`);
  } else if (spot) {
    if (wait === undefined) {
      problems.push('maxWaitTimeInSeconds is required with Managed Spot Training (spot: true)');
    } else if (known(wait) && known(runtime)) {
      if (wait < runtime) {
        problems.push(`maxWaitTimeInSeconds must be >= maxRuntimeInSeconds (got ${wait} < ${runtime})`);
      }
      if (!checkpoints(input.algorithm) && wait > MAX_WAIT_WITHOUT_CHECKPOINTS) {
        problems.push(`maxWaitTimeInSeconds must be <= ${MAX_WAIT_WITHOUT_CHECKPOINTS} for an algorithm without checkpoints (got ${wait})`);
      }
    }
  } else if (wait !== undefined) {
    problems.push(`maxWaitTimeInSeconds applies only to Managed Spot Training; set spot: true or drop it (got ${wait})`);
  }
  const count = input.instanceCount ?? 1;
  if (known(count) && (!Number.isInteger(count) || count < 1)) {
    problems.push(`instanceCount must be a whole number >= 1 (got ${count})`);
  }
  const uris: Array<[string, string | undefined]> = [
    ['trainUri', input.trainUri], ['validationUri', input.validationUri], ['outputUri', input.outputUri], ['checkpointUri', input.checkpointUri],
    ['sourceDirUri', input.algorithm.kind === 'script' ? input.algorithm.sourceDirUri : undefined],
  ];
  for (const [name, uri] of uris) {
    if (uri !== undefined && known(uri) && !S3_URI.test(uri)) {
      problems.push(`${name} must be an s3:// URI (got ${JSON.stringify(uri)})`);
    }
  }
  if (input.subnetIds.length === 0) {
    problems.push('subnetIds must name at least one subnet: jobs run only inside the VPC');
  }
  if (input.securityGroupIds.length === 0) {
    problems.push('securityGroupIds must name at least one security group');
  }
  if (problems.length > 0) {
    throw new Error(`Invalid training request: ${problems.join('; ')}`);
  }
}

function checkpoints(algorithm: Algorithm): boolean {
  // Script-mode code in this project saves and resumes its own checkpoints (sagemaker/train.py).
  return algorithm.kind === 'script' || algorithm.supportsCheckpoints;
}

function hyperparameters(input: TrainingRequestInput): Record<string, string> {
  const hp: Record<string, string> = { ...input.hyperparameters };
  if (input.algorithm.kind === 'script') {
    // How the SageMaker framework containers find the user script. With network isolation the
    // container cannot fetch it from S3, so it arrives as the "code" channel (as the SageMaker
    // Python SDK does for network-isolated script mode).
    hp.sagemaker_program = JSON.stringify(input.algorithm.entryPoint);
    hp.sagemaker_submit_directory = JSON.stringify(`${CODE_CHANNEL_DIR}/sourcedir.tar.gz`);
  }
  return hp;
}

/**
 * The training-job definition without name and hyperparameters: shared by CreateTrainingJob and
 * by the tuning job's TrainingJobDefinition, so tuned jobs get the same spot, VPC and KMS settings.
 */
export function trainingDefinition(input: TrainingRequestInput): Omit<HyperParameterTrainingJobDefinition, 'StaticHyperParameters' | 'HyperParameterRanges' | 'TuningObjective'> {
  validateTrainingInput(input);
  const spot = input.spot ?? true;
  const channel = (name: string, uri: string) => ({
    ChannelName: name,
    ContentType: input.contentType ?? 'text/csv',
    InputMode: input.inputMode ?? 'File',
    DataSource: { S3DataSource: { S3DataType: 'S3Prefix' as const, S3Uri: uri, S3DataDistributionType: 'FullyReplicated' as const } },
  });
  return {
    AlgorithmSpecification: { TrainingImage: input.algorithm.image, TrainingInputMode: input.inputMode ?? 'File' },
    RoleArn: input.roleArn,
    InputDataConfig: [
      channel('train', input.trainUri),
      ...(input.validationUri !== undefined ? [channel('validation', input.validationUri)] : []),
      ...(input.algorithm.kind === 'script' ? [{
        ChannelName: 'code',
        InputMode: 'File' as const,
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix' as const, S3Uri: input.algorithm.sourceDirUri, S3DataDistributionType: 'FullyReplicated' as const } },
      }] : []),
    ],
    OutputDataConfig: { S3OutputPath: input.outputUri, KmsKeyId: input.kmsKeyId },
    ResourceConfig: {
      InstanceType: (input.instanceType ?? 'ml.m5.large') as never,
      InstanceCount: input.instanceCount ?? 1,
      VolumeSizeInGB: input.volumeSizeInGb ?? 10,
      VolumeKmsKeyId: input.kmsKeyId,
    },
    StoppingCondition: {
      MaxRuntimeInSeconds: input.maxRuntimeInSeconds,
      ...(spot ? { MaxWaitTimeInSeconds: input.maxWaitTimeInSeconds } : {}),
    },
    VpcConfig: { Subnets: [...input.subnetIds], SecurityGroupIds: [...input.securityGroupIds] },
    EnableNetworkIsolation: true,
    EnableInterContainerTrafficEncryption: true,
    EnableManagedSpotTraining: spot,
    CheckpointConfig: { S3Uri: input.checkpointUri, LocalPath: LOCAL_CHECKPOINT_DIR },
  };
}

/** The CreateTrainingJob request for one run. */
export function buildTrainingRequest(input: TrainingRequestInput): CreateTrainingJobRequest {
  const { AlgorithmSpecification, ...rest } = trainingDefinition(input);
  return {
    TrainingJobName: input.jobName,
    AlgorithmSpecification: AlgorithmSpecification!,
    HyperParameters: hyperparameters(input),
    ...rest,
  } as CreateTrainingJobRequest;
}

/** Static hyperparameters for a tuning job over the same definition (script mode needs its program). */
export function staticHyperparameters(input: TrainingRequestInput): Record<string, string> {
  return hyperparameters(input);
}
