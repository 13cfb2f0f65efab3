import { aggregateEntities, aggregatePhrases, DISAGREEMENT_SHARE, overallSentiment } from '../../../lambda/speech/analysis';

const scores = (positive: number, negative: number, neutral = 0, mixed = 0) => ({ positive, negative, neutral, mixed });

describe('overallSentiment', () => {
  it('weights each segment by its size in bytes and keeps the spread', () => {
    const overall = overallSentiment([
      { bytes: 4000, scores: scores(0.1, 0.8, 0.1) },
      { bytes: 1000, scores: scores(0.9, 0, 0.1) },
    ]);
    expect(overall).toEqual({
      label: 'NEGATIVE',
      basis: 'weighted-mean',
      scores: scores(0.26, 0.64, 0.1),
      shares: { POSITIVE: 0.2, NEGATIVE: 0.8, NEUTRAL: 0, MIXED: 0 },
      segments: [
        { bytes: 4000, label: 'NEGATIVE', scores: scores(0.1, 0.8, 0.1) },
        { bytes: 1000, label: 'POSITIVE', scores: scores(0.9, 0, 0.1) },
      ],
    });
  });

  it('a transcript whose halves disagree is MIXED, not whichever half scores a hair higher', () => {
    // First half praise, second half complaints, equal lengths: the mean alone would say POSITIVE.
    const halves = [
      ...Array.from({ length: 10 }, () => ({ bytes: 5000, scores: scores(0.92, 0.03, 0.05) })),
      ...Array.from({ length: 10 }, () => ({ bytes: 5000, scores: scores(0.02, 0.9, 0.08) })),
    ];
    const overall = overallSentiment(halves)!;
    expect(overall.scores.positive).toBeGreaterThan(overall.scores.negative);
    expect(overall).toMatchObject({ label: 'MIXED', basis: 'disagreeing-segments', shares: { POSITIVE: 0.5, NEGATIVE: 0.5 } });
    expect(overall.segments.map((s) => s.label)).toEqual([...Array(10).fill('POSITIVE'), ...Array(10).fill('NEGATIVE')]);
  });

  it('a minority of disagreeing text (under a quarter) does not make it MIXED', () => {
    const overall = overallSentiment([
      { bytes: 7600, scores: scores(0.9, 0.05, 0.05) },
      { bytes: 2400, scores: scores(0.05, 0.9, 0.05) },
    ])!;
    expect(overall).toMatchObject({ label: 'POSITIVE', basis: 'weighted-mean', shares: { POSITIVE: 0.76, NEGATIVE: 0.24 } });
    expect(DISAGREEMENT_SHARE).toBe(0.25);
  });

  it('has no sentiment for no segments', () => {
    expect(overallSentiment([])).toBeUndefined();
  });
});

describe('aggregation', () => {
  it('de-duplicates entities by type and case-insensitive text, counting and keeping the best score', () => {
    expect(aggregateEntities([
      { text: 'Seattle', type: 'LOCATION', score: 0.9 },
      { text: 'seattle ', type: 'LOCATION', score: 0.99 },
      { text: 'Seattle', type: 'ORGANIZATION', score: 0.5 },
      { text: 'Berlin', type: 'LOCATION', score: 0.95 },
      { text: '  ', type: 'OTHER', score: 0.3 },
    ])).toEqual([
      { text: 'Seattle', type: 'LOCATION', count: 2, score: 0.99 },
      { text: 'Berlin', type: 'LOCATION', count: 1, score: 0.95 },
      { text: 'Seattle', type: 'ORGANIZATION', count: 1, score: 0.5 },
    ]);
  });

  it('de-duplicates key phrases, normalising width and spaces', () => {
    expect(aggregatePhrases([
      { text: 'the  quarterly review', score: 0.9 },
      { text: 'The quarterly review', score: 0.8 },
      { text: 'ＡＷＳ', score: 0.7 },
      { text: 'AWS', score: 0.75 },
    ])).toEqual([
      { text: 'the quarterly review', count: 2, score: 0.9 },
      { text: 'AWS', count: 2, score: 0.75 },
    ]);
  });
});
