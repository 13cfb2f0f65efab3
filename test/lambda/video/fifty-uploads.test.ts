import { DEPLOYED, simulate } from '../../../scripts/video-simulate';

/**
 * 50 simultaneous uploads against a 20-job quota, through the real starter handler with the
 * deployed batch size, concurrency, visibility timeout, backoff and maxReceiveCount. Rekognition is
 * a mock that throws LimitExceededException while 20 jobs run and finishes each in 2-10 minutes.
 * The figures (rounds, retries, time) are printed by `npm run video:simulate`; this asserts the
 * outcome only: nothing lost, nothing started twice, quota never exceeded.
 */
describe('50 simultaneous uploads with a 20-job limit', () => {
  it.each([1, 2, 3])('all get analysed, none dead-lettered or started twice (seed %i)', async (seed) => {
    const r = await simulate({ ...DEPLOYED, videos: 50, seed, jobSeconds: [120, 600] });
    expect(r).toEqual(
      expect.objectContaining({ videos: 50, videosFullyAnalysed: 50, jobsStarted: 150, jobsStartedTwice: 0, deadLettered: 0, maxJobsInFlight: 20 }),
    );
    // The quota was really hit (so the retry path was exercised), and no message came near the DLQ.
    expect(r.limitExceeded).toBeGreaterThan(0);
    expect(r.maxReceiveCount).toBeLessThan(DEPLOYED.maxReceiveCount);
  });

  it('a dead-letter threshold too low for the wait would lose videos to the DLQ (why maxReceiveCount is 100)', async () => {
    const r = await simulate({ ...DEPLOYED, maxReceiveCount: 5, videos: 50, seed: 1, jobSeconds: [120, 600] });
    expect(r.deadLettered).toBeGreaterThan(0);
    // Each video is either analysed or waiting in the DLQ for a redrive: none vanishes.
    expect(r.videosFullyAnalysed + r.deadLettered).toBe(50);
  });
});
