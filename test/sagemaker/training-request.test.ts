import { JsonPath } from 'aws-cdk-lib/aws-stepfunctions';
import {
  buildTrainingRequest,
  isTuningJobName,
  MAX_WAIT_WITHOUT_CHECKPOINTS,
  staticHyperparameters,
  TrainingRequestInput,
  validateTuningJobName,
} from '../../lib/sagemaker/training-request';
import { buildEvaluationRequest } from '../../lib/sagemaker/evaluation-request';
import { sklearnImage, xgboostImage } from '../../lib/sagemaker/images';

const BASE: TrainingRequestInput = {
  jobName: 'churn-2026-11-25',
  roleArn: 'arn:aws:iam::111122223333:role/SageMakerExecution',
  algorithm: { kind: 'builtin', image: xgboostImage('eu-west-1'), supportsCheckpoints: true },
  hyperparameters: { objective: 'binary:logistic', num_round: '100' },
  trainUri: 's3://training-data/curated/train/',
  validationUri: 's3://training-data/curated/validation/',
  outputUri: 's3://models/output/',
  checkpointUri: 's3://checkpoints/churn-2026-11-25/',
  maxRuntimeInSeconds: 1800,
  maxWaitTimeInSeconds: 3600,
  subnetIds: ['subnet-1'],
  securityGroupIds: ['sg-1'],
  kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/abc',
};

