// What the run page's charts put on the x axis: the step, the time since the run's first
// step, or the wall-clock time, as TensorBoard offers. Every overlay (markers, bands, ticks,
// policy lines, the heatmap) stands at a step, so each chart keeps an XMap from steps to its
// x values and back: zoom requests and hover stay in steps whatever the axis shows.

export type XMode = 'step' | 'relative' | 'wall';
export const X_MODES: readonly XMode[] = ['step', 'relative', 'wall'];
export const X_MODE_LABELS: Record<XMode, string> = { step: 'step', relative: 'relative time', wall: 'wall time' };

/** The columns an x axis is built from (a PlotSeries has them). */
export interface XSource {
  step: number[];
  /** Wall-clock ms of each bucket's first step; null where the server has none. */
  time: (number | null)[];
  /** Wall-clock ms of the run's first step: relative time counts from here. */
  startTime: number | null;
}

/** Whether any of the first `n` buckets has a time (else the time modes draw steps). */
export function hasTime(s: XSource, n = s.step.length): boolean {
  for (let i = 0; i < n; i++) if (s.time[i] !== null && s.time[i] !== undefined) return true;
  return false;
}

/** Steps to x values and back, piecewise linear between the buckets' (step, x) points. */
export interface XMap {
  /** The mode drawn: 'step' when time was asked for but the range has no times. */
  readonly mode: XMode;
  toX(step: number): number;
  toStep(x: number): number;
}

export const STEP_MAP: XMap = { mode: 'step', toX: (step) => step, toStep: (x) => x };

/**
 * The x value of each of the first `n` buckets. Time modes: wall = ms since the epoch,
 * relative = seconds since the run's first step. A bucket without a time takes the previous
 * one's (leading ones the first known), and x never decreases (uPlot needs ascending x; a
 * resent or late step can carry an earlier time): so x is a running max. Null when the
 * range has no times at all (steps stored by an older server).
 */
export function timeValues(s: XSource, mode: 'relative' | 'wall', n: number): number[] | null {
  let first = -1;
  for (let i = 0; i < n; i++) {
    if (s.time[i] !== null && s.time[i] !== undefined) {
      first = i;
      break;
    }
  }
  if (first < 0) return null;
  const origin = mode === 'relative' ? (s.startTime ?? (s.time[first] as number)) : 0;
  const scale = mode === 'relative' ? 1 / 1000 : 1;
  const out = new Array<number>(n);
  let prev = s.time[first] as number;
  for (let i = 0; i < n; i++) {
    const t = s.time[i];
    if (t !== null && t !== undefined && t > prev) prev = t;
    out[i] = (prev - origin) * scale;
  }
  return out;
}

/** Index of the last value <= v in ascending `xs` (binary search); -1 before the first. */
function floorAt(xs: ArrayLike<number>, v: number, n: number): number {
  let lo = 0;
  let hi = n - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= v) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Linear between point i and i+1 of (from -> to); past either end, the slope of the nearest segment. */
function interpolate(from: ArrayLike<number>, to: ArrayLike<number>, n: number, v: number): number {
  if (n === 0) return v;
  if (n === 1) return to[0] + (v - from[0]);
  const i = Math.min(n - 2, Math.max(0, floorAt(from, v, n)));
  const span = from[i + 1] - from[i];
  const f = span > 0 ? (v - from[i]) / span : 0;
  return to[i] + f * (to[i + 1] - to[i]);
}

export function makeXMap(mode: XMode, steps: number[], xs: number[]): XMap {
  if (mode === 'step') return STEP_MAP;
  const n = Math.min(steps.length, xs.length);
  return {
    mode,
    toX: (step) => interpolate(steps, xs, n, step),
    toStep: (x) => interpolate(xs, steps, n, x),
  };
}

/** The x values and their map for the first `n` buckets; falls back to steps without times. */
export function xAxisOf(s: XSource, mode: XMode, n: number): { x: number[]; map: XMap } {
  const steps = s.step.slice(0, n);
  if (mode === 'step') return { x: steps, map: STEP_MAP };
  const x = timeValues(s, mode, n);
  if (x === null) return { x: steps, map: STEP_MAP };
  return { x, map: makeXMap(mode, steps, x) };
}

/** "0 s", "45 s", "12 min", "65 min", "3 h 05", "2 d 04 h": relative time on the axis and in the legend. */
export function fmtRelative(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  const sign = seconds < 0 ? '−' : '';
  const s = Math.abs(seconds);
  if (s < 10) return `${sign}${Number(s.toFixed(s < 1 ? 2 : 1))} s`;
  if (s < 120) return `${sign}${Math.round(s)} s`;
  const min = s / 60;
  if (min < 120) return `${sign}${Number(min.toFixed(min < 10 ? 1 : 0))} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${sign}${h} h ${String(Math.round(min % 60)).padStart(2, '0')}`;
  return `${sign}${Math.floor(h / 24)} d ${String(h % 24).padStart(2, '0')} h`;
}

const p2 = (n: number) => String(n).padStart(2, '0');

/** "12:03:04" (and the date when it is not the day shown last), in the browser's time zone. */
export function fmtWall(ms: number, withDate = false): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '–';
  const time = `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
  return withDate ? `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${time}` : time;
}

/** An x value as the axis mode reads it. */
export function fmtX(mode: XMode, x: number): string {
  if (mode === 'relative') return fmtRelative(x);
  if (mode === 'wall') return fmtWall(x);
  return String(Math.round(x));
}

/** "nice" tick spacings for relative time, in seconds. */
const RELATIVE_STEPS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400];

/** Tick values for relative time across [min, max], about `target` of them, on round durations. */
export function relativeTicks(min: number, max: number, target: number): number[] {
  const span = max - min;
  if (!(span > 0)) return [min];
  const raw = span / Math.max(1, target);
  const step = RELATIVE_STEPS.find((s) => s >= raw) ?? Math.ceil(raw / 86400) * 86400;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + 1e-9; v += step) out.push(Number(v.toFixed(6)));
  return out;
}

type Listener = (mode: XMode) => void;
const KEY = 'gradpilot.xAxis';

/** The x axis chosen on the run page, shared by its charts, kept per browser like the other toggles. */
export class XAxisChoice {
  #mode: XMode;
  readonly #listeners = new Set<Listener>();

  constructor() {
    let saved: string | null = null;
    try {
      saved = localStorage.getItem(KEY);
    } catch {
      saved = null;
    }
    this.#mode = X_MODES.includes(saved as XMode) ? (saved as XMode) : 'step';
  }

  get mode(): XMode {
    return this.#mode;
  }

  set(mode: XMode): void {
    if (mode === this.#mode) return;
    this.#mode = mode;
    try {
      localStorage.setItem(KEY, mode);
    } catch {
      // private mode: not remembered
    }
    for (const l of this.#listeners) l(mode);
  }

  onChange(fn: Listener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }
}
