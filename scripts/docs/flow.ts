/**
 * Derive a data-flow graph from one synthesized CloudFormation template: who sends data to whom,
 * in the direction it moves. Two sources of edges, in this order of trust:
 *
 * 1. Wiring the template states outright: EventBridge rules and their targets, Lambda event source
 *    mappings, SNS subscriptions, S3 notifications, Firehose sources and destinations, Step
 *    Functions Task states, Rekognition stream processors, Glue jobs, crawlers and tables, Athena
 *    result locations and named queries, SageMaker models and endpoints, dead-letter queues; VPC
 *    endpoints, and the resources in a VPC's subnets, are drawn inside the VPC.
 * 2. IAM: a principal allowed to write a resource (s3:PutObject, sns:Publish, states:StartExecution,
 *    ...) sends data to it; allowed to read one (s3:GetObject, kinesis:GetRecords) receives from it;
 *    allowed to call a service that has no resource in the template (rekognition:DetectLabels)
 *    sends to that service. A role that a service assumes on its own behalf (Rekognition's
 *    notification role, the SageMaker execution role passed to a training job) makes the service
 *    the principal. IAM edges fill only gaps the wiring left.
 *
 * What the template does not say (a handler that reads a bucket it was never granted, the key
 * prefixes a handler writes, the order of calls inside a handler) is not guessed.
 */
import { CfnResource, CfnTemplate, definitionOf, Json, flatten, isObject, leaves, refsIn, tokensIn } from './template';
import { movesWords, phraseFor, RESOURCE_ACTION_WORDS, s3Prefix, scheduleWords, SERVICE_GRANT_WORDS } from './vocabulary';

export type NodeKind = 'store' | 'compute' | 'messaging' | 'service' | 'network' | 'other';
export type EdgeStyle = 'data' | 'failure' | 'schema';

export interface FlowNode {
  readonly id: string;
  /** Service, e.g. "S3 bucket". */
  readonly service: string;
  /** Construct path relative to the stack (for template resources). */
  readonly construct?: string;
  readonly kind: NodeKind;
  /** What the template says about it beyond its type, e.g. a VPC endpoint's service. */
  detail?: string;
  /** Set when the node exists only with opt-in switches on: their names. */
  optIn?: string;
  /** Id of the VPC subgraph the node sits in. */
  vpc?: string;
}

export interface FlowEdge {
  readonly from: string;
  readonly to: string;
  label: string;
  readonly style: EdgeStyle;
  /** Whether the template's wiring states the edge, or only an IAM grant implies it. */
  readonly origin: 'wiring' | 'iam';
  /**
   * A state machine reading back what its own runs wrote (an evaluation report): data moves, but
   * it is not where the flow starts, so the layout does not rank the machine after the store.
   */
  readsBack?: boolean;
}

export interface FlowGraph {
  readonly nodes: FlowNode[];
  readonly edges: FlowEdge[];
  /** VPC subgraphs: id -> construct label, and whether an internet gateway is attached to it. */
  readonly vpcs: Vpc[];
}

export interface Vpc {
  readonly id: string;
  readonly construct: string;
  readonly internetGateway?: boolean;
}

/** Logical id -> construct path relative to the stack (from the cloud assembly's metadata). */
export type ConstructPaths = Readonly<Record<string, string>>;

const RESOURCE_LABELS: Record<string, [string, NodeKind]> = {
  'AWS::S3::Bucket': ['S3 bucket', 'store'],
  'AWS::Lambda::Function': ['Lambda', 'compute'],
  'AWS::SQS::Queue': ['SQS queue', 'messaging'],
  'AWS::SNS::Topic': ['SNS topic', 'messaging'],
  'AWS::Events::Rule': ['EventBridge rule', 'messaging'],
  'AWS::Kinesis::Stream': ['Kinesis Data Streams', 'messaging'],
  'AWS::KinesisFirehose::DeliveryStream': ['Data Firehose', 'compute'],
  'AWS::KinesisVideo::Stream': ['Kinesis Video Streams', 'messaging'],
  'AWS::Rekognition::StreamProcessor': ['Rekognition stream processor', 'compute'],
  'AWS::StepFunctions::StateMachine': ['Step Functions', 'compute'],
  'AWS::Glue::Job': ['Glue job', 'compute'],
  'AWS::Glue::Crawler': ['Glue crawler', 'compute'],
  'AWS::Glue::Database': ['Glue database', 'store'],
  'AWS::Glue::Table': ['Glue table', 'store'],
  'AWS::Athena::WorkGroup': ['Athena workgroup', 'compute'],
  'AWS::DynamoDB::Table': ['DynamoDB table', 'store'],
  'AWS::DynamoDB::GlobalTable': ['DynamoDB table', 'store'],
  'AWS::EC2::VPCEndpoint': ['VPC endpoint', 'network'],
  'AWS::SageMaker::NotebookInstance': ['SageMaker notebook', 'compute'],
  'AWS::SageMaker::Model': ['SageMaker model', 'compute'],
  'AWS::SageMaker::Endpoint': ['SageMaker endpoint', 'compute'],
  'AWS::SageMaker::EndpointConfig': ['SageMaker endpoint config', 'other'],
  'AWS::SageMaker::Domain': ['SageMaker domain', 'compute'],
  'AWS::SageMaker::Pipeline': ['SageMaker pipeline', 'compute'],
  'AWS::SageMaker::ModelPackageGroup': ['SageMaker model registry', 'store'],
  'AWS::EMRServerless::Application': ['EMR Serverless', 'compute'],
  'AWS::KinesisAnalyticsV2::Application': ['Managed Service for Apache Flink', 'compute'],
  'AWS::ECR::Repository': ['ECR repository', 'store'],
  'AWS::Rekognition::Collection': ['Rekognition face collection', 'store'],
};

const SERVICE_NAMES: Record<string, string> = {
  rekognition: 'Amazon Rekognition',
  transcribe: 'Amazon Transcribe',
  comprehend: 'Amazon Comprehend',
  translate: 'Amazon Translate',
  polly: 'Amazon Polly',
  textract: 'Amazon Textract',
  lex: 'Amazon Lex',
  bedrock: 'Amazon Bedrock',
  sagemaker: 'SageMaker',
  athena: 'Amazon Athena',
  glue: 'AWS Glue',
  s3: 'Amazon S3',
  sns: 'Amazon SNS',
  sqs: 'Amazon SQS',
  kinesis: 'Kinesis Data Streams',
  firehose: 'Data Firehose',
  kinesisvideo: 'Kinesis Video Streams',
  dynamodb: 'DynamoDB',
  states: 'Step Functions',
  lambda: 'Lambda',
  'emr-serverless': 'EMR Serverless',
  events: 'EventBridge',
  scheduler: 'EventBridge Scheduler',
};

