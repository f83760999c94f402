// Webhook alerts against a real receiver on port 0: every kind once per cooldown with its
// fields, retries after a 500, no retry after a 400, stalls, and history across a restart.
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert, AlertKind, WireStep } from '../../sdk/protocol/api-types.ts';
import { StallWatch } from '../../server/alerts/stall-watch.ts';
import { type ServerOptions, startServer } from '../../server/start-server.ts';
import { withServer } from '../support/server.ts';
import { createTestDatabase } from '../support/test-database.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { call, createRun } from './http-client.ts';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function receiver(): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver();
  cleanup.push(() => r.close());
  return r;
}

async function server(opts: Partial<Omit<ServerOptions, 'db' | 'port' | 'host'>>) {
  const s = await withServer(opts);
  cleanup.push(() => s.close());
  return s;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Steps from `first` on with these norms (numbers, NaN allowed), threshold 2.5 each. */
function steps(first: number, norms: number[]): WireStep[] {
  return norms.map((g, i) => ({ step: first + i, gradNorm: Number.isNaN(g) ? 'NaN' : g, threshold: 2.5 }));
}

/** `n` quiet norms alternating 1 and 3 (mean 2, std 1: spikes above 8, explosions above 20). */
const quiet = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : 3));

async function post(base: string, runId: string, list: WireStep[]): Promise<void> {
  for (let i = 0; i < list.length; i += 20) {
    const r = await call(`${base}/api/runs/${runId}/steps`, 'POST', { steps: list.slice(i, i + 20) });
    expect(r.status).toBe(200);
  }
}

/** 90 steps from `first`: a non-finite burst, three spikes within 100 steps, an explosion at first+70. */
function eventfulSteps(first: number): WireStep[] {
  return steps(first, [Number.NaN, Number.NaN, ...quiet(8), 18, ...quiet(11), 18, ...quiet(11), 18, ...quiet(35), 1000, ...quiet(19)]);
}

