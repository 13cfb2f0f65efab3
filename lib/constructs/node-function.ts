import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, DockerImage, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BuildOptions } from 'esbuild';
import { acknowledge } from '../gates';
import { bundleWithCache, EntryOptions, HANDLER_EXPORT } from './bundle-cache';
import { SecureLogGroup } from './secure-log-group';
import { DeadLetterQueue } from './secure-queue';

/** The runtime every function in the project uses: the latest Node.js Lambda supports. */
export const NODE_RUNTIME = lambda.Runtime.NODEJS_24_X;

export interface NodeFunctionProps {
  /** Path to the handler file (exports `handler`). */
  readonly entry: string;
  /** Key for the log group, environment variables and the async dead-letter queue. */
  readonly encryptionKey: kms.IKey;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default - none */
  readonly environment?: Record<string, string>;
  /**
   * Reserved concurrency, to protect a downstream quota. Note: accounts with the new-account
   * concurrency limit of 10 cannot reserve any.
   * @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Why the function runs without reserved concurrency (recorded with the NIST LambdaConcurrency
   * acknowledgement), e.g. when an event source's maximum concurrency protects the quota instead.
   * @default - "no downstream quota to protect" and the new-account limit of 10
   */
  readonly unreservedConcurrencyReason?: string;
  /** @default - not in a VPC; pass one where the function must reach private resources */
  readonly vpc?: ec2.IVpc;
  /** @default - the VPC's isolated subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default - a new security group */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** Removal policy of the log group and dead-letter queue. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** @default 2 (the Lambda default) */
  readonly retryAttempts?: number;
  /**
   * Modules left out of the bundle, for the runtime's copy to provide.
   * @default LAMBDA_UNUSED_CREDENTIAL_SOURCES - the SDK v3 clients are bundled (see `NodeFunction`)
   */
  readonly externalModules?: string[];
  /**
   * Apply the bundle's source map to stack traces at run time (`NODE_OPTIONS=--enable-source-maps`).
   * Node then reads the map of the whole bundle at every cold start, which lengthens init
   * (docs/performance.md, "Lambda bundles"). Turn it on while debugging a function.
   * @default false - the map ships beside the bundle (index.mjs.map) for reading traces offline
   */
  readonly sourceMapsAtRuntime?: boolean;
}

/**
 * Credential sources of the SDK's default chain that never run on Lambda. Lambda puts the
 * function's credentials in environment variables, which the chain tries first; the others (SSO,
 * shared ini files, a credential process, web identity, container and instance metadata) are
 * loaded on demand with `import()`, so leaving them out of the bundle costs nothing there (the
 * runtime's SDK has them if one were ever asked for) and takes ~105 KB out of every bundle.
 */
export const LAMBDA_UNUSED_CREDENTIAL_SOURCES: readonly string[] = [
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@smithy/credential-provider-imds',
];

/**
 * The project's Lambda function: NodejsFunction bundled by local esbuild, pinned runtime, ARM64,
 * minified with a source map, X-Ray active tracing, an encrypted log group with retention, a role
 * with no managed policies, encrypted environment and a dead-letter queue for async invocations.
 *
 * The SDK v3 clients are bundled, not taken from the runtime: a handler that imports the runtime's
 * copy makes Node resolve and compile ~100 separate CommonJS files at cold start, slower than
 * loading one bundle (measured with `npm run bench`; figures in docs/performance.md, "Lambda bundles").
 */