describe('buildTrainingRequest', () => {
  it('asks for Managed Spot Training with checkpoints, VPC, network isolation and KMS', () => {
    expect(buildTrainingRequest(BASE)).toEqual(expect.objectContaining({
      TrainingJobName: 'churn-2026-11-25',
      EnableManagedSpotTraining: true,
      StoppingCondition: { MaxRuntimeInSeconds: 1800, MaxWaitTimeInSeconds: 3600 },
      CheckpointConfig: { S3Uri: 's3://checkpoints/churn-2026-11-25/', LocalPath: '/opt/ml/checkpoints' },
      VpcConfig: { Subnets: ['subnet-1'], SecurityGroupIds: ['sg-1'] },
      EnableNetworkIsolation: true,
      EnableInterContainerTrafficEncryption: true,
      OutputDataConfig: { S3OutputPath: 's3://models/output/', KmsKeyId: BASE.kmsKeyId },
      ResourceConfig: expect.objectContaining({ VolumeKmsKeyId: BASE.kmsKeyId, InstanceCount: 1 }),
      AlgorithmSpecification: { TrainingImage: '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1', TrainingInputMode: 'File' },
    }));
  });

  it('takes the input mode as a parameter (Pipe streams the channel instead of copying it)', () => {
    const req = buildTrainingRequest({ ...BASE, inputMode: 'Pipe', contentType: 'application/x-recordio-protobuf' });
    expect(req.AlgorithmSpecification?.TrainingInputMode).toBe('Pipe');
    expect(req.InputDataConfig?.map((c) => [c.ChannelName, c.InputMode, c.ContentType])).toEqual([
      ['train', 'Pipe', 'application/x-recordio-protobuf'],
      ['validation', 'Pipe', 'application/x-recordio-protobuf'],
    ]);
  });

  it('rejects MaxWait < MaxRuntime with the two values named', () => {
    expect(() => buildTrainingRequest({ ...BASE, maxRuntimeInSeconds: 7200, maxWaitTimeInSeconds: 3600 }))
      .toThrow('maxWaitTimeInSeconds must be >= maxRuntimeInSeconds (got 3600 < 7200)');
  });

  it('caps the wait at 3600 s for an algorithm without checkpoints, not for one with them', () => {
    const noCheckpoints = { ...BASE, algorithm: { kind: 'builtin' as const, image: 'x', supportsCheckpoints: false } };
    expect(() => buildTrainingRequest({ ...noCheckpoints, maxWaitTimeInSeconds: 7200 }))
      .toThrow(`maxWaitTimeInSeconds must be <= ${MAX_WAIT_WITHOUT_CHECKPOINTS} for an algorithm without checkpoints (got 7200)`);
    expect(buildTrainingRequest({ ...noCheckpoints, maxWaitTimeInSeconds: 3600 }).StoppingCondition?.MaxWaitTimeInSeconds).toBe(3600);
    expect(buildTrainingRequest({ ...BASE, maxWaitTimeInSeconds: 7200 }).StoppingCondition?.MaxWaitTimeInSeconds).toBe(7200);
  });

  it('requires a wait with spot and refuses one without', () => {
    expect(() => buildTrainingRequest({ ...BASE, maxWaitTimeInSeconds: undefined }))
      .toThrow('maxWaitTimeInSeconds is required with Managed Spot Training');
    expect(() => buildTrainingRequest({ ...BASE, spot: false })).toThrow('applies only to Managed Spot Training; set spot: true or drop it (got 3600)');
    const onDemand = buildTrainingRequest({ ...BASE, spot: false, maxWaitTimeInSeconds: undefined });
    expect(onDemand.EnableManagedSpotTraining).toBe(false);
    expect(onDemand.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 1800 });
  });

  it('names every bad value: job name, URIs, counts, subnets', () => {
    expect(() => buildTrainingRequest({ ...BASE, jobName: 'bad_name!', trainUri: 'https://x', instanceCount: 0, subnetIds: [] }))
      .toThrow(/jobName must be 1-63 letters, digits or hyphens \(got "bad_name!", 9 characters\); instanceCount must be a whole number >= 1 \(got 0\); trainUri must be an s3:\/\/ URI \(got "https:\/\/x"\); subnetIds must name at least one subnet/);
    expect(() => buildTrainingRequest({ ...BASE, maxRuntimeInSeconds: 3_000_000, maxWaitTimeInSeconds: 3_000_000 }))
      .toThrow('maxRuntimeInSeconds must be a whole number from 1 to 2419200 (got 3000000)');
  });

  it('refuses a job name SageMaker would refuse: hyphens count towards the 63 characters', () => {
    const hyphens = `a${'-b'.repeat(31)}`; // 63 characters: the longest valid name
    expect(buildTrainingRequest({ ...BASE, jobName: hyphens }).TrainingJobName).toBe(hyphens);
    expect(() => buildTrainingRequest({ ...BASE, jobName: `${hyphens}c` })).toThrow(`jobName must be 1-63 letters, digits or hyphens (got "${hyphens}c", 64 characters)`);
    for (const bad of ['-run', 'run-', 'run_1', '']) {
      expect(() => buildTrainingRequest({ ...BASE, jobName: bad })).toThrow(`jobName must be 1-63 letters, digits or hyphens (got ${JSON.stringify(bad)}`);
    }
    expect(isTuningJobName('tune-2026-11-25-bayesian-depth')).toBe(true);
    expect(isTuningJobName('tune-2026-11-25-bayesian-max-depth')).toBe(false); // 34 characters
    expect(() => validateTuningJobName('tune_1')).toThrow('A tuning job name must be 1-32 letters, digits or hyphens, starting with a letter or digit (got "tune_1", 6 characters)');
  });

  it('takes MaxRuntime and MaxWait as whole seconds only', () => {
    for (const wait of [7200.5, Number.NaN, 0, -1]) {
      expect(() => buildTrainingRequest({ ...BASE, maxWaitTimeInSeconds: wait })).toThrow(`maxWaitTimeInSeconds must be a whole number of seconds >= 1 (got ${wait})`);
    }
    for (const runtime of [1800.5, Number.NaN, 0]) {
      expect(() => buildTrainingRequest({ ...BASE, maxRuntimeInSeconds: runtime })).toThrow(`maxRuntimeInSeconds must be a whole number from 1 to 2419200 (got ${runtime})`);
    }
  });

  it('passes script mode its program and source directory as the framework containers expect', () => {
    const script = { ...BASE, algorithm: { kind: 'script' as const, image: 'img', sourceDirUri: 's3://models/code/sourcedir.tar.gz', entryPoint: 'train.py' } };
    expect(buildTrainingRequest(script).HyperParameters).toEqual({
      objective: 'binary:logistic', num_round: '100',
      sagemaker_program: '"train.py"', sagemaker_submit_directory: '"/opt/ml/input/data/code/sourcedir.tar.gz"',
    });
    // Network isolation: the code reaches the container as a channel, not by a download.
    expect(buildTrainingRequest(script).InputDataConfig?.find((c) => c.ChannelName === 'code')).toEqual({
      ChannelName: 'code', InputMode: 'File',
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://models/code/sourcedir.tar.gz', S3DataDistributionType: 'FullyReplicated' } },
    });
    expect(staticHyperparameters(script).sagemaker_program).toBe('"train.py"');
    // Script mode checkpoints itself: no 3600 s cap.
    expect(buildTrainingRequest({ ...script, maxWaitTimeInSeconds: 7200 }).StoppingCondition?.MaxWaitTimeInSeconds).toBe(7200);
  });

  it('leaves tokens (JSONPath in the state machine) to be checked at run time', () => {
    const req = buildTrainingRequest({ ...BASE, jobName: JsonPath.stringAt('$.runName'), trainUri: JsonPath.stringAt('$.trainUri') });
    expect(req.TrainingJobName).toMatch(/\$\{Token/);
  });
});

