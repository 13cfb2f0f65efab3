/**
 * First state of the speech chain (the notes' S3-trigger Lambda, minus the trigger, which is now
 * an EventBridge rule): find the uploaded object, decide whether Transcribe can take it, and
 * name the transcription job and every S3 key the execution writes.
 */
import { HeadObjectCommand, NotFound, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { s3KeyCandidates } from '../shared/s3-key';
import { boundedKey } from './keys';
import { jobNameFor, mediaFormatOf, rejectionReason } from './media';
import { PreparedMedia, requireString } from './transcript';

export interface PrepareMediaEvent {
  readonly bucket: string;
  readonly key: string;
  readonly executionName: string;
  /** `$$.Execution.Id`: the execution's ARN, unique in the account and Region. */
  readonly executionArn: string;
}

export class MediaNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MediaNotFoundError';
  }
}

function isNotFound(err: unknown): boolean {
  return err instanceof NotFound || (err instanceof S3ServiceException && err.$metadata?.httpStatusCode === 404);
}

export function makeHandler(s3: S3Client) {
  return async (event: PrepareMediaEvent): Promise<PreparedMedia> => {
    const bucket = requireString(event?.bucket, 'bucket');
    const eventKey = requireString(event?.key, 'key');
    const executionName = requireString(event?.executionName, 'executionName');
    const executionArn = requireString(event?.executionArn, 'executionArn');

    // The event key is URL-encoded (decoded first, as received second: the rule video uses too).
    let found: { key: string; size: number } | undefined;
    for (const candidate of s3KeyCandidates(eventKey)) {
      try {
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: candidate }));
        found = { key: candidate, size: head.ContentLength ?? 0 };
        break;
      } catch (err) {
        if (!isNotFound(err)) {
          throw err;
        }
      }
    }
    if (!found) {
      throw new MediaNotFoundError(`No object s3://${bucket}/${eventKey} (tried the key URL-decoded and as received: ${s3KeyCandidates(eventKey).join(' | ')})`);
    }
    const { key, size } = found;
    const reason = rejectionReason(key, size);
    const jobName = jobNameFor(key, executionName, executionArn);
    return {
      accepted: reason === undefined,
      reason: reason ?? null,
      bucket,
      key,
      mediaUri: `s3://${bucket}/${key}`,
      mediaFormat: mediaFormatOf(key) ?? null,
      jobName,
      // Transcribe's OutputKey and Polly's OutputS3KeyPrefix take only [a-zA-Z0-9-_.!*'()/]: the
      // execution's own files are named by the job name (at most 200 characters, unique per execution).
      transcriptKey: `transcripts/${jobName}.json`,
      analysisKey: `analyses/${jobName}.json`,
      speechKey: `speech/${jobName}.mp3`,
      speechTaskPrefix: `speech/${jobName}.`,
      // What the user looks for is named by the media key, within S3's 1,024 bytes whatever its length.
      resultKey: boundedKey('results/', key, '.json'),
      rejectionKey: boundedKey('rejections/', key, '.json'),
    };
  };
}

export const handler = makeHandler(new S3Client({}));
