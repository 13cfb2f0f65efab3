/**
 * Workflow diagrams from state machine definitions built with the same aws-cdk-lib the stacks use:
 * the polling loop and the decisions show, the plumbing (Pass counters, Catch into the failure
 * path, Fail states) folds into one node, Choice edges say their condition in words.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { countMermaid } from '../../scripts/docs/budget';
import { conditionWords, renderStateDiagram, StateGraph } from '../../scripts/docs/states';
import { definitionOf, Json } from '../../scripts/docs/template';
import { testApp } from '../helpers/app';

/** The definition of the one state machine `build` makes, as the docs generator reads it from the template. */
function definitionFrom(build: (s: Stack) => sfn.IChainable): Json {
  const app = testApp({ gates: false });
  const stack = new Stack(app, 'Machine');
  new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(build(stack)) });
  const template = app.synth().getStackByName('Machine').template as { Resources: Record<string, { Type: string; Properties: Record<string, Json> }> };
  const machine = Object.values(template.Resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine')!;
  return definitionOf(machine.Properties)!;
}

/** Transitions as "From -> To: label" with the states' names ([*] for start and end). */
function transitions(graph: StateGraph): string[] {
  const names = new Map<string, string>([['[*]', '[*]']]);
  for (const m of graph.mermaid.matchAll(/state "([^"]+)" as (\w+)/g)) {
    names.set(m[2], m[1]);
  }
  return [...graph.mermaid.matchAll(/^ {2}(\S+) --> (\S+)(?: : (.+))?$/gm)].map(([, from, to, label]) => `${names.get(from)} -> ${names.get(to)}${label ? `: ${label}` : ''}`);
}

const fn = (s: Stack, id: string) => new lambda.Function(s, id, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('x') });

/** Transcribe -> Wait -> status -> decision -> Comprehend, with a poll counter and a failure path (the notes' figure). */
function pollingMachine(s: Stack): sfn.IChainable {
  const failed = new sfn.Fail(s, 'Failed');
  const recordFailure = new tasks.LambdaInvoke(s, 'RecordFailure', { lambdaFunction: fn(s, 'Recorder') }).next(failed);
  const start = new tasks.CallAwsService(s, 'StartTranscription', { service: 'transcribe', action: 'startTranscriptionJob', parameters: {}, iamResources: ['*'] });
  const wait = new sfn.Wait(s, 'WaitForTranscription', { time: sfn.WaitTime.duration(Duration.seconds(30)) });
  const get = new tasks.CallAwsService(s, 'GetTranscriptionStatus', { service: 'transcribe', action: 'getTranscriptionJob', parameters: {}, iamResources: ['*'] });
  const analyse = new tasks.LambdaInvoke(s, 'AnalyseTranscript', { lambdaFunction: fn(s, 'Analyse') });
  analyse.addCatch(recordFailure);
  get.addCatch(recordFailure);
  // A job that already exists is polled, not failed: a Catch into a state that can still succeed.
  start.addCatch(wait, { errors: ['Transcribe.ConflictException'] });
  const status = new sfn.Choice(s, 'TranscriptionStatus')
    .when(sfn.Condition.stringEquals('$.job.TranscriptionJobStatus', 'FAILED'), new sfn.Pass(s, 'TranscriptionFailed').next(recordFailure))
    .when(sfn.Condition.stringEquals('$.job.TranscriptionJobStatus', 'COMPLETED'), analyse.next(new sfn.Succeed(s, 'Analysed')))
    .otherwise(new sfn.Pass(s, 'CountPoll').next(wait));
  return start.next(new sfn.Pass(s, 'StartPolling')).next(wait).next(get).next(status);
}

