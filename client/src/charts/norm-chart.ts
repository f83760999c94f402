// The gradient-norm chart: the min/max band of each bucket with its last value as a line
// (so a spike inside a bucket stays visible), the threshold in force and an optional what-if
// threshold drawn on top, clipped/skipped steps in a strip under the plot, and markers for
// non-finite steps and for spike/explosion events. Log scale by itself when the norms span
// more than two decades (said next to the toggle), until the user picks one.
import uPlot from 'uplot';
import type { RunEvent } from '@gradpilot/sdk/protocol';
import { h, setText } from '../dom.ts';
import { fmtNum } from '../format.ts';
import type { RunData } from '../run-data.ts';
import { alignWhatIf, type Col, type PlotSeries } from '../series.ts';
import { emaOverSteps, firstSpan, type Smoothing } from '../smoothing.ts';
import { TID } from '../testids.ts';
import type { Palette } from '../theme.ts';
import { AUTO_LOG_DECADES, decadesSpanned } from './log-scale.ts';
import { clusterMarkers } from './marker-clusters.ts';
import { MarkerLayer, type Marker } from './markers.ts';
import { drawNonFiniteBands, spanMiddle, spansOnChart } from './nonfinite-bands.ts';
import { describeSpan, type NonFiniteSpan } from './nonfinite-spans.ts';
import { noPaths, strokeOnTop } from './overlay-lines.ts';
import { axis, PlotPanel, yTicks, type ZoomHandlers } from './plot-panel.ts';
import { drawTickStrip, STRIP_HEIGHT } from './tick-strip.ts';
import { xAxisOf, type XAxisChoice, type XMode } from '../x-axis.ts';
import { xAxisParts } from './x-axis-options.ts';
import { stepToPos } from './x-map.ts';

export interface NormChartOptions extends ZoomHandlers {
  syncKey: string;
  /** EMA of the norm drawn over the raw values (faint) when a half-life is set. */
  smoothing?: Smoothing;
  onEventClick?: (event: RunEvent) => void;
  /** After every redraw (the heatmap follows this chart's x scale). */
  onDraw?: () => void;
  /** Step, relative or wall time on the x axis (default: step). */
  xAxis?: XAxisChoice;
}

const positive = (c: Col): Col => c.map((v) => (v !== null && v > 0 ? v : null));
/** Room above the plot area for the policy-switch labels (CSS pixels). */
const LABEL_ROOM = 16;
/** Series indices in the chart's data. */
const THRESHOLD = 4;
const WHAT_IF = 5;
/** Event markers of one kind closer than this (CSS pixels) merge into one with a count. */
const CLUSTER_PX = 14;

export class NormChart {
  readonly panel: PlotPanel;
  log = false;
  /** null: the chart decides (AUTO_LOG_DECADES); true/false: the user's choice. */
  #logChoice: boolean | null = null;
  readonly #logBox: HTMLInputElement;
  readonly #scaleNote = h('span', { class: 'muted scale-note', testid: TID.scaleNote });
  readonly #model: RunData;
  readonly #opts: NormChartOptions;
  #shown: PlotSeries;
  #shownLen = 0;
  #markers: MarkerLayer | null = null;
  #spans: NonFiniteSpan[] = [];
  #painted = false;
  /** The x mode the chart's options were built for (a range without times draws steps). */
  #builtMode: XMode = 'step';
  readonly #empty = h('div', { class: 'empty-overlay' }, 'No steps yet: waiting for the first one…');

