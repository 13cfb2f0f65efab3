import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addArchitectures } from '../lib/app';
import { DeploymentProfile } from '../lib/config/profile';
import { Finding } from '../lib/gates';
import { describeFindings, findingsOf, PRODUCTION, SANDBOX, testApp } from './helpers/app';

/**
 * Actions that may have Resource "*" because the service offers no resource-level permission for
 * them (Service Authorization Reference, "Resource types" column empty). Anything else on "*" fails.
 */
const ACTIONS_WITHOUT_RESOURCE_LEVEL: Readonly<Record<string, string>> = {
  'xray:PutTraceSegments': 'X-Ray tracing from Lambda',
  'xray:PutTelemetryRecords': 'X-Ray tracing from Lambda',
  'cloudwatch:PutMetricData': 'Glue job metrics (DataLake CurateJobRole) and SageMaker job metrics (SageMakerPlatform ExecutionRole), each limited to its namespace by condition',
  'xray:GetSamplingRules': 'X-Ray tracing from Step Functions',
  'xray:GetSamplingTargets': 'X-Ray tracing from Step Functions',
  // Step Functions vended-log delivery (CDK adds these with logging on); none has a resource type.
  'logs:CreateLogDelivery': 'Step Functions logging',
  'logs:GetLogDelivery': 'Step Functions logging',
  'logs:UpdateLogDelivery': 'Step Functions logging',
  'logs:DeleteLogDelivery': 'Step Functions logging',
  'logs:ListLogDeliveries': 'Step Functions logging',
  'logs:PutResourcePolicy': 'Step Functions logging (account-level CloudWatch Logs resource policy)',
  'logs:DescribeResourcePolicies': 'Step Functions logging',
  'logs:DescribeLogGroups': 'Step Functions logging',
  // Speech chain: scoped by transcribe:OutputBucketName / OutputEncryptionKMSKeyId conditions instead.
  'transcribe:StartTranscriptionJob': 'Speech chain: Transcribe job start has no resource type',
  'translate:TranslateText': 'Speech chain: TranslateText has resource-level permissions only for custom terminologies',
  'comprehend:DetectDominantLanguage': 'Speech chain: called by Translate with SourceLanguageCode "auto"; no resource type',
  'comprehend:BatchDetectSentiment': 'Speech chain: pre-trained Comprehend models have no ARN',
  'comprehend:DetectEntities': 'Speech chain: its resource type is a custom entity-recognizer endpoint; the pre-trained model has none',
  'comprehend:DetectKeyPhrases': 'Speech chain: pre-trained Comprehend models have no ARN',
  'sagemaker:ListTags': 'SageMaker state machines: the Step Functions guide\'s "IAM policies for Amazon SageMaker" grant it on "*" (read-only)',
  'polly:SynthesizeSpeech': 'Speech chain summary: the only resource type is an optional lexicon, and none is used (Polly guide, API permissions reference: "*")',
  'polly:StartSpeechSynthesisTask': 'Speech chain summary past SynthesizeSpeech\'s limits: as SynthesizeSpeech, no lexicon is used',
  'polly:GetSpeechSynthesisTask': 'Speech chain: no resource type (Service Authorization Reference, Amazon Polly)',
  // SageMaker jobs in a VPC look up their network before creating ENIs; EC2 Describe* has no resource type.
  'ec2:DescribeNetworkInterfaces': 'SageMaker jobs in a VPC (ENI setup)',
  'ec2:DescribeVpcs': 'SageMaker jobs in a VPC (ENI setup)',
  'ec2:DescribeDhcpOptions': 'SageMaker jobs in a VPC (ENI setup)',
  'ec2:DescribeSubnets': 'SageMaker jobs in a VPC (ENI setup)',
  'ec2:DescribeSecurityGroups': 'SageMaker jobs in a VPC (ENI setup)',
  'rekognition:StartLabelDetection': 'Rekognition Video stored-video job (VideoAnalysis starter)',
  'rekognition:StartFaceDetection': 'Rekognition Video stored-video job (VideoAnalysis starter)',
  'rekognition:StartContentModeration': 'Rekognition Video stored-video job (VideoAnalysis starter)',
  'rekognition:StartTextDetection': 'Rekognition Video stored-video job (VideoAnalysis starter, optional analysis)',
  'rekognition:GetLabelDetection': 'Rekognition Video job results (VideoAnalysis results collector)',
  'rekognition:GetFaceDetection': 'Rekognition Video job results (VideoAnalysis results collector)',
  'rekognition:GetContentModeration': 'Rekognition Video job results (VideoAnalysis results collector)',
  'rekognition:GetTextDetection': 'Rekognition Video job results (VideoAnalysis results collector, optional analysis)',
  'rekognition:DetectModerationLabels': 'Stock moderation model; a resource (project version) exists only for custom adapters (VideoAnalysis image analysis)',
  'rekognition:DetectLabels': 'Rekognition Image, no resource type (VideoAnalysis image analysis)',
  'rekognition:DetectFaces': 'Rekognition Image, no resource type (VideoAnalysis image analysis and live frame search)',
  'rekognition:DetectText': 'Rekognition Image, no resource type (VideoAnalysis image analysis)',
  'rekognition:RecognizeCelebrities': 'Rekognition Image, no resource type (VideoAnalysis image analysis)',
};

