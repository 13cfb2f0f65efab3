import { Template } from 'aws-cdk-lib/assertions';
import { definitionFrom, runLocally, taskError, validateDefinition } from './asl';

/** A hand-written template: one state machine whose definition references a function and a topic. */
const template = Template.fromJSON({
  Resources: {
    Fn1: { Type: 'AWS::Lambda::Function', Properties: {} },
    Topic1: { Type: 'AWS::SNS::Topic', Properties: {} },
    Machine1: {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: {
        DefinitionString: { 'Fn::Join': ['', [
          '{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"arn:',
          { Ref: 'AWS::Partition' },
          ':states:::lambda:invoke","Parameters":{"FunctionName":"',
          { 'Fn::GetAtt': ['Fn1', 'Arn'] },
          '","Payload.$":"$"},"Retry":[{"ErrorEquals":["Busy"],"MaxAttempts":2}],"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Tell"}],"Next":"Done"},',
          '"Tell":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:sns:publish","Parameters":{"TopicArn":"',
          { Ref: 'Topic1' },
          '","Message.$":"$.error.Cause"},"Next":"Done"},"Done":{"Type":"Succeed"}}}',
        ]] },
      },
    },
  },
});

describe('test/helpers/asl', () => {
  it('resolves Ref, Fn::GetAtt and Fn::Join to fake but valid values', () => {
    const definition = definitionFrom(template);
    expect(definition.States.Work).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:Fn1' },
    });
    expect(definition.States.Tell).toMatchObject({ Parameters: { TopicArn: 'arn:aws:sns:us-east-1:123456789012:Topic1' } });
    expect(validateDefinition(definition)).toEqual([]);
  });

  it('runs with local handlers, counting retries and recording caught errors', async () => {
    let calls = 0;
    const run = await runLocally(definitionFrom(template), { n: 1 }, {
      handlers: {
        Work: () => {
          calls += 1;
          throw taskError('Busy', `attempt ${calls}`);
        },
        Tell: () => ({ MessageId: 'm' }),
      },
    });
    expect(run).toMatchObject({ status: 'SUCCEEDED', path: ['Work', 'Tell', 'Done'], retries: { Work: 2 }, caught: { Work: ['States.ALL'] } });
    expect(run.calls.Tell).toEqual([{ TopicArn: 'arn:aws:sns:us-east-1:123456789012:Topic1', Message: 'attempt 3' }]);
  });

  it('refuses to run with a Task left without a handler, or a handler for no Task', async () => {
    await expect(runLocally(definitionFrom(template), {}, { handlers: { Work: () => ({}) } })).rejects.toThrow('No local handler for Task state(s) Tell');
    await expect(runLocally(definitionFrom(template), {}, { handlers: { Work: () => ({}), Tell: () => ({}), Typo: () => ({}) } }))
      .rejects.toThrow('Handlers for states that are not Tasks of the definition: Typo');
  });

  it('names what it cannot resolve', () => {
    const bad = Template.fromJSON({ Resources: { M: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: { 'Fn::Join': ['', ['{', { Ref: 'Missing' }, '}']] } } } } });
    expect(() => definitionFrom(bad)).toThrow('Definition references Missing, which is not a resource of the template');
    expect(() => definitionFrom(Template.fromJSON({ Resources: {} }))).toThrow('Expected one state machine, found none');
  });
});
