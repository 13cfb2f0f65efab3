/**
 * What the docs generator reads from a cloud assembly (an app's synth output or cdk.out):
 * per architecture stack its template, construct paths, acknowledgements and description.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { addArchitectures, optInsRead } from '../../lib/app';
import { PROFILES } from '../../lib/config/profile';
import { ConstructPaths } from './flow';
import { CfnTemplate, Json } from './template';

export interface Acknowledgement {
  /** Construct path relative to the stack ("" for the stack itself). */
  readonly construct: string;
  /** Rule id as `acknowledge` takes it: cdk-nag id, or `guard:<rule>`. */
  readonly rule: string;
  readonly reason: string;
}

export interface StackDoc {
  readonly artifactId: string;
  readonly architecture: string;
  readonly description?: string;
  readonly template: CfnTemplate;
  readonly paths: ConstructPaths;
  readonly acknowledgements: Acknowledgement[];
}

interface ManifestArtifact {
  type: string;
  displayName?: string;
  properties?: { templateFile?: string; tags?: Record<string, string> };
  metadata?: Record<string, MetadataEntry[]>;
  additionalMetadataFile?: string;
}
interface MetadataEntry {
  type: string;
  data?: Json;
}

const ACK_TYPE = 'aws:cdk:acknowledged-rules';

/** `Annotation::AwsSolutions-IAM5[...]` -> `AwsSolutions-IAM5[...]`; `cdk-validator-cfnguard::x` -> `guard:x`. */
export function ruleIdOf(qualified: string): string {
  if (qualified.startsWith('Annotation::')) {
    return qualified.slice('Annotation::'.length);
  }
  const guard = qualified.match(/^cdk-validator-cfnguard::(.+)$/);
  return guard ? `guard:${guard[1]}` : qualified;
}

/** Read every stack with an `architecture` tag from an assembly directory. */
export function readAssembly(outdir: string): StackDoc[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as { artifacts?: Record<string, ManifestArtifact> };
  const stacks: StackDoc[] = [];
  for (const [artifactId, a] of Object.entries(manifest.artifacts ?? {})) {
    const architecture = a.properties?.tags?.architecture;
    if (a.type !== 'aws:cloudformation:stack' || !architecture || !a.properties?.templateFile) {
      continue;
    }
    const metadata: Record<string, MetadataEntry[]> = { ...(a.metadata ?? {}) };
    if (a.additionalMetadataFile) {
      Object.assign(metadata, JSON.parse(fs.readFileSync(path.join(outdir, a.additionalMetadataFile), 'utf8')));
    }
    const template = JSON.parse(fs.readFileSync(path.join(outdir, a.properties.templateFile), 'utf8')) as CfnTemplate;
    const stackPath = `/${a.displayName ?? artifactId}`;
    const relative = (p: string) => (p === stackPath ? '' : p.startsWith(`${stackPath}/`) ? p.slice(stackPath.length + 1) : p.replace(/^\//, ''));
    const paths: Record<string, string> = {};
    const acknowledgements: Acknowledgement[] = [];
    for (const [p, entries] of Object.entries(metadata)) {
      for (const e of entries) {
        if (e.type === 'aws:cdk:logicalId' && typeof e.data === 'string') {
          paths[e.data] = relative(p);
        }
        if (e.type === ACK_TYPE && e.data && typeof e.data === 'object' && !Array.isArray(e.data)) {
          for (const [rule, reason] of Object.entries(e.data)) {
            acknowledgements.push({ construct: relative(p), rule: ruleIdOf(rule), reason: String(reason) });
          }
        }
      }
    }
    stacks.push({ artifactId, architecture, description: template.Description, template, paths, acknowledgements });
  }
  return stacks;
}

export interface Synthesized {
  /** Stacks as deployed by default (sandbox, every opt-in off). */
  readonly stacks: StackDoc[];
  /** The same stacks with every opt-in switch they read turned on, when there is any. */
  readonly withOptIns?: StackDoc[];
  /** The opt-in switches found, e.g. `video.streaming`. */
  readonly optIns: string[];
}

/**
 * Synthesize the architectures in the sandbox profile, then once more with every opt-in switch on
 * so the diagrams show the opt-in parts too (and can mark them). `makeApp` builds an App (the CLI
 * and the tests pass their own: cdk.json context, no bundling).
 */
export function synthesizeArchitectures(makeApp: (context: Record<string, unknown>) => App): Synthesized {
  const app = makeApp({});
  addArchitectures(app, { profile: PROFILES.sandbox });
  const stacks = readAssembly(app.synth().directory);
  const optIns = optInsRead(app);
  if (optIns.length === 0) {
    return { stacks, optIns };
  }
  const full = makeApp(Object.fromEntries(optIns.map((k) => [k, 'true'])));
  try {
    addArchitectures(full, { profile: PROFILES.sandbox });
    return { stacks, withOptIns: readAssembly(full.synth().directory), optIns };
  } catch (err) {
    throw new Error(`The app does not synthesize with every opt-in switch on (${optIns.map((o) => `-c ${o}=true`).join(' ')}): ${String(err)}`);
  }
}
