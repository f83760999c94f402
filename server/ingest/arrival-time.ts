// Steps sent without a wall-clock time (older SDKs, HTTP steps without `time`) get the time
// the server received them, so every stored step has one and time axes have no holes.
import type { StepColumns } from '@gradpilot/sdk/protocol';

/** `cols` itself when every step has a time, else a copy whose missing times are `now`. */
export function withArrivalTime(cols: StepColumns, now: number): StepColumns {
  const n = cols.step.length;
  const time = cols.time;
  let complete = time.length === n;
  for (let i = 0; complete && i < n; i++) if (time[i] === null) complete = false;
  if (complete) return cols;
  const filled = new Float64Array(n);
  for (let i = 0; i < n; i++) filled[i] = (i < time.length ? time[i] : null) ?? now;
  return { ...cols, time: filled };
}
