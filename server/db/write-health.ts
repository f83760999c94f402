// Whether the store can write, as /api/health reports it. A write transaction that met a store
// fault (disk full, locked, read-only, I/O error) makes the store unwritable until a write
// succeeds again. Each change is reported in one line, not one line per refused batch: a
// training run sends several batches a second, and a full disk would bury the log. Reads that
// meet one (a page damaged under a running server) are reported the same way.
import type { StoreFault } from './store-fault.ts';

/** Where the lines go: stderr for `gradpilot serve`, the debug log otherwise. */
export type FaultReporter = (line: string) => void;

/** The same fault is reported again at most this often while it lasts or comes and goes. */
export const REPEAT_REPORT_MS = 60_000;

export class WriteHealth {
  readonly #report: FaultReporter;
  readonly #file: string;
  #fault: StoreFault | null = null;
  #since = 0;
  #refused = 0;
  /** The current episode was reported (so its end is reported too). */
  #reported = false;
  readonly #lastReportAt = new Map<string, number>();

  constructor(file: string, report: FaultReporter) {
    this.#file = file;
    this.#report = report;
  }

  /** The fault that keeps the store from writing, or null when the last write succeeded. */
  get fault(): StoreFault | null {
    return this.#fault;
  }

  writeFailed(fault: StoreFault): void {
    const now = Date.now();
    if (this.#fault === null) {
      this.#since = now;
      this.#refused = 0;
      this.#reported = false;
    }
    this.#refused++;
    const changed = this.#fault?.code !== fault.code;
    this.#fault = fault;
    if (!changed) return;
    if (now - (this.#lastReportAt.get(fault.code) ?? -Infinity) < REPEAT_REPORT_MS) return;
    this.#lastReportAt.set(fault.code, now);
    this.#reported = true;
    this.#report(
      `cannot write: ${fault.problem}. Writes are answered ${fault.status} (SDKs keep their steps and send them again) ` +
        `and /api/health answers 503 until a write succeeds. To fix: ${fault.remedy}.`,
    );
  }

  /** A read met a store fault (a damaged page under an export): one line a minute per what and cause. */
  readFailed(fault: StoreFault, what: string): void {
    const key = `${what} ${fault.code}`;
    const now = Date.now();
    if (now - (this.#lastReportAt.get(key) ?? -Infinity) < REPEAT_REPORT_MS) return;
    this.#lastReportAt.set(key, now);
    this.#report(`${what} failed: ${fault.problem}. To fix: ${fault.remedy}.`);
  }

  writeSucceeded(): void {
    if (this.#fault === null) return;
    const seconds = ((Date.now() - this.#since) / 1000).toFixed(1);
    if (this.#reported) this.#report(`writing to ${this.#file} again after ${seconds} s (${this.#refused} writes refused meanwhile)`);
    this.#fault = null;
  }
}
