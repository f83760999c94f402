// Stop requests from the server: each request id is reported once (a push, or the join answer
// after a reconnect, may tell it again) and acknowledged with the last step observed then.
// The SDK stops nothing itself: the training script reads `run.stopRequested` and decides.
import type { StopAckRequest, StopPush } from '../protocol/socket-events.ts';
import { RefusedError } from './connection.ts';

export interface StopFollowerHooks {
  /** Sends one acknowledgement; rejects with RefusedError when the server refuses it. */
  send(ack: StopAckRequest): Promise<unknown>;
  /** A request this run had not been told of. */
  told(push: StopPush): void;
  error(err: Error): void;
  /** An acknowledgement settled: the run may have become idle. */
  settled(): void;
}

export class StopFollower {
  readonly #runId: string;
  readonly #rank: number;
  readonly #hooks: StopFollowerHooks;
  readonly #seen = new Set<number>();
  #request: StopPush | null = null;
  #pending: StopAckRequest[] = [];
  #inFlight = 0;
  /** Acknowledgements go out only while the run is joined. */
  online = false;

  constructor(runId: string, rank: number, hooks: StopFollowerHooks) {
    this.#runId = runId;
    this.#rank = rank;
    this.#hooks = hooks;
  }

  /** The latest stop request this run was told of, or null. */
  get request(): StopPush | null {
    return this.#request;
  }

  get idle(): boolean {
    return this.#pending.length === 0 && this.#inFlight === 0;
  }

  /** A request from the server; `lastStep`: the last step observed so far. */
  offer(push: StopPush, lastStep: number | null): void {
    if (push.runId !== this.#runId || typeof push.id !== 'number' || this.#seen.has(push.id)) return;
    this.#seen.add(push.id);
    this.#request = push;
    this.#pending.push({ runId: this.#runId, id: push.id, rank: this.#rank, step: lastStep });
    this.#hooks.told(push);
    if (this.online) queueMicrotask(() => this.flush());
  }

  /** Sends the acknowledgements waiting (after a reconnect, or once told). */
  flush(): void {
    if (!this.online) return;
    for (const ack of this.#pending.splice(0)) {
      this.#inFlight++;
      this.#hooks.send(ack).then(
        () => {
          this.#inFlight--;
          this.#hooks.settled();
        },
        (err: Error) => {
          this.#inFlight--;
          if (err instanceof RefusedError) this.#hooks.error(err);
          else this.#pending.push(ack);
          this.#hooks.settled();
        },
      );
    }
  }
}
