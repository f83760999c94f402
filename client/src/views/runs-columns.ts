// The runs table's columns: header, what a cell shows, and the value it sorts by. One list,
// so the header, the cells and the sort cannot disagree.
import type { RunSummary } from '@gradpilot/sdk/protocol';
import { fmtDateTime, fmtDuration, fmtInt, fmtPercent, fmtRate, fmtTime } from '../format.ts';
import { shortPolicy } from './policy-panel.ts';

export type SortValue = string | number;

export interface RunColumn {
  key: string;
  label: string;
  title?: string;
  numeric?: boolean;
  /** Cell text; nonfinite, status and the name link are built by the view itself. */
  text?: (s: RunSummary, now: RunClock) => string;
  sort: (s: RunSummary, now: RunClock) => SortValue;
}

/** When the view last heard of each run, for rates that go stale (see RATE_STALE_MS). */
export interface RunClock {
  /** ms since this run's summary arrived. */
  age(id: string): number;
}

/** The server's rate covers its last 10 s; a summary older than that says nothing about now. */
export const RATE_STALE_MS = 10_000;

const finiteSteps = (s: RunSummary) => s.steps - s.nonFinite;
const durationMs = (s: RunSummary) => (s.lastStepAt ? Date.parse(s.lastStepAt) - Date.parse(s.createdAt) : null);
/** 0 once no summary came for longer than the server's rate window: nothing arrived. */
export const shownRate = (s: RunSummary, clock: RunClock) => (clock.age(s.id) > RATE_STALE_MS ? 0 : s.stepsPerSecond);

export const RUN_COLUMNS: RunColumn[] = [
  { key: 'name', label: 'run', sort: (s) => (s.name || s.id).toLowerCase() },
  { key: 'project', label: 'project', text: (s) => s.project ?? '–', sort: (s) => s.project ?? '' },
  { key: 'status', label: 'status', sort: (s) => s.status },
  { key: 'policy', label: 'policy', text: (s) => shortPolicy(s.policy), sort: (s) => shortPolicy(s.policy) },
  { key: 'created', label: 'created', text: (s) => fmtDateTime(s.createdAt), sort: (s) => s.createdAt },
  { key: 'duration', label: 'duration', title: 'from creation to the last step', numeric: true, text: (s) => fmtDuration(durationMs(s)), sort: (s) => durationMs(s) ?? -1 },
  { key: 'last', label: 'last step', numeric: true, text: (s) => fmtInt(s.lastStep), sort: (s) => s.lastStep ?? -1 },
  { key: 'rate', label: 'steps/s', title: 'over the last 10 s; 0 when nothing arrived', numeric: true, text: (s, c) => fmtRate(shownRate(s, c)), sort: (s, c) => shownRate(s, c) },
  {
    key: 'clip',
    label: 'clip rate',
    title: 'clipped steps / finite steps (skipped and non-finite steps apart)',
    numeric: true,
    text: (s) => fmtPercent(s.clipped, finiteSteps(s)),
    sort: (s) => (finiteSteps(s) > 0 ? s.clipped / finiteSteps(s) : -1),
  },
  { key: 'skipped', label: 'skipped', numeric: true, text: (s) => fmtInt(s.skipped), sort: (s) => s.skipped },
  { key: 'events', label: 'events', numeric: true, text: (s) => fmtInt(s.events), sort: (s) => s.events },
  { key: 'nonfinite', label: 'non-finite', numeric: true, sort: (s) => s.nonFinite },
  { key: 'updated', label: 'updated', text: (s) => fmtTime(s.lastStepAt), sort: (s) => s.lastStepAt ?? '' },
];

/** Sorts by a column (ties: newest first, the server's order), ascending or descending. */
export function sortRuns(runs: RunSummary[], column: RunColumn, dir: 1 | -1, clock: RunClock): RunSummary[] {
  const keyed = runs.map((s, i) => ({ s, i, v: column.sort(s, clock) }));
  keyed.sort((a, b) => (a.v < b.v ? -dir : a.v > b.v ? dir : a.i - b.i));
  return keyed.map((k) => k.s);
}
