// Draws non-finite spans on a uPlot chart, behind the series: one shaded band per run of
// non-finite buckets (merged when closer than 3 px), so a diverged stretch reads as one
// region, and a lone NaN step as a thin line, never as a gap that looks like "no data".
import uPlot from 'uplot';
import { stepToPos } from './x-map.ts';
import type { XMap } from '../x-axis.ts';
import type { PlotSeries } from '../series.ts';
import { mergeNearSpans, nonFiniteSpans, type NonFiniteSpan } from './nonfinite-spans.ts';

const MERGE_PX = 3;

/** The spans of `countAt` in the first n buckets, merged as they would look on this chart. */
/** `map`: the run's steps -> x when not the chart's (see stepToPos). */
export function spansOnChart(u: uPlot, s: PlotSeries, countAt: (i: number) => number, n: number, map?: XMap): NonFiniteSpan[] {
  const pr = uPlot.pxRatio;
  return mergeNearSpans(nonFiniteSpans(s, countAt, n), (step) => stepToPos(u, step, true, map), MERGE_PX * pr);
}

export function drawNonFiniteBands(u: uPlot, spans: NonFiniteSpan[], color: string, alpha = 1, map?: XMap): void {
  const pr = uPlot.pxRatio;
  const { left, top, width, height } = u.bbox;
  const ctx = u.ctx;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  ctx.fillStyle = color;
  for (const span of spans) {
    const x0 = stepToPos(u, span.from, true, map);
    const x1 = stepToPos(u, span.to, true, map);
    if (x1 < left - 2 || x0 > left + width + 2) continue;
    if (x1 - x0 < 3 * pr) {
      ctx.globalAlpha = 0.45 * alpha;
      ctx.fillRect(Math.round((x0 + x1) / 2) - pr, top, 2 * pr, height);
      continue;
    }
    ctx.globalAlpha = 0.2 * alpha;
    ctx.fillRect(x0, top, x1 - x0, height);
    ctx.globalAlpha = 0.7 * alpha;
    ctx.fillRect(x0, top, pr, height);
    ctx.fillRect(x1 - pr, top, pr, height);
  }
  ctx.restore();
}

/** The middle of a span, where its marker goes. */
export const spanMiddle = (span: NonFiniteSpan): number => (span.from + span.to) / 2;
