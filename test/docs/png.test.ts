/**
 * The PNG review step of `npm run docs`: optional (only with a Chromium), pinned, and its output
 * never committed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findChromium, MERMAID_CLI, PNG_DIR, slug } from '../../scripts/docs/png';

const root = path.join(__dirname, '../..');

describe('PNGs of the diagrams for review', () => {
  it('go to a git-ignored directory', () => {
    const ignored = fs.readFileSync(path.join(root, '.gitignore'), 'utf8').split('\n').map((l) => l.trim().replace(/\/$/, ''));
    expect(ignored).toContain(PNG_DIR);
  });

  it('are drawn by an exact mermaid-cli version of the 11 line, the last to run on Node 20 (12.x needs Node 22.13)', () => {
    expect(MERMAID_CLI).toMatch(/^@mermaid-js\/mermaid-cli@11\.\d+\.\d+$/);
    // Run on demand, never installed by npm ci (its puppeteer would download a browser).
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string>; dependencies?: Record<string, string> };
    expect({ ...pkg.dependencies, ...pkg.devDependencies }).not.toHaveProperty('@mermaid-js/mermaid-cli');
    expect({ ...pkg.dependencies, ...pkg.devDependencies }).not.toHaveProperty('puppeteer');
  });

  it('use the Chromium CHROMIUM_PATH names when it exists', () => {
    const fake = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-')), 'chromium');
    fs.writeFileSync(fake, '');
    const before = process.env.CHROMIUM_PATH;
    process.env.CHROMIUM_PATH = fake;
    try {
      expect(findChromium()).toBe(fake);
    } finally {
      if (before === undefined) {
        delete process.env.CHROMIUM_PATH;
      } else {
        process.env.CHROMIUM_PATH = before;
      }
    }
  });

  it('are named after the diagram\'s heading', () => {
    expect(slug('Workflow: `Workflow/TrainingStateMachine`')).toBe('workflow-workflow-trainingstatemachine');
    expect(slug('Opt-in: `-c video.streaming=true`')).toBe('opt-in-c-video-streaming-true');
  });
});
