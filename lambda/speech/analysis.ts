/**
 * Aggregation of per-segment Comprehend results into one analysis per media file: overall
 * sentiment weighted by segment size in bytes (MIXED when large parts of the transcript disagree),
 * with the per-segment spread kept; entities and key phrases de-duplicated (case-insensitively)
 * with their count and best score.
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

/** Why the overall label is what it is. */
export type SentimentBasis = 'weighted-mean' | 'disagreeing-segments';

export interface OverallSentiment {
  readonly label: SentimentLabel;
  /** Mean of the segment scores, each weighted by its size in bytes. */
  readonly scores: SentimentScores;
  readonly basis: SentimentBasis;
  /** Share of the transcript's bytes in segments of each label (the spread behind the mean). */
  readonly shares: Readonly<Record<SentimentLabel, number>>;
  /** Every segment, in transcript order: its bytes, its label and scores. */
  readonly segments: ReadonlyArray<{ readonly bytes: number; readonly label: SentimentLabel; readonly scores: SentimentScores }>;
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

/**
 * A transcript is MIXED overall when at least this share of its bytes reads POSITIVE and at least
 * this share NEGATIVE: a weighted mean would otherwise let the longer side win (or, at equal
 * lengths, whichever score is a hair higher) and hide that the speakers disagreed.
 */
export const DISAGREEMENT_SHARE = 0.25;

const LABELS: readonly SentimentLabel[] = ['POSITIVE', 'NEGATIVE', 'NEUTRAL', 'MIXED'];

function labelOf(scores: SentimentScores): SentimentLabel {
  const byLabel: Record<SentimentLabel, number> = { POSITIVE: scores.positive, NEGATIVE: scores.negative, NEUTRAL: scores.neutral, MIXED: scores.mixed };
  // Ties go to the earlier label of LABELS (stable sort).
  return [...LABELS].sort((a, b) => byLabel[b] - byLabel[a])[0];
}

/**
 * One sentiment for the transcript: the byte-weighted mean of the segment scores and its top
 * label, unless segments labelled POSITIVE and NEGATIVE each hold at least DISAGREEMENT_SHARE of
 * the bytes, which makes it MIXED. Undefined for no segments.
 */
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
  const labelled = segments.map((s) => ({ bytes: s.bytes, label: labelOf(s.scores), scores: s.scores }));
  const shares = Object.fromEntries(LABELS.map((l) => [l, round(labelled.filter((s) => s.label === l).reduce((sum, s) => sum + s.bytes, 0) / total)])) as Record<SentimentLabel, number>;
  const disagree = shares.POSITIVE >= DISAGREEMENT_SHARE && shares.NEGATIVE >= DISAGREEMENT_SHARE;
  return {
    label: disagree ? 'MIXED' : labelOf(scores),
    scores,
    basis: disagree ? 'disagreeing-segments' : 'weighted-mean',
    shares,
    segments: labelled,
  };
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
