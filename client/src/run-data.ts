// What the run view's charts show: the step series for the current x range, the run's
// events and an optional what-if threshold. It follows the tail (appending live steps and
// re-bucketing when too many have piled up) until the user zooms, then holds that range.
import type { RunEvent } from '@gradpilot/sdk/protocol';
import type { LiveSteps } from '@gradpilot/sdk/protocol';
import { api } from './api.ts';
import { appendLive, emptySeries, fromStepSeries, type Col, type PlotSeries } from './series.ts';

export interface WhatIfLine {
  step: number[];
  threshold: Col;
}

/** load: a new range was fetched; append: live steps; overlay: events or what-if changed. */
/** A policy version's switch step, drawn as a vertical line on the norm chart. */
export interface PolicyMark {
  step: number;
  label: string;
}

export type DataReason = 'load' | 'append' | 'overlay';

export class RunData {
  readonly runId: string;
  series: PlotSeries = emptySeries();
  events: RunEvent[] = [];
  whatIf: WhatIfLine | null = null;
  policyMarks: PolicyMark[] = [];
  following = true;
  from: number | undefined;
  to: number | undefined;
  /** Buckets to ask for: about the chart width in pixels. */
  points = 1000;
  loading = false;

  readonly #dataListeners = new Set<(reason: DataReason) => void>();
  readonly #errorListeners = new Set<(err: unknown) => void>();
  #seq = 0;
  #abort: AbortController | null = null;
  /** Live steps received while a fetch is in flight: replayed onto its result. */
  #pending: LiveSteps[] = [];
  #reloadTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(runId: string) {
    this.runId = runId;
  }

  onData(fn: (reason: DataReason) => void): () => void {
    this.#dataListeners.add(fn);
    return () => this.#dataListeners.delete(fn);
  }

  onError(fn: (err: unknown) => void): () => void {
    this.#errorListeners.add(fn);
    return () => this.#errorListeners.delete(fn);
  }

  async load(): Promise<void> {
    const seq = ++this.#seq;
    this.#abort?.abort();
    const abort = new AbortController();
    this.#abort = abort;
    this.#pending = [];
    this.loading = true;
    try {
      const res = await api.getSteps(this.runId, { from: this.from, to: this.to, points: this.points }, abort.signal);
      if (seq !== this.#seq) return;
      const series = fromStepSeries(res);
      if (this.following) for (const live of this.#pending) appendLive(series, live);
      this.series = series;
      this.#emit('load');
    } catch (err) {
      if (seq !== this.#seq || abort.signal.aborted) return;
      for (const fn of this.#errorListeners) fn(err);
    } finally {
      if (seq === this.#seq) {
        this.loading = false;
        this.#pending = [];
      }
    }
  }

  /** Shows [from, to] at full resolution for that range and stops following the tail. */
  zoom(from: number, to: number): Promise<void> {
    this.following = false;
    this.from = Math.max(0, Math.floor(Math.min(from, to)));
    this.to = Math.ceil(Math.max(from, to));
    return this.load();
  }

  /** Back to the whole run, following new steps. */
  follow(): Promise<void> {
    this.following = true;
    this.from = undefined;
    this.to = undefined;
    return this.load();
  }

  pushLive(live: LiveSteps): void {
    if (!this.following) return;
    if (this.loading) this.#pending.push(live);
    if (appendLive(this.series, live) === 0) return;
    this.#emit('append');
    // Appended raw steps make the series grow; once it is far past the pixel count,
    // re-ask the server for buckets (at most every 2 s) so drawing stays cheap.
    if (this.series.step.length > 2 * this.points && this.#reloadTimer === null) {
      this.#reloadTimer = setTimeout(() => {
        this.#reloadTimer = null;
        if (this.following) void this.load();
      }, 2000);
    }
  }

  setEvents(events: RunEvent[]): void {
    this.events = events.slice().sort((a, b) => a.step - b.step || a.id - b.id);
    this.#emit('overlay');
  }

  /** New events, and bursts of non-finite steps that grew (same id, later lastStep). */
  addEvents(events: RunEvent[]): void {
    const byId = new Map(this.events.map((e) => [e.id, e]));
    let changed = false;
    for (const e of events) {
      if (e.runId !== this.runId) continue;
      const known = byId.get(e.id);
      if (known && known.lastStep === e.lastStep && known.count === e.count) continue;
      byId.set(e.id, e);
      changed = true;
    }
    if (changed) this.setEvents([...byId.values()]);
  }

  setWhatIf(line: WhatIfLine | null): void {
    this.whatIf = line;
    this.#emit('overlay');
  }

  setPolicyMarks(marks: PolicyMark[]): void {
    const key = (m: PolicyMark[]) => m.map((x) => `${x.step}:${x.label}`).join();
    if (key(marks) === key(this.policyMarks)) return;
    this.policyMarks = marks;
    this.#emit('overlay');
  }

  dispose(): void {
    this.#seq++;
    this.#abort?.abort();
    if (this.#reloadTimer) clearTimeout(this.#reloadTimer);
    this.#dataListeners.clear();
    this.#errorListeners.clear();
  }

  #emit(reason: DataReason): void {
    for (const fn of this.#dataListeners) fn(reason);
  }
}
