// Turns socket.io's silent retries into reports a user sees: once the server has been away
// for `graceMs` (a restart takes less), and then on every failed attempt until it answers,
// with the cause found by probing the server over HTTP.
import { pathHint, probeServer } from './server-probe.ts';

export interface ConnectionProblem {
  url: string;
  /** What is wrong, e.g. "connection refused: nothing listens on that port (...)". */
  cause: string;
  /** The whole sentence, cause and hint, as `lastError` and the 'error' event carry it. */
  message: string;
  /** The first report of this outage (the one that goes to stderr). */
  first: boolean;
}

const PROBE_TIMEOUT_MS = 2000;

export class ConnectionWatch {
  readonly #url: () => string;
  readonly #graceMs: number;
  readonly #report: (problem: ConnectionProblem) => void;
  readonly #now: () => number;
  /** When the server was last seen, or when we started looking; null while connected. */
  #outageSince: number | null;
  #failedAttempts = 0;
  #reportedAttempts = -1;
  #reportsThisOutage = 0;
  #probing = false;
  #socketError: string | null = null;

  constructor(url: string | (() => string), graceMs: number, report: (problem: ConnectionProblem) => void, now: () => number = Date.now) {
    this.#url = typeof url === 'string' ? () => url : url;
    this.#graceMs = graceMs;
    this.#report = report;
    this.#now = now;
    this.#outageSince = now();
  }

  connected(): void {
    this.#outageSince = null;
    this.#reportsThisOutage = 0;
    this.#failedAttempts = 0;
    this.#reportedAttempts = -1;
  }

  disconnected(): void {
    this.#outageSince ??= this.#now();
  }

  /** socket.io could not connect (it retries by itself). */
  attemptFailed(socketMessage: string): void {
    this.#outageSince ??= this.#now();
    this.#failedAttempts++;
    this.#socketError = socketMessage;
    this.check();
  }

  /** The server itself refused the socket (a bad token, an unknown namespace): no grace. */
  refused(serverMessage: string): void {
    this.#outageSince ??= this.#now();
    this.#failedAttempts++;
    this.#reportedAttempts = this.#failedAttempts;
    this.#emit(`the server refused the connection: ${serverMessage}`);
  }

  /** Called on every attempt and on a timer: reports once the outage is long enough. */
  check(): void {
    if (this.#outageSince === null || this.#probing) return;
    if (this.#now() - this.#outageSince < this.#graceMs) return;
    if (this.#reportsThisOutage > 0 && this.#failedAttempts === this.#reportedAttempts) return;
    this.#probing = true;
    const attempts = this.#failedAttempts;
    const url = this.#url();
    void probeServer(url, PROBE_TIMEOUT_MS).then((cause) => {
      this.#probing = false;
      if (this.#outageSince === null) return; // connected meanwhile
      this.#reportedAttempts = attempts;
      this.#emit(cause ?? `a gradpilot server answers over HTTP, but its /ingest socket does not (${this.#socketError ?? 'no answer'})`, url);
    });
  }

  #emit(cause: string, url = this.#url()): void {
    const first = this.#reportsThisOutage === 0;
    this.#reportsThisOutage++;
    this.#report({ url, cause, message: `Cannot reach the gradpilot server at ${url}: ${cause}.${pathHint(url)}`, first });
  }
}
