// The SDK's link to the server: HTTP to create the run, socket.io `/ingest` for the rest.
// socket.io-client reconnects by itself; this class only makes every request an
// acknowledged, time-limited promise and keeps socket.io from replaying stale emits.
// With several server URLs (servers sharing one PostgreSQL database), a failed attempt to
// connect moves on to the next URL: a socket.io socket is bound to one server, so a new one
// is opened; the run sees a reconnect and resends what was not acknowledged.
import { io, type Socket } from 'socket.io-client';
import debug from 'debug';
import type { Policy } from '../controller/types.ts';
import { INGEST_NAMESPACE } from '../protocol/socket-events.ts';
import type { IngestClientEvents, IngestServerEvents, PolicyPush, StopPush } from '../protocol/socket-events.ts';
import { authHeader } from './auth-header.ts';
import { GradpilotError } from './errors.ts';

const log = debug('gradpilot:sdk:connection');

type IngestSocket = Socket<IngestServerEvents, IngestClientEvents>;
type Reply<K extends keyof IngestClientEvents> = Parameters<Parameters<IngestClientEvents[K]>[1]>[0];
type ResultOf<K extends keyof IngestClientEvents> = Extract<Reply<K>, { ok: true }>['result'];

/** The server answered `{ ok: false }` or HTTP 4xx: sending the same thing again cannot help. */
export class RefusedError extends Error {
  override name = 'RefusedError';
}

/**
 * The server answered `{ ok: false, retry: true }` (HTTP 5xx): it could not carry out a request
 * that was fine (disk full, database locked or read-only). Keep what was sent; send it again.
 */
export class ServerFaultError extends Error {
  override name = 'ServerFaultError';
}

export interface ConnectionHooks {
  connected(): void;
  disconnected(reason: string): void;
  /** An attempt to connect failed; socket.io tries again by itself. */
  attemptFailed(message: string): void;
  /** The server refused the connection itself (e.g. a missing or wrong token). */
  refused(message: string): void;
  policy(push: PolicyPush): void;
  stop(push: StopPush): void;
}

export interface CreateRunBody {
  id: string;
  name: string;
  project?: string;
  config?: Record<string, unknown>;
  policy?: Policy;
  /** Recorded as the author of the run's first policy version. */
  author?: string;
}

// The resume state of a long run with a full-history percentile policy is one message of
// ~19 bytes per step: over ws's default cap of 100 MiB from ~5.5M steps, and the socket
// would close instead of resuming. A Node-side ws option, passed on by engine.io-client
// (not in its types, hence the spread).
const LARGE_MESSAGES = { maxPayload: 1024 * 1024 * 1024 };

export class Connection {
  readonly #urls: readonly string[];
  readonly #token: string | null;
  readonly #reconnectDelayMaxMs: number;
  readonly #hooks: ConnectionHooks;
  #index = 0;
  /** Failed attempts in a row over every URL (for the delay before going round again). */
  #failures = 0;
  #socket: IngestSocket;
  #closed = false;

  constructor(urls: string | readonly string[], token: string | null, reconnectDelayMaxMs: number, hooks: ConnectionHooks) {
    this.#urls = typeof urls === 'string' ? [urls] : urls;
    this.#token = token;
    this.#reconnectDelayMaxMs = reconnectDelayMaxMs;
    this.#hooks = hooks;
    this.#socket = this.#open(this.#urls[0]);
  }

  /** The server in use (or being tried). */
  get url(): string {
    return this.#urls[this.#index];
  }

