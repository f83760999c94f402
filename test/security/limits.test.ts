// Body and batch limits hold over both transports, exactly at the boundary, and requests cut
// off mid-body or far over the socket's message limit leave the server up and the store as it was.
import net from 'node:net';
import { type Socket, io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BATCH_STEPS } from '../../sdk/protocol/validate.ts';
import { MAX_BODY_BYTES } from '../../server/app.ts';
import { type TestServer, withServer } from '../support/server.ts';
import { snapshotStore } from '../support/store-snapshot.ts';

const RUN = 'limits';

function connect(url: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = io(`${url}/ingest`, { transports: ['websocket'], reconnection: false, forceNew: true });
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  });
}

function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/**
 * Sends `head` + `body` over a raw TCP socket; with `hangUp` closes its side at once (a body
 * cut off), else waits for the response head. Resolves with what came back.
 */
function rawRequest(port: number, head: string, body: string, { hangUp = false } = {}): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1', () => {
      sock.write(head + body);
      if (hangUp) sock.end();
    });
    let got = '';
    sock.on('data', (d: Buffer) => {
      got += d.toString();
      if (!hangUp && got.includes('\r\n\r\n')) sock.destroy();
    });
    sock.on('close', () => resolve(got));
    sock.on('error', () => resolve(got));
  });
}

const steps = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ step: from + i, gradNorm: 1 }));

describe('body and batch limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await withServer();
    expect((await postJson(`${server.url}/api/runs`, { id: RUN, name: 'limits' })).status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('should accept a batch of exactly MAX_BATCH_STEPS and refuse one more, over HTTP and the socket', async () => {
    const url = `${server.url}/api/runs/${RUN}/steps`;
    const ok = await postJson(url, { steps: steps(MAX_BATCH_STEPS, 0) });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { accepted: number }).accepted).toBe(MAX_BATCH_STEPS);
    const before = snapshotStore(server.dbPath);
    const tooMany = await postJson(url, { steps: steps(MAX_BATCH_STEPS + 1, 100_000) });
    expect(tooMany.status).toBe(413);
    expect(((await tooMany.json()) as { error: string }).error).toMatch(new RegExp(`at most ${MAX_BATCH_STEPS}`));

    const socket = await connect(server.url);
    try {
      const n = MAX_BATCH_STEPS + 1;
      const big = { runId: RUN, seq: 0, step: Float64Array.from({ length: n }, (_, i) => 200_000 + i), gradNorm: new Float64Array(n).fill(1) };
      const refused = (await socket.timeout(10_000).emitWithAck('steps', big)) as { ok: boolean; error?: string };
      expect(refused).toEqual({ ok: false, error: expect.stringMatching(/Too many steps/) });
      expect(snapshotStore(server.dbPath)).toEqual(before);
      const fits = { ...big, step: big.step.subarray(1), gradNorm: big.gradNorm.subarray(1) };
      const accepted = (await socket.timeout(10_000).emitWithAck('steps', fits)) as { ok: boolean; result?: { accepted: number } };
      expect(accepted).toMatchObject({ ok: true, result: { accepted: MAX_BATCH_STEPS } });
    } finally {
      socket.close();
    }
  });

  it('should refuse a body over MAX_BODY_BYTES with 413 naming the limit', async () => {
    const before = snapshotStore(server.dbPath);
    const pad = 'x'.repeat(MAX_BODY_BYTES + 1);
    const res = await postJson(`${server.url}/api/runs/${RUN}/steps`, `{"steps":[],"pad":"${pad}"}`);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(new RegExp(`limit is ${MAX_BODY_BYTES} bytes`));
    // Announced over the limit: answered before the body is sent (the request stays open;
    // were the server reading the body first, this would wait for the test's timeout).
    const head = `POST /api/runs/${RUN}/steps HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nContent-Length: ${MAX_BODY_BYTES * 4}\r\n\r\n`;
    const early = await rawRequest(server.port, head, '{"steps":[');
    expect(early).toMatch(/^HTTP\/1\.1 413 /);
    expect(snapshotStore(server.dbPath)).toEqual(before);
  });

  it('should survive bodies cut off before their Content-Length, socket messages over the size limit and absurdly nested frames', async () => {
    const before = snapshotStore(server.dbPath);
    const body = JSON.stringify({ steps: steps(50, 500_000) });
    for (const cut of [0, 1, Math.floor(body.length / 2), body.length - 1]) {
      const head = `POST /api/runs/${RUN}/steps HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
      await rawRequest(server.port, head, body.slice(0, cut), { hangUp: true });
    }
    // An announced body far over the limit, then a hang-up.
    const huge = `POST /api/runs/${RUN}/steps HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nContent-Length: ${MAX_BODY_BYTES * 4}\r\n\r\n`;
    await rawRequest(server.port, huge, '{"steps":[', { hangUp: true });
    const socket = await connect(server.url);
    const closed = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
    socket.emit('steps', { runId: RUN, seq: 0, step: [600_000], gradNorm: [1], pad: 'y'.repeat(MAX_BODY_BYTES * 2 + 1024) }, () => undefined);
    expect(await closed).toMatch(/close/);
    // A frame nested 200,000 deep, written past the client's encoder: the server drops the connection.
    const deep = await connect(server.url);
    const dropped = new Promise<string>((resolve) => deep.once('disconnect', (reason) => resolve(reason)));
    const depth = 200_000;
    (deep.io.engine as unknown as { write(frame: string): void }).write(`42/ingest,7["steps",{"runId":"${RUN}","seq":0,"step":${'['.repeat(depth)}1${']'.repeat(depth)},"gradNorm":[1]}]`);
    expect(await dropped).toMatch(/close/);
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    expect(snapshotStore(server.dbPath)).toEqual(before);
    const again = await connect(server.url);
    const ok = (await again.timeout(5000).emitWithAck('steps', { runId: RUN, seq: 1, step: [600_001], gradNorm: [2] })) as { ok: boolean };
    expect(ok.ok).toBe(true);
    again.close();
  });
});
