// A server that cannot be reached is never silent: after a few seconds the run emits
// 'connection' and 'error' with the URL and the cause, writes one line to stderr, and close()
// says where the steps are and how to deliver them (`gradpilot spill list|send`).
import http from 'node:http';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GradpilotError, init, type Run } from '../../sdk/index.ts';
import { runCli } from '../support/server-process.ts';
import { withServer, type TestServer } from '../support/server.ts';
import { RestartableServer, storedSteps, tempDir } from './helpers.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const f of cleanup.splice(0).reverse()) await f();
});

interface Seen {
  causes: string[];
  errors: GradpilotError[];
  stderr: string[];
}

/** Opens a run against `url`, records what it reports, and waits for its first UNREACHABLE report. */
async function watch(url: string, extra: Partial<Parameters<typeof init>[0]> = {}): Promise<{ run: Run; seen: Seen; dir: string }> {
  const seen: Seen = { causes: [], errors: [], stderr: [] };
  const write = process.stderr.write.bind(process.stderr);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = String(chunk);
    if (text.startsWith('gradpilot: ')) seen.stderr.push(text);
    return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  });
  const dir = tempDir();
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const run = await init({ url, name: 'unreachable', spillDir: dir, flushIntervalMs: 100, reconnectDelayMaxMs: 300, ...extra });
  cleanup.push(async () => void (await run.close({ timeoutMs: 0 })));
  run.on('connection', (c) => c.cause !== undefined && seen.causes.push(c.cause));
  run.on('error', (e) => seen.errors.push(e as GradpilotError));
  for (let step = 0; step < 10; step++) run.observe(step, { gradNorm: 1 + step / 10 });
  await vi.waitFor(() => expect(seen.errors.length).toBeGreaterThan(0), { timeout: 15_000, interval: 50 });
  return { run, seen, dir };
}

async function server(t: { token?: string } = {}): Promise<TestServer> {
  const s = await withServer(t);
  cleanup.push(() => s.close());
  return s;
}

/** A free port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

describe('a server that cannot be reached', () => {
  it('should report a refused connection with the URL, once on stderr, and keep training', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const started = Date.now();
    const { run, seen } = await watch(url);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2500); // a short restart is not reported
    expect(seen.causes[0]).toMatch(/^connection refused/);
    expect(seen.errors[0].code).toBe('UNREACHABLE');
    expect(seen.errors[0].message).toContain(`Cannot reach the gradpilot server at ${url}: connection refused`);
    expect(run.status().lastError).toBe(seen.errors[0].message);
    // Later failures keep being reported, but stderr gets one line per outage.
    await vi.waitFor(() => expect(seen.errors.length).toBeGreaterThan(1), { timeout: 10_000, interval: 50 });
    expect(seen.stderr).toHaveLength(1);
    expect(seen.stderr[0]).toContain(url);
    expect(seen.stderr[0]).toMatch(/steps are kept in memory and in \S+\.spill\.jsonl and sent when it answers/);
    expect(run.observe(10, { gradNorm: 2 }).action).toBeDefined();
  });

  it('should clear the report once the server is back, and deliver what waited', async () => {
    const restartable = new RestartableServer();
    cleanup.push(() => restartable.dispose());
    await restartable.start();
    await restartable.stop();
    const { run, seen } = await watch(restartable.url);
    expect(seen.causes[0]).toMatch(/^connection refused/);
    await restartable.start();
    await vi.waitFor(() => expect(run.status()).toMatchObject({ connected: true, ready: true, lastError: null }), { timeout: 15_000 });
    const report = await run.close();
    expect(report).toMatchObject({ delivered: 10, undelivered: 0, lastError: null, howToDeliver: null });
  });

  it('should say when the URL answers but is not a gradpilot server', async () => {
    const other = http.createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => other.close(() => r())));
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const { seen } = await watch(url);
    expect(seen.causes[0]).toBe(`not a gradpilot server: GET ${url}/api/health answered HTTP 404 (text/html)`);
  });

  it('should hint at the server root for a URL with a path', async () => {
    const s = await server();
    const { seen } = await watch(`${s.url}/api`);
    expect(seen.errors[0].message).toContain('Invalid namespace');
    expect(seen.errors[0].message).toContain(`The url has a path ("/api"): pass the server root, e.g. "${s.url}".`);
  });

  it('should name a TLS mismatch (https:// to an http:// server)', async () => {
    const s = await server();
    const { seen } = await watch(s.url.replace('http://', 'https://'));
    expect(seen.causes[0]).toBe('TLS error: the server does not speak TLS (an https:// URL for an http:// server?)');
  });

  it('should report a wrong token at once, as refused by the server', async () => {
    const s = await server({ token: 'right-token' });
    const { seen } = await watch(s.url, { token: 'wrong-token' });
    expect(seen.errors[0].code).toBe('UNREACHABLE');
    expect(seen.causes[0]).toMatch(/^the server refused the connection: .*token/i);
    expect(seen.stderr[0]).toContain('refused the connection');
  });

  it('should write nothing to stderr with quiet: true, and still emit the events', async () => {
    const { run, seen } = await watch(`http://127.0.0.1:${await closedPort()}`, { quiet: true });
    const report = await run.close({ timeoutMs: 0 });
    expect(seen.errors.length).toBeGreaterThan(0);
    expect(seen.stderr).toEqual([]);
    expect(report.howToDeliver).toContain('gradpilot spill send');
  });
});

describe('steps left undelivered', () => {
  it('should be named by close(), listed by `gradpilot spill list` and delivered by `gradpilot spill send`', async () => {
    const port = await closedPort();
    const { run, seen, dir } = await watch(`http://127.0.0.1:${port}`);
    const report = await run.close({ timeoutMs: 200 });
    expect(report).toMatchObject({ delivered: 0, undelivered: 10, firstUndeliveredStep: 0, lastUndeliveredStep: 9 });
    expect(report.spillFile).toMatch(new RegExp(`^${dir}/${run.id}\\.\\d+-closed-\\d+\\.spill\\.jsonl$`));
    expect(existsSync(report.spillFile!)).toBe(true);
    expect(report.howToDeliver).toContain(report.spillFile!);
    expect(report.howToDeliver).toContain(`npx gradpilot spill send --url http://127.0.0.1:${port}`);
    expect(seen.stderr.at(-1)).toContain(report.howToDeliver!);

    const listed = await runCli(['spill', 'list', '--dir', dir]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${run.id}\\tunreachable\\tclosed\\t10\\t`, 'm'));

    const s = await server();
    const sent = await runCli(['spill', 'send', '--url', s.url, '--dir', dir]);
    expect(sent.stdout).toContain(`${run.id}: 10 steps delivered to ${s.url}`);
    expect(sent.code).toBe(0);
    expect((await storedSteps(s.url, run.id)).step).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(readdirSync(dir)).toEqual([]);
    const again = await runCli(['spill', 'send', '--url', s.url, '--dir', dir]);
    expect(again.stdout).toContain('nothing to send');
  });

  it('should leave no spill file behind once a run is delivered', async () => {
    const s = await server();
    const dir = tempDir();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const run = await init({ url: s.url, name: 'delivered', spillDir: dir, flushIntervalMs: 50, quiet: true });
    for (let step = 0; step < 50; step++) run.observe(step, { gradNorm: 1 });
    const report = await run.close();
    expect(report).toMatchObject({ delivered: 50, undelivered: 0, spillFile: null, howToDeliver: null });
    expect(readdirSync(dir)).toEqual([]);
  });
});
