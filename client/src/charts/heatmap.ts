// The per-layer heatmap (layers × steps) on a plain canvas, x-aligned with the run's
// other charts. Each layer is coloured relative to its own median so the layer that
// spiked first stands out; that cell is outlined and named above the chart.
import type { LayerSeries } from '@gradpilot/sdk/protocol';
import { h, setText } from '../dom.ts';
import { fmtInt, fmtNum } from '../format.ts';
import { TID } from '../testids.ts';
import { palette } from '../theme.ts';
import { cellColor, firstSpike, scaleGradient, startToIgnore, toGrid, type HeatmapGrid } from './heatmap-model.ts';
import type { ZoomHandlers } from './plot-panel.ts';
import { fmtX, relativeTicks, STEP_MAP, type XMap } from '../x-axis.ts';

const AXIS_H = 22;
/** Many layers: rows stay this tall (labels readable) and the heatmap scrolls instead. */
const MIN_READABLE_ROW = 12;
const FIT_HEIGHT = 220;

export interface HeatmapOptions extends ZoomHandlers {
  /** The run's last step: ratio spikes in its first steps are not "first to spike" (startToIgnore). */
  runLastStep?: () => number | null;
}

/** Where the other charts draw their plot area, so heatmap columns line up with them. */
export interface XAlign {
  left: number;
  width: number;
  /** The x scale's range, in the charts' x units (steps, seconds since the start, or ms). */
  min: number;
  max: number;
  /** Steps <-> those x units. */
  map: XMap;
}

/** Round tick values (1, 2 or 5 times a power of ten) across [min, max]. */
export function niceTicks(min: number, max: number, target = 6): number[] {
  const span = max - min;
  if (!(span > 0)) return [min];
  const raw = span / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max; v += step) out.push(Math.round(v * 1e9) / 1e9);
  return out;
}

export class LayerHeatmap {
  readonly el: HTMLElement;
  readonly #canvas: HTMLCanvasElement;
  readonly #info: HTMLElement;
  readonly #resize: ResizeObserver;
  #grid: HeatmapGrid | null = null;
  readonly #align: () => XAlign | null;
  #xRange: [number, number] = [0, 1];
  /** Steps <-> x of the range drawn (the charts' when aligned with them). */
  #map: XMap = STEP_MAP;
  #gutter = 100;
  #plotW = 600;
  #rowH = 16;
  #drawnKey = '';
  #renderedAt = 0;
  #trailing: ReturnType<typeof setTimeout> | null = null;
  readonly #opts: HeatmapOptions;
  readonly #select = h('div', { class: 'heatmap-select', hidden: true });
  /** The first-spiking layer last scrolled to, so a re-render does not fight the user's scrolling. */
  #shownFirst: string | null = null;

  constructor(align: () => XAlign | null = () => null, opts: HeatmapOptions = {}) {
    this.#align = align;
    this.#opts = opts;
    this.#canvas = h('canvas', { class: 'heatmap-canvas' });
    this.#info = h('span', { class: 'heatmap-info', testid: TID.heatmapFirst });
    // The colour bar: each layer's max per bucket over its own median, ×¼ to ×32 (log scale).
    const ramp = h('i', { class: 'heatmap-ramp', title: 'log scale: ×1 (the layer\'s median) is at 2/7 of the bar' });
    // Through the CSSOM: the CSP (style-src 'self') refuses a style attribute, not a style property.
    ramp.style.background = scaleGradient();
    const scale = h(
      'span',
      { class: 'heatmap-scale', testid: TID.heatmapScale },
      '×¼ ',
      ramp,
      ' ×32',
      h('i', { class: 'sw sw-nonfinite' }),
      h('span', { title: 'a bucket where the layer had at least one NaN or ±Infinity norm, whatever its max' }, 'non-finite (any NaN/±Inf in the bucket)'),
    );
    this.el = h(
      'section',
      { class: 'panel chart-panel', testid: TID.heatmap },
      h('header', { class: 'panel-head' }, h('h3', {}, 'Per-layer gradient norm (× layer median)'), scale, this.#info),
      h('div', { class: 'heatmap-scroll', testid: TID.heatmapScroll }, this.#canvas, this.#select),
    );
    this.#canvas.addEventListener('mousemove', (e) => this.#hover(e), { passive: true });
    this.#listenForZoom();
    this.#resize = new ResizeObserver(() => this.render());
    this.#resize.observe(this.el);
  }

  /** Drag across the heatmap to zoom every chart, double-click for the whole run, as on the charts. */
  #listenForZoom(): void {
    let start: number | null = null;
    const x = (e: MouseEvent) => e.clientX - this.#canvas.getBoundingClientRect().left;
    const clamp = (px: number) => Math.min(this.#gutter + this.#plotW, Math.max(this.#gutter, px));
    const stepAt = (px: number) => {
      const [x0, x1] = this.#xRange;
      return this.#map.toStep(x0 + ((clamp(px) - this.#gutter) / this.#plotW) * (x1 - x0));
    };
    const show = (a: number, b: number) => {
      const sel = this.#select;
      sel.hidden = false;
      sel.style.left = `${Math.min(a, b)}px`;
      sel.style.width = `${Math.abs(b - a)}px`;
      sel.style.height = `${this.#grid ? this.#grid.names.length * this.#rowH : 0}px`;
    };
    const move = (e: MouseEvent) => start !== null && show(start, clamp(x(e)));
    const up = (e: MouseEvent) => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
      this.#select.hidden = true;
      if (start === null) return;
      const end = clamp(x(e));
      if (Math.abs(end - start) > 3) this.#opts.onZoom?.(stepAt(Math.min(start, end)), stepAt(Math.max(start, end)));
      start = null;
    };
    this.#canvas.addEventListener('mousedown', (e) => {
      if (!this.#grid || x(e) < this.#gutter || e.button !== 0) return;
      e.preventDefault();
      start = clamp(x(e));
      window.addEventListener('mousemove', move, { passive: true });
      window.addEventListener('mouseup', up);
    });
    this.#canvas.addEventListener('dblclick', () => this.#opts.onReset?.());
  }

