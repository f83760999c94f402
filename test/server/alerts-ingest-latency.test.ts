// A dead webhook must not slow ingest: the time from sending a batch over /ingest to its ack,
// on a server whose every batch raises an alert that cannot be delivered (one receiver takes
// the request and never answers, one port has nothing listening), against the same batches
// on a server with no webhook (its alerts are stored, with nothing to deliver), in turns.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../sdk/protocol/api-types.ts';
import { withServer, type TestServer } from '../support/server.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';
import { call, createRun } from './http-client.ts';
import { connectIngest, request, type IngestClient } from './socket-client.ts';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const BATCH = 50;
const ROUNDS = 60;
// Every batch starts with a NaN 50 steps after the last one: a new burst, and with no
// cooldown a new alert, each batch.
const ALERTS = { cooldownMs: 0, nonFiniteBurstGap: 10, timeoutMs: 300, retryDelaysMs: [50, 50, 50] };

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

interface Lane {
  server: TestServer;
  socket: IngestClient;
  runId: string;
  ackMs: number[];
}

async function lane(webhooks: string[]): Promise<Lane> {
  const server = await withServer({ webhooks, alerts: ALERTS });
  cleanup.push(() => server.close());
  const runId = await createRun(server.url, { name: 'latency' });
  const socket = await connectIngest(server.url);
  cleanup.push(() => {
    socket.close();
  });
  expect((await request(socket, 'join', { runId, rank: 0, worldSize: 1 })).ok).toBe(true);
  return { server, socket, runId, ackMs: [] };
}

async function sendBatch(l: Lane, round: number): Promise<void> {
  const step = Float64Array.from({ length: BATCH }, (_, i) => round * BATCH + i);
  const gradNorm = Float64Array.from({ length: BATCH }, (_, i) => (i === 0 ? Number.NaN : 1 + (i % 2)));
  const started = performance.now();
  const reply = await request(l.socket, 'steps', { runId: l.runId, seq: round, step, gradNorm });
  l.ackMs.push(performance.now() - started);
  expect(reply.ok).toBe(true);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1];
}

describe('alerts beside ingest', () => {
  it('should acknowledge batches as fast while every alert fails to be delivered', async () => {
    const hanging = await startWebhookReceiver();
    hanging.hang = true;
    cleanup.push(() => hanging.close());
    const deadUrl = `http://127.0.0.1:${await freePort()}/hook`;

    const baseline = await lane([]);
    const failing = await lane([hanging.url, deadUrl]);
    // Alternate which lane goes first, so neither always pays for the other's leftovers.
    for (let round = 0; round < ROUNDS; round++) {
      const [first, second] = round % 2 === 0 ? [baseline, failing] : [failing, baseline];
      await sendBatch(first, round);
      await sendBatch(second, round);
    }

    // The alerts were raised and were failing while the batches went in. Deliveries run in
    // the background, so the hanging receiver's timeouts (300 ms each, 4 at a time) may still
    // be running when the last batch is in: wait for their outcome, not for a fixed time.
    const failures = async (): Promise<Set<string | null>> => {
      const list = (await call<Alert[]>(`${failing.server.url}/api/alerts?limit=1000`)).body;
      return new Set(list.flatMap((a) => a.deliveries.map((d) => d.lastError)));
    };
    await expect.poll(failures, { timeout: 15_000 }).toContain('no answer within 300 ms');
    const alerts = (await call<Alert[]>(`${failing.server.url}/api/alerts?limit=1000`)).body;
    expect(alerts).toHaveLength(ROUNDS);
    expect(hanging.received.length).toBeGreaterThan(0);
    const errors = await failures();
    expect(errors).toContain('connection refused: nothing listens there');
    expect(errors).toContain('no answer within 300 ms');
    expect(alerts.every((a) => a.deliveries.every((d) => d.status !== 'delivered'))).toBe(true);
    expect((await call<Alert[]>(`${baseline.server.url}/api/alerts?limit=1000`)).body).toHaveLength(ROUNDS);

    const base = median(baseline.ackMs);
    const withDeadHooks = median(failing.ackMs);
    console.log(`ack latency median: ${base.toFixed(2)} ms without webhooks, ${withDeadHooks.toFixed(2)} ms with dead ones (x${(withDeadHooks / base).toFixed(2)})`);
    expect(withDeadHooks / base).toBeLessThan(3);
  });
});
