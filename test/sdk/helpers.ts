// Shared by the SDK tests: read back what the server stored, and restartable servers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PolicyVersion, RunSummary, StepSeries } from '../../sdk/protocol/api-types.ts';
import { decodeNumber } from '../../sdk/protocol/wire-number.ts';
import { startServer, type RunningServer } from '../../server/start-server.ts';

export async function getJson<T>(url: string, token?: string): Promise<T> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function putJson<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`PUT ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export interface StoredSteps {
  step: number[];
  gradNorm: number[];
  loss: (number | null)[];
  threshold: (number | null)[];
  coef: (number | null)[];
  /** Wall-clock ms per step as stored. */
  time: (number | null)[];
}

/** Every stored step of a run, raw (the range must hold at most 100000 steps). */
export async function storedSteps(url: string, runId: string): Promise<StoredSteps> {
  const s = await getJson<StepSeries>(`${url}/api/runs/${runId}/steps?points=100000`);
  if (s.bucketSize !== 1) throw new Error(`expected raw rows, got buckets of ${s.bucketSize}`);
  const dec = (v: (typeof s.gradNorm.last)[number]) => decodeNumber(v) ?? null;
  return {
    step: s.step,
    gradNorm: s.gradNorm.last.map((v) => dec(v) as number),
    loss: s.loss.last.map(dec),
    threshold: s.threshold.last.map(dec),
    coef: s.coef.last.map(dec),
    time: s.time,
  };
}

/** `token`: for a server started with one (reads need it too). */
export function summary(url: string, runId: string, token?: string): Promise<RunSummary> {
  return getJson<RunSummary>(`${url}/api/runs/${runId}`, token);
}

export function policyOf(url: string, runId: string): Promise<PolicyVersion> {
  return getJson<PolicyVersion>(`${url}/api/runs/${runId}/policy`);
}

/** A server that can be stopped and started again on the same port and database file. */
export class RestartableServer {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'gradpilot-sdk-test-'));
  readonly db = path.join(this.dir, 'test.db');
  port = 0;
  #server: RunningServer | null = null;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.#server = await startServer({ db: this.db, port: this.port, host: '127.0.0.1' });
    this.port = this.#server.port;
  }

  async stop(): Promise<void> {
    await this.#server?.close();
    this.#server = null;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Lets timers and sockets run, as a training loop does when it awaits anything. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'gradpilot-spill-test-'));
}
