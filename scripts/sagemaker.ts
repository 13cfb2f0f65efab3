/**
 * SageMaker platform CLI: start a training job from a laptop against the deployed stack (the same
 * request the state machine builds), follow it, print spot savings; upload the script-mode code;
 * invoke the endpoint.
 *
 *   npm run sagemaker -- upload-code
 *   npm run sagemaker -- train --run-name churn-1 [--algorithm builtin|script] [--max-runtime 3600]
 *       [--max-wait 7200] [--on-demand] [--input-mode File|Pipe] [--instance-type ml.m5.large] [--hp max_depth=6]
 *   npm run sagemaker -- invoke --record 0.1,1.2,...
 * Options for all: --stack SageMakerPlatform --region <region> (default AWS_REGION)
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { invoke, readOutputs, trainAndFollow, trainingRequestFromOutputs } from '../lib/sagemaker/cli';

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: {
      stack: { type: 'string', default: 'SageMakerPlatform' },
      region: { type: 'string', default: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION },
      'run-name': { type: 'string' },
      algorithm: { type: 'string', default: 'builtin' },
      'max-runtime': { type: 'string', default: '3600' },
      'max-wait': { type: 'string' },
      'on-demand': { type: 'boolean', default: false },
      'input-mode': { type: 'string', default: 'File' },
      'instance-type': { type: 'string', default: 'ml.m5.large' },
      hp: { type: 'string', multiple: true, default: [] },
      record: { type: 'string' },
    },
  });
  const region = values.region;
  if (!region) throw new Error('Set --region or AWS_REGION');
  const outputs = await readOutputs(new CloudFormationClient({ region }), values.stack!);

  if (command === 'upload-code') {
    // sourcedir.tar.gz holds train.py and preprocess.py at its root, as the framework container expects.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sourcedir-'));
    const archive = path.join(tmp, 'sourcedir.tar.gz');
    execFileSync('tar', ['-czf', archive, '-C', path.join(__dirname, '..', 'sagemaker'), 'train.py', 'preprocess.py']);
    const [, bucket, ...key] = outputs.SourceDirUri.replace('s3://', '/').split('/');
    await new S3Client({ region }).send(new PutObjectCommand({ Bucket: bucket, Key: key.join('/'), Body: fs.readFileSync(archive) }));
    console.log(`Uploaded ${outputs.SourceDirUri}`);
  } else if (command === 'train') {
    const runName = values['run-name'];
    if (!runName) throw new Error('train needs --run-name <letters, digits, hyphens>');
    if (values.algorithm !== 'builtin' && values.algorithm !== 'script') throw new Error(`--algorithm must be builtin or script (got ${values.algorithm})`);
    if (values['input-mode'] !== 'File' && values['input-mode'] !== 'Pipe') throw new Error(`--input-mode must be File or Pipe (got ${values['input-mode']})`);
    const hyperparameters = Object.fromEntries(values.hp!.map((kv) => {
      const [k, v] = kv.split('=');
      if (!k || v === undefined) throw new Error(`--hp must be name=value (got ${kv})`);
      return [k, v];
    }));
    const request = trainingRequestFromOutputs(outputs, {
      region, runName, algorithm: values.algorithm, spot: !values['on-demand'], inputMode: values['input-mode'],
      instanceType: values['instance-type']!, hyperparameters,
      maxRuntimeInSeconds: Number(values['max-runtime']),
      maxWaitTimeInSeconds: values['max-wait'] === undefined ? undefined : Number(values['max-wait']),
    });
    await trainAndFollow(new SageMakerClient({ region }), request, { pollMs: 30_000, print: (l) => console.log(`${new Date().toISOString()} ${l}`) });
  } else if (command === 'invoke') {
    if (!outputs.EndpointName) throw new Error('The stack has no endpoint: deploy with -c sagemaker.endpoint=true -c sagemaker.modelDataUrl=...');
    if (!values.record) throw new Error('invoke needs --record <comma-separated features>');
    console.log(await invoke(new SageMakerRuntimeClient({ region }), outputs.EndpointName, values.record));
  } else {
    throw new Error(`Unknown command ${JSON.stringify(command)}: use upload-code, train or invoke`);
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
