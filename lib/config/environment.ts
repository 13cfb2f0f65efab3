import { Environment } from 'aws-cdk-lib';
import { knownRegions } from './regions';

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

/** Where the context and environment values come from, so tests can pass their own. */
export interface EnvironmentSources {
  readonly contextAccount?: unknown;
  readonly contextRegion?: unknown;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The deployment environment: `-c account=... -c region=...` first, then the CDK_DEPLOY_ACCOUNT /
 * CDK_DEPLOY_REGION variables. With neither, stacks stay environment-agnostic so `cdk synth`
 * needs no credentials and no network. Both or neither: a half-pinned environment is an error.
 */
export function environmentFrom(sources: EnvironmentSources): Environment | undefined {
  const env = sources.env ?? {};
  const account = asString(sources.contextAccount, 'account') ?? env.CDK_DEPLOY_ACCOUNT;
  const region = asString(sources.contextRegion, 'region') ?? env.CDK_DEPLOY_REGION;
  if (account === undefined && region === undefined) {
    return undefined;
  }
  if (account === undefined || region === undefined) {
    throw new Error(
      `Pin both account and region or neither (got account=${account ?? '<unset>'}, region=${region ?? '<unset>'})`,
    );
  }
  if (!ACCOUNT.test(account)) {
    throw new Error(`Account must be 12 digits (got ${JSON.stringify(account)})`);
  }
  if (!REGION.test(region)) {
    throw new Error(`Region must look like eu-west-1 (got ${JSON.stringify(region)})`);
  }
  if (!knownRegions().includes(region)) {
    throw new Error(`Region ${JSON.stringify(region)} is not in aws-cdk-lib's table of AWS regions (region-info): check the spelling`);
  }
  return { account, region };
}

function asString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new Error(`Context ${name} must be a string (got ${JSON.stringify(value)})`);
  }
  return String(value);
}
