/**
 * What moves along a data-flow edge, in words: a diagram's edge says "writes transcript" or
 * "train, validation channels", never the parameter that names the bucket (`OutputBucketName`,
 * `S3Uri`). Each phrase is what the API reference says the parameter carries; a parameter not
 * listed here gets the plain direction ("reads" or "writes"), so a new task is drawn, just with
 * less to say.
 */
import { Json } from './template';

/** A parameter of a Step Functions Task (or a Glue job argument): where it sits and its value. */
export interface ParameterLeaf {
  /** Keys from the Task's Parameters down to the value, e.g. ["InputDataConfig", "DataSource", ...]. */
  readonly path: string[];
  /** The value, references flattened to `{{ref:Id}}`. */
  readonly text: string;
  /** The list item the leaf sits in (a channel, a processing input), whose other keys name it. */
  readonly item?: Record<string, Json>;
}

interface Phrase {
  /** `service:Action` of the call (SageMaker's `.sync` dropped), or a regex over it. */
  readonly call: RegExp;
  /** The leaf's key path joined with "." (array positions are not in it). */
  readonly path: RegExp;
  readonly words: (leaf: ParameterLeaf) => string;
}

const named = (key: string, suffix: string) => (leaf: ParameterLeaf) => {
  const name = leaf.item?.[key];
  return typeof name === 'string' ? `${name} ${suffix}` : suffix;
};

/**
 * Sources: SageMaker API reference (CreateTrainingJob InputDataConfig/OutputDataConfig/
 * CheckpointConfig, CreateTransformJob TransformInput/TransformOutput, CreateProcessingJob
 * ProcessingInputs/ProcessingOutputConfig, CreateEndpointConfig DataCaptureConfig,
 * CreateHyperParameterTuningJob TrainingJobDefinition), Transcribe StartTranscriptionJob (Media,
 * OutputBucketName), Polly StartSpeechSynthesisTask (OutputS3BucketName), Rekognition
 * Start*Detection (Video, NotificationChannel: "the Amazon SNS topic to which Amazon Rekognition
 * publishes the completion status").
 */
const PHRASES: Phrase[] = [
  { call: /^sagemaker:/, path: /InputDataConfig\.DataSource\.S3DataSource\.S3Uri$/, words: named('ChannelName', 'channel') },
  { call: /^sagemaker:/, path: /OutputDataConfig\.S3OutputPath$/, words: () => 'model artifact' },
  { call: /^sagemaker:/, path: /CheckpointConfig\.S3Uri$/, words: () => 'checkpoints' },
  { call: /^sagemaker:/, path: /TransformInput\.DataSource\.S3DataSource\.S3Uri$/, words: () => 'batch input' },
  { call: /^sagemaker:/, path: /TransformOutput\.S3OutputPath$/, words: () => 'predictions' },
  { call: /^sagemaker:/, path: /ProcessingInputs\.S3Input\.S3Uri$/, words: named('InputName', 'input') },
  { call: /^sagemaker:/, path: /ProcessingOutputConfig\.Outputs\.S3Output\.S3Uri$/, words: named('OutputName', 'output') },
  { call: /^sagemaker:/, path: /DataCaptureConfig\.DestinationS3Uri$/, words: () => 'captured requests' },
  { call: /^sagemaker:/, path: /ModelDataUrl$/, words: () => 'model artifact' },
  { call: /^transcribe:/, path: /^Media\.MediaFileUri$/, words: () => 'media' },
  { call: /^transcribe:/, path: /^OutputBucketName$/, words: () => 'transcript' },
  { call: /^polly:/, path: /^OutputS3BucketName$/, words: () => 'audio' },
  { call: /^rekognition:/, path: /^Video\.S3Object\.Bucket$/, words: () => 'video' },
  { call: /^rekognition:/, path: /NotificationChannel\.SnsTopicArn$/, words: () => 'job completion' },
];

/** What one parameter of a call carries ("transcript", "train channel"), or undefined when the vocabulary has none. */
export function phraseFor(call: string, leaf: ParameterLeaf): string | undefined {
  const path = leaf.path.map((k) => k.replace(/\.\$$/, '')).join('.');
  const hit = PHRASES.find((p) => p.call.test(call) && p.path.test(path));
  return hit?.words(leaf);
}

/**
 * The literal key prefix an S3 URI or a Firehose prefix names, up to its last "/" before anything
 * computed: `s3://{{ref:Lake}}/raw/events/` -> `raw/events/`, `raw/events/year=!{...}/` -> `raw/events/`.
 */
export function s3Prefix(text: string): string | undefined {
  const key = text.startsWith('s3://') ? text.replace(/^s3:\/\/[^/]*\/?/, '') : text;
  const literal = key.split(/[{!$]/)[0];
  const cut = literal.lastIndexOf('/');
  return cut > 0 ? literal.slice(0, cut + 1) : undefined;
}

/**
 * Several things moving the same way in one label: "reads" + ["train channel", "validation
 * channel"] -> "reads train, validation channels"; a notification ("job completion") takes no verb.
 */
export function movesWords(verb: 'reads' | 'writes', nouns: string[]): string {
  const unique = [...new Set(nouns)];
  if (unique.length === 0) {
    return verb;
  }
  const lastWords = new Set(unique.map((n) => n.split(' ').pop()));
  const shared = unique.length > 1 && lastWords.size === 1 && unique.every((n) => n.includes(' ')) ? [...lastWords][0] : undefined;
  const listed = shared ? `${unique.map((n) => n.slice(0, -(shared.length + 1))).join(', ')} ${shared}s` : unique.join(', ');
  return NOTIFICATIONS.has(listed) ? listed : `${verb} ${listed}`;
}

/** Phrases that name a notification, not data read or written. */
const NOTIFICATIONS = new Set(['job completion']);

/**
 * What a service that assumes a role does with a grant, when the grant alone says it (the role is
 * the service's, so the template cannot say more). Rekognition Video publishes the completion
 * status of a Start* job to the topic of its NotificationChannel (Rekognition API reference,
 * NotificationChannel), and that is the only thing it publishes.
 */
export const SERVICE_GRANT_WORDS: Readonly<Record<string, string>> = {
  'rekognition:sns:Publish': 'job completion',
};

/**
 * Words for a principal's grant on a resource: what the action moves. Anything else on a resource
 * is "reads" or "writes" (the grant names an action family, not the data).
 */
export const RESOURCE_ACTION_WORDS: Readonly<Record<string, string>> = {
  'sns:Publish': 'publishes',
  'sqs:SendMessage': 'sends messages',
  'states:StartExecution': 'starts executions',
  'kinesisvideo:GetImages': 'frames (GetImages)',
  'rekognition:SearchFacesByImage': 'SearchFacesByImage',
  'kinesis:PutRecord': 'puts records',
  'kinesis:PutRecords': 'puts records',
  'firehose:PutRecord': 'puts records',
  'firehose:PutRecordBatch': 'puts records',
};

/** `rate(1 minute)` -> `every minute`, `rate(5 minutes)` -> `every 5 minutes`; cron stays as written. */
export function scheduleWords(expression: string): string {
  const m = expression.match(/^rate\((\d+) (\w+)\)$/);
  if (!m) {
    return expression;
  }
  return m[1] === '1' ? `every ${m[2].replace(/s$/, '')}` : `every ${m[1]} ${m[2]}`;
}
