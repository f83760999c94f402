// HTML markers laid over a uPlot chart (non-finite steps, spikes, explosions). They are
// real elements so they can be clicked, hovered for a title, and found by tests; a pool
// keeps redraws from creating and destroying nodes every frame.
import uPlot from 'uplot';
import { stepToPos } from './x-map.ts';
import type { XMap } from '../x-axis.ts';

export interface Marker {
  /** The step it stands for (data-step). */
  x: number;
  /** Where to draw it, when not at x (the middle of a span or cluster). */
  at?: number;
  kind: string;
  testid: string;
  title: string;
  /** Shown on the marker when > 1: the steps or events it stands for. */
  count?: number;
  /** A colour of its own (a run's, in the compare view) and a row (px from the top). */
  color?: string;
  top?: number;
  /** data-run, for markers that belong to one of several runs. */
  run?: string;
  /** That run's steps -> x, when it is not the chart's (compare on a time axis). */
  xMap?: XMap;
  onClick?: () => void;
}

/** More markers than this in view are not useful to click; the canvas still draws all. */
const MAX_MARKERS = 400;

export class MarkerLayer {
  readonly #layer: HTMLElement;
  readonly #pool: HTMLButtonElement[] = [];
  readonly #clicks = new WeakMap<HTMLButtonElement, () => void>();

  readonly plot: uPlot;

  constructor(u: uPlot) {
    this.plot = u;
    this.#layer = document.createElement('div');
    this.#layer.className = 'marker-layer';
    u.over.appendChild(this.#layer);
  }

  place(u: uPlot, markers: Marker[]): void {
    // From uPlot's own layout: reading clientWidth here forced a layout in every draw.
    const width = u.bbox.width / uPlot.pxRatio;
    let used = 0;
    for (const m of markers) {
      if (used >= MAX_MARKERS) break;
      const left = stepToPos(u, m.at ?? m.x, false, m.xMap);
      if (!(left >= -1 && left <= width + 1)) continue;
      const el = this.#get(used++);
      if (el.dataset.kind !== m.kind) {
        el.dataset.kind = m.kind;
        el.className = `marker marker-${m.kind}${el.dataset.count ? ' has-count' : ''}`;
      }
      if (el.dataset.testid !== m.testid) el.dataset.testid = m.testid;
      if (el.title !== m.title) el.title = m.title;
      el.dataset.step = String(m.x);
      const count = m.count !== undefined && m.count > 1 ? String(m.count) : '';
      if ((el.dataset.count ?? '') !== count) {
        if (count) el.dataset.count = count;
        else delete el.dataset.count;
        el.textContent = count;
        el.classList.toggle('has-count', count !== '');
      }
      el.style.left = `${left}px`;
      // Cached in data-color: style.background reads back normalised, never equal to the hex.
      if ((el.dataset.color ?? '') !== (m.color ?? '')) {
        el.style.background = m.color ?? '';
        if (m.color) el.dataset.color = m.color;
        else delete el.dataset.color;
      }
      const top = m.top === undefined ? '' : `${m.top}px`;
      if (el.style.top !== top) el.style.top = top;
      if ((el.dataset.run ?? '') !== (m.run ?? '')) {
        if (m.run) el.dataset.run = m.run;
        else delete el.dataset.run;
      }
      el.hidden = false;
      if (m.onClick) this.#clicks.set(el, m.onClick);
      else this.#clicks.delete(el);
    }
    // Spare pool elements drop their test id and kind, so selectors only find shown markers.
    for (let i = used; i < this.#pool.length; i++) {
      const el = this.#pool[i];
      if (el.hidden) continue;
      el.hidden = true;
      delete el.dataset.testid;
      delete el.dataset.kind;
      delete el.dataset.count;
      el.textContent = '';
    }
  }

  #get(i: number): HTMLButtonElement {
    let el = this.#pool[i];
    if (!el) {
      el = document.createElement('button');
      el.type = 'button';
      el.addEventListener('click', (e) => {
        e.stopPropagation();
        this.#clicks.get(el)?.();
      });
      // Keep uPlot from starting a drag-select when a marker is pressed.
      el.addEventListener('mousedown', (e) => e.stopPropagation());
      this.#pool.push(el);
      this.#layer.appendChild(el);
    }
    return el;
  }
}