describe('buildEvaluationRequest', () => {
  const INPUT = {
    jobName: 'run-1', roleArn: BASE.roleArn, image: xgboostImage('eu-west-1'), codeUri: 's3://models/code/evaluation/',
    scoredUri: 's3://inference/batch-output/run-1/', outputUri: 's3://models/training-output/run-1-0/evaluation/',
    kmsKeyId: BASE.kmsKeyId, subnetIds: ['subnet-1'], securityGroupIds: ['sg-1'],
  };

  it('runs evaluate.py from its code input, in the VPC, isolated, encrypted, writing next to the model', () => {
    expect(buildEvaluationRequest(INPUT)).toEqual(expect.objectContaining({
      ProcessingJobName: 'run-1',
      AppSpecification: {
        ImageUri: '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1',
        ContainerEntrypoint: ['python3', '/opt/ml/processing/code/evaluate.py'],
        ContainerArguments: ['--scored-dir', '/opt/ml/processing/scored', '--output-dir', '/opt/ml/processing/evaluation', '--threshold', '0.5'],
      },
      ProcessingOutputConfig: { Outputs: [{ OutputName: 'evaluation', S3Output: { S3Uri: INPUT.outputUri, LocalPath: '/opt/ml/processing/evaluation', S3UploadMode: 'EndOfJob' } }], KmsKeyId: BASE.kmsKeyId },
      NetworkConfig: { EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true, VpcConfig: { Subnets: ['subnet-1'], SecurityGroupIds: ['sg-1'] } },
      StoppingCondition: { MaxRuntimeInSeconds: 1800 },
    }));
  });

  it('names every bad value', () => {
    expect(() => buildEvaluationRequest({ ...INPUT, jobName: 'run_1', maxRuntimeInSeconds: 60.5, threshold: 1, subnetIds: [] }))
      .toThrow('Invalid evaluation request: jobName must be 1-63 letters, digits or hyphens (got "run_1"); maxRuntimeInSeconds must be a whole number >= 1 (got 60.5); threshold must be between 0 and 1, exclusive (got 1); subnetIds and securityGroupIds must be given');
  });
});

describe('image table', () => {
  it('gives the regional XGBoost and scikit-learn images', () => {
    expect(xgboostImage('us-east-1')).toBe('683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1');
    expect(xgboostImage('eu-central-1')).toBe('492215442770.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-xgboost:1.7-1');
    expect(sklearnImage('us-west-2')).toBe('246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3');
  });

  it('names an unknown region', () => {
    expect(() => xgboostImage('xx-nowhere-1')).toThrow(/No SageMaker sagemaker-xgboost image registry known for region "xx-nowhere-1"/);
  });
});
