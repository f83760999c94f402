// A small synced chart of one or more per-bucket columns (loss, learning rate, clip
// coefficient and clipped fraction), sharing the run view's x range and cursor. The run's
// non-finite gradient steps are shaded here too, so a diverged stretch lines up across
// charts; a column's own non-finite values (a NaN loss) get markers with a count.
import uPlot from 'uplot';
import { xAxisOf, type XAxisChoice, type XMode } from '../x-axis.ts';
import { xAxisParts, type XAxisParts } from './x-axis-options.ts';
import { h, setText } from '../dom.ts';
import { fmtNum } from '../format.ts';
import type { RunData } from '../run-data.ts';
import { emptySeries, type PlotSeries } from '../series.ts';
import { emaOverSteps, firstSpan, type Smoothing } from '../smoothing.ts';
import { TID } from '../testids.ts';
import type { Palette } from '../theme.ts';
import { MarkerLayer, type Marker } from './markers.ts';
import { drawNonFiniteBands, spanMiddle, spansOnChart } from './nonfinite-bands.ts';
import { describeSpan } from './nonfinite-spans.ts';
import { axis, PlotPanel, yTicks, type ZoomHandlers } from './plot-panel.ts';

export interface LineDef {
  label: string;
  color: (pal: Palette) => string;
  column: (s: PlotSeries) => (number | null)[];
  dash?: number[];
  /** Draw as filled steps (fractions per bucket read better as area than as a zig-zag). */
  area?: boolean;
  /** 1 where the column's value is NaN/±Inf: marked on the chart (the line has a gap there). */
  nonFinite?: (s: PlotSeries) => number[];
  /** Gets an EMA line (the spec's `smoothing`) over the raw one, which then goes faint. */
  smooth?: boolean;
}

export interface LineChartSpec extends ZoomHandlers {
  title: string;
  testid: string;
  yLabel: string;
  syncKey: string;
  lines: LineDef[];
  /** Fixed y range, e.g. [0, 1] for fractions. */
  yRange?: [number, number];
  smoothing?: Smoothing;
  /** Text next to the title, from the data shown (e.g. the clipped fraction's window). */
  note?: (s: PlotSeries) => string;
  height?: number;
  /** Step, relative or wall time on the x axis, as on the norm chart (default: step). */
  xAxis?: XAxisChoice;
}

export class LineChart {
  readonly panel: PlotPanel;
  readonly #spec: LineChartSpec;
  /** The series and length the chart was last given (live appends grow the model's arrays). */
  #shown: PlotSeries = emptySeries();
  #shownLen = 0;
  #markers: MarkerLayer | null = null;
  readonly #note = h('span', { class: 'muted hint', testid: TID.chartNote });
  /** The x mode the options were built for (a range without times draws steps). */
  #builtMode: XMode = 'step';

  constructor(model: RunData, spec: LineChartSpec) {
    this.#spec = spec;
    this.panel = new PlotPanel(
      {
        title: spec.title,
        testid: spec.testid,
        height: spec.height ?? 170,
        data: () => {
          const s = model.series;
          const n = s.step.length;
          this.#shown = s;
          this.#shownLen = n;
          const cols = spec.lines.map((l) => l.column(s).slice(0, n));
          const halfLife = spec.smoothing?.halfLife ?? 0;
          const smoothed = halfLife > 0 ? spec.lines.filter((l) => l.smooth).map((l) => emaOverSteps(s.lastStep, l.column(s), halfLife, n, firstSpan(s))) : [];
          if (spec.note) setText(this.#note, spec.note(s));
          const { x, map } = xAxisOf(s, spec.xAxis?.mode ?? 'step', n);
          this.panel.xMap = map;
          if (map.mode !== this.#builtMode) queueMicrotask(() => this.panel.rebuild());
          return [x, ...cols, ...smoothed];
        },
        options: (pal) => {
          const s = model.series;
          this.#builtMode = xAxisOf(s, spec.xAxis?.mode ?? 'step', s.step.length).map.mode;
          const o = options(spec, pal, spec.smoothing?.halfLife ?? 0, xAxisParts(this.#builtMode, (idx) => this.#shown.step[idx]));
          o.hooks = { drawAxes: [(u) => this.#drawBehind(u, pal)], draw: [(u) => this.#draw(u)] };
          return o;
        },
      },
      spec,
      ...(spec.note ? [this.#note] : []),
    );
    spec.smoothing?.onChange(() => this.panel.rebuild());
    spec.xAxis?.onChange(() => this.panel.rebuild());
  }

  #drawBehind(u: uPlot, pal: Palette): void {
    const s = this.#shown;
    const n = Math.min(this.#shownLen, s.step.length);
    drawNonFiniteBands(u, spansOnChart(u, s, (i) => s.nonFinite[i], n), pal.nonFinite, 0.7);
  }

  #draw(u: uPlot): void {
    const s = this.#shown;
    const n = Math.min(this.#shownLen, s.step.length);
    const markers: Marker[] = [];
    for (const line of this.#spec.lines) {
      if (!line.nonFinite) continue;
      const flags = line.nonFinite(s);
      for (const span of spansOnChart(u, s, (i) => flags[i], n)) {
        markers.push({
          x: span.from,
          at: spanMiddle(span),
          kind: 'nonfinite',
          testid: TID.seriesNonFiniteMarker,
          count: span.count,
          title: describeSpan(span, `${line.label} values`, `${line.label} is not finite`),
        });
      }
    }
    if (markers.length === 0 && !this.#markers) return;
    if (this.#markers?.plot !== u) this.#markers = new MarkerLayer(u);
    this.#markers.place(u, markers);
  }
}

const steps = uPlot.paths.stepped!({ align: 1 });

function options(spec: LineChartSpec, pal: Palette, halfLife: number, x: XAxisParts): Omit<uPlot.Options, 'width' | 'height'> {
  const fixed = spec.yRange;
  const smoothed = halfLife > 0 ? spec.lines.filter((l) => l.smooth) : [];
  return {
    cursor: { sync: { key: spec.syncKey }, drag: { x: true, y: false } },
    ms: x.ms,
    scales: { x: x.scale, y: fixed ? { range: () => fixed } : {} },
    // The step label is on the gradient-norm chart above; repeating it costs plot height.
    axes: [axis(pal, '', { labelSize: 0, ...x.axis }), axis(pal, spec.yLabel, { size: 60, values: yTicks })],
    series: [
      { label: x.legendLabel, value: x.legend },
      ...spec.lines.map(
        (l): uPlot.Series => ({
          label: l.label,
          stroke: l.color(pal),
          width: 1.5,
          dash: l.dash,
          spanGaps: true,
          ...(l.area ? { fill: `${l.color(pal)}40`, paths: steps, width: 1 } : {}),
          // The raw line goes faint behind its EMA.
          ...(smoothed.includes(l) ? { alpha: 0.3 } : {}),
          value: (_u, v) => fmtNum(v),
        }),
      ),
      ...smoothed.map((l): uPlot.Series => ({ label: `${l.label} EMA`, stroke: l.color(pal), width: 2, spanGaps: true, value: (_u, v) => fmtNum(v) })),
    ],
    legend: { live: true },
  };
}
