// One uPlot chart in a titled panel: sizes it to its container, re-draws new data at most
// once per frame, turns a drag-select into a zoom request and a double-click into a reset.
// The chart is only re-created for a change of options (log scale, theme), never for data.
import uPlot from 'uplot';
import { h, setText } from '../dom.ts';
import { palette, type Palette } from '../theme.ts';
import { perFrame } from './frame.ts';
import { STEP_MAP, type XMap } from '../x-axis.ts';
import { attachXMap } from './x-map.ts';

export interface PanelSpec {
  title: string;
  testid: string;
  height: number;
  /** Options without width, height and data. */
  options(pal: Palette): Omit<uPlot.Options, 'width' | 'height'>;
  data(): uPlot.AlignedData;
}

export interface ZoomHandlers {
  onZoom?: (from: number, to: number) => void;
  onReset?: () => void;
}

export class PlotPanel {
  readonly el: HTMLElement;
  readonly body: HTMLElement;
  readonly #title: HTMLElement;
  #plot: uPlot | null = null;
  readonly #spec: PanelSpec;
  readonly #zoom: ZoomHandlers;
  readonly #resize: ResizeObserver;
  readonly #scheduleData: () => void;
  /** Steps <-> x values of the data last given (set by the chart's data()); zooms ask in steps. */
  xMap: XMap = STEP_MAP;

  constructor(spec: PanelSpec, zoom: ZoomHandlers = {}, ...toolbar: HTMLElement[]) {
    this.#spec = spec;
    this.#zoom = zoom;
    this.body = h('div', { class: 'plot-body' });
    this.#title = h('h3', {}, spec.title);
    this.el = h(
      'section',
      { class: 'panel chart-panel', testid: spec.testid },
      h('header', { class: 'panel-head' }, this.#title, ...toolbar),
      this.body,
    );
    this.#scheduleData = perFrame(() => this.#plot?.setData(this.#spec.data()), 100);
    let lastWidth = 0;
    this.#resize = new ResizeObserver(() => {
      const width = this.width();
      if (width === lastWidth) return;
      lastWidth = width;
      if (this.#plot) this.#plot.setSize({ width, height: this.#spec.height });
      else this.rebuild();
    });
    this.#resize.observe(this.body);
  }

  /** The plot width in CSS pixels (about how many buckets to ask the server for). */
  width(): number {
    return Math.max(200, Math.floor(this.body.clientWidth || 800));
  }

  get plot(): uPlot | null {
    return this.#plot;
  }

  setTitle(text: string): void {
    setText(this.#title, text);
  }

  /** Schedules a setData with the spec's current data for the next frame. */
  update(): void {
    if (this.#plot) this.#scheduleData();
  }

  /** Redraws without new data (e.g. markers changed). */
  redraw(): void {
    this.#plot?.redraw(false, true);
  }

  rebuild(): void {
    this.#plot?.destroy();
    const opts = this.#spec.options(palette());
    const zoom = this.#zoom;
    const cursor: uPlot.Cursor = {
      ...opts.cursor,
      bind: {
        ...opts.cursor?.bind,
        // Double-click goes back to the whole run (and to following it), instead of
        // uPlot's own reset to the data currently loaded.
        dblclick: () => () => {
          zoom.onReset?.();
          return null;
        },
      },
    };
    const setSelect = (u: uPlot) => {
      if (u.select.width < 2) return;
      const from = this.xMap.toStep(u.posToVal(u.select.left, 'x'));
      const to = this.xMap.toStep(u.posToVal(u.select.left + u.select.width, 'x'));
      zoom.onZoom?.(from, to);
    };
    const hooks: uPlot.Hooks.Arrays = { ...opts.hooks, setSelect: [...(opts.hooks?.setSelect ?? []), setSelect] };
    this.#plot = new uPlot(
      { ...opts, cursor, hooks, width: this.width(), height: this.#spec.height },
      this.#spec.data(),
      this.body,
    );
    attachXMap(this.#plot, () => this.xMap);
  }

  destroy(): void {
    this.#resize.disconnect();
    this.#plot?.destroy();
    this.#plot = null;
  }
}

/** Axis and grid colours shared by every chart. */
export function axis(pal: Palette, label: string, extra: Partial<uPlot.Axis> = {}): uPlot.Axis {
  return {
    label,
    stroke: pal.axis,
    labelFont: '12px system-ui, sans-serif',
    font: '11px system-ui, sans-serif',
    grid: { stroke: pal.grid, width: 1 },
    ticks: { stroke: pal.grid, width: 1 },
    ...extra,
  };
}

/** y tick labels that stay readable from 1e-6 (learning rates) to 1e6 (exploding norms). */
export function yTicks(_u: uPlot, splits: number[]): string[] {
  return splits.map((v) => {
    if (v === null || v === undefined) return '';
    if (v === 0) return '0';
    const abs = Math.abs(v);
    if (abs >= 1e5 || abs < 1e-3) return v.toExponential(0).replace('e+', 'e');
    return String(Number(v.toPrecision(3)));
  });
}
