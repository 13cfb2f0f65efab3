/**
 * SageMaker platform CLI: start a training job from a laptop against the deployed stack (the same
 * request the state machine builds), follow it, print spot savings; upload the code the jobs run;
 * show a run's evaluation; rank a tuning job's training jobs; invoke the endpoint.
 *
 *   npm run sagemaker -- upload-code
 *   npm run sagemaker -- train --run-name churn-1 [--algorithm script|builtin] [--max-runtime 3600]
 *       [--max-wait 7200] [--on-demand] [--input-mode File|Pipe] [--instance-type ml.m5.large] [--hp max-depth=6]
 *   npm run sagemaker -- evaluation --training-job run-3-0
 *   npm run sagemaker -- leaderboard --tuning-job tune-1
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
import {
  evaluationLines, invoke, leaderboard, leaderboardLines, parseWholeSeconds, readEvaluation, readOutputs, trainAndFollow, trainingRequestFromOutputs,
} from '../lib/sagemaker/cli';

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: {
      stack: { type: 'string', default: 'SageMakerPlatform' },
      region: { type: 'string', default: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION },
      'run-name': { type: 'string' },
      algorithm: { type: 'string', default: 'script' },
      'max-runtime': { type: 'string', default: '3600' },
      'max-wait': { type: 'string' },
      'on-demand': { type: 'boolean', default: false },
      'input-mode': { type: 'string', default: 'File' },
      'instance-type': { type: 'string', default: 'ml.m5.large' },
      hp: { type: 'string', multiple: true, default: [] },
      record: { type: 'string' },
      'training-job': { type: 'string' },
      'tuning-job': { type: 'string' },
    },
  });
  const region = values.region;
  if (!region) throw new Error('Set --region or AWS_REGION');
  const outputs = await readOutputs(new CloudFormationClient({ region }), values.stack!);

  if (command === 'upload-code') {
    // sourcedir.tar.gz holds train.py and preprocess.py at its root, as the framework container
    // expects; evaluate.py goes alone under its prefix, the processing job's code input.
    const sagemakerDir = path.join(__dirname, '..', 'sagemaker');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sourcedir-'));
    const archive = path.join(tmp, 'sourcedir.tar.gz');
    execFileSync('tar', ['-czf', archive, '-C', sagemakerDir, 'train.py', 'preprocess.py']);
    const s3 = new S3Client({ region });
    for (const [uri, body] of [[outputs.SourceDirUri, archive], [`${outputs.EvaluationCodeUri}evaluate.py`, path.join(sagemakerDir, 'evaluate.py')]]) {
      const [, bucket, ...key] = uri.replace('s3://', '/').split('/');
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key.join('/'), Body: fs.readFileSync(body) }));
      console.log(`Uploaded ${uri}`);
    }
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
      maxRuntimeInSeconds: parseWholeSeconds('--max-runtime', values['max-runtime'])!,
      maxWaitTimeInSeconds: parseWholeSeconds('--max-wait', values['max-wait']),
    });
    await trainAndFollow(new SageMakerClient({ region }), request, { pollMs: 30_000, print: (l) => console.log(`${new Date().toISOString()} ${l}`) });
  } else if (command === 'evaluation') {
    if (!values['training-job']) throw new Error('evaluation needs --training-job <name> (the TrainingJobName in the execution output)');
    const { prefix, evaluation } = await readEvaluation(new S3Client({ region }), outputs, values['training-job']);
    console.log(evaluationLines(prefix, evaluation).join('\n'));
  } else if (command === 'leaderboard') {
    if (!values['tuning-job']) throw new Error('leaderboard needs --tuning-job <name> (the runName of a tuning execution)');
    console.log(leaderboardLines(await leaderboard(new SageMakerClient({ region }), values['tuning-job'])).join('\n'));
  } else if (command === 'invoke') {
    if (!outputs.EndpointName) throw new Error('The stack has no endpoint: deploy with -c sagemaker.endpoint=true -c sagemaker.modelDataUrl=...');
    if (!values.record) throw new Error('invoke needs --record <comma-separated features>');
    console.log(await invoke(new SageMakerRuntimeClient({ region }), outputs.EndpointName, values.record));
  } else {
    throw new Error(`Unknown command ${JSON.stringify(command)}: use upload-code, train, evaluation, leaderboard or invoke`);
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