/** Actions that move no data between the resources of an architecture (encryption, logs, tracing, networking). */
const IGNORED_SERVICES = new Set(['kms', 'logs', 'xray', 'iam', 'ec2', 'cloudwatch', 'events', 'sts', 'ecr', 'ssm', 'tag', 'cloudformation']);
const READ = /^(Get(?!Bucket|Queue|.*Attributes$|.*Policy$|EncryptionConfiguration)|Receive|Query|Scan|BatchGet|Select|SubscribeToShard|Search)/;
/**
 * Reads of metadata, not data: the Glue Data Catalog's definitions (a schema edge shows them where
 * wired); a Kinesis video stream's GetDataEndpoint, which returns the URL to read frames from.
 */
const METADATA_ACTIONS = /^(glue:(Get|BatchGet)(Table|Database|Partition|Schema|Classifier|Crawler|Job)|kinesisvideo:GetDataEndpoint$)/;
/**
 * A role trusted by one of these services and attached to nothing acts as the template's one
 * resource of that service, when there is exactly one (EMR Serverless job runs get their role
 * at StartJobRun, not from the application).
 */
const SERVICE_RESOURCE_TYPES: Record<string, string[]> = {
  'emr-serverless': ['AWS::EMRServerless::Application'],
  kinesisanalytics: ['AWS::KinesisAnalyticsV2::Application'],
  glue: ['AWS::Glue::Job'],
};
const WRITE = /^(Put|Send|Publish|Start|Create|Invoke|Upload|Write|BatchWrite|UpdateItem|Detect|Translate|Synthesize|Analyze|Recognize|Classify|BatchDetect|Index)/;
/** A parameter or argument whose name says the service writes there. */
const WRITE_KEY = /output|destination|result|target|notification|checkpoint|sink|write|dest/i;
/** Parameters that name configuration, not data (roles, keys, logs, networking, scripts). */
const SKIPPED_TYPES = new Set(['AWS::IAM::Role', 'AWS::KMS::Key', 'AWS::KMS::Alias', 'AWS::Logs::LogGroup', 'AWS::EC2::Subnet', 'AWS::EC2::SecurityGroup', 'AWS::EC2::VPC', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']);
/** Services whose resources live in the template: a call on them is an edge to the resource, not to a service node. */
const RESOURCE_SERVICES = new Set(['s3', 'sqs', 'sns', 'dynamodb', 'kinesis', 'firehose', 'states', 'lambda', 'glue']);

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Order by UTF-16 code units, never by locale: the committed diagrams must be identical on every machine. */
export const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Construct path for a node label: drop the L1 "Resource"/"Default" leaf CDK adds under each L2. */
function constructLabel(path: string | undefined, logicalId: string): string {
  if (!path) {
    return logicalId;
  }
  const parts = path.split('/').filter((p) => p.length > 0);
  while (parts.length > 1 && ['Resource', 'Default'].includes(parts[parts.length - 1])) {
    parts.pop();
  }
  return parts.join('/');
}

export function labelForType(type: string): [string, NodeKind] {
  if (RESOURCE_LABELS[type]) {
    return RESOURCE_LABELS[type];
  }
  const [, service, resource] = type.split('::');
  return [`${service ?? type} ${resource ?? ''}`.trim(), 'other'];
}

/** A service prefix ("transcribe") or trust principal ("rekognition.amazonaws.com") as a node label. */
export function serviceName(prefix: string): string {
  const p = prefix.replace(/\.amazonaws\.com(\.cn)?$/, '');
  return SERVICE_NAMES[p] ?? p;
}

class GraphBuilder {
  private readonly nodes = new Map<string, FlowNode>();
  private readonly edges = new Map<string, FlowEdge>();
  /** Resources a service node's jobs are configured with (a Task's VpcConfig subnets), for VPC placement. */
  readonly jobRefs = new Map<string, Set<string>>();

  constructor(
    private readonly resources: Record<string, CfnResource>,
    private readonly paths: ConstructPaths,
  ) {}

  resourceNode(logicalId: string): string | undefined {
    const r = this.resources[logicalId];
    if (!r || SKIPPED_TYPES.has(r.Type)) {
      return undefined;
    }
    if (!this.nodes.has(logicalId)) {
      const [service, kind] = labelForType(r.Type);
      this.nodes.set(logicalId, { id: logicalId, service, kind, construct: constructLabel(this.paths[logicalId], logicalId) });
    }
    return logicalId;
  }

  /** Service nodes that stand for one resource of the template (SageMaker endpoint -> the stack's endpoint). */
  private readonly aliases = new Map<string, string>();

  /** From now on, the service node `name` is the resource node `id`. */
  alias(name: string, id: string): void {
    this.aliases.set(name, id);
  }

  serviceNode(name: string): string {
    const alias = this.aliases.get(name);
    if (alias) {
      return alias;
    }
    const id = `svc_${name.replace(/[^A-Za-z0-9]+/g, '_')}`;
    if (!this.nodes.has(id)) {
      this.nodes.set(id, { id, service: name, kind: 'service' });
    }
    return id;
  }

  node(id: string): FlowNode | undefined {
    return this.nodes.get(id);
  }

  markReadBack(from: string | undefined, to: string | undefined): void {
    const e = this.edges.get(`${from}>${to}`);
    if (e) {
      e.readsBack = true;
    }
  }

  /**
   * Add an edge; a second edge between the same two nodes adds its label unless one is there.
   * Edges added after `freezeWiring` come from IAM.
   */
  edge(from: string | undefined, to: string | undefined, label: string, style: EdgeStyle = 'data', onlyIfNew = false): void {
    if (!from || !to || from === to) {
      return;
    }
    const key = `${from}>${to}`;
    const existing = this.edges.get(key);
    if (existing) {
      if (!onlyIfNew && label && !existing.label.split(', ').includes(label)) {
        existing.label = existing.label ? `${existing.label}, ${label}` : label;
      }
      return;
    }
    this.edges.set(key, { from, to, label, style, origin: this.frozen ? 'iam' : 'wiring' });
  }

  /** Pairs joined by the template's own wiring, in either direction: IAM edges do not repeat them. */
  private wiring = new Set<string>();
  private frozen = false;

  freezeWiring(): void {
    this.frozen = true;
    for (const e of this.edges.values()) {
      this.wiring.add(`${e.from}>${e.to}`).add(`${e.to}>${e.from}`);
    }
  }

  isWired(from: string, to: string): boolean {
    return this.wiring.has(`${from}>${to}`);
  }

  /** Whether the template's wiring (not IAM) connects the node to anything. */
  hasWiredEdge(id: string): boolean {
    return [...this.wiring].some((k) => k.startsWith(`${id}>`));
  }

  result(vpcs: Vpc[]): FlowGraph {
    const used = new Set<string>();
    for (const e of this.edges.values()) {
      used.add(e.from);
      used.add(e.to);
    }
    const nodes = [...this.nodes.values()].filter((n) => used.has(n.id) || n.kind === 'network').sort((a, b) => byCodeUnit(a.id, b.id));
    const edges = [...this.edges.values()].sort((a, b) => byCodeUnit(a.from, b.from) || byCodeUnit(a.to, b.to));
    const usedVpcs = vpcs.filter((v) => nodes.some((n) => n.vpc === v.id));
    return { nodes, edges, vpcs: usedVpcs };
  }
}

/** Functions and roles that only serve CloudFormation custom resources (bucket auto-delete, notifications). */
function customResourceMachinery(resources: Record<string, CfnResource>): Set<string> {
  const skip = new Set<string>();
  const isCustom = (r: CfnResource) => r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource';
  const queue: string[] = [];
  for (const [id, r] of Object.entries(resources)) {
    if (isCustom(r)) {
      skip.add(id);
      queue.push(...refsIn(r.Properties?.ServiceToken));
    }
  }
  while (queue.length > 0) {
    const id = queue.pop()!;
    const r = resources[id];
    if (!r || skip.has(id)) {
      continue;
    }
    skip.add(id);
    if (r.Type === 'AWS::Lambda::Function' || r.Type === 'AWS::Lambda::Permission') {
      // A provider framework's function names the user handler in its environment.
      queue.push(...refsIn(r.Properties?.Environment ?? null), ...refsIn(r.Properties?.Role));
    }
  }
  return skip;
}

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: Json;
}

/** Every identity policy statement, keyed by the role logical id it is attached to. */
function statementsByRole(resources: Record<string, CfnResource>): Map<string, Statement[]> {
  const byRole = new Map<string, Statement[]>();
  const add = (role: string, statements: Json | undefined) => {
    const list = byRole.get(role) ?? [];
    list.push(...(asList(statements as Statement | Statement[] | undefined)));
    byRole.set(role, list);
  };
  for (const [id, r] of Object.entries(resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
      const doc = p.PolicyDocument as { Statement?: Json } | undefined;
      for (const role of refsIn(p.Roles)) {
        add(role, doc?.Statement);
      }
    }
    if (r.Type === 'AWS::IAM::Role') {
      for (const policy of asList(p.Policies as Json[] | undefined)) {
        add(id, (policy as { PolicyDocument?: { Statement?: Json } })?.PolicyDocument?.Statement);
      }
      for (const managed of refsIn(p.ManagedPolicyArns)) {
        const m = resources[managed];
        if (m?.Type === 'AWS::IAM::ManagedPolicy') {
          add(id, (m.Properties?.PolicyDocument as { Statement?: Json } | undefined)?.Statement);
        }
      }
    }
  }
  return byRole;
}

/** The services allowed to assume a role (its trust policy), e.g. ["rekognition.amazonaws.com"]. */
function trustedServices(role: CfnResource): string[] {
  const doc = role.Properties?.AssumeRolePolicyDocument as { Statement?: Json } | undefined;
  return asList(doc?.Statement as Json[] | undefined).flatMap((s) => {
    const principal = (s as { Principal?: { Service?: Json } })?.Principal?.Service;
    return asList(principal as Json[] | undefined).map((v) => flatten(v));
  });
}

/** Property paths where a resource names the role it runs as (not roles it passes on). */
function roleUsers(resources: Record<string, CfnResource>, skip: Set<string>): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const [id, r] of Object.entries(resources)) {
    if (skip.has(id) || r.Type.startsWith('AWS::IAM::') || r.Type === 'AWS::Events::Rule' || r.Type.startsWith('AWS::Lambda::Permission')) {
      continue;
    }
    const props = { ...(r.Properties ?? {}) };
    delete props.Environment;
    delete props.DefinitionString;
    delete props.Definition;
    delete props.DefaultArguments;
    for (const leafRef of roleRefs(props)) {
      if (resources[leafRef]?.Type === 'AWS::IAM::Role') {
        const list = users.get(leafRef) ?? [];
        if (!list.includes(id)) {
          list.push(id);
        }
        users.set(leafRef, list);
      }
    }
  }
  return users;
}

