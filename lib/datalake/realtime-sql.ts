import * as fs from 'node:fs';
import * as path from 'node:path';
import * as glue from 'aws-cdk-lib/aws-glue';
import { FLINK_REALTIME_DIR } from './realtime-package';

/** A result table of flink/realtime/analytics.sql: a filesystem sink under `${sink_root}<name>/`. */
export interface SinkTable {
  readonly name: string;
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  readonly partitionKeys: readonly string[];
}

const FLINK_TO_GLUE: Readonly<Record<string, glue.Type>> = {
  STRING: glue.Schema.STRING,
  BIGINT: glue.Schema.BIG_INT,
  INT: glue.Schema.INTEGER,
  DOUBLE: glue.Schema.DOUBLE,
  BOOLEAN: glue.Schema.BOOLEAN,
  'TIMESTAMP(3)': glue.Schema.TIMESTAMP,
};

/**
 * The result tables of the SQL, read from their CREATE TABLE statements, so the Glue tables Athena
 * queries have the columns the application writes (one definition: the SQL).
 */
export function sinkTables(sql = fs.readFileSync(path.join(FLINK_REALTIME_DIR, 'analytics.sql'), 'utf8')): SinkTable[] {
  const tables: SinkTable[] = [];
  const create = /CREATE TABLE (\w+) \(([\s\S]*?)\n\)( PARTITIONED BY \(([^)]*)\))? WITH \(([\s\S]*?)\n\);/g;
  for (const m of sql.matchAll(create)) {
    const [, name, body, , partitioned, options] = m;
    if (!options.includes(`'path' = '\${sink_root}${name}/'`)) {
      continue; // the source, or a table that is not written under the sink root
    }
    const columns = body.split('\n').map((l) => l.trim().replace(/,$/, '')).filter((l) => l && !l.startsWith('--'))
      .map((l) => {
        const [col, ...type] = l.split(/\s+/);
        return { name: col, type: type.join(' ') };
      });
    tables.push({ name, columns, partitionKeys: partitioned ? partitioned.split(',').map((k) => k.trim()) : [] });
  }
  if (tables.length === 0) {
    throw new Error('flink/realtime/analytics.sql has no result table written under ${sink_root}');
  }
  return tables;
}

/** Glue columns of a sink table's columns (its partition keys left out); an unknown type is an error naming it. */
export function glueColumnsOf(table: SinkTable, which: 'data' | 'partition'): glue.Column[] {
  return table.columns
    .filter((c) => (which === 'partition') === table.partitionKeys.includes(c.name))
    .map((c) => {
      const type = FLINK_TO_GLUE[c.type];
      if (type === undefined) {
        throw new Error(`Column ${table.name}.${c.name} has Flink type ${JSON.stringify(c.type)}, which has no Glue type here (known: ${Object.keys(FLINK_TO_GLUE).join(', ')})`);
      }
      return { name: c.name, type };
    });
}
