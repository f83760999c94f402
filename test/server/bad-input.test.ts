// Every bad request is answered 4xx with a message naming the problem, and changes nothing:
// the row counts of every table are compared before and after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, withServer } from '../support/server.ts';
import { tableCounts } from '../support/test-database.ts';
import { call, createRun } from './http-client.ts';
import { connectIngest, request } from './socket-client.ts';

const TABLES = ['runs', 'steps', 'rollups', 'layer_names', 'layer_norms', 'events', 'policies', 'policy_acks', 'resumes', 'superseded_steps'];

function counts(db: string): Promise<Record<string, number>> {
  return tableCounts(db, TABLES);
}

interface Case {
  name: string;
  method?: string;
  path: (id: string) => string;
  body?: unknown;
  status: number;
  error: RegExp;
}

const step = (extra: Record<string, unknown>) => ({ steps: [{ step: 5, gradNorm: 1, ...extra }] });

const CASES: Case[] = [
  { name: 'malformed JSON', method: 'POST', path: (id) => `/api/runs/${id}/steps`, body: '{"steps": [', status: 400, error: /Malformed JSON/ },
  { name: 'body not an object', method: 'POST', path: (id) => `/api/runs/${id}/steps`, body: '[1,2]', status: 400, error: /Expected a JSON object/ },
  { name: 'steps not an array', method: 'POST', path: (id) => `/api/runs/${id}/steps`, body: { steps: 3 }, status: 400, error: /"steps" to be an array/ },
  { name: 'unknown top-level field', method: 'POST', path: (id) => `/api/runs/${id}/steps`, body: { step: [] }, status: 400, error: /Unknown field "step"/ },
  { name: 'misspelled step field', method: 'POST', path: (id) => `/api/runs/${id}/steps`, body: { steps: [{ step: 1, gradnorm: 1 }] }, status: 400, error: /Unknown field "gradnorm" in steps\[0\]/ },
  { name: 'missing gradNorm', method: 'POST', path: (id) => `/api/runs/${id}/steps`, body: { steps: [{ step: 1 }] }, status: 400, error: /steps\[0\]\.gradNorm/ },
  { name: 'gradNorm as a string', method: 'POST', path: (id) => `/api/runs/${id}/steps`, body: step({ gradNorm: '1.5' }), status: 400, error: /"steps\[0\]\.gradNorm" to be a number/ },
  { name: 'loss as a boolean', method: 'POST', path: (id) => `/api/runs/${id}/steps`, body: step({ loss: true }), status: 400, error: /steps\[0\]\.loss/ },
  { name: 'negative step', method: 'POST', path: (id) => `/api/runs/${id}/steps`, body: step({ step: -1 }), status: 400, error: /"steps\[0\]\.step" to be a non-negative integer/ },
  { name: 'fractional step', method: 'POST', path: (id) => `/api/runs/${id}/steps`, body: step({ step: 1.5 }), status: 400, error: /non-negative integer/ },
  { name: 'huge step', method: 'POST', path: (id) => `/api/runs/${id}/steps`, body: step({ step: 1e20 }), status: 400, error: /at most 2\^53-1/ },
  { name: 'step as a string', method: 'POST', path: (id) => `/api/runs/${id}/steps`, body: step({ step: '3' }), status: 400, error: /non-negative integer/ },
  { name: 'bad action', method: 'POST', path: (id) => `/api/runs/${id}/steps`, body: step({ action: 'explode' }), status: 400, error: /"steps\[0\]\.action" to be "apply", "clip", "skip"/ },
  { name: 'layers not an object', method: 'POST', path: (id) => `/api/runs/${id}/steps`, body: step({ layers: [1] }), status: 400, error: /layers/ },
  { name: 'layer norm not a number', method: 'POST', path: (id) => `/api/runs/${id}/steps`, body: step({ layers: { fc: 'big' } }), status: 400, error: /layers\.fc/ },
  // the second step is bad: the first must not be stored either
  { name: 'one bad step in a batch', method: 'POST', path: (id) => `/api/runs/${id}/steps`, body: { steps: [{ step: 7, gradNorm: 1 }, { step: 8, gradNorm: {} }] }, status: 400, error: /steps\[1\]\.gradNorm/ },
  { name: 'too many steps', method: 'POST', path: (id) => `/api/runs/${id}/steps`, body: { steps: Array.from({ length: 20_001 }, (_, i) => ({ step: i, gradNorm: 1 })) }, status: 413, error: /at most 20000 per batch/ },
  { name: 'oversize body', method: 'POST', path: (id) => `/api/runs/${id}/steps`, body: `{"steps": [], "pad": "${'x'.repeat(9 * 1024 * 1024)}"}`, status: 413, error: /body too large/ },
  { name: 'unknown run (steps)', method: 'POST', path: () => `/api/runs/nope/steps`, body: step({}), status: 404, error: /Unknown run "nope"/ },
  { name: 'unknown run (summary)', path: () => `/api/runs/nope`, status: 404, error: /Unknown run "nope"/ },
  { name: 'unknown run (policy)', method: 'PUT', path: () => `/api/runs/nope/policy`, body: { policy: { kind: 'fixed', maxNorm: 1 } }, status: 404, error: /Unknown run/ },
  { name: 'bad points', path: (id) => `/api/runs/${id}/steps?points=0`, status: 400, error: /"points" to be an integer in \[1, 100000\]/ },
  { name: 'bad from', path: (id) => `/api/runs/${id}/steps?from=-3`, status: 400, error: /"from"/ },
  { name: 'run without a name', method: 'POST', path: () => `/api/runs`, body: { project: 'p' }, status: 400, error: /"name" to be a non-empty string/ },
  { name: 'run with a bad config', method: 'POST', path: () => `/api/runs`, body: { name: 'x', config: [1] }, status: 400, error: /"config" to be an object/ },
  { name: 'run with a bad policy', method: 'POST', path: () => `/api/runs`, body: { name: 'x', policy: { kind: 'magic' } }, status: 400, error: /Invalid "policy".*kind/ },
  { name: 'policy of unknown kind', method: 'PUT', path: (id) => `/api/runs/${id}/policy`, body: { policy: { kind: 'nope' } }, status: 400, error: /kind/ },
  { name: 'policy with a misspelled field', method: 'PUT', path: (id) => `/api/runs/${id}/policy`, body: { policy: { kind: 'percentile', windw: 10 } }, status: 400, error: /windw/ },
  { name: 'policy with p out of range', method: 'PUT', path: (id) => `/api/runs/${id}/policy`, body: { policy: { kind: 'percentile', p: 150 } }, status: 400, error: /"p"/ },
  { name: 'policy effective in the past', method: 'PUT', path: (id) => `/api/runs/${id}/policy`, body: { policy: { kind: 'off' }, effectiveStep: 2 }, status: 400, error: /after the run's last stored step 3/ },
  { name: 'replay without a policy', method: 'POST', path: (id) => `/api/runs/${id}/replay`, body: {}, status: 400, error: /policy/ },
  { name: 'resume with a bad fromStep', method: 'POST', path: (id) => `/api/runs/${id}/resume`, body: { fromStep: -2 }, status: 400, error: /fromStep/ },
];

describe('bad input', () => {
  let server: TestServer;
  let id: string;
  beforeAll(async () => {
    server = await withServer();
    id = await createRun(server.url);
    await call(`${server.url}/api/runs/${id}/steps`, 'POST', { steps: [0, 1, 2, 3].map((s) => ({ step: s, gradNorm: 1, layers: { fc: 1 } })) });
  });
  afterAll(async () => {
    await server.close();
  });

  it.each(CASES)('should answer $name with $status and change nothing', async (c) => {
    const before = await counts(server.dbPath);
    const r = await call(`${server.url}${c.path(id)}`, c.method ?? 'GET', c.body);
    expect(r.status).toBe(c.status);
    expect(r.body.error).toMatch(c.error);
    expect(await counts(server.dbPath)).toEqual(before);
  });

  it('should reject bad socket batches with an error naming the field, storing nothing', async () => {
    const sdk = await connectIngest(server.url);
    try {
      const bad: [unknown, RegExp][] = [
        ['not a batch', /Expected the batch to be an object/],
        [{ runId: id, seq: 1, step: [9], gradNorm: [1], extra: 1 }, /Unknown field "extra"/],
        [{ runId: id, seq: 1, step: [9, 10], gradNorm: [1] }, /"gradNorm" to have 2 entries/],
        [{ runId: id, seq: 1, step: new Float64Array([9.5]), gradNorm: new Float64Array([1]) }, /"step\[0\]" to be a non-negative integer/],
        [{ runId: id, seq: 1, step: [9], gradNorm: new Uint8Array(5) }, /multiple of 8 bytes/],
        [{ runId: id, seq: 1, step: [9], gradNorm: ['big'] }, /"gradNorm\[0\]"/],
        [{ runId: id, seq: -1, step: [9], gradNorm: [1] }, /"seq"/],
        [{ runId: 'nope', seq: 1, step: [9], gradNorm: [1] }, /Unknown run "nope"/],
        [{ runId: id, seq: 1, step: [9], gradNorm: [1], action: ['boom'] }, /"action\[0\]"/],
      ];
      for (const [batch, error] of bad) {
        const before = await counts(server.dbPath);
        const reply = await request(sdk, 'steps', batch);
        expect(reply.ok).toBe(false);
        expect(reply.ok === false && reply.error).toMatch(error);
        expect(await counts(server.dbPath)).toEqual(before);
      }
      // The socket survives bad input and still ingests, with or without an ack callback.
      const good = await request(sdk, 'steps', { runId: id, seq: 2, step: [100], gradNorm: [1] });
      expect(good.ok).toBe(true);
      const emitNoAck = sdk.emit.bind(sdk) as unknown as (event: string, payload: unknown) => void;
      emitNoAck('steps', { runId: id, seq: 3, step: [101], gradNorm: [2] });
      emitNoAck('steps', 'garbage without an ack');
      await expect.poll(async () => (await call(`${server.url}/api/runs/${id}`)).body.lastStep).toBe(101);
    } finally {
      sdk.close();
    }
  });
});
