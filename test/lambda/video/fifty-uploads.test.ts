import { DEPLOYED, simulate } from '../../../scripts/video-simulate';

/**
 * 50 simultaneous uploads (and 10 new versions of some of those keys 90 s later) against a 20-job
 * quota, through the real starter AND results collector with the deployed batch sizes,
 * concurrency, visibility timeouts, backoff and dead-letter thresholds. Rekognition is a mock that
 * throws LimitExceededException while 20 jobs run, finishes each in 2-10 minutes and publishes its
 * completion to the results queue. The figures are printed by `npm run video:simulate`; this
 * asserts the outcome: every analysis of every key's latest version written (0 lost), nothing
 * dead-lettered, nothing started twice, the quota never exceeded. (Against the handlers before
 * this change the same runs lost 19, 7 and 20 of the 150 results: completions of a version whose
 * row was written only after all its analyses had started were dropped as "stale".)
 */
describe('50 simultaneous uploads with a 20-job limit, to the stored results', () => {
  it.each([1, 2, 3])('every result of the latest versions written, none lost, dead-lettered or started twice (seed %i)', async (seed) => {
    const r = await simulate({ ...DEPLOYED, videos: 50, newVersions: 10, seed, jobSeconds: [120, 600] });
    expect(r).toEqual(expect.objectContaining({
      uploads: 60, resultsExpected: 150, resultsWritten: 150, lost: 0, resultsDeadLettered: 0, jobsStartedTwice: 0, deadLettered: 0, maxJobsInFlight: 20,
    }));
    // The quota was really hit (so the retry path was exercised), new versions made some
    // completions stale (so the drop path was exercised), and no message came near a DLQ.
    expect(r.limitExceeded).toBeGreaterThan(0);
    expect(r.staleDropped).toBeGreaterThan(0);
    expect(r.maxReceiveCount).toBeLessThan(DEPLOYED.maxReceiveCount);
  });

  it('a dead-letter threshold too low for the wait would send videos to the DLQ (why maxReceiveCount is 100)', async () => {
    const r = await simulate({ ...DEPLOYED, maxReceiveCount: 5, videos: 50, newVersions: 0, seed: 1, jobSeconds: [120, 600] });
    expect(r.deadLettered).toBeGreaterThan(0);
    // Each video is either fully analysed or waiting in the DLQ for a redrive: none vanishes.
    expect(r.videosFullyAnalysed + r.deadLettered).toBe(50);
  });
});
