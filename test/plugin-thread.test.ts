import * as path from 'node:path';
import { IPolicyValidationContext } from 'aws-cdk-lib';
import { PluginRequest, PluginThread, PortableContext, threadStarter } from '../lib/plugin-thread';

const PLUGIN = path.join(__dirname, 'fixtures/plugins/recording-plugin.cjs');

function contextOf(...templatePaths: string[]): IPolicyValidationContext {
  return {
    templatePaths,
    stackTemplates: templatePaths.map((templatePath) => ({ stackConstructPath: path.basename(templatePath), templatePath, accountId: undefined, region: undefined })),
    appConstruct: undefined as never, // never sent to the thread
  };
}

/** One request per template, built with `props`. */
const perTemplate = (props: Record<string, unknown>) => (context: PortableContext): PluginRequest[] =>
  context.templatePaths.map((t) => ({ props, context: { ...context, templatePaths: [t] } }));

const summary = (thread: PluginThread, context: IPolicyValidationContext) =>
  thread.report(context).violations.map((v) => `${v.ruleName} ${v.description} ${v.violatingResources[0].templatePath}`);

describe('PluginThread', () => {
  it('runs the requests in a worker thread and merges their reports', () => {
    const thread = new PluginThread(PLUGIN, 'RecordingPlugin', perTemplate({ rule: 'x' }));
    const context = contextOf('/t/A.template.json', '/t/B.template.json');
    thread.start(context);
    expect(summary(thread, context)).toEqual([
      'rule-x instance 1 call 1 /t/A.template.json',
      'rule-x instance 1 call 2 /t/B.template.json',
    ]);
    expect(thread.report(context).success).toBe(false);
    expect(thread.lastWorkMs).toBeGreaterThanOrEqual(0);
  });

  it('starts the work itself when report comes without a start for the same templates', () => {
    const thread = new PluginThread(PLUGIN, 'RecordingPlugin', perTemplate({ rule: 'y' }));
    thread.start(contextOf('/t/Other.template.json'));
    expect(summary(thread, contextOf('/t/A.template.json'))).toEqual(['rule-y instance 1 call 1 /t/A.template.json']);
  });

  it('reuses the warmed-up instance for requests with the same props, and only for those', () => {
    const warmUp = { props: { rule: 'w' }, context: contextOf('/t/Warm.template.json') };
    const same = new PluginThread(PLUGIN, 'RecordingPlugin', perTemplate({ rule: 'w' }), { warmUp });
    expect(summary(same, contextOf('/t/A.template.json'))).toEqual(['rule-w instance 1 call 2 /t/A.template.json']);
    const other = new PluginThread(PLUGIN, 'RecordingPlugin', perTemplate({ rule: 'v' }), { warmUp });
    expect(summary(other, contextOf('/t/A.template.json'))).toEqual(['rule-v instance 2 call 1 /t/A.template.json']);
  });

  it('reports success with no requests', () => {
    const thread = new PluginThread(PLUGIN, 'RecordingPlugin', () => []);
    expect(thread.report(contextOf('/t/A.template.json'))).toEqual({ success: true, violations: [] });
  });

  it('throws what the plugin threw, naming the plugin', () => {
    const thread = new PluginThread(PLUGIN, 'RecordingPlugin', perTemplate({ failOnValidate: 'bad template' }));
    expect(() => thread.report(contextOf('/t/A.template.json'))).toThrow(/RecordingPlugin failed in its worker thread: Error: validate failed: bad template/);
  });

  it('answers at once, naming the exit, when the plugin ends its thread', () => {
    const thread = new PluginThread(PLUGIN, 'RecordingPlugin', perTemplate({ exitOnValidate: 3 }));
    const started = Date.now();
    expect(() => thread.report(contextOf('/t/A.template.json'))).toThrow(/the worker thread exited \(code 3\) before answering/);
    expect(Date.now() - started).toBeLessThan(10_000); // the answer, not the 300 s timeout
  });

  it('keeps the report when a stray promise rejects after it', () => {
    const thread = new PluginThread(PLUGIN, 'RecordingPlugin', perTemplate({ rule: 'r', rejectLater: true }));
    expect(summary(thread, contextOf('/t/A.template.json'))).toEqual(['rule-r instance 1 call 1 /t/A.template.json']);
  });

  it('keeps a failed warm-up and reports it with the real requests', () => {
    const thread = new PluginThread(PLUGIN, 'RecordingPlugin', perTemplate({ rule: 'z' }), {
      warmUp: { props: { failOnCreate: 'no engine' }, context: contextOf('/t/Warm.template.json') },
    });
    expect(() => thread.report(contextOf('/t/A.template.json'))).toThrow(/cannot create: no engine/);
  });

  it('names a missing export', () => {
    const thread = new PluginThread(PLUGIN, 'NoSuchPlugin', perTemplate({}));
    expect(() => thread.report(contextOf('/t/A.template.json'))).toThrow(`exports no class named NoSuchPlugin`);
  });

  it('is started by a starter plugin that reports nothing', () => {
    const a = new PluginThread(PLUGIN, 'RecordingPlugin', perTemplate({ rule: 'a' }));
    const b = new PluginThread(PLUGIN, 'RecordingPlugin', perTemplate({ rule: 'b' }));
    const start = jest.spyOn(a, 'start');
    const context = contextOf('/t/A.template.json');
    expect(threadStarter('start', [a, b]).validate(context)).toEqual({ success: true, violations: [] });
    expect(start).toHaveBeenCalledTimes(1);
    expect(summary(a, context)).toEqual(['rule-a instance 1 call 1 /t/A.template.json']);
    expect(start).toHaveBeenCalledTimes(1); // report took the started work, it did not start again
    expect(summary(b, context)).toEqual(['rule-b instance 1 call 1 /t/A.template.json']);
  });
});