function roleRefs(value: Json): string[] {
  const found: string[] = [];
  const walk = (v: Json, key: string) => {
    if (Array.isArray(v)) {
      v.forEach((x) => walk(x, key));
    } else if (isObject(v)) {
      if (/role/i.test(key)) {
        found.push(...refsIn(v));
        return;
      }
      for (const [k, x] of Object.entries(v)) {
        walk(x, k);
      }
    }
  };
  walk(value, '');
  return found;
}

/** Role logical id -> the job nodes it is passed to (empty: passed to the service itself). */
type PassedRoles = Map<string, Set<string>>;

/** A Step Functions Task's target: "lambda:invoke", "aws-sdk:transcribe:startTranscriptionJob", ... */
interface TaskState {
  readonly name: string;
  readonly resource: string;
  readonly parameters: Json;
}

function taskStates(definition: Json): TaskState[] {
  const tasks: TaskState[] = [];
  const walkStates = (states: Json | undefined) => {
    if (!isObject(states)) {
      return;
    }
    for (const [name, state] of Object.entries(states)) {
      if (!isObject(state)) {
        continue;
      }
      if (state.Type === 'Task' && typeof state.Resource === 'string') {
        tasks.push({ name, resource: state.Resource, parameters: (state.Parameters ?? state.Arguments ?? null) as Json });
      }
      for (const branch of asList(state.Branches as Json[] | undefined)) {
        walkStates((branch as { States?: Json })?.States);
      }
      const inner = (state.ItemProcessor ?? state.Iterator) as { States?: Json } | undefined;
      walkStates(inner?.States);
    }
  };
  walkStates((definition as { States?: Json })?.States);
  return tasks;
}

/**
 * The node a SageMaker call runs: "createTrainingJob" -> "SageMaker training job",
 * "createModel" -> "SageMaker model", endpoint configurations and updates -> "SageMaker endpoint".
 */
function sageMakerNodeName(action: string): string {
  const base = action.replace(/\.(sync|waitForTaskToken)(:\d)?$/, '');
  const m = base.match(/^(create|describe|stop|start|list|delete|update|add)(.+?)s?$/i);
  const noun = (m ? m[2] : base)
    .replace(/HyperParameterTuningJob/, 'tuning job')
    .replace(/TransformJob/, 'batch transform job')
    .replace(/EndpointConfig/, 'Endpoint')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  if (/^invokeEndpoint/i.test(base) || /^endpoint/.test(noun)) {
    return 'SageMaker endpoint';
  }
  return `SageMaker ${noun}`;
}

