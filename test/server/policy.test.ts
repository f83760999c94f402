// Policy versions (audit trail, effectiveStep), the push to every /ingest socket of the run
// and to dashboards, and SDK acknowledgements, over real sockets.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PolicyVersion } from '../../sdk/protocol/api-types.ts';
import type { PolicyPush } from '../../sdk/protocol/socket-events.ts';
import { POLICY_LEAD_SECONDS, POLICY_MARGIN_STEPS, policyMargin } from '../../server/policy/set-policy.ts';
import { type TestServer, withServer } from '../support/server.ts';
import { call, createRun } from './http-client.ts';
import { connectIngest, connectLive, next, request } from './socket-client.ts';

describe('policy', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await withServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('should version policies, push them to every SDK socket of the run, and record acks', async () => {
    const id = await createRun(server.url, { name: 'p', policy: { kind: 'percentile', p: 20 }, author: 'sdk' });
    const other = await createRun(server.url, { name: 'other' });
    const v1 = await call<PolicyVersion>(`${server.url}/api/runs/${id}/policy`);
    expect(v1.body).toMatchObject({ version: 1, effectiveStep: 0, author: 'sdk', policy: { kind: 'percentile', p: 20, window: null } });

    const rank0 = await connectIngest(server.url);
    const rank1 = await connectIngest(server.url);
    const stranger = await connectIngest(server.url);
    const live = await connectLive(server.url);
    try {
      for (const [sock, rank] of [[rank0, 0], [rank1, 1]] as const) {
        const joined = await request<{ policy: PolicyVersion; lastStep: number | null }>(sock, 'join', { runId: id, rank, worldSize: 2 });
        expect(joined.ok && joined.result.policy.version).toBe(1);
      }
      expect((await request(stranger, 'join', { runId: other, rank: 0, worldSize: 1 })).ok).toBe(true);
      expect((await request(live, 'subscribe', { runId: id })).ok).toBe(true);
      let strangerGotOne = false;
      stranger.on('policy', () => (strangerGotOne = true));

      await call(`${server.url}/api/runs/${id}/steps`, 'POST', { steps: [{ step: 0, gradNorm: 1 }, { step: 41, gradNorm: 2 }] });
      const pushes = [next<PolicyPush>(rank0, 'policy'), next<PolicyPush>(rank1, 'policy')];
      const livePush = next<PolicyVersion & { runId: string }>(live, 'policy');
      const put = await call(`${server.url}/api/runs/${id}/policy`, 'PUT', { policy: { kind: 'zscore', z: 3 }, author: 'dashboard' });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ version: 2, effectiveStep: 41 + POLICY_MARGIN_STEPS, author: 'dashboard', policy: { kind: 'zscore', z: 3, alpha: 0.97 } });
      for (const push of await Promise.all(pushes)) {
        expect(push).toEqual({ runId: id, version: 2, effectiveStep: 51, policy: put.body.policy });
      }
      expect((await livePush).version).toBe(2);

      // A given effectiveStep is kept; a bare policy body works too.
      const v3 = await call(`${server.url}/api/runs/${id}/policy`, 'PUT', { policy: { kind: 'fixed', maxNorm: 2 }, effectiveStep: 1000 });
      expect(v3.body).toMatchObject({ version: 3, effectiveStep: 1000 });
      const v4 = await call(`${server.url}/api/runs/${id}/policy`, 'PUT', { kind: 'off' });
      expect(v4.body).toMatchObject({ version: 4, policy: { kind: 'off' }, author: 'api' });

      const ack = await request(rank1, 'policyAck', { runId: id, version: 2, rank: 1, appliedAtStep: 51, late: false });
      expect(ack).toEqual({ ok: true, result: null });
      const lateAck = await request(rank0, 'policyAck', { runId: id, version: 2, rank: 0, appliedAtStep: 60, late: true });
      expect(lateAck.ok).toBe(true);
      const badAck = await request(rank0, 'policyAck', { runId: id, version: 99, rank: 0, appliedAtStep: 60, late: true });
      expect(badAck).toEqual({ ok: false, error: expect.stringMatching(/no policy version 99/) });

      const history = await call<PolicyVersion[]>(`${server.url}/api/runs/${id}/policy/history`);
      expect(history.body.map((v) => [v.version, v.effectiveStep, v.policy.kind, v.author])).toEqual([
        [1, 0, 'percentile', 'sdk'],
        [2, 51, 'zscore', 'dashboard'],
        [3, 1000, 'fixed', 'api'],
        [4, 51, 'off', 'api'],
      ]);
      expect(history.body[1].acks).toEqual([
        { rank: 0, appliedAtStep: 60, late: true, at: expect.any(String) },
        { rank: 1, appliedAtStep: 51, late: false, at: expect.any(String) },
      ]);
      const summary = await call(`${server.url}/api/runs/${id}`);
      expect(summary.body.policy.version).toBe(4);
      expect(strangerGotOne).toBe(false);
    } finally {
      for (const s of [rank0, rank1, stranger, live]) s.close();
    }
  });

  it('should answer replay with the threshold series and a summary beside what the run did', async () => {
    const id = await createRun(server.url, { name: 'r', policy: { kind: 'off' } });
    const steps = Array.from({ length: 300 }, (_, i) => ({
      step: i,
      gradNorm: i === 150 ? 'NaN' : i === 200 ? 500 : 1 + (i % 10) / 10,
      action: i === 150 ? 'skip' : 'apply',
    }));
    await call(`${server.url}/api/runs/${id}/steps`, 'POST', { steps });
    const r = await call(`${server.url}/api/runs/${id}/replay`, 'POST', { policy: { kind: 'fixed', maxNorm: 1.5 }, points: 30 });
    expect(r.status).toBe(200);
    expect(r.body.policy).toMatchObject({ kind: 'fixed', maxNorm: 1.5 });
    expect(r.body.step.length).toBeLessThanOrEqual(30);
    expect(r.body.bucketSize).toBe(10);
    expect(r.body.threshold.max.every((t: unknown) => t === 1.5)).toBe(true);
    // g in {1.0..1.9}: 1.6..1.9 clipped (4 of every 10 steps, NaN step skipped), spike at 200 clipped
    const clipped = steps.filter((s, i) => i !== 150 && typeof s.gradNorm === 'number' && s.gradNorm > 1.5).length;
    expect(r.body.summary).toMatchObject({ steps: 300, clipped, skipped: 1 });
    expect(r.body.summary.events.nonfinite).toBe(1);
    expect(r.body.summary.events.spike).toBeGreaterThanOrEqual(1);
    expect(r.body.actual).toMatchObject({ steps: 300, clipped: 0, skipped: 1, events: { nonfinite: 1 } });
    expect(r.body.actual.events.spike).toBe(r.body.summary.events.spike);
  });
  it('should keep acknowledging batches while it replays a long run (what-if and resume state)', async () => {
    const long = await createRun(server.url, { name: 'long', policy: { kind: 'percentile', p: 10 } });
    const other = await createRun(server.url, { name: 'other' });
    const sock = await connectIngest(server.url);
    try {
      const n = 200_000;
      for (let start = 0; start < n; start += 20_000) {
        const step = Float64Array.from({ length: 20_000 }, (_, i) => start + i);
        const gradNorm = step.map((s) => 1 + (s % 17) / 10);
        const r = await request(sock, 'steps', { runId: long, seq: start, step, gradNorm });
        expect(r.ok).toBe(true);
      }
      let otherStep = 0;
      for (const slow of [
        () => call(`${server.url}/api/runs/${long}/replay`, 'POST', { policy: { kind: 'zscore' } }),
        () => call(`${server.url}/api/runs/${long}/state`),
      ]) {
        // Replaying 200,000 steps takes hundreds of ms; other runs' batches are acknowledged meanwhile.
        let done = false;
        const reply = slow().finally(() => (done = true));
        let acked = 0;
        while (!done) {
          const r = await request(sock, 'steps', { runId: other, seq: otherStep, step: [otherStep++], gradNorm: [1] });
          if (r.ok) acked++;
        }
        const answered = await reply;
        expect(answered.status).toBe(200);
        expect(acked).toBeGreaterThanOrEqual(5);
      }
      const replay = await call(`${server.url}/api/runs/${long}/replay`, 'POST', { policy: { kind: 'zscore' } });
      expect(replay.body.summary.steps).toBe(n);

      // Ranks of a resumed run ask for the same state at once: one replay answers them all.
      const replays = async (kind: string) => Number(new RegExp(`gradpilot_replays_total\\{kind="${kind}"\\} (\\d+)`).exec((await call<string>(`${server.url}/metrics`)).body)?.[1] ?? 0);
      const before = await replays('state');
      const states = await Promise.all([0, 1, 2, 3].map(() => call(`${server.url}/api/runs/${long}/state`)));
      expect(states.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      for (const r of states.slice(1)) expect(r.body).toEqual(states[0].body);
      expect(await replays('state')).toBe(before + 1);
      // Once answered, the next request replays again (nothing is cached).
      expect((await call(`${server.url}/api/runs/${long}/state`)).body).toEqual(states[0].body);
      expect(await replays('state')).toBe(before + 2);
    } finally {
      sock.close();
    }
  }, 90_000); // 200,000 steps ingested and replayed six times: 15-27 s on PostgreSQL on this machine, over the 30 s default under a full suite's load

  it('should place the default effectiveStep a few seconds of steps ahead of a fast run', async () => {
    expect(policyMargin(0)).toBe(POLICY_MARGIN_STEPS);
    expect(policyMargin(200)).toBe(200 * POLICY_LEAD_SECONDS);
    const id = await createRun(server.url, { name: 'fast' });
    // 600 steps in a burst: the SDK of such a run may already be a flush interval (hundreds
    // of steps) past what is stored, so a fixed 10-step margin would make every rank late.
    const steps = Array.from({ length: 600 }, (_, step) => ({ step, gradNorm: 1 }));
    expect((await call(`${server.url}/api/runs/${id}/steps`, 'POST', { steps })).status).toBe(200);
    const put = await call<PolicyVersion>(`${server.url}/api/runs/${id}/policy`, 'PUT', { kind: 'fixed', maxNorm: 1 });
    expect(put.status).toBe(200);
    expect(put.body.effectiveStep - 599).toBeGreaterThan(POLICY_MARGIN_STEPS);
  });
});
