import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const root = path.join(__dirname, '../..');
const page = fs.readFileSync(path.join(root, 'docs/constructs.md'), 'utf8');
const snippets = [...page.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

/** The snippets as files one level below the root, where their `../lib/...` imports resolve as in docs/. */
function writeSnippets(): string[] {
  const dir = fs.mkdtempSync(path.join(root, '.snippets-'));
  return snippets.map((code, i) => {
    const file = path.join(dir, `snippet-${i + 1}.ts`);
    fs.writeFileSync(file, code);
    return file;
  });
}

describe('docs/constructs.md', () => {
  let files: string[] = [];
  beforeAll(() => {
    files = writeSnippets();
  });
  afterAll(() => {
    if (files.length > 0) {
      fs.rmSync(path.dirname(files[0]), { recursive: true, force: true });
    }
  });

  it('shows every shared construct with its default settings and a usage snippet', () => {
    const constructs = fs.readdirSync(path.join(root, 'lib/constructs'))
      .flatMap((f) => [...fs.readFileSync(path.join(root, 'lib/constructs', f), 'utf8').matchAll(/^export class (\w+) extends (?:Construct|s3\.Bucket|sqs\.Queue|kms\.Key|logs\.LogGroup)/gm)].map((m) => m[1]));
    expect(constructs.length).toBeGreaterThanOrEqual(8);
    const headings = [...page.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(constructs.filter((c) => !headings.some((h) => h.split(/ and /).includes(c)))).toEqual([]);
    for (const heading of headings) {
      const section = page.slice(page.indexOf(`## ${heading}`)).split('\n## ')[0];
      expect({ heading, table: /\| --- \|/.test(section), snippet: section.includes('```ts') }).toEqual({ heading, table: true, snippet: true });
    }
  });

  it('type-checks every snippet against the code as it is, with the project\'s compiler options', () => {
    const config = ts.parseJsonConfigFileContent(ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile).config, ts.sys, root);
    const program = ts.createProgram(files, { ...config.options, noEmit: true });
    const diagnostics = ts.getPreEmitDiagnostics(program)
      .filter((d) => d.file !== undefined && files.includes(path.resolve(d.file.fileName)))
      .map((d) => `${path.basename(d.file!.fileName)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(snippets.length).toBeGreaterThanOrEqual(6);
    expect(diagnostics).toEqual([]);
  }, 120_000);

  it('runs every snippet as `cdk synth` would (cdk.json\'s feature flags in the context): each builds its stack without an error', () => {
    // The CLI hands the app its context in this variable; `new App()` reads it.
    const { context } = JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
    const saved = process.env.CDK_CONTEXT_JSON;
    process.env.CDK_CONTEXT_JSON = JSON.stringify(context);
    try {
      for (const file of files) {
        expect({ file: path.basename(file), error: runs(file) }).toEqual({ file: path.basename(file), error: undefined });
      }
    } finally {
      if (saved === undefined) {
        delete process.env.CDK_CONTEXT_JSON;
      } else {
        process.env.CDK_CONTEXT_JSON = saved;
      }
    }
  });
});

function runs(file: string): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a snippet is a script: loading it runs it
    jest.isolateModules(() => require(file));
    return undefined;
  } catch (err) {
    return String(err).split('\n')[0];
  }
}