/** What a wiring handler works with: the graph and ways to name the template's resources in it. */
interface WiringContext {
  readonly graph: GraphBuilder;
  readonly resources: Record<string, CfnResource>;
  /** The node of a resource (undefined for roles, keys, custom-resource machinery). */
  readonly node: (id: string | undefined) => string | undefined;
  /** The node of the first resource a value refers to. */
  readonly firstNode: (v: Json | undefined) => string | undefined;
  readonly typeOf: (id: string) => string | undefined;
  /**
   * Roles handed to a service rather than assumed by their holder: named in a function's
   * environment (the service node acts with them) or in a Task's parameters (the job node does).
   */
  readonly passedRoles: PassedRoles;
}
type Wiring = (wiring: WiringContext, id: string, props: Record<string, Json>) => void;

/** S3 notification configurations: the list and the key naming the destination in it. */
const S3_NOTIFICATION_KEYS: Array<[string, string]> = [
  ['LambdaConfigurations', 'Function'],
  ['LambdaFunctionConfigurations', 'LambdaFunctionArn'],
  ['QueueConfigurations', 'Queue'],
  ['QueueConfigurations', 'QueueArn'],
  ['TopicConfigurations', 'Topic'],
  ['TopicConfigurations', 'TopicArn'],
];

/** "new objects in media/" for object-created events; the event names otherwise. */
function objectEventWords(kinds: string[], prefixes: string[], suffixes: string[] = []): string {
  const created = kinds.length === 0 || kinds.every((k) => /Object ?Created/i.test(k));
  const what = created ? 'new objects' : kinds.join(', ');
  const where = prefixes.length > 0 ? ` in ${prefixes.join(', ')}` : '';
  const ending = suffixes.length > 0 ? ` ending ${suffixes.join(', ')}` : '';
  return `${what}${where}${ending}`;
}

/** Bucket notifications, on the bucket itself or in CDK's Custom::S3BucketNotifications. */
const s3Notifications = (wiring: WiringContext, bucket: string | undefined, props: Record<string, Json>) => {
  const config = (props.NotificationConfiguration ?? {}) as Record<string, Json>;
  for (const [list, key] of S3_NOTIFICATION_KEYS) {
    for (const entry of asList(config[list] as Json[] | undefined)) {
      const cfg = entry as Record<string, Json>;
      const rules = leaves(cfg.Filter).filter((l) => l.path.includes('Value'));
      const kinds = asList(cfg.Events as Json[] | undefined).concat(cfg.Event ? [cfg.Event] : []).map(String);
      const ruleOf = (name: string) => rules.filter((l) => String(l.item?.Name ?? '').toLowerCase() === name).map((l) => l.text);
      wiring.graph.edge(bucket, wiring.firstNode(cfg[key]), objectEventWords(kinds, ruleOf('prefix'), ruleOf('suffix')));
    }
  }
};

