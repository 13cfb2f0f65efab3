import { aggregateEntities, aggregatePhrases, overallSentiment } from '../../../lambda/speech/analysis';

describe('overallSentiment', () => {
  it('weights each segment by its size in bytes', () => {
    const overall = overallSentiment([
      { bytes: 4000, scores: { positive: 0.1, negative: 0.8, neutral: 0.1, mixed: 0 } },
      { bytes: 1000, scores: { positive: 0.9, negative: 0, neutral: 0.1, mixed: 0 } },
    ]);
    expect(overall).toEqual({ label: 'NEGATIVE', scores: { positive: 0.26, negative: 0.64, neutral: 0.1, mixed: 0 } });
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
