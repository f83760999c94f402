// Spawns test/support/sdk-streamer.ts (a training loop using the real SDK) and follows
// what it reports, so a test can kill -9 it, stop it, or wait for its close report.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { CloseReport, RunStatusInfo } from '../../sdk/index.ts';
import { REPO_ROOT, cleanEnv } from './server-process.ts';
import type { StreamerConfig } from './sdk-streamer.ts';

export type { StreamerConfig } from './sdk-streamer.ts';

const SCRIPT = path.join(REPO_ROOT, 'test/support/sdk-streamer.ts');

export interface Progress extends RunStatusInfo {
  observed: number;
}

export interface Started {
  runId: string;
  lastStep: number | null;
}

export interface Closed {
  lastStep: number;
  report: CloseReport;
}

type Line = { event: 'started' } & Started | ({ event: 'progress' } & Progress) | ({ event: 'trained'; lastStep: number }) | ({ event: 'closed' } & Closed);

export class StreamerProcess {
  readonly #child: ChildProcess;
  readonly #exit: Promise<number | null>;
  #progress: Progress | null = null;
  #stderr = '';
  #rejectStarted: ((err: Error) => void) | null = null;
  #rejectClosed: ((err: Error) => void) | null = null;
  readonly started: Promise<Started>;
  readonly closed: Promise<Closed>;

  constructor(cfg: StreamerConfig) {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, JSON.stringify(cfg)], {
      cwd: REPO_ROOT,
      env: cleanEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stderr!.on('data', (d: Buffer) => (this.#stderr += d.toString()));
    let onStarted!: (s: Started) => void;
    let onClosed!: (c: Closed) => void;
    this.started = new Promise((resolve, reject) => {
      onStarted = resolve;
      this.#rejectStarted = reject;
    });
    this.closed = new Promise((resolve, reject) => {
      onClosed = resolve;
      this.#rejectClosed = reject;
    });
    // Whoever awaits these gets the rejection; an unawaited one must not crash the test run.
    void this.#exit.then(() => {
      this.#rejectStarted?.(new Error(`streamer exited before starting: ${this.#stderr}`));
      this.#rejectClosed?.(new Error(`streamer exited before closing: ${this.#stderr}`));
    });
    this.started.catch(() => undefined);
    this.closed.catch(() => undefined);
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const text = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let line: Line;
        try {
          line = JSON.parse(text) as Line;
        } catch {
          continue; // a stray log line
        }
        if (line.event === 'progress') this.#progress = line;
        else if (line.event === 'started') {
          this.#rejectStarted = null;
          onStarted(line);
        } else if (line.event === 'closed') {
          this.#rejectClosed = null;
          onClosed(line);
        }
      }
    });
  }

  /** The latest progress line (what the SDK had observed and had acknowledged at that moment). */
  get progress(): Progress | null {
    return this.#progress;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Polls until the latest progress satisfies `check`. */
  async until(check: (p: Progress) => boolean, timeoutMs = 60_000, what = 'progress'): Promise<Progress> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const p = this.#progress;
      if (p && check(p)) return p;
      if (this.#child.exitCode !== null) throw new Error(`streamer exited while waiting for ${what}: ${this.#stderr}`);
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last progress ${JSON.stringify(p)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Ends training at the next tick; the streamer then closes the run and exits. */
  stop(): void {
    this.#child.stdin!.write('stop\n');
  }

  async kill9(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    await this.#exit;
  }

  exited(): Promise<number | null> {
    return this.#exit;
  }
}
