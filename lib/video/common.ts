import { RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';

/** What every box of the video architecture takes: the stack key and the profile's lifecycle. */
export interface VideoPartProps {
  readonly key: kms.IKey;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
}

export const VIDEOS_PREFIX = 'videos/';
export const IMAGES_PREFIX = 'images/';
export const RESULTS_PREFIX = 'results/';
export const FRAMES_PREFIX = 'frames/';
