// Runs of consecutive non-finite buckets as one span each: a diverged run with 260
// Infinity steps in a row is one shaded band with a count, not 260 full-height lines.
import type { PlotSeries } from '../series.ts';

export interface NonFiniteSpan {
  /** First step of the first bucket and last step of the last bucket in the run. */
  from: number;
  to: number;
  /** Non-finite values in the span (steps, or buckets when only a flag is known). */
  count: number;
  /** Bucket indices of the span's ends. */
  i0: number;
  i1: number;
}

/**
 * Spans of adjacent buckets whose `countAt(i)` is > 0, over the first `n` buckets. Adjacent
 * means next in the series: at raw resolution that is the next stored step, in buckets the
 * next bucket (so a bucket of 1000 steps with one NaN is one span of its own width).
 */
export function nonFiniteSpans(s: Pick<PlotSeries, 'step' | 'lastStep'>, countAt: (i: number) => number, n = s.step.length): NonFiniteSpan[] {
  const out: NonFiniteSpan[] = [];
  let cur: NonFiniteSpan | null = null;
  for (let i = 0; i < n; i++) {
    const c = countAt(i);
    if (!(c > 0)) {
      cur = null;
      continue;
    }
    if (cur) {
      cur.to = s.lastStep[i];
      cur.count += c;
      cur.i1 = i;
    } else {
      cur = { from: s.step[i], to: s.lastStep[i], count: c, i0: i, i1: i };
      out.push(cur);
    }
  }
  return out;
}

/**
 * Merges spans closer than `minGapPx` on screen (NaN every other step, zoomed out, is one
 * band, not a comb). `toPx` maps a step to a pixel; spans must be in step order.
 */
export function mergeNearSpans(spans: NonFiniteSpan[], toPx: (step: number) => number, minGapPx: number): NonFiniteSpan[] {
  const out: NonFiniteSpan[] = [];
  let prevEnd = Number.NEGATIVE_INFINITY;
  for (const s of spans) {
    const start = toPx(s.from);
    const last = out[out.length - 1];
    if (last && start - prevEnd < minGapPx) {
      last.to = s.to;
      last.count += s.count;
      last.i1 = s.i1;
    } else out.push({ ...s });
    prevEnd = toPx(s.to);
  }
  return out;
}

/** Tooltip text of a span: the step for one value, the range and count for more. */
export function describeSpan(span: NonFiniteSpan, what: string, single: string): string {
  if (span.count === 1 && span.from === span.to) return `step ${span.from}: ${single}`;
  return span.from === span.to ? `step ${span.from}: ${span.count} non-finite ${what}` : `${span.count} non-finite ${what} in steps ${span.from}–${span.to}`;
}
