import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { SecureKey } from '../../lib/constructs/secure-key';
import { SecureLogGroup, vendedLogGroupName } from '../../lib/constructs/secure-log-group';
import { describeFindings, findingsOf, templateOf, testApp } from '../helpers/app';

describe('SecureLogGroup', () => {
  it('keeps a year of logs encrypted with the key, retained by default', () => {
    const app = testApp();
    const stack = new Stack(app, 'LogTest');
    const key = new SecureKey(stack, 'Key', { description: 'logs' });
    const group = new SecureLogGroup(stack, 'Logs', { encryptionKey: key });
    templateOf(group).hasResource('AWS::Logs::LogGroup', {
      Properties: {
        RetentionInDays: 365,
        KmsKeyId: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as never), 'Arn'] },
      },
      DeletionPolicy: 'Retain',
    });
    expect(describeFindings(findingsOf(app))).toEqual([]);
  });

  it('takes retention, name and removal policy from props', () => {
    const stack = new Stack(testApp({ gates: false }), 'LogTest');
    const key = new SecureKey(stack, 'Key', { description: 'logs' });
    const group = new SecureLogGroup(stack, 'Logs', {
      encryptionKey: key,
      retention: logs.RetentionDays.TWO_YEARS,
      removalPolicy: RemovalPolicy.DESTROY,
      logGroupName: '/aws/vendedlogs/states/example',
    });
    templateOf(group).hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 731, LogGroupName: '/aws/vendedlogs/states/example', KmsKeyId: Match.anyValue() },
      DeletionPolicy: 'Delete',
    });
  });

  it('refuses logs that never expire', () => {
    const stack = new Stack(testApp({ gates: false }), 'LogTest');
    const key = new SecureKey(stack, 'Key', { description: 'logs' });
    expect(() => new SecureLogGroup(stack, 'Logs', { encryptionKey: key, retention: logs.RetentionDays.INFINITE })).toThrow(
      'SecureLogGroup retention must be finite (got INFINITE)',
    );
  });
});

describe('vendedLogGroupName', () => {
  it('puts the group under /aws/vendedlogs/<service>/ and ends it with the stack id\'s UUID', () => {
    const stack = new Stack(new App(), 'Speech');
    const key = new SecureKey(stack, 'Key', { description: 'test' });
    new SecureLogGroup(stack, 'Logs', { encryptionKey: key, logGroupName: vendedLogGroupName(stack, 'StateMachine', 'states') });
    const name = JSON.stringify(Template.fromStack(stack).findResources('AWS::Logs::LogGroup'));
    expect(name).toContain('"/aws/vendedlogs/states/Speech-StateMachine-"');
    expect(name).toContain('{"Fn::Select":[2,{"Fn::Split":["/",{"Ref":"AWS::StackId"}]}]}');
  });
});
