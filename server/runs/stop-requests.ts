// Asking a run to stop: the request is stored (who, when, why), pushed to every SDK socket of
// the run on /ingest and to the run's dashboards on /live; each rank's receipt is stored as it
// comes. A resume of the run clears what is in force (see db/stop-store.ts).
import type { StopPush, StopRequest } from '@gradpilot/sdk/protocol';
import type { RunRow } from '../db/run-store.ts';
import type { ServerStore } from '../db/server-store.ts';
import { HttpError } from '../http-error.ts';

export interface StopPushers {
  /** To every /ingest socket joined to the run. */
  sdks(runId: string, push: StopPush): void;
  /** To the run's /live room. */
  dashboards(runId: string, request: StopRequest): void;
}

export function toStopPush(r: StopRequest): StopPush {
  return { runId: r.runId, id: r.id, author: r.author, reason: r.reason, createdAt: r.createdAt };
}

export class StopRequests {
  readonly #store: ServerStore;
  readonly #push: StopPushers;

  constructor(store: ServerStore, push: StopPushers) {
    this.#store = store;
    this.#push = push;
  }

  async request(run: RunRow, author: string, reason: string | null): Promise<StopRequest> {
    const request = await this.#store.stops.add(run.rid, run.id, author, reason, new Date().toISOString());
    this.#push.sdks(run.id, toStopPush(request));
    this.#push.dashboards(run.id, request);
    return request;
  }

  /** What a joining SDK is told. */
  async inForce(run: RunRow): Promise<StopPush | null> {
    const r = await this.#store.stops.inForce(run.rid, run.id);
    return r ? toStopPush(r) : null;
  }

  async acknowledge(run: RunRow, id: number, rank: number, step: number | null): Promise<void> {
    if (!(await this.#store.stops.get(run.rid, run.id, id))) throw new HttpError(404, `Run "${run.id}" has no stop request ${id}`);
    await this.#store.stops.ack(id, rank, step, new Date().toISOString());
    this.#push.dashboards(run.id, (await this.#store.stops.get(run.rid, run.id, id)) as StopRequest);
  }

  /** The run was resumed: a new process starts, not told to stop. */
  async resumed(run: RunRow): Promise<void> {
    if ((await this.#store.stops.clear(run.rid, new Date().toISOString())) === 0) return;
    const last = (await this.#store.stops.history(run.rid, run.id)).at(-1);
    if (last) this.#push.dashboards(run.id, last);
  }

  history(run: RunRow): Promise<StopRequest[]> {
    return this.#store.stops.history(run.rid, run.id);
  }
}
