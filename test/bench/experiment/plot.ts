// The loss curves as one self-contained HTML page with inline SVG (no scripts, no fetches),
// so it can be committed and opened anywhere.
import type { RunResult } from './stats.ts';
import { median } from './stats.ts';

export interface PlotOptions {
  title: string;
  /** Paragraphs (plain text) printed under the title. */
  caption: string[];
  targetLoss: number;
  /** Loss axis range (log scale); values above the top, NaN and Infinity are drawn on the top edge. */
  yMin?: number;
  yMax?: number;
  /** Points per curve: the training loss is reduced to the median of each bucket. */
  buckets?: number;
  /** A loss above which a run counts as diverged, drawn as a dotted line (null or absent: not drawn). */
  divergeLoss?: number | null;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Bucket medians of a series; a bucket whose median is NaN/Infinity stays so (drawn at the top). */
export function bucketMedians(values: number[], buckets: number): { x: number[]; y: number[] } {
  const n = values.length;
  const k = Math.max(1, Math.min(buckets, n));
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < k; i++) {
    const lo = Math.floor((i * n) / k);
    const hi = Math.floor(((i + 1) * n) / k);
    if (hi <= lo) continue;
    // Infinity and NaN both count as "off the chart": map NaN to Infinity so the median sees them as large.
    const slice = values.slice(lo, hi).map((v) => (Number.isNaN(v) ? Number.POSITIVE_INFINITY : v));
    x.push((lo + hi - 1) / 2);
    y.push(median(slice));
  }
  return { x, y };
}

interface Frame {
  w: number;
  h: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  xMax: number;
  yMin: number;
  yMax: number;
  divergeLoss: number | null;
  /** Says in the frame what the top edge means (the panels say it once, in their heading). */
  topNote: boolean;
}

function sx(f: Frame, x: number): number {
  return f.left + (x / Math.max(1, f.xMax)) * (f.w - f.left - f.right);
}

function sy(f: Frame, y: number): number {
  const v = !Number.isFinite(y) || y > f.yMax ? f.yMax : Math.max(y, f.yMin);
  const t = (Math.log10(v) - Math.log10(f.yMin)) / (Math.log10(f.yMax) - Math.log10(f.yMin));
  return f.top + (1 - t) * (f.h - f.top - f.bottom);
}

function polyline(f: Frame, xs: number[], ys: number[], color: string, width: number, dash = ''): string {
  const pts = xs.map((x, i) => `${sx(f, x).toFixed(1)},${sy(f, ys[i]).toFixed(1)}`).join(' ');
  return `<polyline fill="none" stroke="${color}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${pts}"/>`;
}

/**
 * Gridlines of a log axis: the decades when the range spans two or more, otherwise the
 * steps of 5, 2 or 1 times a power of ten inside it (a loss between 2 and 4 gets 2, 2.5, 3, 3.5, 4).
 */
export function logTicks(yMin: number, yMax: number): { value: number; label: string }[] {
  const lo = Math.log10(yMin);
  const hi = Math.log10(yMax);
  if (hi - lo >= 2) {
    const out: { value: number; label: string }[] = [];
    for (let e = Math.ceil(lo - 1e-9); e <= Math.floor(hi + 1e-9); e++) out.push({ value: 10 ** e, label: `1e${e}` });
    return out;
  }
  // The coarsest step of 5, 2 or 1 times a power of ten that puts at least 4 ticks in the range.
  for (let p = Math.floor(hi); p >= Math.floor(lo) - 3; p--) {
    for (const m of [5, 2, 1]) {
      const step = m * 10 ** p;
      const first = Math.ceil(yMin / step - 1e-9);
      const last = Math.floor(yMax / step + 1e-9);
      if (last - first + 1 < 4) continue;
      const digits = Math.max(0, -p);
      return Array.from({ length: last - first + 1 }, (_, i) => {
        const label = ((first + i) * step).toFixed(digits);
        return { value: Number(label), label };
      });
    }
  }
  return [{ value: yMin, label: String(yMin) }, { value: yMax, label: String(yMax) }];
}

/** A line across the frame at loss `y`, with these SVG stroke attributes. */
function hline(f: Frame, y: number, stroke: string): string {
  const py = sy(f, y).toFixed(1);
  return `<line x1="${f.left}" x2="${f.w - f.right}" y1="${py}" y2="${py}" ${stroke}/>`;
}

