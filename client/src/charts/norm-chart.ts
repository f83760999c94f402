// The gradient-norm chart: the min/max band of each bucket with its last value as a line
// (so a spike inside a bucket stays visible), the threshold in force, an optional what-if
// threshold, ticks for clipped/skipped steps, and markers for non-finite steps and for
// spike/explosion events.
import uPlot from 'uplot';
import type { RunEvent } from '@gradpilot/sdk/protocol';
import { h } from '../dom.ts';
import { fmtNum } from '../format.ts';
import type { RunData } from '../run-data.ts';
import { alignWhatIf, type Col, type PlotSeries } from '../series.ts';
import { TID } from '../testids.ts';
import type { Palette } from '../theme.ts';
import { MarkerLayer, type Marker } from './markers.ts';
import { axis, PlotPanel, yTicks, type ZoomHandlers } from './plot-panel.ts';

export interface NormChartOptions extends ZoomHandlers {
  syncKey: string;
  onEventClick?: (event: RunEvent) => void;
  /** After every redraw (the heatmap follows this chart's x scale). */
  onDraw?: () => void;
}

const positive = (c: Col): Col => c.map((v) => (v !== null && v > 0 ? v : null));

export class NormChart {
  readonly panel: PlotPanel;
  log = false;
  readonly #model: RunData;
  readonly #opts: NormChartOptions;
  #shown: PlotSeries;
  #shownLen = 0;
  #markers: MarkerLayer | null = null;
  #painted = false;
  readonly #empty = h('div', { class: 'empty-overlay' }, 'No steps yet: waiting for the first one…');

  constructor(model: RunData, opts: NormChartOptions) {
    this.#model = model;
    this.#opts = opts;
    this.#shown = model.series;
    const logToggle = h('label', { class: 'toggle' }, h('input', { type: 'checkbox', testid: TID.logToggle }), ' log scale');
    logToggle.querySelector('input')!.addEventListener('change', (e) => {
      this.log = (e.target as HTMLInputElement).checked;
      this.panel.rebuild();
    });
    this.panel = new PlotPanel(
      { title: 'Gradient norm', testid: TID.normChart, height: 280, options: (p) => this.#options(p), data: () => this.#data() },
      opts,
      legendKey(),
      logToggle,
    );
    this.#empty.hidden = true;
    this.panel.body.append(this.#empty);
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
    const x = s.step.slice(0, n);
    return [
      x,
      fix(s.normMax),
      fix(s.normMin),
      fix(s.normLast),
      fix(s.threshold),
      fix(alignWhatIf(x, this.#model.whatIf)),
    ];
  }

  #options(pal: Palette): Omit<uPlot.Options, 'width' | 'height'> {
    const fmt = (_u: uPlot, v: number | null) => fmtNum(v);
    const normValue = (_u: uPlot, v: number | null, _si: number, idx: number | null) => {
      if (v !== null || idx === null) return fmtNum(v);
      const raw = this.#shown.normLastRaw[idx];
      return raw === null || raw === undefined ? '–' : fmtNum(raw);
    };
    return {
      cursor: { sync: { key: this.#opts.syncKey }, drag: { x: true, y: false } },
      scales: {
        x: { time: false },
        y: this.log
          ? { distr: 3, log: 10 }
          : { range: (_u, _min, max) => [0, max !== null && max > 0 ? max * 1.08 : 1] },
      },
      axes: [axis(pal, 'step'), axis(pal, '‖g‖ (global L2, before clipping)', { size: 60, values: yTicks })],
      series: [
        { label: 'step', value: (_u, v) => (v === null ? '–' : String(v)) },
        { label: 'max', stroke: pal.band, width: 1, value: fmt, spanGaps: true },
        { label: 'min', stroke: pal.band, width: 1, value: fmt, spanGaps: true },
        { label: '‖g‖', stroke: pal.norm, width: 1.5, value: normValue, spanGaps: true },
        { label: 'threshold', stroke: pal.threshold, width: 1.5, dash: [6, 4], value: fmt, spanGaps: true },
        { label: 'what-if', stroke: pal.whatIf, width: 2, dash: [2, 3], value: fmt, spanGaps: true },
      ],
      bands: [{ series: [1, 2], fill: pal.band + '55' }],
      hooks: {
        draw: [(u) => this.#draw(u, pal)],
      },
    };
  }

  #draw(u: uPlot, pal: Palette): void {
    const s = this.#shown;
    const n = Math.min(this.#shownLen, s.step.length);
    const { left, top, width, height } = u.bbox;
    const ctx = u.ctx;
    const pr = uPlot.pxRatio;
    const markers: Marker[] = [];
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    for (let i = 0; i < n; i++) {
      const nonFinite = s.nonFinite[i] > 0;
      const clipped = s.clipped[i] > 0;
      const skipped = s.skipped[i] > 0;
      if (!nonFinite && !clipped && !skipped) continue;
      const x = Math.round(u.valToPos(s.step[i], 'x', true));
      if (x < left - 2 || x > left + width + 2) continue;
      if (clipped) {
        ctx.fillStyle = pal.clipped;
        ctx.fillRect(x - pr, top + height - 7 * pr, 2 * pr, 7 * pr);
      }
      if (skipped && !nonFinite) {
        ctx.fillStyle = pal.skipped;
        ctx.fillRect(x - pr, top + height - 14 * pr, 2 * pr, 6 * pr);
      }
      if (nonFinite) {
        // A full-height line: a NaN step must never look like a gap in the data.
        ctx.fillStyle = pal.nonFinite;
        ctx.globalAlpha = 0.45;
        ctx.fillRect(x - pr, top, 2 * pr, height);
        ctx.globalAlpha = 1;
        const last = s.lastStep[i];
        markers.push({
          x: s.step[i],
          kind: 'nonfinite',
          testid: TID.nonFiniteMarker,
          title:
            last > s.step[i]
              ? `${s.nonFinite[i]} non-finite step(s) in ${s.step[i]}–${last}`
              : `step ${s.step[i]}: gradient norm ${fmtNum(s.normLastRaw[i])}`,
        });
      }
    }
    // Policy switches: a dotted line at each version's effective step.
    ctx.strokeStyle = pal.muted;
    ctx.fillStyle = pal.muted;
    ctx.lineWidth = pr;
    ctx.setLineDash([3 * pr, 3 * pr]);
    ctx.font = `${11 * pr}px system-ui, sans-serif`;
    ctx.textBaseline = 'bottom';
    for (const m of this.#model.policyMarks) {
      const x = Math.round(u.valToPos(m.step, 'x', true));
      if (x < left || x > left + width) continue;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.fillText(m.label, x + 4 * pr, top + height - 16 * pr);
    }
    ctx.setLineDash([]);
    ctx.restore();
    for (const e of this.#model.events) {
      if (e.kind === 'nonfinite') continue;
      markers.push({
        x: e.step,
        kind: e.kind,
        testid: TID.eventMarker,
        title: `${e.kind} at step ${e.step}${e.detail ? `: ${e.detail}` : ''}`,
        onClick: () => this.#opts.onEventClick?.(e),
      });
    }
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
