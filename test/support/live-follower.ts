// A dashboard stand-in for the fault and load tests: follows one run over socket.io `/live`
// the way client/src/live.ts does (subscribe again after every reconnect, then re-fetch what
// arrived while away), and keeps every step it was told about.
import { type Socket, io } from 'socket.io-client';
import type { StepSeries } from '../../sdk/protocol/api-types.ts';
import type { LiveClientEvents, LiveServerEvents, LiveSteps } from '../../sdk/protocol/socket-events.ts';

type LiveSocket = Socket<LiveServerEvents, LiveClientEvents>;

const PAGE = 100_000;

export class LiveFollower {
  readonly #url: string;
  readonly #runId: string;
  readonly #socket: LiveSocket;
  /** Every step pushed live, in arrival order (a step pushed twice appears twice). */
  readonly live: number[] = [];
  /** Steps known by either path: pushed live or fetched over HTTP. */
  readonly known = new Set<number>();
  /** Steps pushed live after the first reconnect. */
  liveAfterReconnect = 0;
  reconnects = 0;
  errors: string[] = [];
  #connectedOnce = false;
  #firstSync: (() => void) | null = null;
  #onSteps: ((s: LiveSteps, at: number) => void) | null = null;

  constructor(url: string, runId: string, { onSteps }: { onSteps?: (s: LiveSteps, at: number) => void } = {}) {
    this.#url = url;
    this.#runId = runId;
    this.#onSteps = onSteps ?? null;
    this.#socket = io(`${url}/live`, { transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 250, autoConnect: false });
    this.#socket.on('steps', (s) => {
      if (s.runId !== this.#runId) return;
      const at = performance.now();
      for (const step of s.step) {
        this.live.push(step);
        this.known.add(step);
      }
      if (this.reconnects > 0) this.liveAfterReconnect += s.step.length;
      this.#onSteps?.(s, at);
    });
    this.#socket.on('connect', () => {
      if (this.#connectedOnce) this.reconnects++;
      this.#connectedOnce = true;
      void this.#subscribeAndFetch();
    });
  }

  /** Connects and resolves after the first subscription and fetch. */
  async start(): Promise<void> {
    const first = new Promise<void>((resolve) => (this.#firstSync = resolve));
    this.#socket.connect();
    await first;
  }

  async #subscribeAndFetch(): Promise<void> {
    try {
      const reply = await this.#socket.timeout(5000).emitWithAck('subscribe', { runId: this.#runId });
      if (!reply.ok) throw new Error(reply.error);
      await this.fetchStored();
      this.#firstSync?.();
      this.#firstSync = null;
    } catch (err) {
      this.errors.push((err as Error).message);
      // A reconnect will try again; the first sync retries until the server answers.
      setTimeout(() => this.#socket.connected && void this.#subscribeAndFetch(), 200);
    }
  }

  /** Adds every stored step (raw rows, page by page) to `known`. */
  async fetchStored(): Promise<void> {
    for (let from = 0; ; from += PAGE) {
      const res = await fetch(`${this.#url}/api/runs/${this.#runId}/steps?from=${from}&to=${from + PAGE - 1}&points=${PAGE}`);
      if (!res.ok) throw new Error(`GET steps: HTTP ${res.status} ${await res.text()}`);
      const s = (await res.json()) as StepSeries;
      for (const step of s.step) this.known.add(step);
      if (s.step.length === 0 || s.bucketSize !== 1) return;
    }
  }

  /** Steps pushed live more than once. */
  duplicates(): number[] {
    const seen = new Set<number>();
    const dup: number[] = [];
    for (const s of this.live) {
      if (seen.has(s)) dup.push(s);
      else seen.add(s);
    }
    return dup;
  }

  close(): void {
    this.#socket.close();
  }
}
