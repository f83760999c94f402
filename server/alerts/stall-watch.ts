// Runs that stopped sending steps. A run counts from its first batch in this server's life
// (or from its last stored step, when that was recent at start-up) until it is finished: a
// process that died without close() or hangs in its data loader never says it is done, and
// is exactly the run to be told about. It stalls when no batch came for `factor` times its
// recent interval between batches (the median of the last few, so a slow run of one step
// per minute is not a stall after ten seconds) and at least `minMs`; once per silence.

const GAPS_KEPT = 16;

interface Watched {
  lastMs: number;
  gaps: number[];
  alerted: boolean;
}

export interface Stall {
  runId: string;
  silentMs: number;
  /** The run's usual interval between batches; null when it sent only one. */
  intervalMs: number | null;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export class StallWatch {
  readonly #factor: number;
  readonly #minMs: number;
  readonly #runs = new Map<string, Watched>();

  constructor({ factor, minMs }: { factor: number; minMs: number }) {
    this.#factor = factor;
    this.#minMs = minMs;
  }

  /** A batch with new steps arrived. */
  arrived(runId: string, nowMs = Date.now()): void {
    const w = this.#runs.get(runId);
    if (!w) {
      this.#runs.set(runId, { lastMs: nowMs, gaps: [], alerted: false });
      return;
    }
    w.gaps.push(nowMs - w.lastMs);
    if (w.gaps.length > GAPS_KEPT) w.gaps.shift();
    w.lastMs = nowMs;
    w.alerted = false;
  }

  /** Watch a run whose last step came at `lastMs` (before this server started). */
  seed(runId: string, lastMs: number): void {
    if (!this.#runs.has(runId)) this.#runs.set(runId, { lastMs, gaps: [], alerted: false });
  }

  /**
   * The database says the run's last step was stored at `lastMs`, later than this server saw
   * one: another server on the same database has been taking its batches (an SDK that failed
   * over, a load balancer). Its silence counts from there.
   */
  storedElsewhere(runId: string, lastMs: number): void {
    const w = this.#runs.get(runId);
    if (!w || !(lastMs > w.lastMs)) return;
    w.lastMs = lastMs;
    w.alerted = false;
  }

  forget(runId: string): void {
    this.#runs.delete(runId);
  }

  /** How long a run may be silent before it counts as stalled. */
  limitMs(intervalMs: number | null): number {
    return Math.max(this.#minMs, intervalMs === null ? 0 : this.#factor * intervalMs);
  }

  /** The runs that have just become stalled; each is reported once per silence. */
  due(nowMs = Date.now()): Stall[] {
    const out: Stall[] = [];
    for (const [runId, w] of this.#runs) {
      if (w.alerted) continue;
      const intervalMs = w.gaps.length === 0 ? null : median(w.gaps);
      const silentMs = nowMs - w.lastMs;
      if (silentMs < this.limitMs(intervalMs)) continue;
      w.alerted = true;
      out.push({ runId, silentMs, intervalMs });
    }
    return out;
  }
}
