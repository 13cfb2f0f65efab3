import * as fs from 'node:fs';
import * as path from 'node:path';
import * as glue from 'aws-cdk-lib/aws-glue';

/** The Python that runs on AWS: the curation (glue/) and the real-time SQL (flink/). */
export const GLUE_DIR = path.join(__dirname, '../../glue');

/** One column of glue/curate/event_schema.json, the single definition of the event. */
export interface EventColumn {
  readonly name: string;
  readonly type: string;
  readonly role?: string;
  readonly comment?: string;
  readonly min?: number;
  readonly max?: number;
  readonly digits?: number;
  readonly categories?: string[];
}

/** glue/curate/event_schema.json, shared by the stack, the Spark transformation and the CLIs. */
export interface EventSchema {
  readonly table: string;
  readonly label: string;
  readonly columns: EventColumn[];
  readonly partition_keys: EventColumn[];
}

export function loadEventSchema(file = path.join(GLUE_DIR, 'curate/event_schema.json')): EventSchema {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as EventSchema;
}

const GLUE_TYPES: Readonly<Record<string, glue.Type>> = {
  string: glue.Schema.STRING,
  int: glue.Schema.INTEGER,
  bigint: glue.Schema.BIG_INT,
  double: glue.Schema.DOUBLE,
  timestamp: glue.Schema.TIMESTAMP,
};

/** Glue columns from the schema file: the one place column lists come from. */
export function glueColumns(columns: EventColumn[]): glue.Column[] {
  return columns.map((c) => {
    const type = GLUE_TYPES[c.type];
    if (type === undefined) {
      throw new Error(`Event schema column ${c.name} has unsupported type ${JSON.stringify(c.type)} (use one of ${Object.keys(GLUE_TYPES).join(', ')})`);
    }
    return { name: c.name, type, comment: c.comment };
  });
}

/** Zones of the lake bucket. Prefixes, not buckets: one key, one policy, one place to look. */
export const ZONES = {
  /** Firehose's Parquet output, partitioned year=/month=/day=. */
  raw: 'raw/events/',
  /** Records Firehose could not convert or partition, by error type. */
  errors: 'errors/events/',
  /** JSON-lines backfills the curation job reads besides the raw zone. */
  landingEvents: 'landing/events/',
  /** Ad-hoc CSV uploads the crawler catalogs. */
  landingCsv: 'landing/csv/',
  /** Model-ready datasets, one run= prefix per job run, each with a manifest.json. */
  curated: 'curated/events/',
  /** EMR Serverless job logs. */
  emrLogs: 'logs/emr/',
  /** The real-time application's results (opt-in), one prefix per result table. */
  realtime: 'realtime/',
} as const;
