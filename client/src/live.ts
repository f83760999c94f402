// The dashboard's one socket to /live. It keeps the set of subscribed runs and subscribes
// again after every reconnect (rooms do not survive a reconnect), then tells listeners so
// they can re-fetch whatever arrived while the socket was away.
//
// With a token, the handshake carries it as an `Authorization` header, which socket.io's
// debug output never prints (`auth` it does, on the server too). A browser cannot put a
// header on a WebSocket, so such a connection starts with HTTP long-polling, whose first
// request (the one the server checks) carries the header, and then upgrades.
import { io, type ManagerOptions, type Socket } from 'socket.io-client';
import type { Alert, PolicyVersion, RunEvent, RunSummary, StopRequest } from '@gradpilot/sdk/protocol';
import {
  LIVE_NAMESPACE,
  type LiveClientEvents,
  type LiveServerEvents,
  type LiveSteps,
} from '@gradpilot/sdk/protocol';

export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

export interface LiveHandlers {
  run?: (summary: RunSummary) => void;
  steps?: (steps: LiveSteps) => void;
  events?: (events: RunEvent[]) => void;
  policy?: (policy: PolicyVersion & { runId: string }) => void;
  /** Every alert raised, and again (same id) when one of its deliveries changes. */
  alert?: (alert: Alert) => void;
  /** A stop request of a subscribed run, on creation and on every rank's receipt. */
  stop?: (request: StopRequest) => void;
  /** After a reconnect: data may have been missed, re-fetch it. */
  resync?: () => void;
}

type Listener = (state: ConnectionState, detail: string) => void;

function transportFor(token: string | null): Partial<ManagerOptions> {
  return token
    ? { transports: ['polling', 'websocket'], extraHeaders: { authorization: `Bearer ${token}` } }
    : { transports: ['websocket'], extraHeaders: {} };
}

export class Live {
  readonly #socket: Socket<LiveServerEvents, LiveClientEvents>;
  readonly #rooms = new Map<string, number>();
  readonly #handlers = new Set<LiveHandlers>();
  readonly #listeners = new Set<Listener>();
  #state: ConnectionState = 'connecting';
  #detail = '';
  #wasConnected = false;

  /** `onRefused`: the server refused the connection itself (a missing or wrong token). */
  constructor(token: string | null, onRefused: (message: string) => void = () => {}) {
    this.#socket = io(LIVE_NAMESPACE, { ...transportFor(token), reconnectionDelayMax: 2000 });
    const s = this.#socket;
    s.on('connect', () => {
      for (const runId of this.#rooms.keys()) this.#subscribe(runId);
      this.#setState('connected', '');
      if (this.#wasConnected) for (const h of this.#handlers) h.resync?.();
      this.#wasConnected = true;
    });
    s.on('disconnect', (reason) => this.#setState('disconnected', reason));
    s.on('connect_error', (err) => {
      this.#setState('disconnected', err.message);
      // A refusal by the server's middleware stops socket.io's own retries.
      if (!s.active) onRefused(err.message);
    });
    s.on('run', (summary) => this.#emit('run', summary));
    s.on('steps', (steps) => this.#emit('steps', steps));
    s.on('events', (events) => this.#emit('events', events));
    s.on('policy', (policy) => this.#emit('policy', policy));
    s.on('alert', (alert) => this.#emit('alert', alert));
    s.on('stop', (request) => this.#emit('stop', request));
  }

  /** Connects again with another token (the handshake is where the server checks it). */
  setToken(token: string | null): void {
    Object.assign(this.#socket.io.opts, transportFor(token));
    this.#socket.disconnect().connect();
  }

  get state(): ConnectionState {
    return this.#state;
  }

  onState(listener: Listener): () => void {
    this.#listeners.add(listener);
    listener(this.#state, this.#detail);
    return () => this.#listeners.delete(listener);
  }

  /** Registers handlers; the returned function removes them. */
  listen(handlers: LiveHandlers): () => void {
    this.#handlers.add(handlers);
    return () => this.#handlers.delete(handlers);
  }

  /** Joins a run's room (reference-counted, so two views can share one run). */
  join(runId: string): () => void {
    const n = this.#rooms.get(runId) ?? 0;
    this.#rooms.set(runId, n + 1);
    if (n === 0 && this.#socket.connected) this.#subscribe(runId);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const count = (this.#rooms.get(runId) ?? 1) - 1;
      if (count > 0) this.#rooms.set(runId, count);
      else {
        this.#rooms.delete(runId);
        if (this.#socket.connected) this.#socket.emit('unsubscribe', { runId });
      }
    };
  }

  #subscribe(runId: string): void {
    this.#socket.emit('subscribe', { runId }, (reply) => {
      if (reply && !reply.ok) this.#setState(this.#state, `subscribe ${runId}: ${reply.error}`);
    });
  }

  #emit<K extends keyof LiveHandlers>(kind: K, payload: Parameters<NonNullable<LiveHandlers[K]>>[0]): void {
    for (const h of this.#handlers) {
      const fn = h[kind] as ((p: typeof payload) => void) | undefined;
      fn?.(payload);
    }
  }

  #setState(state: ConnectionState, detail: string): void {
    this.#state = state;
    this.#detail = detail;
    for (const l of this.#listeners) l(state, detail);
  }
}
