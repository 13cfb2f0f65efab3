import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { makeHandler, matchesIn } from '../../../lambda/video/face-alert';
import { fixture, kinesisEvent } from './events';

const sns = mockClient(SNSClient);
const handler = makeHandler({ sns: new SNSClient({}), logger: new Logger({ logLevel: 'SILENT' }) }, { topicArn: 'arn:aws:sns:eu-west-1:111122223333:alerts', threshold: 90 });
const match = fixture('stream-processor-match.json');
const noMatch = fixture('stream-processor-no-match.json');

beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('face alert', () => {
  it('publishes who, similarity and when for a known face above the threshold only', async () => {
    await expect(handler(kinesisEvent([match]))).resolves.toEqual({ batchItemFailures: [] });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const input = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(input).toEqual(expect.objectContaining({ TopicArn: 'arn:aws:sns:eu-west-1:111122223333:alerts', Subject: 'Known face: jane_doe' }));
    expect(JSON.parse(input.Message!)).toEqual({
      person: 'jane_doe',
      faceId: '0d2a8b1b-6fd4-4b7a-9f2e-2f6a5f1f7c11',
      similarity: 97.04,
      seenAt: '2026-11-25T10:03:22.500Z',
      streamArn: 'arn:aws:kinesisvideo:eu-west-1:111122223333:stream/VideoAnalysis-VideoStream/1795600800000',
      fragmentNumber: '91343852333181432392682062607743920146264440798',
    });
  });

  it('sends nothing for a face with no match', async () => {
    await expect(handler(kinesisEvent([noMatch]))).resolves.toEqual({ batchItemFailures: [] });
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  it('fails only the malformed record, by sequence number, so the event source can bisect and retry it', async () => {
    const event = kinesisEvent(['not json', match]);
    const result = await handler(event);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0].kinesis.sequenceNumber }] });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('names what a record lacks', () => {
    expect(() => matchesIn('{"FaceSearchResponse":[]}', 90)).toThrow('Not a face-search record: needs InputInformation.KinesisVideo and FaceSearchResponse (got keys ["FaceSearchResponse"])');
    expect(matchesIn(JSON.stringify(match), 80).map((m) => m.person)).toEqual(['jane_doe', 'john_roe']);
  });
});