  constructor(model: RunData, opts: NormChartOptions) {
    this.#model = model;
    this.#opts = opts;
    this.#shown = model.series;
    this.#logBox = h('input', { type: 'checkbox', testid: TID.logToggle });
    const logToggle = h('label', { class: 'toggle' }, this.#logBox, ' log scale');
    this.#logBox.addEventListener('change', () => {
      this.#logChoice = this.#logBox.checked;
      this.#setLog(this.#logChoice, '');
    });
    this.panel = new PlotPanel(
      { title: 'Gradient norm', testid: TID.normChart, height: 280 + STRIP_HEIGHT, options: (p) => this.#options(p), data: () => this.#data() },
      opts,
      legendKey(),
      logToggle,
      this.#scaleNote,
    );
    this.#empty.hidden = true;
    this.panel.body.append(this.#empty);
    // A fetched range (not each live append) may change the automatic choice of scale.
    model.onData((reason) => reason === 'load' && this.#autoLog());
    opts.smoothing?.onChange(() => this.panel.rebuild());
    opts.xAxis?.onChange(() => this.panel.rebuild());
  }

  /** The x mode this chart can draw now: the one chosen, or steps for a range without times. */
  #xMode(): XMode {
    const s = this.#model.series;
    return xAxisOf(s, this.#opts.xAxis?.mode ?? 'step', s.step.length).map.mode;
  }

  get #halfLife(): number {
    return this.#opts.smoothing?.halfLife ?? 0;
  }

  #autoLog(): void {
    if (this.#logChoice !== null) return;
    const s = this.#model.series;
    const decades = decadesSpanned([s.normMax, s.normMin], s.step.length);
    const log = decades > AUTO_LOG_DECADES;
    this.#setLog(log, log ? `auto: the norms span ${decades.toFixed(1)} decades` : '');
  }

  #setLog(log: boolean, note: string): void {
    setText(this.#scaleNote, note);
    this.#logBox.checked = log;
    if (log === this.log) return;
    this.log = log;
    this.panel.rebuild();
  }

  #data(): uPlot.AlignedData {
    const s = this.#model.series;
    this.#shown = s;
    this.#shownLen = s.step.length;
    const n = this.#shownLen;
    this.#empty.hidden = n > 0 || this.#model.loading;
    // Copies: live appends grow the model's arrays, and uPlot must keep what it was given.
    const cut = (c: Col): Col => c.slice(0, n);
    const fix = this.log ? (c: Col) => positive(cut(c)) : cut;
    const { x, map } = xAxisOf(s, this.#opts.xAxis?.mode ?? 'step', n);
    this.panel.xMap = map;
    // Times arrived for a run that had none (or the reverse): the axis itself must change.
    if (map.mode !== this.#builtMode) queueMicrotask(() => this.panel.rebuild());
    const data: uPlot.AlignedData = [
      x,
      fix(s.normMax),
      fix(s.normMin),
      fix(s.normLast),
      fix(s.threshold),
      fix(alignWhatIf(s.step.slice(0, n), this.#model.whatIf)),
    ];
    // Each value stands at its bucket's last step (the step of `normLast`).
    const halfLife = this.#halfLife;
    return halfLife > 0 ? [...data, fix(emaOverSteps(s.lastStep, s.normLast, halfLife, n, firstSpan(s)))] : data;
  }

  #options(pal: Palette): Omit<uPlot.Options, 'width' | 'height'> {
    const fmt = (_u: uPlot, v: number | null) => fmtNum(v);
    const smooth = this.#halfLife > 0;
    // With smoothing, the raw values stay behind, faint (as TensorBoard draws them).
    const raw = smooth ? 0.3 : 1;
    const normValue = (_u: uPlot, v: number | null, _si: number, idx: number | null) => {
      if (v !== null || idx === null) return fmtNum(v);
      const raw = this.#shown.normLastRaw[idx];
      return raw === null || raw === undefined ? '–' : fmtNum(raw);
    };
    this.#builtMode = this.#xMode();
    const x = xAxisParts(this.#builtMode, (idx) => this.#shown.step[idx]);
    return {
      ms: x.ms,
      cursor: { sync: { key: this.#opts.syncKey }, drag: { x: true, y: false } },
      padding: [LABEL_ROOM, null, null, null],
      scales: {
        x: x.scale,
        y: this.log
          ? { distr: 3, log: 10 }
          : { range: (_u, _min, max) => [0, max !== null && max > 0 ? max * 1.08 : 1] },
      },
      // The x labels move down by the strip's height: the strip sits between plot and labels.
      axes: [
        axis(pal, x.label, { gap: 5 + STRIP_HEIGHT, size: 34 + STRIP_HEIGHT, ticks: { show: false }, ...x.axis }),
        axis(pal, '‖g‖ (global L2, before clipping)', { size: 60, values: yTicks }),
      ],
      series: [
        { label: x.legendLabel, value: x.legend },
        { label: 'max', stroke: pal.band, width: 1, value: fmt, spanGaps: true, alpha: raw },
        { label: 'min', stroke: pal.band, width: 1, value: fmt, spanGaps: true, alpha: raw },
        { label: '‖g‖', stroke: pal.norm, width: 1.5, value: normValue, spanGaps: true, alpha: raw },
        // Drawn by #draw on top of everything (strokeOnTop); uPlot keeps legend and hover.
        { label: 'threshold', stroke: pal.threshold, width: 2, dash: [6, 4], value: fmt, spanGaps: true, paths: noPaths, points: { show: false } },
        { label: 'what-if', stroke: pal.whatIf, width: 2.5, dash: [7, 3], value: fmt, spanGaps: true, paths: noPaths, points: { show: false } },
        ...(smooth ? [{ label: '‖g‖ EMA', stroke: pal.norm, width: 2, value: fmt, spanGaps: true }] : []),
      ],
      bands: [{ series: [1, 2], fill: pal.band + (smooth ? '22' : '55') }],
      hooks: {
        // Non-finite steps go behind the series, everything else over them.
        drawAxes: [(u) => this.#drawBehind(u, pal)],
        draw: [(u) => this.#draw(u, pal)],
      },
    };
  }

  /** Non-finite runs of steps as bands behind the data (see nonfinite-bands.ts). */
  #drawBehind(u: uPlot, pal: Palette): void {
    const s = this.#shown;
    const n = Math.min(this.#shownLen, s.step.length);
    this.#spans = spansOnChart(u, s, (i) => s.nonFinite[i], n);
    drawNonFiniteBands(u, this.#spans, pal.nonFinite);
  }

  #draw(u: uPlot, pal: Palette): void {
    const s = this.#shown;
    const n = Math.min(this.#shownLen, s.step.length);
    const { left, top, width, height } = u.bbox;
    const ctx = u.ctx;
    const pr = uPlot.pxRatio;
    const markers: Marker[] = this.#spans.map((span) => ({
      x: span.from,
      at: spanMiddle(span),
      kind: 'nonfinite',
      testid: TID.nonFiniteMarker,
      count: span.count,
      title: describeSpan(span, 'gradient norms', `gradient norm ${fmtNum(s.normLastRaw[span.i0])}`),
    }));
    strokeOnTop(u, THRESHOLD, { color: pal.threshold, halo: pal.panel, width: 2, dash: [6, 4] });
    strokeOnTop(u, WHAT_IF, { color: pal.whatIf, halo: pal.panel, width: 2.5, dash: [7, 3] });
    drawTickStrip(u, s, n, pal);
    // Policy switches: a dotted line at each version's effective step, its label in the room
    // above the plot area (never over the data); a label that would overlap the previous one
    // is left out (the policy history lists them all).
    ctx.save();
    ctx.strokeStyle = pal.muted;
    ctx.fillStyle = pal.muted;
    ctx.lineWidth = pr;
    ctx.setLineDash([3 * pr, 3 * pr]);
    ctx.font = `${11 * pr}px system-ui, sans-serif`;
    ctx.textBaseline = 'bottom';
    let labelEnd = Number.NEGATIVE_INFINITY;
    for (const m of this.#model.policyMarks) {
      const x = Math.round(stepToPos(u, m.step, true));
      if (x < left || x > left + width) continue;
      ctx.beginPath();
      ctx.moveTo(x, top - 3 * pr);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      const w = ctx.measureText(m.label).width;
      const lx = Math.min(x + 3 * pr, left + width - w);
      if (lx < labelEnd + 6 * pr) continue;
      ctx.fillText(m.label, lx, top - 3 * pr);
      labelEnd = lx + w;
    }
    ctx.restore();
    const events: Marker[] = [];
    for (const e of this.#model.events) {
      if (e.kind === 'nonfinite') continue;
      events.push({
        x: e.step,
        kind: e.kind,
        testid: TID.eventMarker,
        title: `${e.kind} at step ${e.step}${e.detail ? `: ${e.detail}` : ''}`,
        onClick: () => this.#opts.onEventClick?.(e),
      });
    }
    // Events of a kind closer than a marker's width merge; clicking the merged one zooms in.
    const zoomTo = (from: number, to: number) => {
      const pad = Math.max(20, Math.ceil((to - from) / 2));
      this.#opts.onZoom?.(Math.max(0, from - pad), to + pad);
    };
    markers.push(...clusterMarkers(events, (step) => stepToPos(u, step), CLUSTER_PX, zoomTo));
    // Made here, not in a ready hook: the first draw of a rebuilt chart comes before ready.
    if (this.#markers?.plot !== u) this.#markers = new MarkerLayer(u);
    this.#markers.place(u, markers);
    if (n > 0 && !this.#painted) {
      this.#painted = true;
      // Lets scripts measure time to the first frame with data (test/browser/first-frame.ts).
      performance.mark('gradpilot:first-frame');
    }
    this.#opts.onDraw?.();
  }
}

function legendKey(): HTMLElement {
  return h(
    'span',
    { class: 'key' },
    h('i', { class: 'sw sw-clipped' }),
    'clipped ',
    h('i', { class: 'sw sw-skipped' }),
    'skipped ',
    h('i', { class: 'sw sw-nonfinite' }),
    'non-finite ',
    h('i', { class: 'sw sw-spike' }),
    'spike/explosion',
  );
}