export class NodeFunction extends Construct implements iam.IGrantable {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly grantPrincipal: iam.IPrincipal;
  public readonly logGroup: logs.ILogGroup;
  /** Where async invocations that fail every retry end up. */
  public readonly asyncDeadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.seconds(30);
    if (!timeout.isUnresolved() && timeout.toSeconds() > 900) {
      throw new Error(`${this.node.path}: timeout must be <= 900 seconds (got ${timeout.toSeconds()})`);
    }
    const reserved = props.reservedConcurrentExecutions;
    if (reserved !== undefined && !Token.isUnresolved(reserved) && reserved < 1) {
      throw new Error(`${this.node.path}: reservedConcurrentExecutions must be >= 1 (got ${reserved})`);
    }
    if (!fs.existsSync(props.entry)) {
      throw new Error(`${this.node.path}: entry file not found (got ${props.entry})`);
    }
    if (!HANDLER_EXPORT.test(fs.readFileSync(props.entry, 'utf8'))) {
      throw new Error(`${this.node.path}: entry must export \`handler\` (export const handler = ... or export async function handler) (got ${props.entry})`);
    }
    const logGroup = new SecureLogGroup(this, 'LogGroup', {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const deadLetterQueue = new DeadLetterQueue(this, 'AsyncDeadLetterQueue', {
      encryptionKey: props.encryptionKey,
      removalPolicy: props.removalPolicy,
    });
    // A role of our own, so no AWSLambdaBasicExecutionRole (its logs:* on every log group).
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    logGroup.grantWrite(role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      runtime: NODE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      timeout,
      memorySize: props.memorySize ?? 256,
      environment: { ...(props.sourceMapsAtRuntime ? { NODE_OPTIONS: '--enable-source-maps' } : {}), ...props.environment },
      environmentEncryption: props.encryptionKey,
      reservedConcurrentExecutions: reserved,
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      role,
      deadLetterQueueEnabled: true,
      deadLetterQueue,
      retryAttempts: props.retryAttempts,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? (props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }) : undefined,
      securityGroups: props.securityGroups,
      code: bundledCode(props.entry, [...(props.externalModules ?? LAMBDA_UNUSED_CREDENTIAL_SOURCES)]),
      handler: 'index.handler',
    });
    this.asyncDeadLetterQueue = deadLetterQueue;
    this.role = role;
    this.grantPrincipal = role;
    this.logGroup = logGroup;
    if (props.vpc) {
      // ENI management for a function in a VPC; these EC2 actions have no resource-level scoping.
      role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'));
      acknowledge(role, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        'AWS-maintained policy for Lambda ENI management in a VPC; its EC2 network-interface actions do not support resource-level permissions');
    } else {
      const reason = `Calls only AWS APIs (TLS + IAM); a VPC would need an interface endpoint per service per AZ (~$7.30/month each) for no gain in ${Stack.of(this).stackName}`;
      acknowledge(this.function, 'NIST.800.53.R5-LambdaInsideVPC', reason);
      acknowledge(this.function, 'guard:lambda_inside_vpc_check', reason);
    }
    acknowledge(role, 'NIST.800.53.R5-IAMNoInlinePolicy',
      'The policy CDK grants write is attached to this one role and scoped to named resources; a managed policy would hold the same statements');
    // Lambda adds these for X-Ray tracing; the two X-Ray write actions have no resource-level permissions.
    acknowledge(role, 'AwsSolutions-IAM5[Resource::*]',
      'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, nor do the service calls a handler adds on "*" (test/app.test.ts checks every Resource "*" action against an allow-list with the reason for each)');
    if (reserved === undefined) {
      acknowledge(this.function, 'NIST.800.53.R5-LambdaConcurrency', props.unreservedConcurrencyReason ??
        'No downstream quota to protect; reserving concurrency fails to deploy in new accounts whose limit is 10');
    }
  }
}

/** The project root: bundles resolve dependencies from its node_modules. */
const PROJECT_ROOT = path.resolve(__dirname, '../..');

/** esbuild options of a function's bundle (also used by `npm run bench` to compare variants). */
export function bundleOptions(entry: string, externals: string[]): BuildOptions {
  return {
    entryPoints: [path.resolve(entry)],
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    external: externals,
    // ESM bundles of CommonJS dependencies need a real `require`.
    banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
    logLevel: 'warning',
  };
}

/** Where bundles are kept between synths (a tool cache, like others under node_modules/.cache). */
export const BUNDLE_CACHE = path.join(PROJECT_ROOT, 'node_modules/.cache/node-function');

/**
 * The function's code: `entry` bundled by esbuild's API inside the synth process. NodejsFunction's
 * own bundling starts esbuild through `npx` for every function, and npx's start-up (0.3-0.5 s)
 * is nearly all of that cost when the SDK is external. With the SDK bundled, esbuild itself takes
 * 150-250 ms per function, so bundles are built with their sibling handlers and kept between
 * synths in `BUNDLE_CACHE` (see bundleWithCache).
 * The output is the file NodejsFunction writes (ESM index.mjs, minified, source map).
 * CDK still decides when to bundle: never for stacks outside `aws:cdk:bundling-stacks` (unit tests,
 * `cdk synth -e <Stack>`), and once per entry and options (the command below is the cache key).
 */
function bundledCode(entry: string, externals: string[]): lambda.Code {
  const options = bundleOptions(entry, externals);
  return lambda.Code.fromAsset(PROJECT_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never pulled: local bundling always succeeds or throws. Required by the BundlingOptions type.
      image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs24.x'),
      command: ['esbuild', JSON.stringify(options)],
      local: {
        tryBundle(outputDir: string): boolean {
          bundleWithCache({ ...options, absWorkingDir: PROJECT_ROOT } as EntryOptions, outputDir, BUNDLE_CACHE);
          return true;
        },
      },
    },
  });
}
