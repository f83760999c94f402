// Batches what dashboards are told about a run: new steps and events are queued per run and
// flushed at most once per interval (default 50 ms, so <= 20 updates a second per run),
// with one `run` summary per flush. Policy changes go out at once.
import type { Namespace } from 'socket.io';
import type { PolicyVersion, RunEvent, RunSummary } from '@gradpilot/sdk/protocol';
import type { LiveClientEvents, LiveServerEvents, LiveSteps } from '@gradpilot/sdk/protocol';
import type { StepColumns } from '@gradpilot/sdk/protocol';
import { encodeNumber } from '@gradpilot/sdk/protocol';
import createDebug from 'debug';

const log = createDebug('gradpilot:io:live');

export type LiveNamespace = Namespace<LiveClientEvents, LiveServerEvents>;

export function runRoom(runId: string): string {
  return `run:${runId}`;
}

interface Pending {
  steps: LiveSteps | null;
  events: RunEvent[];
  timer: NodeJS.Timeout | null;
  lastFlush: number;
}

export class LiveBroadcaster {
  readonly #ns: LiveNamespace;
  readonly #summarize: (runId: string) => Promise<RunSummary | undefined>;
  readonly #intervalMs: number;
  readonly #clustered: boolean;
  readonly #pending = new Map<string, Pending>();
  #stopped = false;

  /**
   * `clustered`: other server instances share the rooms through a socket.io adapter, so a room
   * empty here may have dashboards there, and the skip below would starve them.
   */
  constructor(ns: LiveNamespace, summarize: (runId: string) => Promise<RunSummary | undefined>, { intervalMs = 50, clustered = false } = {}) {
    this.#ns = ns;
    this.#summarize = summarize;
    this.#intervalMs = intervalMs;
    this.#clustered = clustered;
  }

  #get(runId: string): Pending {
    let p = this.#pending.get(runId);
    if (!p) {
      p = { steps: null, events: [], timer: null, lastFlush: 0 };
      this.#pending.set(runId, p);
    }
    return p;
  }

  /** Queues the newly stored steps (indices into `cols`) of a batch. */
  queueSteps(runId: string, cols: StepColumns, inserted: number[]): void {
    const p = this.#get(runId);
    if (!this.#clustered && (this.#ns.adapter.rooms.get(runRoom(runId))?.size ?? 0) === 0) {
      this.#schedule(runId, p); // still announce the run's new counters
      return;
    }
    const s = (p.steps ??= { runId, step: [], gradNorm: [], loss: [], lr: [], threshold: [], coef: [], action: [], time: [] });
    for (const i of inserted) {
      s.step.push(cols.step[i]);
      s.gradNorm.push(encodeNumber(cols.gradNorm[i]));
      s.loss.push(encodeNumber(cols.loss[i]));
      s.lr.push(encodeNumber(cols.lr[i]));
      s.threshold.push(encodeNumber(cols.threshold[i]));
      s.coef.push(encodeNumber(cols.coef[i]));
      s.action.push(cols.action[i]);
      s.time.push(cols.time[i] ?? Date.now());
    }
    this.#schedule(runId, p);
  }

  queueEvents(runId: string, events: RunEvent[]): void {
    if (events.length === 0) return;
    const p = this.#get(runId);
    p.events.push(...events);
    this.#schedule(runId, p);
  }

  /** Announces a changed run (created, finished, resumed) on the next flush. */
  queueRun(runId: string): void {
    this.#schedule(runId, this.#get(runId));
  }

  policy(runId: string, version: PolicyVersion): void {
    this.#ns.to(runRoom(runId)).emit('policy', { ...version, runId });
    this.queueRun(runId);
  }

  #schedule(runId: string, p: Pending): void {
    if (p.timer || this.#stopped) return;
    const wait = Math.max(0, p.lastFlush + this.#intervalMs - Date.now());
    p.timer = setTimeout(() => this.#flush(runId, p), wait);
  }

  #flush(runId: string, p: Pending): void {
    p.timer = null;
    p.lastFlush = Date.now();
    // socket.io encodes a packet before it looks for receivers: skip empty rooms.
    const name = runRoom(runId);
    if (this.#clustered || (this.#ns.adapter.rooms.get(name)?.size ?? 0) > 0) {
      const room = this.#ns.to(name);
      if (p.steps && p.steps.step.length > 0) room.emit('steps', p.steps);
      if (p.events.length > 0) room.emit('events', p.events);
    }
    p.steps = null;
    p.events = [];
    if (this.#clustered || this.#ns.sockets.size > 0) {
      this.#summarize(runId).then(
        (summary) => {
          if (summary && !this.#stopped) this.#ns.emit('run', summary);
        },
        (err: unknown) => log('no summary of run %s: %O', runId, err),
      );
    }
  }

  /** Drops what is pending and ignores later updates (after the sockets closed). */
  stop(): void {
    this.#stopped = true;
    for (const p of this.#pending.values()) if (p.timer) clearTimeout(p.timer);
    this.#pending.clear();
  }

  /** Sends everything pending now (shutdown). */
  flushAll(): void {
    for (const [runId, p] of this.#pending) {
      if (p.timer) {
        clearTimeout(p.timer);
        this.#flush(runId, p);
      }
    }
  }
}
