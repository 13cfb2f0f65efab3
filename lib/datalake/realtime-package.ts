/**
 * The application zip of the real-time analytics: flink/realtime's Python and SQL plus the Kinesis
 * SQL connector JAR, fetched from Maven Central at the version and SHA-256 pinned in
 * flink/realtime/connector.json. Built as the asset's local bundling step, so only a synth that
 * bundles the DataLake stack with `-c datalake.realtime=true` needs Maven and the network: unit
 * tests, the docs generator and `cdk synth -e <another stack>` never run it (CDK skips bundling
 * for stacks outside `aws:cdk:bundling-stacks`).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const FLINK_REALTIME_DIR = path.join(__dirname, '../../flink/realtime');
/** Maven's local repository for the connector: a tool cache, like the bundle cache beside it. */
export const CONNECTOR_CACHE = path.join(__dirname, '../../node_modules/.cache/flink-connectors');
/** The files of flink/realtime the application runs (tests and the pin stay out of the zip). */
export const APPLICATION_FILES = ['main.py', 'job.py', 'analytics.sql'] as const;

/** A JAR on Maven Central, pinned by version and content. */
export interface MavenArtifact {
  readonly groupId: string;
  readonly artifactId: string;
  readonly version: string;
  /** SHA-256 of the JAR, 64 hex digits; null until someone has checked and pinned it. */
  readonly sha256: string | null;
}

export function loadConnectorPin(file = path.join(FLINK_REALTIME_DIR, 'connector.json')): MavenArtifact {
  const pin = JSON.parse(fs.readFileSync(file, 'utf8')) as MavenArtifact;
  for (const key of ['groupId', 'artifactId', 'version'] as const) {
    if (typeof pin[key] !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(pin[key])) {
      throw new Error(`${file}: ${key} must be a Maven coordinate (got ${JSON.stringify(pin[key])})`);
    }
  }
  if (pin.sha256 !== null && !/^[0-9a-f]{64}$/.test(String(pin.sha256))) {
    throw new Error(`${file}: sha256 must be 64 lowercase hex digits or null (got ${JSON.stringify(pin.sha256)})`);
  }
  return pin;
}

export const coordinates = (a: MavenArtifact) => `${a.groupId}:${a.artifactId}:${a.version}`;
export const jarName = (a: MavenArtifact) => `${a.artifactId}-${a.version}.jar`;

/** Where Maven puts the artifact in the local repository `repo`. */
export function jarInRepository(a: MavenArtifact, repo: string): string {
  return path.join(repo, ...a.groupId.split('.'), a.artifactId, a.version, jarName(a));
}

export function sha256Of(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Fetch one JAR with Maven into the local repository `repo`; returns its path. */
export type Fetcher = (artifact: MavenArtifact, repo: string) => string;

/**
 * `mvn dependency:get` of the JAR alone: Maven reads the user's settings.xml (mirrors, proxies)
 * and, with --strict-checksums, fails when the file does not match the checksum Maven Central
 * publishes beside it. The pinned SHA-256 is checked on top of that, by the caller.
 */
export const mavenFetch = (artifact: MavenArtifact, repo: string, mvn = 'mvn'): string => {
  const args = ['-B', '-q', '-U', '--strict-checksums', 'dependency:get', `-Dartifact=${coordinates(artifact)}:jar`,
    '-Dtransitive=false', `-Dmaven.repo.local=${repo}`];
  const run = spawnSync(mvn, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (run.error && (run.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(`-c datalake.realtime=true packages ${coordinates(artifact)} into the application and fetches it with Maven: install Maven (mvn) and Java, or put the JAR at ${jarInRepository(artifact, repo)}`);
  }
  if (run.status !== 0) {
    const output = `${run.stdout}${run.stderr}`.split('\n').filter((l) => /ERROR|Could not|not find/.test(l)).slice(0, 3).join('\n');
    throw new Error(`mvn could not fetch ${coordinates(artifact)} (exit ${run.status}):\n${output || run.stderr}`);
  }
  return jarInRepository(artifact, repo);
};

export interface ConnectorJarOptions {
  /** @default CONNECTOR_CACHE */
  readonly cacheDir?: string;
  /** @default mavenFetch */
  readonly fetch?: Fetcher;
}

/**
 * The pinned connector JAR, from the cache or fetched once, and only returned when its SHA-256 is
 * the pinned one. A JAR that does not match is an error naming both digests; a pin without a
 * SHA-256 is an error giving the digest of what Maven fetched, for a person to check and pin.
 */
export function connectorJar(pin: MavenArtifact, options: ConnectorJarOptions = {}): string {
  const repo = options.cacheDir ?? CONNECTOR_CACHE;
  let jar = jarInRepository(pin, repo);
  if (!fs.existsSync(jar)) {
    jar = (options.fetch ?? mavenFetch)(pin, repo);
    if (!fs.existsSync(jar)) {
      throw new Error(`Fetching ${coordinates(pin)} reported success but ${jar} does not exist`);
    }
  }
  const actual = sha256Of(jar);
  if (pin.sha256 === null) {
    throw new Error(`flink/realtime/connector.json pins no sha256 for ${coordinates(pin)}. The file Maven fetched (${jar}) has SHA-256 ${actual}: ` +
      'check it (e.g. against the .sha1 and the signature Maven Central publishes beside it) and write it into connector.json');
  }
  if (actual !== pin.sha256) {
    throw new Error(`${jar} has SHA-256 ${actual}, but flink/realtime/connector.json pins ${pin.sha256} for ${coordinates(pin)}: ` +
      'the download is not the pinned file (delete it to fetch again, or correct the pin if the version changed)');
  }
  return jar;
}

/** Lay out the application in `outputDir`: the Python and SQL at the root, the JAR under lib/. */
export function stageApplication(outputDir: string, jar: string, pin: MavenArtifact): void {
  for (const file of APPLICATION_FILES) {
    fs.copyFileSync(path.join(FLINK_REALTIME_DIR, file), path.join(outputDir, file));
  }
  fs.mkdirSync(path.join(outputDir, 'lib'), { recursive: true });
  fs.copyFileSync(jar, path.join(outputDir, 'lib', jarName(pin)));
}
