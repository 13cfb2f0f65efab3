/**
 * Aggregation of per-segment Comprehend results into one analysis per media file: overall
 * sentiment weighted by segment size in bytes, entities and key phrases de-duplicated
 * (case-insensitively) with their count and best score.
 */

export type SentimentLabel = 'POSITIVE' | 'NEGATIVE' | 'NEUTRAL' | 'MIXED';

export interface SentimentScores {
  readonly positive: number;
  readonly negative: number;
  readonly neutral: number;
  readonly mixed: number;
}

export interface SegmentSentiment {
  readonly bytes: number;
  readonly scores: SentimentScores;
}

export interface OverallSentiment {
  readonly label: SentimentLabel;
  readonly scores: SentimentScores;
}

export interface EntityMention {
  readonly text: string;
  readonly type: string;
  readonly score: number;
}

export interface AggregatedEntity {
  readonly text: string;
  readonly type: string;
  readonly count: number;
  readonly score: number;
}

export interface PhraseMention {
  readonly text: string;
  readonly score: number;
}

export interface AggregatedPhrase {
  readonly text: string;
  readonly count: number;
  readonly score: number;
}

const round = (n: number) => Math.round(n * 10_000) / 10_000;

/** Weighted mean of the segment scores (weight = bytes); undefined for no segments. */
export function overallSentiment(segments: readonly SegmentSentiment[]): OverallSentiment | undefined {
  const total = segments.reduce((sum, s) => sum + s.bytes, 0);
  if (segments.length === 0 || total === 0) {
    return undefined;
  }
  const weighted = (pick: (s: SentimentScores) => number) =>
    round(segments.reduce((sum, s) => sum + pick(s.scores) * s.bytes, 0) / total);
  const scores: SentimentScores = {
    positive: weighted((s) => s.positive),
    negative: weighted((s) => s.negative),
    neutral: weighted((s) => s.neutral),
    mixed: weighted((s) => s.mixed),
  };
  const ranked: Array<[SentimentLabel, number]> = [
    ['POSITIVE', scores.positive],
    ['NEGATIVE', scores.negative],
    ['NEUTRAL', scores.neutral],
    ['MIXED', scores.mixed],
  ];
  ranked.sort((a, b) => b[1] - a[1]);
  return { label: ranked[0][0], scores };
}

const normalise = (text: string) => text.normalize('NFKC').trim().replace(/\s+/g, ' ');

/** Group mentions by key: count them, keep the first spelling and the best score. */
function aggregate<M extends { text: string; score: number }, A extends { text: string; count: number; score: number }>(
  mentions: readonly M[],
  keyOf: (m: M, text: string) => string,
  make: (m: M, text: string) => A,
): A[] {
  const byKey = new Map<string, A>();
  for (const m of mentions) {
    const text = normalise(m.text);
    if (text.length === 0) {
      continue;
    }
    const key = keyOf(m, text.toLowerCase());
    const seen = byKey.get(key);
    byKey.set(key, seen ? { ...seen, count: seen.count + 1, score: Math.max(seen.score, round(m.score)) } : make(m, text));
  }
  return [...byKey.values()].sort((a, b) => b.count - a.count || b.score - a.score || a.text.localeCompare(b.text));
}

export function aggregateEntities(mentions: readonly EntityMention[]): AggregatedEntity[] {
  return aggregate(mentions, (m, lower) => `${m.type}\u0000${lower}`, (m, text) => ({ text, type: m.type, count: 1, score: round(m.score) }));
}

export function aggregatePhrases(mentions: readonly PhraseMention[]): AggregatedPhrase[] {
  return aggregate(mentions, (_m, lower) => lower, (m, text) => ({ text, count: 1, score: round(m.score) }));
}
