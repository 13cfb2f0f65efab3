import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  APPLICATION_FILES, connectorJar, jarInRepository, loadConnectorPin, MavenArtifact, mavenFetch, stageApplication,
} from '../../lib/datalake/realtime-package';

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
const coords = { groupId: 'org.example', artifactId: 'connector', version: '6.0.1-2.0' };
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

function put(repo: string, artifact: MavenArtifact, content: string): string {
  const jar = jarInRepository(artifact, repo);
  fs.mkdirSync(path.dirname(jar), { recursive: true });
  fs.writeFileSync(jar, content);
  return jar;
}

describe('the pin', () => {
  it('names the Flink 2.x Kinesis SQL connector Managed Service for Apache Flink lists for Flink 2.2', () => {
    const pin = loadConnectorPin();
    expect(pin).toEqual(expect.objectContaining({ groupId: 'org.apache.flink', artifactId: 'flink-sql-connector-aws-kinesis-streams' }));
    expect(pin.version).toMatch(/^6\.\d+\.\d+-2\.0$/); // flink-connector-aws 6.x is the line built for Flink 2.x
  });

  it('rejects a malformed pin, naming the field', () => {
    const dir = tmp('pin-');
    const file = path.join(dir, 'connector.json');
    fs.writeFileSync(file, JSON.stringify({ ...coords, version: '6.0 ; rm', sha256: null }));
    expect(() => loadConnectorPin(file)).toThrow('version must be a Maven coordinate (got "6.0 ; rm")');
    fs.writeFileSync(file, JSON.stringify({ ...coords, sha256: 'ABC' }));
    expect(() => loadConnectorPin(file)).toThrow('sha256 must be 64 lowercase hex digits or null (got "ABC")');
  });
});

describe('connectorJar', () => {
  it('uses the cached JAR when its SHA-256 is the pinned one, without fetching', () => {
    const repo = tmp('m2-');
    const pin = { ...coords, sha256: sha('jar bytes') };
    const jar = put(repo, pin, 'jar bytes');
    const fetch = jest.fn();
    expect(connectorJar(pin, { cacheDir: repo, fetch })).toBe(jar);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('fetches once when the JAR is not cached, then checks it', () => {
    const repo = tmp('m2-');
    const pin = { ...coords, sha256: sha('jar bytes') };
    const fetch = jest.fn((a: MavenArtifact, r: string) => put(r, a, 'jar bytes'));
    expect(connectorJar(pin, { cacheDir: repo, fetch })).toBe(jarInRepository(pin, repo));
    expect(connectorJar(pin, { cacheDir: repo, fetch })).toBe(jarInRepository(pin, repo));
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('refuses a JAR that is not the pinned one, naming both digests', () => {
    const repo = tmp('m2-');
    const pin = { ...coords, sha256: sha('the real one') };
    put(repo, pin, 'something else');
    expect(() => connectorJar(pin, { cacheDir: repo })).toThrow(
      `has SHA-256 ${sha('something else')}, but flink/realtime/connector.json pins ${sha('the real one')} for org.example:connector:6.0.1-2.0`);
  });

  it('stops on a pin without a SHA-256, giving the digest of what was fetched to check and pin', () => {
    const repo = tmp('m2-');
    put(repo, { ...coords, sha256: null }, 'fetched');
    expect(() => connectorJar({ ...coords, sha256: null }, { cacheDir: repo })).toThrow(
      `pins no sha256 for org.example:connector:6.0.1-2.0. The file Maven fetched (${jarInRepository({ ...coords, sha256: null }, repo)}) has SHA-256 ${sha('fetched')}`);
  });

  it('says so when the fetch reports a file that is not there', () => {
    expect(() => connectorJar({ ...coords, sha256: null }, { cacheDir: tmp('m2-'), fetch: () => '/nowhere/x.jar' }))
      .toThrow('Fetching org.example:connector:6.0.1-2.0 reported success but /nowhere/x.jar does not exist');
  });

  it('explains what to install when Maven is not on the PATH', () => {
    const missing = path.join(tmp('no-maven-'), 'mvn');
    expect(() => mavenFetch({ ...coords, sha256: null }, tmp('m2-'), missing)).toThrow('install Maven (mvn) and Java, or put the JAR at');
  });
});

it('stages the Python and the SQL at the root and the JAR under lib/', () => {
  const out = tmp('stage-');
  const repo = tmp('m2-');
  const pin = { ...coords, sha256: sha('x') };
  stageApplication(out, put(repo, pin, 'x'), pin);
  expect(fs.readdirSync(out).sort()).toEqual([...APPLICATION_FILES, 'lib'].sort());
  expect(fs.readFileSync(path.join(out, 'lib', 'connector-6.0.1-2.0.jar'), 'utf8')).toBe('x');
});
