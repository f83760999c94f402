// The wire contract of stop requests, with a bare socket.io client (what the Python SDK must
// mirror): the join answer, the `stop` push, `stopAck`, the HTTP endpoints and their errors.
import { afterEach, describe, expect, it } from 'vitest';
import type { StopRequest } from '../../sdk/protocol/api-types.ts';
import type { JoinResult, StopPush } from '../../sdk/protocol/socket-events.ts';
import { withServer } from '../support/server.ts';
import { call, createRun } from './http-client.ts';
import { connectIngest, connectLive, next, request } from './socket-client.ts';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe('stop requests on the wire', () => {
  it('should push `stop` to every joined socket, answer it on join, take `stopAck` and show it live', async () => {
    const s = await withServer();
    cleanup.push(() => s.close());
    const runId = await createRun(s.url, { name: 'wire' });
    const sockets = [await connectIngest(s.url), await connectIngest(s.url)];
    const live = await connectLive(s.url);
    cleanup.push(() => {
      for (const so of [...sockets, live]) so.close();
    });
    for (const [rank, so] of sockets.entries()) {
      const joined = await request<JoinResult>(so, 'join', { runId, rank, worldSize: 2 });
      expect(joined.ok && joined.result.stop).toBeNull();
    }
    expect((await request(live, 'subscribe', { runId })).ok).toBe(true);

    const pushes = sockets.map((so) => next<StopPush>(so, 'stop'));
    const liveCreated = next<StopRequest>(live, 'stop');
    const created = await call<StopRequest>(`${s.url}/api/runs/${runId}/stop`, 'POST', { reason: 'enough', author: 'ana' });
    expect(created.status).toBe(201);
    const push = { runId, id: created.body.id, author: 'ana', reason: 'enough', createdAt: created.body.createdAt };
    for (const p of await Promise.all(pushes)) expect(p).toEqual(push);
    expect(await liveCreated).toEqual(created.body);

    const liveAck = next<StopRequest>(live, 'stop');
    expect(await request(sockets[1], 'stopAck', { runId, id: push.id, rank: 1, step: 41 })).toEqual({ ok: true, result: null });
    expect((await liveAck).acks).toEqual([{ rank: 1, step: 41, at: expect.any(String) }]);
    // The first receipt per rank is kept.
    await request(sockets[1], 'stopAck', { runId, id: push.id, rank: 1, step: 99 });
    expect(await request(sockets[0], 'stopAck', { runId, id: push.id, rank: 0, step: null })).toEqual({ ok: true, result: null });
    const [stored] = (await call<StopRequest[]>(`${s.url}/api/runs/${runId}/stop`)).body;
    expect(stored.acks.map((a) => [a.rank, a.step])).toEqual([[0, null], [1, 41]]);

    const late = await connectIngest(s.url);
    cleanup.push(() => {
      late.close();
    });
    const joined = await request<JoinResult>(late, 'join', { runId, rank: 1, worldSize: 2 });
    expect(joined.ok && joined.result.stop).toEqual(push);

    expect(await request(sockets[0], 'stopAck', { runId, id: push.id + 1, rank: 0, step: 1 })).toEqual({ ok: false, error: `Run "${runId}" has no stop request ${push.id + 1}` });
    expect(await request(sockets[0], 'stopAck', { runId, id: push.id, rank: -1, step: 1 })).toEqual({ ok: false, error: 'Expected "rank" to be a non-negative integer, got -1' });
    expect(await request(sockets[0], 'stopAck', { runId, id: push.id, rank: 0, step: 1.5 })).toMatchObject({ ok: false, error: expect.stringMatching(/^Expected "step" to be a non-negative integer step/) });

    // A resume clears it: a process joining afterwards is not told.
    await call(`${s.url}/api/runs/${runId}/resume`, 'POST', {});
    const after = await request<JoinResult>(late, 'join', { runId, rank: 1, worldSize: 2 });
    expect(after.ok && after.result.stop).toBeNull();
    expect((await call<StopRequest[]>(`${s.url}/api/runs/${runId}/stop`)).body[0].clearedAt).toEqual(expect.any(String));
  });

  it('should validate the request and need the token for it', async () => {
    const s = await withServer({ token: 't0ken' });
    cleanup.push(() => s.close());
    const auth = { authorization: 'Bearer t0ken' };
    const runId = await createRun(s.url, { name: 'x' }, auth);
    expect((await call(`${s.url}/api/runs/${runId}/stop`, 'POST', {})).status).toBe(401);
    expect((await call(`${s.url}/api/runs/${runId}/stop`, 'POST', { reason: 5 }, auth)).body.error).toBe('Expected "reason" to be a string of at most 1000 characters, got 5');
    expect((await call(`${s.url}/api/runs/${runId}/stop`, 'POST', { why: 'x' }, auth)).body.error).toMatch(/^Unknown field "why" in the stop request/);
    expect((await call(`${s.url}/api/runs/nope/stop`, 'POST', {}, auth)).status).toBe(404);
    expect((await call(`${s.url}/api/runs/${runId}/stop`)).status).toBe(401); // token mode guards reads too
    expect((await call(`${s.url}/api/runs/${runId}/stop`, 'GET', undefined, auth)).body).toEqual([]);
    expect((await call(`${s.url}/api/runs/${runId}/stop`, 'POST', { reason: 'ok' }, auth)).status).toBe(201);
  });
});
