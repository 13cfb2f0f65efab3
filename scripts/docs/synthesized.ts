/**
 * What the docs generator reads from a cloud assembly (an app's synth output or cdk.out):
 * per architecture stack its template, construct paths, acknowledgements and description.
 */
import { App, Validations } from 'aws-cdk-lib';
import { ArtifactMetadataEntryType } from 'aws-cdk-lib/cloud-assembly-schema';
import { addArchitectures, OPT_IN_VALUES, optInsRead } from '../../lib/app';
import { PROFILES } from '../../lib/config/profile';
import { ConstructPaths } from './flow';
import { readStacks } from '../lib/assembly';
import { CfnTemplate } from './template';

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
  const stacks: StackDoc[] = [];
  for (const stack of readStacks(outdir)) {
    if (!stack.architecture) {
      continue;
    }
    const template = stack.template as unknown as CfnTemplate;
    const stackPath = `/${stack.id}`;
    const relative = (p: string) => (p === stackPath ? '' : p.startsWith(`${stackPath}/`) ? p.slice(stackPath.length + 1) : p.replace(/^\//, ''));
    const paths: Record<string, string> = {};
    const acknowledgements: Acknowledgement[] = [];
    for (const [p, entries] of Object.entries(stack.metadata)) {
      for (const e of entries) {
        if (e.type === ArtifactMetadataEntryType.LOGICAL_ID && typeof e.data === 'string') {
          paths[e.data] = relative(p);
        }
        if (e.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && e.data && typeof e.data === 'object' && !Array.isArray(e.data)) {
          for (const [rule, reason] of Object.entries(e.data)) {
            acknowledgements.push({ construct: relative(p), rule: ruleIdOf(rule), reason: String(reason) });
          }
        }
      }
    }
    stacks.push({ artifactId: stack.artifactId, architecture: stack.architecture, description: template.Description, template, paths, acknowledgements });
  }
  return stacks;
}

export interface Synthesized {
  /** Stacks as deployed by default (sandbox, every opt-in off). */
  readonly stacks: StackDoc[];
  /** The same stacks with the opt-in switches in `optIns` on, when there is any. */
  readonly withOptIns?: StackDoc[];
  /** The opt-in switches drawn, e.g. `video.streaming`. */
  readonly optIns: string[];
  /** Switches the app could not be synthesized with, and why (the diagrams say they are not drawn). */
  readonly skippedOptIns?: Readonly<Record<string, string>>;
  /**
   * For architectures with more than one switch: the stacks with only that switch on, so each
   * opt-in part can name the switch that brings it.
   */
  readonly solo?: Readonly<Record<string, StackDoc[]>>;
}

/** Context the opt-in parts need besides their switch (the diagram is the same for any value). */
export const DOCS_CONTEXT = OPT_IN_VALUES;

function synthWith(makeApp: (context: Record<string, unknown>) => App, switches: string[]): { app: App; stacks: StackDoc[] } {
  const app = makeApp({ ...DOCS_CONTEXT, ...Object.fromEntries(switches.map((k) => [k, 'true'])) });
  addArchitectures(app, { profile: PROFILES.sandbox });
  return { app, stacks: readAssembly(app.synth().directory) };
}

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0];

/**
 * Synthesize the architectures in the sandbox profile, then once more with every opt-in switch on
 * so the diagrams show the opt-in parts too (and can mark them). A switch the app cannot be
 * synthesized with (it needs more context than DOCS_CONTEXT gives) is left off and reported.
 * `makeApp` builds an App (the CLI and the tests pass their own: cdk.json context, no bundling).
 */
export function synthesizeArchitectures(makeApp: (context: Record<string, unknown>) => App): Synthesized {
  const { app, stacks } = synthWith(makeApp, []);
  const found = optInsRead(app);
  if (found.length === 0) {
    return { stacks, optIns: [] };
  }
  try {
    return { stacks, withOptIns: synthWith(makeApp, found).stacks, optIns: found, solo: soloSyntheses(makeApp, found) };
  } catch {
    // Find the switches that fail on their own; draw the others together.
    const skippedOptIns: Record<string, string> = {};
    for (const name of found) {
      try {
        synthWith(makeApp, [name]);
      } catch (err) {
        skippedOptIns[name] = firstLine(err);
      }
    }
    const optIns = found.filter((n) => !(n in skippedOptIns));
    const withOptIns = optIns.length > 0 ? synthWith(makeApp, optIns).stacks : undefined;
    return { stacks, withOptIns, optIns, skippedOptIns, solo: soloSyntheses(makeApp, optIns) };
  }
}

/** One synthesis per switch, only for architectures that have more than one. */
function soloSyntheses(makeApp: (context: Record<string, unknown>) => App, optIns: string[]): Record<string, StackDoc[]> {
  const perArchitecture = new Map<string, string[]>();
  for (const o of optIns) {
    const tag = o.split('.')[0];
    perArchitecture.set(tag, [...(perArchitecture.get(tag) ?? []), o]);
  }
  const solo: Record<string, StackDoc[]> = {};
  for (const switches of perArchitecture.values()) {
    if (switches.length > 1) {
      for (const o of switches) {
        solo[o] = synthWith(makeApp, [o]).stacks;
      }
    }
  }
  return solo;
}
