// NaN, +Infinity, -Infinity and "missing" stay four different things through both ingest
// paths (HTTP JSON with quoted or bare tokens, socket binary columns and WireNumber arrays),
// the store, the steps query, the live push and the CSV export.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestServer, withServer } from '../support/server.ts';
import { call, createRun } from './http-client.ts';
import { connectIngest, connectLive, next, request } from './socket-client.ts';
import type { LiveSteps } from '../../sdk/protocol/socket-events.ts';

const VALUES = [1.25, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0.5];
const WIRE = [1.25, 'NaN', 'Infinity', '-Infinity', -0.5];

describe('non-finite round trip', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await withServer();
  });
  afterEach(async () => {
    await server.close();
  });

  async function expectStored(id: string): Promise<void> {
    const series = await call(`${server.url}/api/runs/${id}/steps?points=100`);
    expect(series.status).toBe(200);
    expect(series.body.bucketSize).toBe(1);
    expect(series.body.step).toEqual([0, 1, 2, 3, 4]);
    expect(series.body.gradNorm.max).toEqual(WIRE);
    // loss: missing on step 0, NaN on 1, finite elsewhere
    expect(series.body.loss.last).toEqual([null, 'NaN', 2, 3, 4]);
    expect(series.body.nonFinite).toEqual([0, 1, 1, 1, 0]);
    const csv = await call<string>(`${server.url}/api/runs/${id}/export.csv`);
    // The 8th column is the arrival time (none was sent): a recent ms count; the rest exact.
    const cells = csv.body.split('\r\n').map((line) => line.split(','));
    for (const row of cells.slice(1, -1)) expect(Math.abs(Number(row[7]) - Date.now())).toBeLessThan(60_000);
    expect(cells.map((row) => row.filter((_, i) => i !== 7).join(','))).toEqual([
      'step,gradNorm,loss,lr,threshold,coef,action,fc1',
      '0,1.25,,,,,,0.5',
      '1,NaN,NaN,,,,skip,NaN',
      '2,Infinity,2,,,,skip,Infinity',
      '3,-Infinity,3,,,,skip,',
      '4,-0.5,4,,,,,-Infinity',
      '',
    ]);
  }

  it('should keep NaN, ±Infinity and missing apart through HTTP with quoted tokens', async () => {
    const id = await createRun(server.url);
    const steps = VALUES.map((_, i) => ({
      step: i,
      gradNorm: WIRE[i],
      loss: i === 0 ? null : i === 1 ? 'NaN' : i,
      action: i >= 1 && i <= 3 ? 'skip' : undefined,
      layers: i === 3 ? {} : { fc1: [0.5, 'NaN', 'Infinity', null, '-Infinity'][i] },
    }));
    const r = await call(`${server.url}/api/runs/${id}/steps`, 'POST', { steps });
    expect(r.body).toEqual({ accepted: 5, duplicates: 0, lastStep: 4 });
    await expectStored(id);
  });

  it("should accept Python's bare NaN and Infinity tokens", async () => {
    const id = await createRun(server.url);
    const body =
      '{"steps": [{"step": 0, "gradNorm": 1.25, "loss": null, "layers": {"fc1": 0.5}},' +
      ' {"step": 1, "gradNorm": NaN, "loss": NaN, "action": "skip", "layers": {"fc1": NaN}},' +
      ' {"step": 2, "gradNorm": Infinity, "loss": 2, "action": "skip", "layers": {"fc1": Infinity}},' +
      ' {"step": 3, "gradNorm": -Infinity, "loss": 3, "action": "skip"},' +
      ' {"step": 4, "gradNorm": -0.5, "loss": 4, "layers": {"fc1": -Infinity}}]}';
    const r = await call(`${server.url}/api/runs/${id}/steps`, 'POST', body);
    expect(r.status).toBe(200);
    await expectStored(id);
  });

  it('should keep them apart through the socket with binary columns, and push them live', async () => {
    const id = await createRun(server.url);
    const live = await connectLive(server.url);
    const sdk = await connectIngest(server.url);
    try {
      expect((await request(live, 'subscribe', { runId: id })).ok).toBe(true);
      expect((await request(sdk, 'join', { runId: id, rank: 0, worldSize: 1 })).ok).toBe(true);
      const pushed = next<LiveSteps>(live, 'steps');
      const reply = await request(sdk, 'steps', {
        runId: id,
        seq: 1,
        step: new Float64Array([0, 1, 2, 3, 4]),
        gradNorm: new Float64Array(VALUES),
        loss: [null, 'NaN', 2, 3, 4],
        action: [null, 'skip', 'skip', 'skip', null],
        layers: { fc1: [0.5, 'NaN', 'Infinity', null, '-Infinity'] },
      });
      expect(reply).toEqual({ ok: true, result: { accepted: 5, duplicates: 0, lastStep: 4 } });
      const liveSteps = await pushed;
      expect(liveSteps.gradNorm).toEqual(WIRE);
      expect(liveSteps.loss).toEqual([null, 'NaN', 2, 3, 4]);
      await expectStored(id);
    } finally {
      sdk.close();
      live.close();
    }
  });
});