function synthAll(profile: DeploymentProfile) {
  const app = testApp();
  const stacks = addArchitectures(app, { profile });
  return { app, stacks };
}

interface Statement {
  Effect: string;
  Action?: string | string[];
  Resource?: unknown;
}

function identityStatements(stack: Stack): Statement[] {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
  const managed = Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy');
  return [...Object.values(policies), ...Object.values(managed)].flatMap(
    (p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
}

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

describe.each([
  ['sandbox', SANDBOX],
  ['production', PRODUCTION],
])('the whole app in the %s profile', (_name, profile) => {
  // One gated synth per profile, shared by every check below: each synth runs cdk-nag and the
  // Control Tower rules over every stack (1-2 s per stack), and the checks only read its output.
  let app: App;
  let stacks: Stack[];
  let findings: Finding[];
  beforeAll(() => {
    ({ app, stacks } = synthAll(profile));
    findings = findingsOf(app);
  });

  it('passes cdk-nag AwsSolutions, NIST 800-53 R5 and the Control Tower rules', () => {
    expect(describeFindings(findings)).toEqual([]);
  });

  it('tags every stack and every taggable resource with project, architecture and profile', () => {
    const assembly = app.synth();
    const wanted = { project: 'ml-on-aws-reference-architectures', profile: profile.name, architecture: expect.any(String) };
    for (const stack of stacks) {
      // Stack tags are what CloudFormation propagates to resources it tags itself.
      expect(assembly.getStackArtifact(stack.artifactId).tags).toEqual(expect.objectContaining(wanted));
      const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Properties?: { Tags?: unknown } }>;
      const untagged = Object.entries(resources)
        .filter(([, r]) => Array.isArray(r.Properties?.Tags))
        .filter(([, r]) => {
          const tags = Object.fromEntries((r.Properties!.Tags as Array<{ Key: string; Value: string }>).map((t) => [t.Key, t.Value]));
          return tags.project !== wanted.project || tags.profile !== profile.name || typeof tags.architecture !== 'string';
        })
        .map(([id]) => id);
      expect(untagged).toEqual([]);
    }
  });

  it('grants no wildcard action, and "*" resources only for actions without resource-level permissions', () => {
    const problems: string[] = [];
    for (const stack of stacks) {
      for (const st of identityStatements(stack).filter((s) => s.Effect === 'Allow')) {
        const actions = asList(st.Action);
        for (const action of actions.filter((a) => a === '*' || a.endsWith(':*'))) {
          problems.push(`${stack.stackName}: wildcard action ${action}`);
        }
        if (asList(st.Resource).includes('*')) {
          for (const action of actions.filter((a) => !(a in ACTIONS_WITHOUT_RESOURCE_LEVEL))) {
            problems.push(`${stack.stackName}: ${action} on Resource "*"`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
