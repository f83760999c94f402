// The /ingest ack contract, seen from the SDK, against a scripted socket.io server: an error
// reply with `retry: true` (a server fault: disk full, locked) keeps the batch, spills it and
// sends it again with a growing wait; one without it (a client error) drops the batch, counts
// it and says so. The Python SDK mirrors this; the real faults are in test/faults/.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, init } from '../../sdk/index.ts';
import type { AckFailure, ColumnarBatch } from '../../sdk/protocol/index.ts';
import { INGEST_NAMESPACE } from '../../sdk/protocol/index.ts';
import { tempDir, waitFor, yieldToEventLoop } from './helpers.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** A server that answers `steps` as `script(steps, attempt)` says: 'ok', or an error reply. */
async function scriptedServer(script: (steps: number[], attempt: number) => 'ok' | AckFailure) {
  const httpServer = http.createServer((req, res) => {
    req.resume();
    res.writeHead(req.url === '/api/runs' ? 201 : 200, { 'content-type': 'application/json' });
    res.end(req.url === '/api/health' ? '{"ok":true}' : '{}');
  });
  const io = new Server(httpServer);
  const stored = new Set<number>();
  const attempts = new Map<number, { at: number; steps: number[] }[]>(); // first step of a batch -> its attempts
  io.of(INGEST_NAMESPACE).on('connection', (socket) => {
    socket.on('join', (_req, ack: (r: unknown) => void) => ack({
      ok: true,
      result: { policy: { version: 1, effectiveStep: 0, policy: DEFAULT_POLICY, createdAt: '', author: 'sdk', acks: [] }, lastStep: null },
    }));
    socket.on('policyAck', (_req, ack: (r: unknown) => void) => ack({ ok: true, result: null }));
    socket.on('steps', (batch: ColumnarBatch, ack: (r: unknown) => void) => {
      // Binary columns arrive as Buffers (Float64Array on the wire), spilled ones as JSON arrays.
      const raw = batch.step as unknown;
      const steps = Buffer.isBuffer(raw) ? Array.from(new Float64Array(Uint8Array.from(raw).buffer)) : Array.from(raw as number[], Number);
      const tries = attempts.get(steps[0]) ?? [];
      tries.push({ at: Date.now(), steps });
      attempts.set(steps[0], tries);
      const answer = script(steps, tries.length);
      if (answer !== 'ok') return ack(answer);
      for (const s of steps) stored.add(s);
      ack({ ok: true, result: { accepted: steps.length, duplicates: 0, lastStep: steps[steps.length - 1] } });
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => io.close(() => resolve())));
  /** The attempts of the batch holding `step`. */
  const attemptsOf = (step: number) => [...attempts.values()].find((t) => t[0].steps.includes(step)) ?? [];
  return { url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`, stored, attemptsOf };
}

describe('server faults and client errors in /ingest acks', () => {
  it('should keep and resend a batch answered retry: true with a growing wait, and drop and count one answered without it', async () => {
    const fault: AckFailure = { ok: false, error: 'Server fault: the disk holding /data/gradpilot.db is full (SQLITE_FULL).', retry: true };
    const refusal: AckFailure = { ok: false, error: 'Expected "gradNorm" of step 200 to be a number' };
    const srv = await scriptedServer((steps, attempt) => (steps.includes(100) && attempt <= 3 ? fault : steps.includes(200) ? refusal : 'ok'));
    const dir = tempDir();
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const run = await init({ url: srv.url, id: 'faults', name: 'faults', batchSize: 50, flushIntervalMs: 20, reconnectDelayMaxMs: 400, spillDir: dir, quiet: true });
    cleanup.push(async () => void (await run.close({ timeoutMs: 0 })));
    const errors: { code?: string; message: string }[] = [];
    run.on('error', (err) => errors.push(err as { code?: string; message: string }));

    for (let s = 0; s < 150; s++) {
      run.observe(s, { gradNorm: 1 + s / 1000 });
      if (s % 10 === 9) await yieldToEventLoop();
    }
    await waitFor(() => srv.attemptsOf(100).length >= 2, 10_000, 'a second attempt of the faulted batch');
    const during = run.status();
    expect(during.lastError).toContain('could not store steps of run "faults" (kept, and sent again): Server fault: the disk holding');
    expect(during.spilled).toBeGreaterThan(0); // kept on disk while the server faults
    expect(during.dropped).toBe(0);

    for (let s = 150; s < 300; s++) run.observe(s, { gradNorm: 1 + s / 1000 });
    expect(await run.flush({ timeoutMs: 15_000 })).toBe(true);

    const times = srv.attemptsOf(100).map((a) => a.at);
    expect(times).toHaveLength(4); // three faults, then stored
    const waits = times.slice(1).map((t, i) => t - times[i]);
    expect(waits[0]).toBeGreaterThanOrEqual(240); // 250 ms, then doubling up to reconnectDelayMaxMs
    expect(waits[1]).toBeGreaterThanOrEqual(390);
    const refused = srv.attemptsOf(200);
    expect(refused).toHaveLength(1); // a refusal is not sent again
    const dropped = refused[0].steps;
    expect([...srv.stored].sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i).filter((s) => !dropped.includes(s)));
    expect(run.status()).toMatchObject({ delivered: 300 - dropped.length, dropped: dropped.length, undelivered: 0, spilled: 0 });
    expect(run.status().lastError).toBe(`The server refused steps of run "faults": ${refusal.error}`);
    expect(errors.map((e) => e.code)).toEqual(['SERVER_FAULT', 'INVALID_STEP']);
  }, 30_000);
});