/** How each resource type wires data to others, read from its own properties. */
const WIRING: Record<string, Wiring> = {
  // S3 "Object Created" patterns come from the bucket; other sources from their service.
  'AWS::Events::Rule': (wiring, id, props) => {
    const pattern = (props.EventPattern ?? {}) as Record<string, Json>;
    const sources = asList(pattern.source as Json[] | undefined).map(String);
    const detailTypes = asList(pattern['detail-type'] as Json[] | undefined).map(String);
    const label = detailTypes.length > 0 ? detailTypes.join(' / ') : props.ScheduleExpression ? scheduleWords(String(props.ScheduleExpression)) : 'events';
    const detail = (pattern.detail ?? {}) as Record<string, Json>;
    const buckets = refsIn((detail.bucket as Record<string, Json> | undefined)?.name).map(wiring.node).filter((x): x is string => !!x);
    const prefix = leaves((detail.object as Record<string, Json> | undefined)?.key).map((l) => l.text);
    const fromNodes = buckets.length > 0
      ? buckets
      : sources.length > 0
        ? sources.map((s) => wiring.graph.serviceNode(serviceName(s.replace(/^aws\./, ''))))
        : [wiring.node(id)];
    for (const target of asList(props.Targets as Json[] | undefined)) {
      const to = wiring.firstNode((target as { Arn?: Json }).Arn);
      const words = buckets.length > 0 && detailTypes.every((t) => t === 'Object Created') ? objectEventWords(detailTypes, prefix) : label;
      for (const from of fromNodes) {
        wiring.graph.edge(from, to, prefix.length > 0 && words === label ? `${label} ${prefix.join(', ')}` : words);
      }
      wiring.graph.edge(fromNodes[0], wiring.firstNode((target as { DeadLetterConfig?: { Arn?: Json } }).DeadLetterConfig?.Arn), 'events EventBridge could not deliver', 'failure');
    }
  },
  'AWS::Lambda::EventSourceMapping': (wiring, _id, props) => {
    const source = wiring.firstNode(props.EventSourceArn);
    wiring.graph.edge(source, wiring.firstNode(props.FunctionName), wiring.typeOf(source ?? '') === 'AWS::SQS::Queue' ? 'messages' : 'records');
    const onFailure = (props.DestinationConfig as { OnFailure?: { Destination?: Json } } | undefined)?.OnFailure?.Destination;
    wiring.graph.edge(wiring.firstNode(props.FunctionName), wiring.firstNode(onFailure), 'failed batches', 'failure');
  },
  'AWS::SNS::Subscription': (wiring, _id, props) => {
    wiring.graph.edge(wiring.firstNode(props.TopicArn), wiring.firstNode(props.Endpoint), 'messages');
    const dlq = (props.RedrivePolicy as { deadLetterTargetArn?: Json } | undefined)?.deadLetterTargetArn;
    wiring.graph.edge(wiring.firstNode(props.TopicArn), wiring.firstNode(dlq), 'undeliverable messages', 'failure');
  },
  'AWS::SNS::Topic': (wiring, id, props) => {
    for (const entry of asList(props.Subscription as Json[] | undefined)) {
      const sub = entry as { Endpoint?: Json; Protocol?: Json };
      wiring.graph.edge(wiring.node(id), wiring.firstNode(sub.Endpoint), 'messages');
    }
  },
  'AWS::S3::Bucket': (wiring, id, props) => s3Notifications(wiring, wiring.node(id), props),
  'Custom::S3BucketNotifications': (wiring, _id, props) => s3Notifications(wiring, wiring.firstNode(props.BucketName), props),
  'AWS::SQS::Queue': (wiring, id, props) => {
    const redrive = props.RedrivePolicy as { deadLetterTargetArn?: Json; maxReceiveCount?: Json } | undefined;
    if (redrive) {
      wiring.graph.edge(wiring.node(id), wiring.firstNode(redrive.deadLetterTargetArn), `after ${String(redrive.maxReceiveCount ?? '?')} receives`, 'failure');
    }
  },
  // A role named in the environment is passed to a service (Rekognition's notification channel).
  'AWS::Lambda::Function': (wiring, id, props) => {
    wiring.graph.edge(wiring.node(id), wiring.firstNode((props.DeadLetterConfig as { TargetArn?: Json } | undefined)?.TargetArn), 'failed async events', 'failure');
    const env = (props.Environment as { Variables?: Json } | undefined)?.Variables;
    for (const ref of refsIn(env ?? null).filter((x) => wiring.typeOf(x) === 'AWS::IAM::Role')) {
      wiring.passedRoles.set(ref, wiring.passedRoles.get(ref) ?? new Set());
    }
  },
  'AWS::Lambda::EventInvokeConfig': (wiring, _id, props) => {
    const dest = props.DestinationConfig as { OnFailure?: { Destination?: Json }; OnSuccess?: { Destination?: Json } } | undefined;
    wiring.graph.edge(wiring.firstNode(props.FunctionName), wiring.firstNode(dest?.OnSuccess?.Destination), 'on success');
    wiring.graph.edge(wiring.firstNode(props.FunctionName), wiring.firstNode(dest?.OnFailure?.Destination), 'on failure', 'failure');
  },
  // Source stream in, bucket out; the Glue table is the schema of a Parquet/ORC conversion.
  'AWS::KinesisFirehose::DeliveryStream': (wiring, id, props) => {
    const me = wiring.node(id);
    wiring.graph.edge(wiring.firstNode((props.KinesisStreamSourceConfiguration as { KinesisStreamARN?: Json } | undefined)?.KinesisStreamARN), me, 'records');
    const dest = (props.ExtendedS3DestinationConfiguration ?? props.S3DestinationConfiguration) as Record<string, Json> | undefined;
    if (!dest) {
      return;
    }
    const conversion = dest.DataFormatConversionConfiguration as Record<string, Json> | undefined;
    const enabled = conversion !== undefined && conversion.Enabled !== false;
    const out = (conversion?.OutputFormatConfiguration as { Serializer?: Record<string, Json> } | undefined)?.Serializer;
    const format = out?.ParquetSerDe !== undefined ? 'Parquet' : out?.OrcSerDe !== undefined ? 'ORC' : 'objects';
    const prefix = typeof dest.Prefix === 'string' ? s3Prefix(dest.Prefix) : undefined;
    wiring.graph.edge(me, wiring.firstNode(dest.BucketARN), `writes ${enabled ? format : 'objects'}${prefix ? ` to ${prefix}` : ''}`);
    if (enabled) {
      const schema = conversion.SchemaConfiguration as Record<string, Json> | undefined;
      wiring.graph.edge(wiring.firstNode(schema?.TableName) ?? wiring.firstNode(schema?.DatabaseName), me, 'schema for conversion', 'schema');
    }
    const processors = (dest.ProcessingConfiguration as { Processors?: Json } | undefined)?.Processors;
    for (const fn of refsIn(processors ?? null).filter((x) => wiring.typeOf(x) === 'AWS::Lambda::Function')) {
      wiring.graph.edge(me, wiring.node(fn), 'records to transform');
    }
  },
  'AWS::Rekognition::StreamProcessor': (wiring, id, props) => {
    const me = wiring.node(id);
    wiring.graph.edge(wiring.firstNode((props.KinesisVideoStream as { Arn?: Json } | undefined)?.Arn), me, 'video frames');
    wiring.graph.edge(me, wiring.firstNode((props.KinesisDataStream as { Arn?: Json } | undefined)?.Arn), 'analysis results');
    wiring.graph.edge(me, wiring.firstNode((props.NotificationChannel as { Arn?: Json } | undefined)?.Arn), 'status notifications');
    wiring.graph.edge(me, wiring.firstNode((props.S3Destination as { BucketName?: Json } | undefined)?.BucketName), 'results');
  },
  'AWS::StepFunctions::StateMachine': (wiring, id, props) => {
    const definition = definitionOf(props);
    if (definition === undefined) {
      // Built from intrinsics this reader does not know: say so on the machine rather than guess its tasks.
      const n = wiring.graph.node(wiring.node(id) ?? '');
      if (n) {
        n.detail = 'definition not readable from the template';
      }
      return;
    }
    stateMachineTasks(wiring, wiring.node(id), taskStates(definition));
  },
  // Job arguments name their data; the argument's name says whether the job reads or writes it.
  'AWS::Glue::Job': (wiring, id, props) => {
    const me = wiring.node(id);
    // One edge per bucket and direction, saying which prefixes move: "reads raw/, landing/".
    const prefixes = new Map<string, string[]>();
    for (const [key, value] of Object.entries((props.DefaultArguments ?? {}) as Record<string, Json>)) {
      if (/temp|log|script|extra|jars|py-files|conf/i.test(key)) {
        continue;
      }
      for (const ref of refsIn(value).map(wiring.node).filter((x): x is string => !!x)) {
        const k = `${WRITE_KEY.test(key) ? 'writes' : 'reads'}>${ref}`;
        const prefix = s3Prefix(flatten(value));
        prefixes.set(k, [...(prefixes.get(k) ?? []), ...(prefix ? [prefix] : [])]);
      }
    }
    for (const [k, list] of prefixes) {
      const [verb, ref] = k.split('>');
      const label = list.length > 0 ? `${verb} ${list.join(', ')}` : verb;
      if (verb === 'writes') {
        wiring.graph.edge(me, ref, label);
      } else {
        wiring.graph.edge(ref, me, label);
      }
    }
  },
  'AWS::Glue::Crawler': (wiring, id, props) => {
    const me = wiring.node(id);
    const targets = (props.Targets ?? {}) as Record<string, Json>;
    for (const t of asList(targets.S3Targets as Json[] | undefined)) {
      const prefix = s3Prefix(flatten((t as { Path?: Json }).Path));
      wiring.graph.edge(wiring.firstNode((t as { Path?: Json }).Path), me, prefix ? `crawls ${prefix}` : 'crawls');
    }
    for (const table of refsIn((targets.CatalogTargets ?? null) as Json)) {
      wiring.graph.edge(wiring.node(table), me, 'crawls');
    }
    wiring.graph.edge(me, wiring.firstNode(props.DatabaseName), 'writes tables');
  },
  'AWS::Glue::Table': (wiring, id, props) => {
    const input = (props.TableInput ?? {}) as { StorageDescriptor?: { Location?: Json } };
    wiring.graph.edge(wiring.firstNode(input.StorageDescriptor?.Location), wiring.node(id), 'catalogued as', 'schema');
  },
  'AWS::Athena::WorkGroup': (wiring, id, props) => {
    const config = (props.WorkGroupConfiguration ?? {}) as { ResultConfiguration?: { OutputLocation?: Json } };
    wiring.graph.edge(wiring.node(id), wiring.firstNode(config.ResultConfiguration?.OutputLocation), 'writes query results');
  },
  // Athena reads the tables a saved query names (by their literal name), else its database.
  'AWS::Athena::NamedQuery': (wiring, _id, props) => {
    const query = flatten(props.QueryString).toLowerCase();
    const tables = Object.entries(wiring.resources)
      .filter(([, t]) => t.Type === 'AWS::Glue::Table')
      .filter(([, t]) => {
        const name = (t.Properties?.TableInput as { Name?: Json } | undefined)?.Name;
        return typeof name === 'string' && new RegExp(`\\b${name.toLowerCase()}\\b`).test(query);
      })
      .map(([tableId]) => wiring.node(tableId));
    for (const from of tables.length > 0 ? tables : [wiring.firstNode(props.Database)]) {
      wiring.graph.edge(from, wiring.firstNode(props.WorkGroup), 'read by named queries');
    }
  },
  'AWS::SageMaker::Model': (wiring, id, props) => {
    const n = wiring.graph.node(wiring.node(id) ?? '');
    if (n) {
      n.detail = sageMakerDetail(props as Json);
    }
    for (const container of [props.PrimaryContainer, ...asList(props.Containers as Json[] | undefined)]) {
      wiring.graph.edge(wiring.firstNode((container as { ModelDataUrl?: Json } | undefined)?.ModelDataUrl), wiring.node(id), 'model artifact');
    }
  },
  // Model -> endpoint through its endpoint config, which also names the data-capture bucket.
  'AWS::SageMaker::Endpoint': (wiring, id, props) => {
    const config = wiring.resources[refsIn(props.EndpointConfigName ?? null)[0] ?? '']?.Properties ?? {};
    for (const variant of asList(config.ProductionVariants as Json[] | undefined)) {
      wiring.graph.edge(wiring.firstNode((variant as { ModelName?: Json }).ModelName), wiring.node(id), 'serves');
    }
    wiring.graph.edge(wiring.node(id), wiring.firstNode((config.DataCaptureConfig as { DestinationS3Uri?: Json } | undefined)?.DestinationS3Uri), 'writes captured requests');
  },
  'AWS::EC2::VPCEndpoint': (wiring, id, props) => {
    const n = wiring.graph.node(wiring.node(id) ?? '');
    if (n) {
      const name = flatten(props.ServiceName).replace(/^com\.amazonaws\.(region|[a-z0-9-]+)\./, '').replace(/^aws\.sagemaker\.(region|[a-z0-9-]+)\./, 'sagemaker.');
      n.detail = `${String(props.VpcEndpointType ?? 'Gateway')}: ${name}`;
    }
  },
};

