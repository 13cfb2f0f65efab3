/**
 * Render every generated diagram to PNG for review, the way GitHub draws Mermaid (mermaid-cli in
 * a headless Chromium). Runs only when a Chromium is installed (`apt-get install -y chromium`);
 * `npm test` never needs it.
 *
 * mermaid-cli is run on demand with `npx`, pinned, rather than as a devDependency: with its peer
 * puppeteer it adds 261 packages and 503 MB to node_modules, and puppeteer's install script
 * downloads a browser (which fails the whole `npm install` where the download is blocked), for a
 * review step few users run. PUPPETEER_SKIP_DOWNLOAD keeps npx from downloading one: the
 * installed Chromium is used.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** mermaid-cli 11.x: the 12.x line needs Node 22.13 or later, and the project runs on Node 20. */
export const MERMAID_CLI = '@mermaid-js/mermaid-cli@11.17.0';

/** The PNGs' directory, git-ignored. */
export const PNG_DIR = 'diagrams.out';

const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium(): string | undefined {
  const wanted = process.env.CHROMIUM_PATH;
  return [...(wanted ? [wanted] : []), ...CHROMIUM_PATHS].find((p) => fs.existsSync(p));
}

export interface DiagramSource {
  /** File name without extension, e.g. "speech-2-workflow-statemachine". */
  readonly name: string;
  /** Mermaid source, without the fence. */
  readonly source: string;
}

/** "Workflow: `Workflow/TrainingStateMachine`" -> "workflow-workflow-trainingstatemachine". */
export function slug(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/**
 * Render the diagrams into `outdir` as <name>.png (one browser start for all of them: they go
 * through mermaid-cli as one Markdown file). Returns the files written.
 */
export function renderPngs(diagrams: DiagramSource[], outdir: string, chromium: string): string[] {
  fs.rmSync(outdir, { recursive: true, force: true });
  fs.mkdirSync(outdir, { recursive: true });
  const config = path.join(outdir, 'puppeteer.json');
  fs.writeFileSync(config, JSON.stringify({ executablePath: chromium, args: ['--no-sandbox'] }));
  const input = path.join(outdir, 'diagrams.md');
  fs.writeFileSync(input, diagrams.map((d) => ['```mermaid', d.source, '```', ''].join('\n')).join('\n'));
  // GitHub's Markdown column is about 900 px wide and Mermaid scales a wider diagram down to it;
  // scale 2 keeps the text sharp when the PNG is zoomed.
  const result = spawnSync('npx', ['-y', MERMAID_CLI, '-p', config, '-i', input, '-o', path.join(outdir, 'rendered.md'), '-e', 'png', '-b', 'white', '-w', '900', '-s', '2'], {
    env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1' },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`mermaid-cli failed (exit ${result.status}): ${(result.stderr || result.stdout || String(result.error)).trim().split('\n').slice(-5).join(' ')}`);
  }
  const written: string[] = [];
  diagrams.forEach((d, i) => {
    const from = path.join(outdir, `rendered-${i + 1}.png`);
    if (!fs.existsSync(from)) {
      throw new Error(`mermaid-cli wrote no ${from} for ${d.name}`);
    }
    const to = path.join(outdir, `${d.name}.png`);
    fs.renameSync(from, to);
    written.push(to);
  });
  for (const f of [config, input, path.join(outdir, 'rendered.md')]) {
    fs.rmSync(f, { force: true });
  }
  return written;
}
