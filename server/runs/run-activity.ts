// In-memory activity per run: steps per second over the last 10 seconds, and which SDK
// sockets are joined. Nothing here is durable or shared with other servers; whether a run is
// running also asks when its last step was stored, which the database knows for every server.

/**
 * A rate over the last minute kept showing a burst long after it ended (an idle run at 19
 * steps/s); over 10 s a run that stopped sending reads 0 within 10 s.
 */
export const RATE_WINDOW_SECONDS = 10;
const WINDOW_SECONDS = RATE_WINDOW_SECONDS;
/** A run with no SDK joined here counts as running while its steps arrived this recently. */
const RUNNING_GRACE_MS = 30_000;

interface Activity {
  /** steps ingested per whole second, keyed by epoch second. */
  perSecond: Map<number, number>;
  sockets: Set<string>;
  lastIngestMs: number;
}

export class RunActivity {
  readonly #runs = new Map<string, Activity>();

  #get(runId: string): Activity {
    let a = this.#runs.get(runId);
    if (!a) {
      a = { perSecond: new Map(), sockets: new Set(), lastIngestMs: 0 };
      this.#runs.set(runId, a);
    }
    return a;
  }

  recordSteps(runId: string, count: number, nowMs = Date.now()): void {
    const a = this.#get(runId);
    const sec = Math.floor(nowMs / 1000);
    a.perSecond.set(sec, (a.perSecond.get(sec) ?? 0) + count);
    a.lastIngestMs = nowMs;
    for (const s of a.perSecond.keys()) if (s <= sec - WINDOW_SECONDS) a.perSecond.delete(s);
  }

  stepsPerSecond(runId: string, nowMs = Date.now()): number {
    const a = this.#runs.get(runId);
    if (!a || a.perSecond.size === 0) return 0;
    const sec = Math.floor(nowMs / 1000);
    let total = 0;
    let oldest = sec;
    for (const [s, n] of a.perSecond) {
      if (s <= sec - WINDOW_SECONDS) continue;
      total += n;
      if (s < oldest) oldest = s;
    }
    // Divide by the time actually covered, so a run that just started is not under-reported.
    const span = Math.max(1, (nowMs - oldest * 1000) / 1000);
    return total / span;
  }

  join(runId: string, socketId: string): void {
    this.#get(runId).sockets.add(socketId);
  }

  leave(runId: string, socketId: string): void {
    this.#runs.get(runId)?.sockets.delete(socketId);
  }

  /**
   * An SDK is joined to this server, or steps arrived here or were stored (`lastStoredMs`, by
   * any server on the database) within the grace.
   */
  isRunning(runId: string, lastStoredMs: number | null = null, nowMs = Date.now()): boolean {
    if (lastStoredMs !== null && nowMs - lastStoredMs < RUNNING_GRACE_MS) return true;
    const a = this.#runs.get(runId);
    if (!a) return false;
    return a.sockets.size > 0 || nowMs - a.lastIngestMs < RUNNING_GRACE_MS;
  }
}