/** Derive the data-flow graph of one template. */
export function deriveFlow(template: CfnTemplate, paths: ConstructPaths = {}): FlowGraph {
  const resources = template.Resources ?? {};
  const g = new GraphBuilder(resources, paths);
  const skip = customResourceMachinery(resources);
  const node = (id: string | undefined) => (id && !skip.has(id) ? g.resourceNode(id) : undefined);
  const c: WiringContext = {
    graph: g,
    resources,
    node,
    firstNode: (v) => refsIn(v).map(node).find((x) => x !== undefined),
    typeOf: (id) => resources[id]?.Type,
    passedRoles: new Map(),
  };
  for (const [id, r] of Object.entries(resources)) {
    // S3 notifications are written as a custom resource: read it, though its handler is machinery.
    if (!skip.has(id) || r.Type === 'Custom::S3BucketNotifications') {
      WIRING[r.Type]?.(c, id, (r.Properties ?? {}) as Record<string, Json>);
    }
  }
  iamEdges(g, resources, skip, node, c.passedRoles);
  const vpcs = placeInVpcs(g, resources, paths);
  return g.result(vpcs);
}

/** A Task's integration: "arn:aws:states:::aws-sdk:s3:putObject" -> { service: "s3", action: "putObject" }. */
export function integrationOf(resource: string): { service: string; action: string; pattern?: string } | undefined {
  const m = resource.match(/^arn:[^:]+:states:::(.+)$/);
  if (!m) {
    return undefined;
  }
  const parts = m[1].split(':');
  const sdk = parts[0] === 'aws-sdk';
  const full = (sdk ? parts[2] : parts[1]) ?? '';
  const [action, pattern] = full.split('.');
  return { service: sdk ? parts[1] : parts[0], action, pattern };
}

/** "putObject" -> "PutObject"; with ".sync" the words say the machine waits for the job. */
function callWords(action: string, pattern?: string): string {
  const verb = action.charAt(0).toUpperCase() + action.slice(1);
  return pattern === 'sync' ? `${verb} (waits)` : pattern?.startsWith('waitForTaskToken') ? `${verb} (task token)` : verb;
}

/**
 * What a SageMaker job node's parameters say about it: the script it runs, Managed Spot Training
 * and checkpoints, the tuning strategy, a serial inference pipeline's containers.
 */
