// Replays of stored history (resume state, what-if) take turns. Each yields to the event
// loop every 10,000 steps, but sixteen at once still put sixteen chunks between two ingest
// batches; one at a time, ingest waits for at most one chunk. Beyond a few waiting, HTTP
// callers are told to come back (503 + Retry-After) rather than queued without bound; an
// SDK's resume always waits its turn, since a training run is blocked on it.
import { HttpError } from '../http-error.ts';

export class ReplayQueue {
  readonly #concurrency: number;
  readonly #maxWaiting: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor({ concurrency = 1, maxWaiting = 4 }: { concurrency?: number; maxWaiting?: number } = {}) {
    this.#concurrency = concurrency;
    this.#maxWaiting = maxWaiting;
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `task` when a slot is free. `mayRefuse`: throw 503 instead of waiting in a full queue. */
  async run<T>(task: () => Promise<T>, { mayRefuse }: { mayRefuse: boolean }): Promise<T> {
    if (this.#running < this.#concurrency) {
      this.#running++;
    } else {
      if (mayRefuse && this.#waiting.length >= this.#maxWaiting) {
        throw new HttpError(503, `The server is busy replaying runs (${this.#running} running, ${this.#waiting.length} waiting); try again shortly`, { retryAfterSeconds: 2 });
      }
      // The slot is handed over by the task that ends, so nobody can take it in between.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
