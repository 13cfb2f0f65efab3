import * as fs from 'node:fs';
import * as path from 'node:path';
import { matrixJobs, readmeJob, sectionCommands, UNBUNDLED_WITH_OPT_INS } from '../../scripts/synth-matrix';

const README = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
const STACKS = ['DataLake', 'VideoAnalysis'];

describe('synth matrix', () => {
  it('reads every command of the README\'s deploy section, as written', () => {
    const commands = sectionCommands(README, 'Deploy and destroy');
    expect(commands.length).toBeGreaterThanOrEqual(4);
    expect(commands).toEqual(expect.arrayContaining([
      expect.stringMatching(/^npx cdk bootstrap /),
      expect.stringMatching(/^npx cdk deploy +<Stack> .*-c profile=sandbox/),
      expect.stringMatching(/^npx cdk destroy +<Stack> /),
      expect.stringMatching(/^CDK_DEPLOY_ACCOUNT=\d{12} CDK_DEPLOY_REGION=\S+ npx cdk deploy /),
    ]));
  });

  it('runs each README command up to the AWS call, answering the destroy prompt, on every stack', () => {
    const lines = sectionCommands(README, 'Deploy and destroy');
    const jobs = lines.map((line, i) => readmeJob(line, i, 'README', STACKS)!);
    jobs.forEach((job, i) => {
      expect(job.expect).toEqual({ kind: 'needs-aws' });
      expect(job.command).toBe(lines[i].replace('<Stack>', 'DataLake VideoAnalysis'));
    });
    expect(jobs.find((j) => j.command.includes('cdk destroy'))?.answer).toBe('y');
    // The bootstrap line pins an account and names no profile: synth must warn that sandbox applies.
    expect(jobs.find((j) => j.command.includes('cdk bootstrap'))?.mustSay).toBe('No -c profile given: account');
    expect(jobs.find((j) => j.command.includes('cdk destroy'))?.mustSay).toBeUndefined();
  });

  it('runs the "Use it" synth and skips npm test (the runner itself)', () => {
    const jobs = sectionCommands(README, 'Use it').map((line, i) => readmeJob(line, i, 'README', STACKS));
    expect(jobs.filter((j) => j !== undefined).map((j) => [j!.command, j!.outdir, j!.expect.kind])).toEqual([['npx cdk synth', 'cdk.out.sandbox', 'succeeds']]);
  });

  it('refuses a README command it does not know how to check, so a new one cannot go untested', () => {
    expect(() => readmeJob('npx cdk watch DataLake', 0, 'README', STACKS)).toThrow(/teach scripts\/synth-matrix.ts/);
    expect(() => readmeJob('aws s3 ls', 0, 'README', STACKS)).toThrow(/not an npx cdk command/);
  });

  it('covers both profiles pinned and not, every opt-in in both profiles, a second region, and a bad profile', () => {
    const jobs = matrixJobs((profile, region) => ({ 'x.optIn': `${profile}-${region ?? 'agnostic'}` }));
    const flags = jobs.map((j) => j.command);
    expect(flags).toEqual(expect.arrayContaining([
      expect.stringMatching(/-c profile=production$/),
      expect.stringMatching(/-c profile=sandbox -c x.optIn=sandbox-agnostic/),
      expect.stringMatching(/-c profile=production -c x.optIn=production-agnostic/),
      expect.stringMatching(/-c profile=production -c account=123456789012 -c region=eu-west-1 -c x.optIn=production-eu-west-1/),
      expect.stringMatching(/-c profile=sandbox -c account=123456789012 -c region=us-east-1 -c x.optIn=sandbox-us-east-1/),
    ]));
    expect(jobs.find((j) => j.name === 'bad-profile')?.expect).toEqual({ kind: 'fails-naming', text: 'Unknown deployment profile "staging"' });
    expect(new Set(jobs.map((j) => j.outdir)).size).toBe(jobs.length);
  });

  it('bundles only the stacks given in the opt-in jobs, and every stack in the others', () => {
    const jobs = matrixJobs(() => ({ 'x.optIn': 'true' }), ['VideoAnalysis', 'SpeechChain']);
    for (const j of jobs.filter((x) => x.name.startsWith('optins-'))) {
      expect(j.command).toMatch(/ --exclusively VideoAnalysis SpeechChain$/);
    }
    expect(jobs.find((j) => j.name === 'production')!.command).toBe('npx cdk synth --quiet -c profile=production');
    expect(Object.keys(UNBUNDLED_WITH_OPT_INS)).toEqual(['DataLake']);
  });
});
