// Clipped and skipped steps in their own strip right under the plot area (the x axis
// labels are pushed down to make room), so they never cover the norms or the threshold:
// at 80 % clipped, ticks inside the plot became a solid bar over the threshold line.
import uPlot from 'uplot';
import { stepToPos } from './x-map.ts';
import type { PlotSeries } from '../series.ts';
import type { Palette } from '../theme.ts';

/** Height of one row of the strip, and the gap above it, in CSS pixels. */
export const STRIP_ROW = 7;
const STRIP_GAP = 3;
export const STRIP_HEIGHT = STRIP_GAP + 2 * STRIP_ROW + 2;

/**
 * Draws the strip: one row for clipped, one for skipped; each bucket's bar is as tall as the
 * fraction of its steps (at least 2 px when any), so density reads at any zoom.
 */
export function drawTickStrip(u: uPlot, s: PlotSeries, n: number, pal: Palette): void {
  const pr = uPlot.pxRatio;
  const { left, top, width, height } = u.bbox;
  const ctx = u.ctx;
  const row = STRIP_ROW * pr;
  const y0 = top + height + STRIP_GAP * pr;
  const rows: [string, string, number[]][] = [
    ['clipped', pal.clipped, s.clipped],
    ['skipped', pal.skipped, s.skipped],
  ];
  ctx.save();
  ctx.font = `${9 * pr}px system-ui, sans-serif`;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  rows.forEach(([label, color, counts], r) => {
    const yTop = y0 + r * (row + pr);
    ctx.fillStyle = pal.muted;
    ctx.fillText(label, left - 4 * pr, yTop + row / 2);
    ctx.fillStyle = color;
    for (let i = 0; i < n; i++) {
      const c = counts[i];
      if (!(c > 0)) continue;
      const x = stepToPos(u, s.step[i], true);
      const xEnd = stepToPos(u, s.lastStep[i] + 1, true);
      if (xEnd < left || x > left + width) continue;
      const w = Math.max(2 * pr, xEnd - x);
      const hgt = Math.max(2 * pr, Math.min(1, c / Math.max(1, s.count[i])) * row);
      const cx = Math.max(left, x);
      ctx.fillRect(cx, yTop + row - hgt, Math.min(w, left + width - cx), hgt);
    }
  });
  ctx.restore();
}