describe('webhook alerts', () => {
  it('should send each kind once per cooldown, with its fields, to the server-wide and the project webhooks', async () => {
    const wide = await receiver();
    const projectHook = await receiver();
    const cooldownMs = 2500;
    const s = await server({ webhooks: [wide.url], alerts: { cooldownMs } });
    const added = await call(`${s.url}/api/projects/vision/webhooks`, 'POST', { url: projectHook.url, author: 'ana' });
    expect(added.status).toBe(201);
    const runId = await createRun(s.url, { name: 'resnet', project: 'vision' });

    // ── round 1: one alert of each kind ──
    await post(s.url, runId, steps(0, quiet(30)));
    await post(s.url, runId, eventfulSteps(30)); // NaN at 30, spikes at 40, 52, 64, explosion at 100, up to step 119
    const resumed = await call(`${s.url}/api/runs/${runId}/resume`, 'POST', { fromStep: 110 });
    expect(resumed.body.superseded).toBe(9);
    expect((await call(`${s.url}/api/alerts/test`, 'POST', { runId })).status).toBe(201);

    const kinds: AlertKind[] = ['nonfinite', 'spikes', 'explosion', 'superseded', 'test'];
    const first = await wide.waitFor(5);
    expect(first.map((r) => r.body.kind)).toEqual(kinds);
    expect((await projectHook.waitFor(5)).map((r) => r.body)).toEqual(first.map((r) => r.body));
    const byKind = Object.fromEntries(first.map((r) => [r.body.kind, r.body]));
    const url = `${s.url}/#/runs/${runId}`;
    const common = { runId, runName: 'resnet', project: 'vision', url };
    expect(byKind.nonfinite).toMatchObject({ ...common, step: 30, gradNorm: 'NaN', threshold: 2.5 });
    expect(byKind.spikes).toMatchObject({ ...common, step: 64, gradNorm: 18, threshold: 2.5 });
    expect(byKind.explosion).toMatchObject({ ...common, step: 100, gradNorm: 1000, threshold: 2.5 });
    expect(byKind.superseded).toMatchObject({ ...common, step: 110, gradNorm: 3, threshold: 2.5 });
    expect(byKind.test).toMatchObject({ ...common, step: null, gradNorm: null, threshold: null });
    expect(byKind.explosion.text).toBe(`gradpilot: run "resnet" (project vision) exploded at step 100 (gradNorm 1000, threshold 2.5). ${url}`);
    expect(byKind.nonfinite.text).toContain('hit its first non-finite step at step 30 (gradNorm NaN, threshold 2.5)');
    expect(byKind.spikes.text).toContain('had 3 gradient spikes within 100 steps, the last at step 64');
    expect(byKind.superseded.text).toContain('was resumed from step 110 (gradNorm 3, threshold 2.5): 9 stored steps after it superseded');
    for (const r of first) {
      expect(r.contentType).toBe('application/json');
      expect(Object.keys(r.body)).toEqual(['text', 'kind', 'runId', 'runName', 'project', 'step', 'gradNorm', 'threshold', 'url', 'at', 'alertId']);
      expect(Date.parse(r.body.at)).toBeGreaterThan(Date.now() - 60_000);
    }

    // ── round 2, within the cooldown: nothing new goes out ──
    await post(s.url, runId, eventfulSteps(111)); // NaN at 111 is 80 steps after 31: the same burst... 
    await post(s.url, runId, steps(231, [Number.NaN, ...quiet(9)])); // ...this one, 120 steps later, starts a new one
    await call(`${s.url}/api/runs/${runId}/resume`, 'POST', { fromStep: 235 });
    const round2Done = Date.now();
    expect(round2Done - first[0].at, 'round 2 must finish within the cooldown (machine too slow?)').toBeLessThan(cooldownMs - 500);
    await sleep(300);
    expect(wide.received).toHaveLength(5);
    const stored = (await call<Alert[]>(`${s.url}/api/runs/${runId}/alerts`)).body;
    expect(stored.map((a) => [a.kind, a.suppressed])).toEqual([['test', 0], ['superseded', 1], ['explosion', 1], ['spikes', 1], ['nonfinite', 1]]);
    for (const a of stored) {
      expect(a.deliveries.map((d) => d.status)).toEqual(['delivered', 'delivered']);
      expect(a.deliveries.map((d) => d.webhookId)).toEqual([null, added.body.id]);
      expect(a.deliveries[0].target).toBe(`http://127.0.0.1:${new URL(wide.url).port}/…`);
    }

    // ── round 3, after the cooldown: the same kinds go out again ──
    await sleep(Math.max(0, first[4].at + cooldownMs + 50 - Date.now()));
    await post(s.url, runId, steps(236, [...quiet(20), 1000, ...quiet(80), Number.NaN, 1]));
    const again = await wide.waitFor(7);
    expect(again.slice(5).map((r) => [r.body.kind, r.body.step])).toEqual([['explosion', 256], ['nonfinite', 337]]);
    expect(again[6].body.text).toContain('has non-finite steps again from step 337');
  });

  it('should send an alert again after a 500, not after a 400, and give up after the last retry', async () => {
    const flaky = await receiver();
    flaky.answers = [500, 503];
    const refusing = await receiver();
    refusing.answers = [400];
    const broken = await receiver();
    broken.answers = [500, 500, 500, 500];
    const s = await server({ webhooks: [flaky.url, refusing.url, broken.url], alerts: { retryDelaysMs: [100, 200] } });

    const created = await call<Alert>(`${s.url}/api/alerts/test`, 'POST', {});
    expect(created.status).toBe(201);
    expect(created.body.deliveries.map((d) => d.status)).toEqual(['pending', 'pending', 'pending']);
    const arrivals = await flaky.waitFor(3);
    expect(new Set(arrivals.map((r) => r.body.alertId))).toEqual(new Set([created.body.id]));
    expect(arrivals[1].at - arrivals[0].at).toBeGreaterThanOrEqual(95);
    expect(arrivals[2].at - arrivals[1].at).toBeGreaterThanOrEqual(195);
    await broken.waitFor(3);
    await sleep(400);
    expect(refusing.received).toHaveLength(1);
    expect(broken.received).toHaveLength(3);

    const [alert] = (await call<Alert[]>(`${s.url}/api/alerts`)).body;
    expect(alert.deliveries).toEqual([
      expect.objectContaining({ status: 'delivered', attempts: 3, lastStatus: 200, lastError: null, nextAttemptAt: null }),
      expect.objectContaining({ status: 'failed', attempts: 1, lastStatus: 400, lastError: 'the receiver refused the alert (HTTP 400: status 400 as asked)' }),
      expect.objectContaining({ status: 'failed', attempts: 3, lastStatus: 500, lastError: 'HTTP 500: status 500 as asked; gave up after 3 attempts' }),
    ]);
  });

  it('should name a non-finite loss, and send an alert once to a URL that is both server-wide and a project webhook', async () => {
    const hook = await receiver();
    const s = await server({ webhooks: [hook.url] });
    expect((await call(`${s.url}/api/projects/nlp/webhooks`, 'POST', { url: hook.url })).status).toBe(201);
    const runId = await createRun(s.url, { name: 'lm', project: 'nlp' });
    await post(s.url, runId, [{ step: 0, gradNorm: 1.5, loss: 'NaN' }]);
    const [got] = await hook.waitFor(1);
    expect(got.body.text).toContain('has a non-finite step at step 0: loss NaN (gradNorm 1.5)');
    await sleep(200);
    expect(hook.received).toHaveLength(1);
  });

  it('should keep alerts and their delivery status across a restart, and make the retries that were waiting', async () => {
    const hook = await receiver();
    hook.answers = [500];
    const database = await createTestDatabase();
    cleanup.push(() => database.drop());
    const db = database.db;
    const options = { db, port: 0, host: '127.0.0.1', webhooks: [hook.url], alerts: { retryDelaysMs: [800] } };

    const one = await startServer(options);
    const runId = await createRun(one.url, { name: 'long', project: 'nlp' });
    await call(`${one.url}/api/runs/${runId}/steps`, 'POST', { steps: steps(0, [1, Number.NaN]) });
    await hook.waitFor(1);
    const before = (await call<Alert[]>(`${one.url}/api/alerts`)).body;
    expect(before[0].deliveries[0]).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 500 });
    await one.close(); // before the retry is due

    const two = await startServer(options);
    cleanup.push(() => two.close());
    const arrivals = await hook.waitFor(2);
    expect(arrivals[1].body).toEqual(arrivals[0].body);
    await sleep(100);
    const after = (await call<Alert[]>(`${two.url}/api/alerts?run=${runId}`)).body;
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: before[0].id, kind: 'nonfinite', text: before[0].text, at: before[0].at });
    expect(after[0].deliveries[0]).toMatchObject({ status: 'delivered', attempts: 2, lastStatus: 200 });
  });
});