describe('workflow diagram of a state machine definition', () => {
  let graph: StateGraph;
  beforeAll(() => {
    graph = renderStateDiagram(definitionFrom(pollingMachine), {
      describeTask: (name) => (name === 'AnalyseTranscript' ? 'Lambda → Comprehend' : undefined),
    });
  });

  it('draws the polling loop and the decision, going through the Pass states that only count', () => {
    expect(transitions(graph)).toEqual(expect.arrayContaining([
      '[*] -> StartTranscription',
      'WaitForTranscription -> GetTranscriptionStatus',
      'GetTranscriptionStatus -> TranscriptionStatus',
      'TranscriptionStatus -> AnalyseTranscript: TranscriptionJobStatus = COMPLETED',
      'TranscriptionStatus -> WaitForTranscription: otherwise (count poll)',
      'AnalyseTranscript -> Analysed',
    ]));
    // A Succeed state says it ends in its box; no end marker repeats it.
    expect(transitions(graph).filter((t) => t.endsWith('[*]'))).toEqual([]);
    expect(graph.mermaid).not.toMatch(/StartPolling|CountPoll"|TranscriptionFailed"/);
  });

  it('folds the failure path into one node that lists it and counts the Catches into it', () => {
    expect(transitions(graph)).toEqual(expect.arrayContaining([
      'TranscriptionStatus -> Failure path: TranscriptionJobStatus = FAILED',
    ]));
    expect(graph.mermaid).toContain('failure_path : RecordFailure → Failed');
    expect(graph.mermaid).toContain('failure_path : also the Catch of 2 tasks after their retries');
    expect(transitions(graph).filter((t) => t.includes('RecordFailure'))).toEqual([]);
  });

  it('draws a Catch into a state that can still succeed, labelled with its error, beside the normal transition', () => {
    expect(transitions(graph)).toContain('StartTranscription -> WaitForTranscription: also on ConflictException');
  });

  it('says what each state does: the Task\'s call, the wait', () => {
    expect(graph.mermaid).toContain(' : Lambda → Comprehend');
    expect(graph.mermaid).toContain(' : wait 30 s');
  });

  it('counts what it draws the way the budget counts the Mermaid source', () => {
    expect(countMermaid(graph.mermaid)).toEqual({ syntax: 'state', nodes: graph.nodes, edges: graph.edges });
    // StartTranscription, Wait, Get, Status, Analyse, Analysed, failure path, start.
    expect(graph.nodes).toBe(8);
  });

  it('marks the states that exist only with an opt-in switch', () => {
    const marked = renderStateDiagram(definitionFrom(pollingMachine), { optInStates: new Set(['AnalyseTranscript']) });
    expect(marked.mermaid).toMatch(/^ {2}class (s\d+) optIn$/m);
    expect(marked.mermaid).toMatch(/ : opt-in$/m);
  });

  it('says so when the definition cannot be read instead of drawing nothing', () => {
    expect(renderStateDiagram(null).mermaid).toContain('definition not readable from the template');
  });
});

describe('Choice conditions in words', () => {
  it('comparisons, booleans and type guards', () => {
    expect(conditionWords({ Variable: '$.transcription.job.TranscriptionJobStatus', StringEquals: 'FAILED' })).toBe('TranscriptionJobStatus = FAILED');
    expect(conditionWords({ Variable: '$.poll.count', NumericGreaterThanEquals: 480 })).toBe('poll.count ≥ 480');
    expect(conditionWords({ Variable: '$.prepared.value.accepted', BooleanEquals: false })).toBe('not accepted');
    expect(conditionWords({ Variable: '$.a', NumericLessThanPath: '$.limits.max' })).toBe('a < limits.max');
  });

  it('drops the guards of a compared variable, lists the values of one variable, keeps a lone guard', () => {
    expect(conditionWords({ And: [
      { Variable: '$.runName', IsPresent: true },
      { Variable: '$.runName', IsString: true },
      { Variable: '$.deploy', IsPresent: true },
      { Variable: '$.deploy', StringEquals: 'batch' },
    ] })).toBe('runName is a string and deploy = batch');
    expect(conditionWords({ Or: [
      { Variable: '$.speech.value.task.status', StringEquals: 'completed' },
      { Variable: '$.speech.value.task.status', StringEquals: 'failed' },
    ] })).toBe('task.status = completed or failed');
    const languages = ['en-US', 'de-DE', 'fr-FR', 'es-ES'].map((v) => ({ Variable: '$.job.LanguageCode', StringEquals: v }));
    expect(conditionWords({ Or: languages })).toBe('LanguageCode one of 4 values');
  });

  it('a condition too long to read takes the name of the Pass state it goes through', () => {
    const graph = renderStateDiagram(definitionFrom((s) => {
      const languages = Array.from({ length: 12 }, (_, i) => sfn.Condition.stringEquals('$.job.LanguageCode', `l${i}`));
      return new sfn.Choice(s, 'Supported')
        .when(sfn.Condition.and(sfn.Condition.isPresent('$.job.LanguageCode'), sfn.Condition.or(...languages), sfn.Condition.isPresent('$.job.Transcript')),
          new sfn.Pass(s, 'KeepOriginalLanguage').next(new sfn.Succeed(s, 'Kept')))
        .otherwise(new sfn.Succeed(s, 'Translated'));
    }));
    expect(transitions(graph)).toEqual(expect.arrayContaining(['Supported -> Kept: keep original language', 'Supported -> Translated: otherwise']));
  });
});
