import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeBucketGrant, acknowledgeKeyGrant, acknowledgeResource } from '../gates';
import { INLINE_POLICY } from './parquet-delivery';
import { ZONES } from './schema';

export interface LandingCrawlerProps {
  /** The lake bucket; the crawler reads its landing/csv/ zone. */
  readonly bucket: s3.IBucket;
  readonly encryptionKey: kms.IKey;
  /** The database the crawler writes `landing_*` tables into. */
  readonly database: glue.IDatabase;
  /** Encrypts the crawler's logs with the key. */
  readonly securityConfiguration: glue.ISecurityConfiguration;
  /**
   * Schedule, a Glue cron expression.
   * @default - none (run it on demand: a schedule bills each run)
   */
  readonly schedule?: string;
}

/**
 * Catalog ad-hoc uploads: a Glue crawler with a CSV classifier over landing/csv/, which may only
 * create and update tables named landing_* in the lake's database.
 */
export class LandingCrawler extends Construct {
  public readonly crawler: glue.CfnCrawler;
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: LandingCrawlerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { bucket, database } = props;
    const classifier = new glue.CfnClassifier(this, 'CsvClassifier', {
      csvClassifier: {
        containsHeader: 'PRESENT',
        delimiter: ',',
        quoteSymbol: '"',
        allowSingleColumn: false,
      },
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description: 'Glue crawler: read landing CSV, maintain landing_* tables in the data lake database',
    });
    bucket.grantRead(this.role, `${ZONES.landingCsv}*`);
    acknowledgeBucketGrant(this.role, bucket, 'read', `${ZONES.landingCsv}*`);
    props.encryptionKey.grantEncryptDecrypt(this.role);
    acknowledgeKeyGrant(this.role, 'The crawler encrypts its logs with the stack key through the security configuration');
    const landingTables = stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${database.databaseName}/landing_*` });
    this.role.addToPolicy(new iam.PolicyStatement({
      actions: [
        'glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:CreateTable', 'glue:UpdateTable',
        'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition', 'glue:BatchCreatePartition', 'glue:UpdatePartition',
      ],
      resources: [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        database.databaseArn,
        landingTables,
      ],
    }));
    acknowledgeResource(this.role, landingTables,
      'The crawler creates a table per uploaded CSV folder; it may only create and update tables named landing_* in this database');
    const crawlerLogs = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws-glue/crawlers*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    this.role.addToPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
      resources: [crawlerLogs],
    }));
    acknowledgeResource(this.role, crawlerLogs,
      'Crawlers log to /aws-glue/crawlers (suffixed with the security configuration when logs are encrypted); the role may write only there');
    acknowledge(this.role, 'NIST.800.53.R5-IAMNoInlinePolicy', INLINE_POLICY);
    this.crawler = new glue.CfnCrawler(this, 'Crawler', {
      description: 'Catalogs ad-hoc CSV uploaded under landing/csv/ as landing_* tables',
      role: this.role.roleArn,
      databaseName: database.databaseName,
      tablePrefix: 'landing_',
      classifiers: [classifier.ref],
      crawlerSecurityConfiguration: props.securityConfiguration.securityConfigurationName,
      targets: { s3Targets: [{ path: bucket.s3UrlForObject(ZONES.landingCsv) }] },
      schemaChangePolicy: { updateBehavior: 'UPDATE_IN_DATABASE', deleteBehavior: 'LOG' },
      recrawlPolicy: { recrawlBehavior: 'CRAWL_EVERYTHING' },
      schedule: props.schedule ? { scheduleExpression: props.schedule } : undefined,
    });
  }
}