describe('stalls', () => {
  it('should alert once per silence for a run that stops sending, and never for a finished run', async () => {
    const hook = await receiver();
    // A silence of 1.5 s against a batch every ~100 ms: a loaded machine's pauses between two
    // batches (a few hundred ms in a full CI run) must not count as a stall.
    const STALL_MS = 1500;
    const s = await server({ webhooks: [hook.url], alerts: { stallMinMs: STALL_MS, stallFactor: 4, stallCheckMs: 25, cooldownMs: 0 } });
    const stalling = await createRun(s.url, { name: 'hangs' });
    const finishing = await createRun(s.url, { name: 'done' });
    let lastBatchAt = 0;
    for (let b = 0; b < 6; b++) {
      await post(s.url, stalling, steps(b * 5, quiet(5)));
      lastBatchAt = Date.now(); // the server stored it before answering: its arrival time is no later
      await post(s.url, finishing, steps(b * 5, quiet(5)));
      await sleep(100);
    }
    await call(`${s.url}/api/runs/${finishing}/finish`, 'POST');
    const [stall] = await hook.waitFor(1);
    expect(hook.received.filter((r) => r.at < lastBatchAt)).toEqual([]);
    expect(stall.at - lastBatchAt).toBeGreaterThanOrEqual(STALL_MS - 200); // less the answer's way back
    expect(stall.body).toMatchObject({ kind: 'stall', runId: stalling, runName: 'hangs', step: 29, gradNorm: 1, threshold: 2.5 });
    expect(stall.body.text).toMatch(/^gradpilot: run "hangs" stalled: no step for \d+(\.\d+)? s \(one batch every \d+ ms before\); last step 29 \(gradNorm 1, threshold 2\.5\)\. /);

    await sleep(600); // the same silence: no second alert
    expect(hook.received).toHaveLength(1);
    await post(s.url, stalling, steps(30, quiet(5)));
    const second = await hook.waitFor(2);
    expect(second[1].body).toMatchObject({ kind: 'stall', runId: stalling, step: 34 });
    expect(hook.received.every((r) => r.body.runId === stalling)).toBe(true);
  });

  it('should wait factor x the run\'s own interval when that is longer than the minimum', () => {
    const watch = new StallWatch({ factor: 10, minMs: 1000 });
    for (let t = 0; t <= 5 * 500; t += 500) watch.arrived('slow', t); // a batch every 500 ms, last at 2500
    expect(watch.limitMs(500)).toBe(5000);
    expect(watch.due(2500 + 4999)).toEqual([]);
    expect(watch.due(2500 + 5000)).toEqual([{ runId: 'slow', silentMs: 5000, intervalMs: 500 }]);
    expect(watch.due(2500 + 9000)).toEqual([]);
  });
});