  #open(url: string): IngestSocket {
    const { hooks, reconnectDelayMaxMs: delayMax } = { hooks: this.#hooks, reconnectDelayMaxMs: this.#reconnectDelayMaxMs };
    const socket: IngestSocket = io(url + INGEST_NAMESPACE, {
      ...LARGE_MESSAGES,
      extraHeaders: authHeader(this.#token), // not `auth`, which DEBUG=* prints: see auth-header.ts
      transports: ['websocket'],
      reconnectionDelay: Math.min(250, delayMax),
      reconnectionDelayMax: delayMax,
      autoConnect: false,
    });
    socket.on('connect', () => {
      log('connected to %s', url);
      this.#failures = 0;
      hooks.connected();
    });
    socket.on('disconnect', (reason) => {
      log('disconnected: %s', reason);
      // Emits made while disconnected would be replayed on reconnect, out of order with
      // the resend of unacknowledged batches: the run resends what matters itself.
      socket.sendBuffer = [];
      hooks.disconnected(reason);
    });
    socket.on('connect_error', (err) => {
      log('cannot connect to %s: %s', url, err.message);
      if (this.#closed || socket !== this.#socket) return;
      // A refusal by the server's middleware (e.g. a bad token) stops socket.io's own retries.
      if (!socket.active) {
        hooks.refused(err.message);
        setTimeout(() => this.#closed || socket !== this.#socket || socket.connect(), delayMax).unref();
        return;
      }
      hooks.attemptFailed(err.message);
      if (this.#urls.length > 1) this.#failOver();
    });
    socket.on('policy', (push) => hooks.policy(push));
    socket.on('stop', (push) => hooks.stop(push));
    return socket;
  }

  /**
   * Moves to the next server URL: at once while some are untried, after socket.io's delay
   * (doubling up to reconnectDelayMaxMs) once every one failed in turn.
   */
  #failOver(): void {
    const old = this.#socket;
    old.removeAllListeners();
    old.disconnect();
    this.#failures++;
    this.#index = (this.#index + 1) % this.#urls.length;
    const rounds = Math.floor(this.#failures / this.#urls.length);
    const delay = rounds === 0 ? 0 : Math.min(250 * 2 ** (rounds - 1), this.#reconnectDelayMaxMs);
    log('failing over to %s in %d ms', this.url, delay);
    this.#socket = this.#open(this.url);
    setTimeout(() => this.#closed || this.#socket.connect(), delay).unref();
  }

  get connected(): boolean {
    return this.#socket.connected;
  }

  start(): void {
    this.#socket.connect();
  }

  /**
   * Emits an /ingest request; resolves with its result, rejects on timeout or disconnect, with
   * a RefusedError on a refusal, or a ServerFaultError when the server could not do it now.
   */
  request<K extends keyof IngestClientEvents>(
    event: K, payload: Parameters<IngestClientEvents[K]>[0], timeoutMs: number,
  ): Promise<ResultOf<K>> {
    return new Promise((resolve, reject) => {
      if (!this.#socket.connected) {
        reject(new Error('not connected'));
        return;
      }
      // socket.io's typed timeout() emit cannot be expressed over a generic event name.
      const timed = this.#socket.timeout(timeoutMs);
      const emit = timed.emit as unknown as (
        ev: K, body: unknown, ack: (err: Error | null, reply: Reply<K>) => void,
      ) => void;
      emit.call(timed, event, payload, (err, reply) => {
        if (err) reject(err);
        else if (reply && reply.ok) resolve(reply.result as ResultOf<K>);
        else if (reply && reply.retry === true) reject(new ServerFaultError(reply.error));
        else reject(new RefusedError(reply ? reply.error : `no reply to "${event}"`));
      });
    });
  }

  /**
   * Creates the run over HTTP. Retries while the server is unreachable; an existing run of
   * that id (409) counts as created, so every rank, and every retry, may call it.
   */
  async createRun(body: CreateRunBody, retryDelayMaxMs: number): Promise<void> {
    let delay = 100;
    let index = this.#index;
    for (;;) {
      if (this.#closed) throw new GradpilotError('The run was closed before the server created it', 'CLOSED');
      let res: Response | null = null;
      try {
        res = await fetch(this.#urls[index] + '/api/runs', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}),
          },
          body: JSON.stringify(body),
        });
      } catch (err) {
        log('POST /api/runs failed: %s', (err as Error).message);
      }
      if (res) {
        const text = await res.text();
        if (res.ok || res.status === 409) return;
        if (res.status < 500) {
          let message = text;
          try {
            message = (JSON.parse(text) as { error?: string }).error ?? text;
          } catch {
            // not JSON: keep the text
          }
          throw new RefusedError(`The server refused to create run "${body.id}" (HTTP ${res.status}): ${message}`);
        }
        log('POST /api/runs answered %d, retrying', res.status);
      }
      // Unreachable or failing: the next server, if there are several.
      index = (index + 1) % this.#urls.length;
      await new Promise((r) => setTimeout(r, delay).unref());
      delay = Math.min(delay * 2, retryDelayMaxMs);
    }
  }

  /** Marks the run finished (best effort: the dashboard shows it as done instead of idle). */
  async finishRun(id: string, timeoutMs: number): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/api/runs/${encodeURIComponent(id)}/finish`, {
        method: 'POST',
        // Every write must be JSON, even one without a body (the server's CSRF guard).
        headers: { 'content-type': 'application/json', ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}) },
        body: '{}',
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.text();
      return res.ok;
    } catch (err) {
      log('could not mark run %s finished: %s', id, (err as Error).message);
      return false;
    }
  }

  close(): void {
    this.#closed = true;
    this.#socket.disconnect();
  }
}