function axes(f: Frame, target: number, title: string): string {
  const parts: string[] = [];
  parts.push(`<rect x="${f.left}" y="${f.top}" width="${f.w - f.left - f.right}" height="${f.h - f.top - f.bottom}" fill="#fff" stroke="#999"/>`);
  for (const { value, label } of logTicks(f.yMin, f.yMax)) {
    const y = sy(f, value);
    parts.push(hline(f, value, 'stroke="#eee"'));
    parts.push(`<text x="${f.left - 4}" y="${(y + 3).toFixed(1)}" text-anchor="end" font-size="10">${label}</text>`);
  }
  parts.push(hline(f, target, 'stroke="#000" stroke-dasharray="4 3" stroke-width="0.8"'));
  for (const x of [0, f.xMax / 2, f.xMax]) {
    parts.push(`<text x="${sx(f, x).toFixed(1)}" y="${f.h - f.bottom + 12}" text-anchor="middle" font-size="10">${Math.round(x)}</text>`);
  }
  if (f.divergeLoss !== null && f.divergeLoss > f.yMin && f.divergeLoss < f.yMax) {
    parts.push(hline(f, f.divergeLoss, 'stroke="#c00" stroke-dasharray="1 3" stroke-width="1"'));
  }
  parts.push(`<text x="${f.left}" y="${f.top - 5}" font-size="12" font-weight="bold">${esc(title)}</text>`);
  if (f.topNote) parts.push(`<text x="${f.w - f.right}" y="${f.top - 5}" text-anchor="end" font-size="9" fill="#666">top edge: ≥ ${f.yMax} or NaN</text>`);
  return parts.join('');
}

function conditionsOf(results: RunResult[]): string[] {
  const seen: string[] = [];
  for (const r of results) if (!seen.includes(r.condition)) seen.push(r.condition);
  return seen;
}

/** Median over seeds of the evaluation loss, per evaluation step. */
function medianEval(runs: RunResult[]): { x: number[]; y: number[] } {
  const x = runs[0].evalSteps;
  const y = x.map((_, i) => median(runs.map((r) => (Number.isNaN(r.evalLoss[i]) ? Number.POSITIVE_INFINITY : r.evalLoss[i]))));
  return { x, y };
}

/** The whole page: an overview (median eval loss per condition) and one panel per condition (training loss per seed). */
export function renderPlot(results: RunResult[], { title, caption, targetLoss, yMin = 0.01, yMax = 10, buckets = 100, divergeLoss }: PlotOptions): string {
  const conditions = conditionsOf(results);
  const xMax = Math.max(1, ...results.map((r) => r.steps));
  const seeds = [...new Set(results.map((r) => r.seed))];

  const diverge = divergeLoss ?? null;
  const big: Frame = { w: 860, h: 320, left: 44, right: 250, top: 22, bottom: 20, xMax, yMin, yMax, divergeLoss: diverge, topNote: true };
  const overview: string[] = [axes(big, targetLoss, 'median evaluation loss over seeds')];
  conditions.forEach((c, i) => {
    const runs = results.filter((r) => r.condition === c);
    const { x, y } = medianEval(runs);
    const color = COLORS[i % COLORS.length];
    // More conditions than colours: the second round is dashed, so no two lines look alike.
    const dash = i >= COLORS.length ? '6 3' : '';
    overview.push(polyline(big, x, y, color, 2, dash));
    const ly = big.top + 12 + i * 15;
    overview.push(`<line x1="${big.w - big.right + 8}" x2="${big.w - big.right + 26}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    overview.push(`<text x="${big.w - big.right + 30}" y="${ly}" font-size="11">${esc(c)}</text>`);
  });

  const panels = conditions.map((c) => {
    const f: Frame = { w: 360, h: 220, left: 44, right: 16, top: 22, bottom: 20, xMax, yMin, yMax, divergeLoss: diverge, topNote: false };
    const parts = [axes(f, targetLoss, c)];
    for (const r of results.filter((q) => q.condition === c)) {
      const { x, y } = bucketMedians(r.trainLoss, buckets);
      parts.push(polyline(f, x, y, COLORS[seeds.indexOf(r.seed) % COLORS.length], 1.2));
    }
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${f.w}" height="${f.h}" role="img" aria-label="${esc(c)}">${parts.join('')}</svg>`;
  });

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:20px;max-width:1120px}p{max-width:760px;font-size:14px}.grid{display:flex;flex-wrap:wrap;gap:8px}</style>
</head><body>
<h1>${esc(title)}</h1>
${caption.map((p) => `<p>${esc(p.replace(/\*/g, ''))}</p>`).join('\n')}
<svg xmlns="http://www.w3.org/2000/svg" width="${big.w}" height="${big.h}" role="img" aria-label="overview">${overview.join('')}</svg>
<h2 style="font-size:16px">Training loss per seed (median of ${Math.max(1, Math.round(xMax / buckets))}-step buckets; one colour per seed; dashed: target ${targetLoss}${diverge !== null ? `; dotted red: diverged above ${diverge}` : ''}; top edge: ≥ ${yMax} or NaN)</h2>
<div class="grid">
${panels.join('\n')}
</div>
</body></html>
`;
}
