// uPlot settings for the x axis of a run-page chart in each mode: steps as numbers, relative
// time as durations on round ticks, wall time on uPlot's own time scale (ms, local time).
// The hover legend shows the step in every mode, and the time beside it in the time modes.
import type uPlot from 'uplot';
import { fmtRelative, fmtWall, relativeTicks, type XMode } from '../x-axis.ts';

export interface XAxisParts {
  /** uPlot's `ms` option: 1 for the wall-time axis (ms since the epoch). */
  ms: 1e-3 | 1;
  scale: uPlot.Scale;
  /** Merged into the chart's x axis. */
  axis: Partial<uPlot.Axis>;
  label: string;
  /** The x series' name in the hover legend. */
  legendLabel: string;
  /** The x series' legend value: the bucket's step (and time). */
  legend: uPlot.Series['value'];
}

/** `stepAt`: the step of a bucket index, for the legend; null where x is shared by several runs (compare). */
export function xAxisParts(mode: XMode, stepAt: ((idx: number) => number | undefined) | null): XAxisParts {
  const step = (idx: number | null) => (idx === null || stepAt === null ? undefined : stepAt(idx));
  const both = (v: number, text: string, idx: number | null) => (stepAt === null ? text : `${step(idx) ?? '–'} · ${text}`);
  if (mode === 'wall') {
    return {
      ms: 1,
      scale: { time: true },
      axis: {},
      label: 'wall time',
      legendLabel: stepAt === null ? 'time' : 'step · time',
      legend: (_u, v, _si, idx) => (v === null ? '–' : both(v, fmtWall(v, true), idx)),
    };
  }
  if (mode === 'relative') {
    return {
      ms: 1e-3,
      scale: { time: false },
      axis: {
        splits: (u: uPlot, _ai: number, min: number, max: number) => relativeTicks(min, max, Math.max(2, Math.floor(u.bbox.width / 110 / devicePixelRatio))),
        values: (_u: uPlot, splits: number[]) => splits.map(fmtRelative),
      },
      label: 'time since the first step',
      legendLabel: stepAt === null ? 'since start' : 'step · since start',
      legend: (_u, v, _si, idx) => (v === null ? '–' : both(v, fmtRelative(v), idx)),
    };
  }
  return { ms: 1e-3, scale: { time: false }, axis: {}, label: 'step', legendLabel: 'step', legend: (_u, v) => (v === null ? '–' : String(v)) };
}
