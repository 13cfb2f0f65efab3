import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * Partial batch responses: a record whose handling throws is logged (with `failure` and the
 * record's id) and reported as a batch item failure, so only it is retried and the others are not
 * redone. A batch where every record fails is reported the same way, not thrown.
 */
export function sqsBatchHandler(
  logger: Logger,
  failure: string,
  handleRecord: (record: SQSRecord) => Promise<void>,
): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  return (event) => processPartialResponse(event, logged(logger, failure, (r) => ({ messageId: r.messageId }), handleRecord), processor, { throwOnFullBatchFailure: false });
}

function logged<R>(logger: Logger, failure: string, idOf: (record: R) => Record<string, string>, handleRecord: (record: R) => Promise<void>) {
  return async (record: R): Promise<void> => {
    try {
      await handleRecord(record);
    } catch (err) {
      logger.error(failure, { ...idOf(record), error: err as Error });
      throw err;
    }
  };
}
