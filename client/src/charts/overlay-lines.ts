// Lines drawn after everything else in the plot area, with a halo in the panel colour: the
// threshold and the what-if threshold must stay readable over a dense band of norms and
// over non-finite bands, in both themes. uPlot keeps the series (legend, hover values) but
// is told not to draw them (`paths: noPaths`).
import uPlot from 'uplot';

export const noPaths: uPlot.Series.PathBuilder = () => null;

export interface OverlayStyle {
  color: string;
  halo: string;
  /** CSS pixels. */
  width: number;
  dash: number[];
}

/** Index of the first x >= value (binary search). */
function lowerBound(xs: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Strokes series `si` of the chart's data on top, connecting across gaps (like spanGaps). */
export function strokeOnTop(u: uPlot, si: number, style: OverlayStyle): void {
  const xs = u.data[0] as ArrayLike<number>;
  const ys = u.data[si] as ArrayLike<number | null | undefined> | undefined;
  const { min, max } = u.scales.x;
  if (!ys || xs.length === 0 || min == null || max == null) return;
  // One point beyond each edge, so the line reaches the border of the plot.
  const i0 = Math.max(0, lowerBound(xs, min) - 1);
  const i1 = Math.min(xs.length - 1, lowerBound(xs, max));
  const path = new Path2D();
  let started = false;
  for (let i = i0; i <= i1; i++) {
    const y = ys[i];
    if (y === null || y === undefined) continue;
    const px = u.valToPos(xs[i], 'x', true);
    const py = u.valToPos(y, 'y', true);
    if (!Number.isFinite(py)) continue;
    if (started) path.lineTo(px, py);
    else path.moveTo(px, py);
    started = true;
  }
  if (!started) return;
  const pr = uPlot.pxRatio;
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  ctx.lineJoin = 'round';
  ctx.strokeStyle = style.halo;
  ctx.lineWidth = (style.width + 3) * pr;
  ctx.setLineDash([]);
  ctx.stroke(path);
  ctx.strokeStyle = style.color;
  ctx.lineWidth = style.width * pr;
  ctx.setLineDash(style.dash.map((d) => d * pr));
  ctx.stroke(path);
  ctx.restore();
}