function sageMakerDetail(parameters: Json): string | undefined {
  if (!isObject(parameters)) {
    return undefined;
  }
  const texts = leaves(parameters);
  const parts: string[] = [];
  const scripts = [...new Set(texts.filter((l) => /(^"?|\/)[\w-]+\.py"?$/.test(l.text)).map((l) => l.text.replace(/"/g, '').split('/').pop()!))];
  const spec = (parameters.TrainingJobDefinition ?? parameters) as Record<string, Json>;
  const containers = asList(parameters.Containers as Json[] | undefined);
  if (containers.length > 1) {
    const mode = (parameters.InferenceExecutionConfig as { Mode?: Json } | undefined)?.Mode;
    const names = containers.map((ct) => {
      // An image URI is often built from the account and region (Fn::Join): its repository is the last path part.
      const image = flatten((ct as { Image?: Json }).Image).split('/').pop()?.split(':')[0].replace(/^sagemaker-/, '');
      const program = flatten((ct as { Environment?: { SAGEMAKER_PROGRAM?: Json } }).Environment?.SAGEMAKER_PROGRAM);
      return program ? `${program} on ${image}` : image;
    });
    parts.push(`${mode === 'Serial' ? 'serial pipeline: ' : ''}${names.join(' → ')}`);
  } else if (scripts.length > 0) {
    parts.push(scripts.join(', '));
  }
  const strategy = (parameters.HyperParameterTuningJobConfig as { Strategy?: Json } | undefined)?.Strategy;
  if (typeof strategy === 'string') {
    parts.push(`${strategy} search`);
  }
  if (spec.EnableManagedSpotTraining === true) {
    parts.push('Managed Spot');
  }
  if (spec.CheckpointConfig !== undefined) {
    parts.push('checkpoints');
  }
  return parts.length > 0 ? parts.join(' · ') : undefined;
}

/**
 * Edges of a state machine's Task states: to the function, resource or service each calls, and
 * the data its parameters name. Tasks that act on a resource of their own service (UpdateEndpoint
 * on the stack's endpoint) are drawn to that resource, together with the other tasks of the same
 * kind (CreateEndpointConfig for that endpoint).
 */
function stateMachineTasks(wiring: WiringContext, machine: string | undefined, tasks: TaskState[]): void {
  const { typeOf } = wiring;
  const cfnService = (id: string) => (typeOf(id) ?? '').split('::')[1]?.toLowerCase();
  for (const task of tasks) {
    const call = integrationOf(task.resource);
    if (call && !RESOURCE_SERVICES.has(call.service) && call.service !== 'lambda') {
      const own = leaves(task.parameters).flatMap((l) => tokensIn(l.text)).find((r) => cfnService(r) === call.service && wiring.node(r));
      if (own) {
        wiring.graph.alias(nodeNameOf(call.service, call.action), wiring.node(own)!);
      }
    }
  }
  for (const task of tasks) {
    stateMachineTask(wiring, machine, task);
  }
}

function nodeNameOf(service: string, action: string): string {
  return service === 'sagemaker' ? sageMakerNodeName(action) : serviceName(service);
}

/** Edges of one Task state: to the function or service it calls, and the data its parameters name. */
function stateMachineTask(wiring: WiringContext, machine: string | undefined, task: TaskState): void {
  const { graph: g, node, typeOf, passedRoles } = wiring;
  const paramLeaves = leaves(task.parameters);
  const rolesPassedTo = (receiver?: string) => {
    for (const ref of paramLeaves.flatMap((l) => tokensIn(l.text)).filter((r) => typeOf(r) === 'AWS::IAM::Role')) {
      const set = passedRoles.get(ref) ?? new Set<string>();
      if (receiver) {
        set.add(receiver);
      }
      passedRoles.set(ref, set);
    }
  };
  const direct = tokensIn(task.resource);
  if (direct.length > 0) {
    rolesPassedTo();
    // A Lambda ARN as the Resource: the legacy way to invoke a function.
    g.edge(machine, node(direct[0]), 'invokes');
    return;
  }
  const call = integrationOf(task.resource);
  if (!call) {
    return;
  }
  const { service, action, pattern } = call;
  const verb = action.charAt(0).toUpperCase() + action.slice(1);
  const refs = (filter: (path: string[]) => boolean) =>
    paramLeaves.filter((l) => filter(l.path)).flatMap((l) => tokensIn(l.text)).map(node).filter((x): x is string => !!x);

  if (service === 'lambda' && /^invoke/.test(action)) {
    rolesPassedTo();
    for (const fn of refs((path) => path.some((k) => /^FunctionName/.test(k)))) {
      g.edge(machine, fn, 'invokes');
    }
    return;
  }
  if (RESOURCE_SERVICES.has(service)) {
    rolesPassedTo();
    const targets = refs(() => true);
    const reads = READ.test(verb);
    const words = RESOURCE_ACTION_WORDS[`${service}:${verb}`] ?? (reads ? 'reads' : WRITE.test(verb) ? 'writes' : verb);
    // An object the task names by a fixed file name ("evaluation.json") says what moves.
    const key = service === 's3' ? paramLeaves.find((l) => l.path[0]?.replace(/\.\$$/, '') === 'Key')?.text : undefined;
    const file = key?.replace(/^States\.Format\('([^']*)'.*$/, '$1').split('/').pop();
    const named = file && /^[\w-]+\.[A-Za-z0-9]{2,5}$/.test(file) ? `${words} ${file}` : words;
    if (targets.length === 0) {
      g.edge(machine, g.serviceNode(serviceName(service)), callWords(action, pattern));
    }
    for (const t of targets) {
      if (reads) {
        g.edge(t, machine, named);
        g.markReadBack(t, machine);
      } else {
        g.edge(machine, t, named);
      }
    }
    return;
  }
  const name = nodeNameOf(service, action);
  const svcNode = g.serviceNode(name);
  // The job node says which job; the workflow diagram says the machine waits for it (.sync).
  g.edge(machine, svcNode, verb);
  rolesPassedTo(svcNode);
  const n = g.node(svcNode);
  if (n && service === 'sagemaker' && n.kind === 'service') {
    n.detail = n.detail ?? sageMakerDetail(task.parameters);
  }
  const jobRefs = g.jobRefs.get(svcNode) ?? new Set<string>();
  paramLeaves.flatMap((l) => tokensIn(l.text)).forEach((r) => jobRefs.add(r));
  g.jobRefs.set(svcNode, jobRefs);
  // What each parameter carries ("transcript", "train channel"), gathered per resource and direction.
  const moves = new Map<string, string[]>();
  for (const leaf of paramLeaves) {
    const writes = leaf.path.some((k) => WRITE_KEY.test(k));
    const noun = phraseFor(`${service}:${action}`, leaf);
    for (const ref of tokensIn(leaf.text).map(node).filter((x): x is string => !!x)) {
      if (ref !== svcNode) {
        const key = `${writes ? 'writes' : 'reads'}>${ref}`;
        moves.set(key, [...(moves.get(key) ?? []), ...(noun ? [noun] : [])]);
      }
    }
  }
  for (const [key, nouns] of moves) {
    const [verb, ref] = key.split('>') as ['reads' | 'writes', string];
    if (verb === 'writes') {
      g.edge(svcNode, ref, movesWords(verb, nouns));
    } else {
      g.edge(ref, svcNode, movesWords(verb, nouns));
    }
  }
}

function iamEdges(
  graph: GraphBuilder,
  resources: Record<string, CfnResource>,
  skip: Set<string>,
  node: (id: string | undefined) => string | undefined,
  passedRoles: PassedRoles,
): void {
  graph.freezeWiring();
  const users = roleUsers(resources, skip);
  for (const [role, statements] of statementsByRole(resources)) {
    if (skip.has(role) || !resources[role]) {
      continue;
    }
    const trusted = trustedServices(resources[role]).map((s) => s.replace(/\.amazonaws\.com(\.cn)?$/, ''));
    const attached = (users.get(role) ?? []).map(node).filter((x): x is string => !!x);
    const receivers = [...(passedRoles.get(role) ?? [])];
    // A role several things run as (a SageMaker execution role) says what any of them may touch,
    // not what each does: it draws edges only for those the template's wiring left unconnected.
    const shared = attached.length + receivers.length > 1;
    const principals = [...attached, ...receivers].filter((p) => !shared || !graph.hasWiredEdge(p));
    /** Principals that are a service acting on its own behalf, with its prefix ("rekognition"). */
    const serviceOf = new Map<string, string>();
    if ((attached.length === 0 && receivers.length === 0) || (passedRoles.has(role) && receivers.length === 0)) {
      // Nothing in the template runs as this role: the service that assumes it acts with it
      // (EventBridge's target roles are already drawn as the rule's edges).
      for (const s of trusted.filter((t) => !['lambda', 'states', 'events', 'scheduler'].includes(t))) {
        const only = Object.entries(resources).filter(([id, r]) => !skip.has(id) && (SERVICE_RESOURCE_TYPES[s] ?? []).includes(r.Type));
        const principal = only.length === 1 ? node(only[0][0])! : graph.serviceNode(serviceName(s));
        principals.push(principal);
        serviceOf.set(principal, s);
      }
    }
    const labels = new Map<string, Set<string>>();
    const addLabel = (from: string, to: string, label: string) => {
      const key = `${from}>${to}`;
      labels.set(key, (labels.get(key) ?? new Set()).add(label));
    };
    /** What an action on a resource moves, in words ("reads", "publishes", "job completion"). */
    const resourceWords = (principal: string, svc: string, verb: string, reads: boolean) =>
      SERVICE_GRANT_WORDS[`${serviceOf.get(principal)}:${svc}:${verb}`] ?? RESOURCE_ACTION_WORDS[`${svc}:${verb}`] ?? (reads ? 'reads' : 'writes');
    for (const st of statements) {
      if (st.Effect !== 'Allow') {
        continue;
      }
      for (const action of asList(st.Action)) {
        const [svc, name = ''] = String(action).split(':');
        if (IGNORED_SERVICES.has(svc) || METADATA_ACTIONS.test(String(action))) {
          continue;
        }
        const verb = name.replace(/\*$/, '');
        const reads = READ.test(verb);
        const writes = WRITE.test(verb);
        if (!reads && !writes) {
          continue;
        }
        const targets = refsIn(st.Resource ?? null).map(node).filter((x): x is string => !!x);
        // An S3 grant on a key prefix says which objects move: "writes frames/".
        const prefixes = svc === 's3' ? objectPrefixes(st.Resource ?? null) : [];
        for (const principal of principals) {
          if (targets.length === 0) {
            if (!RESOURCE_SERVICES.has(svc) || svc === 'glue') {
              // Calling a service sends it data; reading its results (Get*) brings data back.
              const service = graph.serviceNode(svc === 'sagemaker' ? sageMakerNodeName(name) : serviceName(svc));
              if (reads) {
                addLabel(service, principal, verb);
              } else {
                addLabel(principal, service, verb);
              }
            }
            continue;
          }
          for (const t of targets) {
            const where = prefixes.length > 0 ? ` ${prefixes.join(', ')}` : '';
            if (reads) {
              addLabel(t, principal, `${ON_RESOURCE}${resourceWords(principal, svc, verb, true)}${where}`);
            } else {
              addLabel(principal, t, `${ON_RESOURCE}${resourceWords(principal, svc, verb, false)}${where}`);
            }
          }
        }
      }
    }
    for (const [key, set] of labels) {
      const [from, to] = key.split('>');
      if (graph.isWired(from, to)) {
        continue;
      }
      graph.edge(from, to, iamLabel([...set]), 'data', true);
    }
  }
}

const ON_RESOURCE = 'resource:';

/**
 * The key prefixes an S3 statement's object ARNs name (`${Bucket.Arn}/frames/*` -> `frames/`), or
 * nothing when any of them covers the whole bucket (then the grant says nothing about which objects).
 */
function objectPrefixes(resource: Json): string[] {
  const arns = (Array.isArray(resource) ? resource : [resource]).map(flatten).filter((a) => /\{\{ref:[A-Za-z0-9]+\}\}\//.test(a));
  const prefixes = arns.map((a) => a.replace(/^.*?\{\{ref:[A-Za-z0-9]+\}\}\//, '').replace(/\*$/, ''));
  return prefixes.length > 0 && prefixes.every((x) => x.length > 0 && x.endsWith('/')) ? [...new Set(prefixes)].sort(byCodeUnit) : [];
}

/**
 * Label of an IAM-derived edge: on a resource, what the grant moves ("reads", "writes",
 * "publishes"); to a service, the API actions allowed (StartLabelDetection), the first two and a count.
 */
function iamLabel(labels: string[]): string {
  const words = [...new Set(labels.map((l) => l.replace(ON_RESOURCE, '')))].sort(byCodeUnit);
  if (labels.some((l) => l.startsWith(ON_RESOURCE))) {
    // One phrase per verb: the prefixes of every statement ("reads transcripts/, translations/"),
    // none when a statement covers the whole bucket or when more than two would crowd the edge.
    const byVerb = new Map<string, string[]>();
    for (const w of words) {
      const [verb, ...rest] = w.split(' ');
      byVerb.set(verb, [...(byVerb.get(verb) ?? []), rest.join(' ')]);
    }
    return [...byVerb].map(([verb, places]) => {
      const prefixes = [...new Set(places.flatMap((p) => p.split(', ')))].sort(byCodeUnit);
      return prefixes.includes('') || prefixes.length > 2 ? verb : `${verb} ${prefixes.join(', ')}`;
    }).join(', ');
  }
  return words.length > 2 ? `${words.slice(0, 2).join(', ')} +${words.length - 2}` : words.join(', ');
}

/** Put nodes in the VPC whose subnets or security groups they name. */
function placeInVpcs(graph: GraphBuilder, resources: Record<string, CfnResource>, paths: ConstructPaths): Vpc[] {
  const vpcs = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::EC2::VPC').map(([id]) => id);
  if (vpcs.length === 0) {
    return [];
  }
  const vpcOf = new Map<string, string>();
  for (const v of vpcs) {
    vpcOf.set(v, v);
  }
  for (const [id, r] of Object.entries(resources)) {
    if (['AWS::EC2::Subnet', 'AWS::EC2::SecurityGroup'].includes(r.Type)) {
      const v = refsIn(r.Properties?.VpcId ?? null).find((x) => vpcs.includes(x));
      if (v) {
        vpcOf.set(id, v);
      }
    }
  }
  for (const [id, r] of Object.entries(resources)) {
    const n = graph.node(id);
    if (!n || vpcOf.has(id)) {
      continue;
    }
    // A state machine naming subnets in a Task's parameters runs outside the VPC; the job does not.
    const own = Object.entries(r.Properties ?? {}).filter(([k]) => k !== 'DefinitionString' && k !== 'Definition').map(([, v]) => v);
    const v = refsIn(own).map((x) => vpcOf.get(x)).find((x) => x !== undefined);
    if (v) {
      n.vpc = v;
    }
  }
  for (const [id, refs] of graph.jobRefs) {
    const v = [...refs].map((x) => vpcOf.get(x)).find((x) => x !== undefined);
    const n = graph.node(id);
    if (n && v) {
      n.vpc = v;
    }
  }
  const attached = new Set(
    Object.values(resources)
      .filter((r) => r.Type === 'AWS::EC2::VPCGatewayAttachment' && r.Properties?.InternetGatewayId !== undefined)
      .flatMap((r) => refsIn(r.Properties?.VpcId ?? null)),
  );
  return vpcs.map((v) => ({ id: v, construct: constructLabel(paths[v], v), internetGateway: attached.has(v) }));
}
