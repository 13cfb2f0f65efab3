import { Aspects, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { addArchitectures } from '../../lib/app';
import { FunctionLogGroups } from '../../lib/constructs/function-log-groups';
import { SecureKey } from '../../lib/constructs/secure-key';
import { SANDBOX, testApp } from '../helpers/app';

type Resources = Record<string, { Type: string; Properties?: { LoggingConfig?: { LogGroup?: { Ref?: string } }; KmsKeyId?: unknown }; DependsOn?: string[]; DeletionPolicy?: string }>;

describe('FunctionLogGroups', () => {
  it('gives aws-cdk-lib\'s auto-delete provider a log group the stack owns, created before and deleted after it', () => {
    const stack = new Stack(testApp({ gates: false }), 'Helpers');
    const key = new SecureKey(stack, 'Key', { description: 'test' });
    new s3.Bucket(stack, 'Bucket', { autoDeleteObjects: true, removalPolicy: RemovalPolicy.DESTROY });
    Aspects.of(stack).add(new FunctionLogGroups({ encryptionKey: key, retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY }));
    const resources = Template.fromStack(stack).toJSON().Resources as Resources;
    const [fnId, fn] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::Lambda::Function')!;
    const groupId = fn.Properties!.LoggingConfig!.LogGroup!.Ref!;
    expect(resources[groupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'Delete', Properties: { RetentionInDays: 365 } });
    expect(resources[groupId].Properties!.KmsKeyId).toBeDefined();
    expect(resources[fnId].DependsOn).toContain(groupId);
  });

  it('leaves a function that names its own log group alone', () => {
    const app = testApp({ gates: false });
    const stacks = addArchitectures(app, { profile: SANDBOX });
    for (const stack of stacks) {
      const resources = Template.fromStack(stack).toJSON().Resources as Resources;
      const functions = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
      for (const [id, fn] of functions) {
        // Every function of every stack logs to a group of its own template, whoever made the function.
        const group = fn.Properties?.LoggingConfig?.LogGroup?.Ref as string | undefined;
        expect({ id, type: group && resources[group]?.Type }).toEqual({ id, type: 'AWS::Logs::LogGroup' });
      }
      const helperGroups = Object.keys(resources).filter((id) => id.startsWith('FunctionLogGroups'));
      const ownGroups = functions.filter(([id]) => !id.startsWith('Custom')).length;
      expect(helperGroups.length).toBe(functions.length - ownGroups);
    }
  });
});
