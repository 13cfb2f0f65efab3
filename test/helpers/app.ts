import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { DeploymentProfile, PROFILES } from '../../lib/config/profile';
import { addGates, Finding, readFindings } from '../../lib/gates';

const CDK_JSON_CONTEXT = (JSON.parse(fs.readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
}).context;

export interface TestAppOptions {
  /** Add cdk-nag and the guard rules. @default true */
  readonly gates?: boolean;
  /** Run aws-cdk-lib's builtin CloudFormation validation (slow: ~2.5 s). @default false */
  readonly builtinValidation?: boolean;
  readonly context?: Record<string, unknown>;
}

/**
 * An App like the real one (cdk.json feature flags, gates) minus the slow parts: no Lambda
 * bundling and no builtin CloudFormation validation, which the end-to-end synth in CI runs.
 */
export function testApp(options: TestAppOptions = {}): App {
  const app = new App({
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-test-')),
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...options.context },
    builtinCloudFormationValidation: options.builtinValidation ?? false,
  });
  if (options.gates ?? true) {
    addGates(app, { builtinValidation: options.builtinValidation ?? false });
  }
  return app;
}

/** Synthesize and return every unacknowledged finding of every gate. */
export function findingsOf(app: App): Finding[] {
  try {
    app.synth();
  } catch (err) {
    if (!/ValidationFailed|Validation failed/.test(String(err))) {
      throw err;
    }
  }
  return readFindings(app.outdir);
}

/** Findings as "rule @ path" lines, so a failing assertion shows what to fix. */
export function describeFindings(findings: Finding[]): string[] {
  return findings.map((f) => `${f.plugin} ${f.rule} @ ${f.path}`);
}

export const SANDBOX: DeploymentProfile = PROFILES.sandbox;
export const PRODUCTION: DeploymentProfile = PROFILES.production;

/** Template of the stack that holds `scope`. */
export function templateOf(scope: Construct): Template {
  return Template.fromStack(Stack.of(scope));
}
