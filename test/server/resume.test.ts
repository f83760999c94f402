// Duplicates and resumes: a plain resend is a harmless duplicate; a resume from a checkpoint
// supersedes the stored steps after it (kept for audit) so the re-sent steps are new; the
// controller state handed back continues exactly like a controller that never stopped.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Controller, parsePolicy } from '../../sdk/controller/index.ts';
import type { ResumeResult } from '../../sdk/protocol/socket-events.ts';
import { type TestServer, withServer } from '../support/server.ts';
import { queryRows } from '../support/test-database.ts';
import { call, createRun } from './http-client.ts';
import { connectIngest, request } from './socket-client.ts';

function norms(n: number, seed = 1): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 16807) % 2147483647;
    return 0.5 + (x / 2147483647) * 2;
  });
}

describe('duplicates and resume', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await withServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('should count a resent step as a duplicate, keep the first values and not add a row', async () => {
    const id = await createRun(server.url);
    const sdk = await connectIngest(server.url);
    try {
      const batch = { runId: id, seq: 1, step: new Float64Array([0, 1, 2]), gradNorm: new Float64Array([1, 2, 3]) };
      expect(await request(sdk, 'steps', batch)).toEqual({ ok: true, result: { accepted: 3, duplicates: 0, lastStep: 2 } });
      expect(await request(sdk, 'steps', batch)).toEqual({ ok: true, result: { accepted: 0, duplicates: 3, lastStep: 2 } });
      const http = await call(`${server.url}/api/runs/${id}/steps`, 'POST', { steps: [{ step: 2, gradNorm: 99 }, { step: 3, gradNorm: 4 }, { step: 3, gradNorm: 5 }] });
      expect(http.body).toEqual({ accepted: 1, duplicates: 2, lastStep: 3 });
      const series = await call(`${server.url}/api/runs/${id}/steps`);
      expect(series.body.gradNorm.last).toEqual([1, 2, 3, 4]);
      expect((await call(`${server.url}/api/runs/${id}`)).body.steps).toBe(4);
    } finally {
      sdk.close();
    }
  });

  it('should supersede the steps after fromStep on resume and hand back the controller state', async () => {
    const policy = parsePolicy({ kind: 'percentile', p: 25 });
    const id = await createRun(server.url, { name: 'ckpt', policy });
    const g = norms(500);
    const sdk = await connectIngest(server.url);
    try {
      await request(sdk, 'join', { runId: id, rank: 0, worldSize: 1 });
      await request(sdk, 'steps', { runId: id, seq: 1, step: new Float64Array(g.map((_, i) => i)), gradNorm: new Float64Array(g) });

      // A resume without fromStep changes nothing: the state after the last step.
      const plain = await request<ResumeResult>(sdk, 'resume', { runId: id });
      expect(plain.ok && plain.result.fromStep).toBe(499);
      expect((await call(`${server.url}/api/runs/${id}`)).body.steps).toBe(500);

      // Checkpoint at step 299: the run restarts there and re-sends 300.. with new values.
      const resumed = await request<ResumeResult>(sdk, 'resume', { runId: id, fromStep: 299 });
      if (!resumed.ok) throw new Error(resumed.error);
      expect(resumed.result.fromStep).toBe(299);
      expect((await call(`${server.url}/api/runs/${id}`)).body).toMatchObject({ steps: 300, lastStep: 299 });

      // The state continues exactly like a controller that saw steps 0..299 and never stopped.
      const reference = new Controller(policy);
      for (let i = 0; i < 300; i++) reference.decide({ step: i, gradNorm: g[i] });
      const restored = Controller.fromState(JSON.parse(JSON.stringify(resumed.result.state)));
      for (let i = 300; i < 320; i++) expect(restored.decide({ step: i, gradNorm: i / 100 })).toEqual(reference.decide({ step: i, gradNorm: i / 100 }));
      const viaHttp = await call<ResumeResult>(`${server.url}/api/runs/${id}/state?after=299`);
      expect(viaHttp.body).toEqual(resumed.result);

      const fresh = norms(200, 7);
      const again = await request(sdk, 'steps', { runId: id, seq: 2, step: new Float64Array(fresh.map((_, i) => 300 + i)), gradNorm: new Float64Array(fresh) });
      expect(again).toEqual({ ok: true, result: { accepted: 200, duplicates: 0, lastStep: 499 } });
      const series = await call(`${server.url}/api/runs/${id}/steps?from=300&to=499&points=1000`);
      expect(series.body.gradNorm.last).toEqual(fresh);

      // The superseded values are kept for audit, tagged with the resume.
      const audit = await queryRows(
        server.dbPath,
        'SELECT r.from_step AS "fromStep", r.superseded, count(s.step) AS n, min(s.step) AS first FROM resumes r JOIN superseded_steps s ON s.resume_id = r.id GROUP BY r.id',
      );
      expect(audit).toEqual([{ fromStep: 299, superseded: 200, n: 200, first: 300 }]);
    } finally {
      sdk.close();
    }
  });

  it('should switch policy versions at their effective steps when computing the state', async () => {
    const id = await createRun(server.url, { name: 'switch', policy: { kind: 'percentile', p: 50 } });
    const g = norms(100, 3);
    await call(`${server.url}/api/runs/${id}/steps`, 'POST', { steps: g.slice(0, 40).map((v, i) => ({ step: i, gradNorm: v })) });
    await call(`${server.url}/api/runs/${id}/policy`, 'PUT', { policy: { kind: 'zscore', warmupSteps: 5 }, effectiveStep: 60 });
    await call(`${server.url}/api/runs/${id}/steps`, 'POST', { steps: g.slice(40).map((v, i) => ({ step: 40 + i, gradNorm: v })) });
    const state = await call<ResumeResult>(`${server.url}/api/runs/${id}/state`);
    const reference = new Controller(parsePolicy({ kind: 'percentile', p: 50 }));
    for (let i = 0; i < 100; i++) {
      if (i === 60) reference.setPolicy(parsePolicy({ kind: 'zscore', warmupSteps: 5 }));
      reference.decide({ step: i, gradNorm: g[i] });
    }
    expect(state.body).toEqual({ state: JSON.parse(JSON.stringify(reference.toState())), fromStep: 99 });
  });
});