  setLayers(ls: LayerSeries | null): void {
    this.#grid = ls && ls.names.length > 0 ? toGrid(ls) : null;
    this.#drawnKey = '';
    this.render();
  }

  /**
   * Re-renders when the aligned x range or layout changed; cheap to call every frame. While
   * the tail is followed the range moves every frame, so renders are spaced >= 250 ms apart
   * (with a trailing one): the heatmap is the most expensive canvas on the page. Always in a
   * task of its own, never inside the chart's draw that asked: the first frame of the norm
   * chart (and each live frame) does not wait for the heatmap.
   */
  renderIfMoved(): void {
    const key = this.#key(this.#align());
    if (key === this.#drawnKey || this.#trailing) return;
    const wait = Math.max(0, this.#renderedAt + 250 - performance.now());
    this.#trailing = setTimeout(() => {
      this.#trailing = null;
      this.render();
    }, wait);
  }

  /** What the drawing depends on besides the grid: the x alignment and the start left out. */
  #key(a: XAlign | null): string {
    const ignore = startToIgnore(this.#opts.runLastStep?.() ?? null);
    return `${a ? `${a.left}|${a.width}|${a.min}|${a.max}|${a.map.mode}` : 'none'}|${ignore}`;
  }

  destroy(): void {
    if (this.#trailing) clearTimeout(this.#trailing);
    this.#resize.disconnect();
  }

  render(): void {
    const pal = palette();
    const g = this.#grid;
    const width = Math.max(200, this.#canvas.parentElement?.clientWidth ?? 800) - 2;
    const a = this.#align();
    this.#drawnKey = this.#key(a);
    this.#renderedAt = performance.now();
    if (!g) {
      setText(this.#info, 'no per-layer norms recorded for this range');
      this.#paint(width, 40, (ctx) => {
        ctx.fillStyle = pal.muted;
        ctx.font = '12px system-ui, sans-serif';
        ctx.fillText('Per-layer norms appear here when the SDK sends them (layers: { name: norm }).', 8, 24);
      });
      return;
    }
    const layers = g.names.length;
    this.#rowH = Math.max(MIN_READABLE_ROW, Math.min(22, Math.floor(FIT_HEIGHT / layers)));
    const height = layers * this.#rowH + AXIS_H;
    const ignore = startToIgnore(this.#opts.runLastStep?.() ?? null);
    const first = firstSpike(g, ignore);
    const ignored = g.step.length > 0 && g.step[0] < ignore ? ` · ratio spikes in the first ${fmtInt(ignore)} steps (the start of training) not counted` : '';
    setText(
      this.#info,
      (first
        ? `first to spike: ${g.names[first.layer]} at step ${first.step} (${Number.isFinite(first.ratio) ? `${fmtNum(first.ratio, 3)}× median` : 'non-finite'})`
        : 'no layer spiked in this range') + ignored,
    );
    if (a && a.max > a.min) {
      this.#xRange = [a.min, a.max];
      this.#map = a.map;
    } else if (g.step.length > 0) {
      this.#xRange = [g.step[0], Math.max(g.step[g.step.length - 1] + g.bucketSize, g.step[0] + 1)];
      this.#map = STEP_MAP;
    }
    const map = this.#map;
    this.#paint(width, height, (ctx) => {
      ctx.font = '11px system-ui, sans-serif';
      const labelW = a ? a.left : Math.min(180, Math.max(...g.names.map((n) => ctx.measureText(n).width)) + 12);
      const plotW = a ? a.width : width - labelW - 8;
      this.#gutter = labelW;
      this.#plotW = plotW;
      const [x0, x1] = this.#xRange;
      const px = (step: number) => labelW + ((map.toX(step) - x0) / (x1 - x0)) * plotW;
      const pxOfX = (x: number) => labelW + ((x - x0) / (x1 - x0)) * plotW;
      ctx.fillStyle = pal.text;
      ctx.textBaseline = 'middle';
      ctx.textAlign = 'right';
      for (let l = 0; l < layers; l++) ctx.fillText(g.names[l], labelW - 6, l * this.#rowH + this.#rowH / 2, labelW - 8);
      ctx.textAlign = 'left';
      ctx.save();
      ctx.beginPath();
      ctx.rect(labelW, 0, plotW, layers * this.#rowH);
      ctx.clip();
      for (let l = 0; l < layers; l++) {
        const y = l * this.#rowH;
        const row = g.values[l];
        const bad = g.nonFinite[l];
        for (let b = 0; b < row.length; b++) {
          const v = row[b];
          if (v === null) continue;
          const cx = px(g.step[b]);
          const next = b + 1 < g.step.length ? g.step[b + 1] : g.step[b] + g.bucketSize;
          const w = Math.max(1, px(next) - cx);
          // A bucket with any NaN/±Inf norm is drawn in the non-finite colour, whatever its max.
          ctx.fillStyle = Number.isFinite(v) && !(bad[b] > 0) ? cellColor(v / g.median[l]) : pal.nonFinite;
          ctx.fillRect(cx, y, w + 0.5, this.#rowH - 1);
        }
      }
      if (first) {
        const fx = px(g.step[first.bucket]);
        ctx.strokeStyle = pal.nonFinite;
        ctx.lineWidth = 2;
        ctx.strokeRect(fx - 3, first.layer * this.#rowH + 1, 8, this.#rowH - 2);
      }
      ctx.restore();
      // x axis, in the charts' units
      ctx.fillStyle = pal.axis;
      ctx.textBaseline = 'top';
      const target = Math.max(2, Math.floor(plotW / 110));
      const ticks = map.mode === 'relative' ? relativeTicks(x0, x1, target) : niceTicks(x0, x1, target);
      for (const tick of ticks) {
        const x = pxOfX(tick);
        const label = map.mode === 'step' ? fmtInt(tick) : fmtX(map.mode, tick);
        const w = ctx.measureText(label).width;
        ctx.fillText(label, Math.min(width - w - 2, Math.max(labelW, x - w / 2)), layers * this.#rowH + 5);
      }
    });
    // Many layers scroll: bring the first-spiking one into view (once per layer named).
    const firstName = first ? g.names[first.layer] : null;
    if (firstName !== this.#shownFirst) {
      this.#shownFirst = firstName;
      const box = this.#canvas.parentElement!;
      if (first && box.scrollHeight > box.clientHeight) box.scrollTop = Math.max(0, first.layer * this.#rowH - box.clientHeight / 3);
    }
  }

  #paint(width: number, height: number, draw: (ctx: CanvasRenderingContext2D) => void): void {
    const dpr = window.devicePixelRatio || 1;
    const c = this.#canvas;
    if (c.width !== Math.round(width * dpr) || c.height !== Math.round(height * dpr)) {
      c.width = Math.round(width * dpr);
      c.height = Math.round(height * dpr);
      c.style.width = `${width}px`;
      c.style.height = `${height}px`;
    }
    const ctx = c.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    draw(ctx);
  }

  #hover(e: MouseEvent): void {
    const g = this.#grid;
    if (!g) return;
    const rect = this.#canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const l = Math.floor((e.clientY - rect.top) / this.#rowH);
    const plotW = this.#plotW;
    const [x0, x1] = this.#xRange;
    const step = this.#map.toStep(x0 + ((x - this.#gutter) / plotW) * (x1 - x0));
    if (l < 0 || l >= g.names.length || x < this.#gutter) {
      this.#canvas.title = '';
      return;
    }
    let b = 0;
    while (b + 1 < g.step.length && g.step[b + 1] <= step) b++;
    const v = g.values[l][b];
    const bad = g.nonFinite[l][b];
    const steps = g.bucketSize > 1 ? `steps ${fmtInt(g.step[b])}+` : `step ${fmtInt(g.step[b])}`;
    this.#canvas.title =
      `${g.names[l]} · ${steps}: max ${fmtNum(v)}` +
      (v !== null && Number.isFinite(v) ? ` (${fmtNum(v / g.median[l], 3)}× median)` : '') +
      (bad > 0 ? ` · ${fmtInt(bad)} non-finite` : '');
  }
}
