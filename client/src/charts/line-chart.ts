// A small synced chart of one or more per-bucket columns (loss, learning rate, clip
// coefficient and clipped fraction), sharing the run view's x range and cursor.
import uPlot from 'uplot';
import { fmtNum } from '../format.ts';
import type { RunData } from '../run-data.ts';
import type { Col, PlotSeries } from '../series.ts';
import type { Palette } from '../theme.ts';
import { axis, PlotPanel, yTicks, type ZoomHandlers } from './plot-panel.ts';

export interface LineDef {
  label: string;
  color: (pal: Palette) => string;
  column: (s: PlotSeries) => Col;
  dash?: number[];
  /** Draw as filled steps (fractions per bucket read better as area than as a zig-zag). */
  area?: boolean;
}

export interface LineChartSpec extends ZoomHandlers {
  title: string;
  testid: string;
  yLabel: string;
  syncKey: string;
  lines: LineDef[];
  /** Fixed y range, e.g. [0, 1] for fractions. */
  yRange?: [number, number];
  height?: number;
}

export class LineChart {
  readonly panel: PlotPanel;

  constructor(model: RunData, spec: LineChartSpec) {
    this.panel = new PlotPanel(
      {
        title: spec.title,
        testid: spec.testid,
        height: spec.height ?? 170,
        data: () => {
          const s = model.series;
          const n = s.step.length;
          return [s.step.slice(0, n), ...spec.lines.map((l) => l.column(s).slice(0, n))];
        },
        options: (pal) => options(spec, pal),
      },
      spec,
    );
  }
}

const steps = uPlot.paths.stepped!({ align: 1 });

function options(spec: LineChartSpec, pal: Palette): Omit<uPlot.Options, 'width' | 'height'> {
  const fixed = spec.yRange;
  return {
    cursor: { sync: { key: spec.syncKey }, drag: { x: true, y: false } },
    scales: { x: { time: false }, y: fixed ? { range: () => fixed } : {} },
    // The step label is on the gradient-norm chart above; repeating it costs plot height.
    axes: [axis(pal, '', { labelSize: 0 }), axis(pal, spec.yLabel, { size: 60, values: yTicks })],
    series: [
      { label: 'step', value: (_u, v) => (v === null ? '–' : String(v)) },
      ...spec.lines.map(
        (l): uPlot.Series => ({
          label: l.label,
          stroke: l.color(pal),
          width: 1.5,
          dash: l.dash,
          spanGaps: true,
          ...(l.area ? { fill: `${l.color(pal)}40`, paths: steps, width: 1 } : {}),
          value: (_u, v) => fmtNum(v),
        }),
      ),
    ],
    legend: { live: true },
  };
}

/** Fraction of each bucket's steps that were clipped or skipped. */
export function clippedFraction(s: PlotSeries): Col {
  const out: Col = new Array(s.step.length);
  for (let i = 0; i < s.step.length; i++) {
    const c = s.count[i];
    out[i] = c > 0 ? (s.clipped[i] + s.skipped[i]) / c : null;
  }
  return out;
}
