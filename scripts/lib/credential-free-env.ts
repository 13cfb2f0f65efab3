/** The environment the project's own commands run in when they must not reach AWS. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface CredentialFreeEnvOptions {
  /** The CDK CLI's user settings, written to ~/.cdk.json of a home of its own (e.g. `{ output: 'cdk.out.x' }`). */
  readonly cdkUserSettings: Record<string, unknown>;
  /** Variables of the caller's environment to leave out besides AWS_*, CDK_DEPLOY_* and HOME. @default - none */
  readonly drop?: string[];
  /** Point every SDK endpoint at a closed local port, so even a found credential reaches nothing. @default false */
  readonly closedEndpoints?: boolean;
  /** Prefix of the temporary home directory. */
  readonly homePrefix: string;
}

/**
 * An environment with no way to find AWS credentials: no AWS_* or CDK_DEPLOY_* variables, a
 * fresh home (no ~/.aws, no SSO cache) whose config and credentials files do not exist, and no
 * instance metadata. npm keeps the caller's cache, so npx needs no download.
 */
export function credentialFreeEnv(options: CredentialFreeEnvOptions): NodeJS.ProcessEnv {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), options.homePrefix));
  fs.writeFileSync(path.join(home, '.cdk.json'), JSON.stringify(options.cdkUserSettings));
  const dropped = new Set(['HOME', ...(options.drop ?? [])]);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('AWS_') && !k.startsWith('CDK_DEPLOY_') && !dropped.has(k)) {
      env[k] = v;
    }
  }
  return {
    ...env,
    HOME: home,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: path.join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
    ...(options.closedEndpoints ? { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' } : {}),
    npm_config_cache: path.join(os.homedir(), '.npm'),
  };
}
