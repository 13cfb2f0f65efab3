/**
 * Placeholder until the first architecture lands: one of each shared construct, so the gates,
 * bundling and template checks have a real stack to run over.
 */
import * as path from 'node:path';
import { Construct } from 'constructs';
import { AccessLogsBucket, SecureBucket } from '../constructs/secure-bucket';
import { SecureKey } from '../constructs/secure-key';
import { NodeFunction } from '../constructs/node-function';
import { acknowledgeBucketGrant } from '../gates';
import { ArchitectureStack, ArchitectureStackProps } from './architecture';

export class PlaceholderStack extends ArchitectureStack {
  constructor(scope: Construct, id: string, props: ArchitectureStackProps) {
    super(scope, id, 'placeholder', props);
    const { profile } = props;
    const key = new SecureKey(this, 'Key', {
      description: 'Placeholder data key',
      removalPolicy: profile.removalPolicy,
      pendingWindow: profile.keyPendingWindow,
    });
    const accessLogs = new AccessLogsBucket(this, 'AccessLogs', {
      removalPolicy: profile.removalPolicy,
      autoDeleteObjects: profile.autoDeleteObjects,
    });
    const data = new SecureBucket(this, 'Data', {
      encryptionKey: key,
      serverAccessLogsBucket: accessLogs,
      removalPolicy: profile.removalPolicy,
      autoDeleteObjects: profile.autoDeleteObjects,
      noncurrentVersionExpiration: profile.noncurrentVersionExpiration,
    });
    const fn = new NodeFunction(this, 'Describe', {
      entry: path.join(__dirname, '../../lambda/placeholder/describe-object.ts'),
      encryptionKey: key,
      environment: { BUCKET_NAME: data.bucketName },
      logRetention: profile.logRetention,
      removalPolicy: profile.removalPolicy,
    });
    data.grantRead(fn);
    acknowledgeBucketGrant(fn.role, data, 'read');
  }
}
