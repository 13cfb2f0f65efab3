import { Names, RemovalPolicy } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EventSchema, glueColumns, ZONES } from './schema';

export interface EventCatalogProps {
  /** The lake bucket; the events table reads its raw zone. */
  readonly bucket: s3.IBucket;
  readonly schema: EventSchema;
  /** Of the database (the tables go with it). @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Catalog: the Glue database of the lake and the table of the raw events, with partition
 * projection so Athena computes partitions from ranges: a new day is queryable the moment
 * Firehose writes it, with no crawler and no MSCK REPAIR TABLE.
 */
export class EventCatalog extends Construct {
  public readonly database: glue.Database;
  public readonly eventsTable: glue.S3Table;

  constructor(scope: Construct, id: string, props: EventCatalogProps) {
    super(scope, id);
    const { schema } = props;
    this.database = new glue.Database(this, 'Database', {
      // Named after this construct, as glue.Database names itself after its own path: the name the
      // database had when it was the stack's child `Catalog` (a new name would replace it, and
      // the tables in it with it).
      databaseName: Names.uniqueResourceName(this, {}).toLowerCase(),
      description: 'Data lake of the Kinesis sample architecture: raw events (Firehose) and crawled landing CSV',
    });
    // aws-cdk-lib retains a Glue database by default; here it follows the removal policy.
    this.database.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    const partitionProjection: glue.PartitionProjection = Object.fromEntries(
      schema.partition_keys.map((k) => [
        k.name,
        glue.PartitionProjectionConfiguration.integer({ min: k.min ?? 0, max: k.max ?? 0, digits: k.digits }),
      ]),
    );
    this.eventsTable = new glue.S3Table(this, 'EventsTable', {
      // A fixed name inside the stack's own database: the named queries, the docs and the users'
      // SQL refer to it, and the database (generated name) keeps it unique.
      tableName: schema.table,
      description: 'Session events delivered by Firehose as Parquet, partitioned by event date',
      database: this.database,
      columns: glueColumns(schema.columns),
      partitionKeys: glueColumns(schema.partition_keys),
      dataFormat: glue.DataFormat.PARQUET,
      storage: glue.S3TableStorage.fromBucket(props.bucket),
      s3Prefix: ZONES.raw,
      partitionProjection,
    });
  }
}