describe('webhook endpoints', () => {
  it('should validate, hide the URL path on reads, refuse duplicates and delete', async () => {
    const s = await server({ webhooks: ['https://hooks.slack.com/services/T000/B000/XXXXsecret1234'] });
    const base = `${s.url}/api/projects/vision/webhooks`;
    expect((await call(base, 'POST', { url: 'ftp://x' })).body.error).toBe('Expected "url" to start with http:// or https://, got "ftp:"');
    expect((await call(base, 'POST', { url: 'hooks' })).body.error).toMatch(/^Expected "url" to be an absolute URL/);
    expect((await call(base, 'POST', { url: 'https://a.example/x', colour: 1 })).body.error).toMatch(/Unknown field "colour"/);
    const a = await call(base, 'POST', { url: 'https://chat.example/hooks/abcdefghijklmnop' });
    expect(a.body).toMatchObject({ project: 'vision', target: 'https://chat.example/…mnop', author: 'api' });
    expect((await call(base, 'POST', { url: 'https://chat.example/hooks/abcdefghijklmnop' })).status).toBe(409);
    expect((await call(`${s.url}/api/webhooks`)).body).toEqual({
      server: ['https://hooks.slack.com/…1234'],
      projects: [expect.objectContaining({ id: a.body.id, target: 'https://chat.example/…mnop' })],
    });
    expect((await call(`${base}/${a.body.id}`, 'DELETE')).status).toBe(204);
    expect((await call(`${base}/${a.body.id}`, 'DELETE')).status).toBe(404);
    expect((await call(base)).body).toEqual([]);
    expect((await call(`${s.url}/api/alerts?kind=boom`)).body.error).toMatch(/"kind" to be one of explosion, nonfinite/);
  });

  it('should refuse a test alert when no webhook would get it', async () => {
    const s = await server({});
    const r = await call(`${s.url}/api/alerts/test`, 'POST', { project: 'vision' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/^No webhook to send a test alert to for project "vision": start the server with --webhook/);
  });

  it('should need the token to add a webhook or send a test alert when the server has one', async () => {
    const s = await server({ token: 's3cret', webhooks: ['http://127.0.0.1:9/hook'] });
    expect((await call(`${s.url}/api/projects/p/webhooks`, 'POST', { url: 'http://127.0.0.1:9/x' })).status).toBe(401);
    expect((await call(`${s.url}/api/alerts/test`, 'POST', {})).status).toBe(401);
    expect((await call(`${s.url}/api/projects/p/webhooks/1`, 'DELETE')).status).toBe(401);
    const ok = await call(`${s.url}/api/projects/p/webhooks`, 'POST', { url: 'http://127.0.0.1:9/x' }, { authorization: 'Bearer s3cret' });
    expect(ok.status).toBe(201);
    // Token mode guards reads too.
    expect((await call(`${s.url}/api/alerts`)).status).toBe(401);
    expect((await call(`${s.url}/api/alerts`, 'GET', undefined, { authorization: 'Bearer s3cret' })).status).toBe(200);
  });
});
