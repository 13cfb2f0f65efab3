import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';

/** The two ways this project deploys. */
export type ProfileName = 'sandbox' | 'production';

/**
 * Everything that differs between a throw-away sandbox and a production deployment.
 * Stacks read these values and pass them down as ordinary construct props, so each
 * construct stays usable on its own (constructs default to the production-safe choice).
 */
export interface DeploymentProfile {
  readonly name: ProfileName;
  /** Removal policy for resources that hold data (buckets, keys, tables, log groups). */
  readonly removalPolicy: RemovalPolicy;
  /** Empty buckets on stack deletion so `cdk destroy` leaves nothing billable. */
  readonly autoDeleteObjects: boolean;
  /**
   * Log retention. One year in both profiles: the Control Tower rule CT.CLOUDWATCH.PR.2
   * requires at least a year; sandbox log groups are deleted with the stack anyway.
   */
  readonly logRetention: logs.RetentionDays;
  /** Availability zones for VPCs and anything else that spreads across AZs. */
  readonly maxAzs: number;
  /** Turn on deletion protection where a service has it. */
  readonly deletionProtection: boolean;
  /** How long non-current object versions are kept. */
  readonly noncurrentVersionExpiration: Duration;
  /** KMS key deletion waiting period (7 is the minimum AWS allows). */
  readonly keyPendingWindow: Duration;
  /** Data lake: how long Firehose buffers before it writes a Parquet file (60-900 s). */
  readonly deliveryBufferInterval: Duration;
  /** Data lake: schedule of the landing-CSV crawler (a Glue cron expression), none to run it on demand. */
  readonly crawlerSchedule?: string;
  /** Data lake: the most the EMR Serverless application may run at once (caps a runaway job's cost). */
  readonly sparkMaximumCapacity: { readonly cpu: string; readonly memory: string };
  /** Data lake, real-time opt-in: let Managed Service for Apache Flink add KPUs under load. */
  readonly realtimeAutoScaling: boolean;
  /** SageMaker opt-in endpoint: instances at rest and at most (auto scaling). */
  readonly endpointInstances: { readonly min: number; readonly max: number };
}

export const PROFILES: Readonly<Record<ProfileName, DeploymentProfile>> = {
  sandbox: {
    name: 'sandbox',
    removalPolicy: RemovalPolicy.DESTROY,
    autoDeleteObjects: true,
    logRetention: logs.RetentionDays.ONE_YEAR,
    maxAzs: 1,
    deletionProtection: false,
    noncurrentVersionExpiration: Duration.days(7),
    keyPendingWindow: Duration.days(7),
    // See data quickly: a file a minute.
    deliveryBufferInterval: Duration.seconds(60),
    // Every crawl bills: run it on demand.
    crawlerSchedule: undefined,
    sparkMaximumCapacity: { cpu: '8 vCPU', memory: '32 GB' },
    realtimeAutoScaling: false,
    endpointInstances: { min: 1, max: 2 },
  },
  production: {
    name: 'production',
    removalPolicy: RemovalPolicy.RETAIN,
    autoDeleteObjects: false,
    logRetention: logs.RetentionDays.ONE_YEAR,
    maxAzs: 2,
    deletionProtection: true,
    noncurrentVersionExpiration: Duration.days(90),
    keyPendingWindow: Duration.days(30),
    // Fewer, larger files.
    deliveryBufferInterval: Duration.seconds(300),
    crawlerSchedule: 'cron(0 3 * * ? *)',
    sparkMaximumCapacity: { cpu: '64 vCPU', memory: '256 GB' },
    realtimeAutoScaling: true,
    // One instance in each of the two AZs, so an AZ can fail without an outage.
    endpointInstances: { min: 2, max: 4 },
  },
};

/**
 * The one line to print when a synth pins an account but names no profile: the default is sandbox,
 * whose DESTROY policies delete data with the stack, which is not what a real account may want.
 */
export function defaultProfileNotice(profileContext: unknown, account: string | undefined): string | undefined {
  if (account === undefined || (profileContext !== undefined && profileContext !== null && profileContext !== '')) {
    return undefined;
  }
  return `No -c profile given: account ${account} gets the sandbox profile (everything deleted with the stack, buckets emptied); pass -c profile=production to keep data`;
}

/** Resolve `-c profile=<name>`; missing means sandbox, anything unknown is an error naming the value. */
export function profileFromContext(value: unknown): DeploymentProfile {
  if (value === undefined || value === null || value === '') {
    return PROFILES.sandbox;
  }
  if (typeof value === 'string' && Object.prototype.hasOwnProperty.call(PROFILES, value)) {
    return PROFILES[value as ProfileName];
  }
  throw new Error(
    `Unknown deployment profile ${JSON.stringify(value)}: use -c profile=sandbox or -c profile=production`,
  );
}
