/**
 * From a synthesized app to the generated regions of the docs: each architecture page's diagram
 * and acknowledgement table, and the README's table of architectures. Pure: takes file contents,
 * returns file contents, so the CLI writes them and the test compares them.
 */
import { DISABLED_GUARD_RULES } from '../../lib/gates';
import { Acknowledgement, StackDoc, Synthesized } from './assembly';
import { deriveFlow, FlowGraph } from './flow';
import { cell, readRegion, summaryOf, titleOf, writeRegion } from './markdown';
import { renderMermaid } from './mermaid';

/**
 * Stacks with an architecture tag that get no page, with the reason. The foundation's placeholder
 * exists only until the first architecture lands (the lead removes it from lib/app.ts then).
 */
export const UNDOCUMENTED_ARCHITECTURES: Readonly<Record<string, string>> = {
  placeholder: 'foundation scaffold that exercises the shared constructs until the first architecture lands',
};

export const docsPageOf = (architecture: string): string => `docs/${architecture}.md`;

/** The diagram of one architecture: the full graph, opt-in-only nodes marked with their switches. */
export function diagramOf(stack: StackDoc, withOptIns: StackDoc | undefined, optIns: string[]): FlowGraph {
  const base = deriveFlow(stack.template, stack.paths);
  if (!withOptIns) {
    return base;
  }
  const full = deriveFlow(withOptIns.template, withOptIns.paths);
  const inBase = new Set(base.nodes.map((n) => n.id));
  const switches = optIns.filter((o) => o.startsWith(`${stack.architecture}.`)).map((o) => `-c ${o}=true`).join(' / ');
  for (const n of full.nodes) {
    if (!inBase.has(n.id)) {
      n.optIn = switches || 'opt-in';
    }
  }
  return full;
}

/** Acknowledgement table: one row per construct and reason, every rule it covers. */
export function acknowledgementTable(acks: Acknowledgement[], optInOnly: Acknowledgement[] = []): string {
  const key = (a: Acknowledgement) => `${a.construct}\u0000${a.reason}`;
  const optInKeys = new Set(optInOnly.map((a) => `${key(a)}\u0000${a.rule}`));
  const rows = new Map<string, { construct: string; reason: string; rules: string[]; optIn: boolean }>();
  for (const a of [...acks, ...optInOnly]) {
    const row = rows.get(key(a)) ?? { construct: a.construct, reason: a.reason, rules: [], optIn: true };
    if (!row.rules.includes(a.rule)) {
      row.rules.push(a.rule);
    }
    row.optIn = row.optIn && optInKeys.has(`${key(a)}\u0000${a.rule}`);
    rows.set(key(a), row);
  }
  const sorted = [...rows.values()].sort((a, b) => a.construct.localeCompare(b.construct) || a.reason.localeCompare(b.reason));
  const lines = [
    '| Construct | Rules | Reason |',
    '| --- | --- | --- |',
    ...sorted.map((r) => `| \`${cell(r.construct || '(stack)')}\`${r.optIn ? ' (opt-in)' : ''} | ${r.rules.sort().map((x) => `\`${cell(x)}\``).join('<br>')} | ${cell(r.reason)} |`),
    ...Object.entries(DISABLED_GUARD_RULES).map(([rule, reason]) => `| (every stack: rule disabled in \`lib/gates.ts\`) | \`${rule}\` | ${cell(reason)} |`),
  ];
  return lines.join('\n');
}

function acksOf(stack: StackDoc, withOptIns: StackDoc | undefined): string {
  const base = stack.acknowledgements;
  const seen = new Set(base.map((a) => `${a.construct}\u0000${a.rule}\u0000${a.reason}`));
  const extra = (withOptIns?.acknowledgements ?? []).filter((a) => !seen.has(`${a.construct}\u0000${a.rule}\u0000${a.reason}`));
  return acknowledgementTable(base, extra);
}

/** The generated regions of one architecture page. */
export function pageRegions(stack: StackDoc, synth: Synthesized): { diagram: string; acks: string } {
  const withOptIns = synth.withOptIns?.find((s) => s.artifactId === stack.artifactId);
  return {
    diagram: renderMermaid(diagramOf(stack, withOptIns, synth.optIns)),
    acks: acksOf(stack, withOptIns),
  };
}

/** The documented architectures, in the app's order. */
export function documented(synth: Synthesized): StackDoc[] {
  return synth.stacks.filter((s) => !(s.architecture in UNDOCUMENTED_ARCHITECTURES));
}

/**
 * The README's architecture table. The cost cell is a region of its own
 * (`<!-- cost:<tag>:start -->`...`<!-- cost:<tag>:end -->`) that `npm run cost` fills; whatever it
 * holds is carried over when the table is regenerated.
 */
export function architectureTable(stacks: StackDoc[], pages: Readonly<Record<string, string | undefined>>, oldTable = ''): string {
  const header = ['| Architecture | What it shows | Diagram | Idle cost per month (sandbox / production) |', '| --- | --- | --- | --- |'];
  if (stacks.length === 0) {
    return [...header, '| _(none yet)_ | The architectures land with issues 3 to 6 | - | - |'].join('\n');
  }
  const rows = stacks.map((s) => {
    const page = docsPageOf(s.architecture);
    const text = pages[page] ?? '';
    const title = titleOf(text) ?? s.artifactId;
    const what = s.description ?? summaryOf(text) ?? '';
    const cost = readRegion(oldTable, `cost:${s.architecture}`) ?? '';
    return `| [${cell(title)}](${page}) | ${cell(what)} | [diagram](${page}#diagram) | <!-- cost:${s.architecture}:start -->${cost}<!-- cost:${s.architecture}:end --> |`;
  });
  return [...header, ...rows].join('\n');
}

export interface GeneratedDocs {
  /** File (relative to the repo root) -> its content with every generated region filled. */
  readonly files: Record<string, string>;
  /** Architectures that have no page yet (the generator never writes a page's prose). */
  readonly missingPages: string[];
}

/** Fill every generated region of the given files (README.md and docs/<arch>.md). */
export function generateDocs(synth: Synthesized, files: Readonly<Record<string, string | undefined>>): GeneratedDocs {
  const out: Record<string, string> = {};
  const missingPages: string[] = [];
  const stacks = documented(synth);
  for (const stack of stacks) {
    const page = docsPageOf(stack.architecture);
    const text = files[page];
    if (text === undefined) {
      missingPages.push(page);
      continue;
    }
    const regions = pageRegions(stack, synth);
    out[page] = writeRegion(writeRegion(text, 'diagram', regions.diagram, page), 'acks', regions.acks, page);
  }
  const readme = files['README.md'];
  if (readme !== undefined) {
    const table = architectureTable(stacks, files, readRegion(readme, 'architectures') ?? '');
    out['README.md'] = writeRegion(readme, 'architectures', table, 'README.md');
  }
  return { files: out, missingPages };
}

/**
 * The generated regions of the given files that differ from what the app generates now, as
 * "<file> <!-- <region> -->" lines. Compares only: nothing is written.
 */
export function staleRegions(synth: Synthesized, files: Readonly<Record<string, string | undefined>>): string[] {
  const { files: generated } = generateDocs(synth, files);
  const stale: string[] = [];
  for (const [file, text] of Object.entries(generated)) {
    for (const region of file === 'README.md' ? ['architectures'] : ['diagram', 'acks']) {
      if (readRegion(files[file] ?? '', region) !== readRegion(text, region)) {
        stale.push(`${file} <!-- ${region} -->`);
      }
    }
  }
  return stale;
}
