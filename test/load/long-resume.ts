// Resuming a long run: the server replays its whole history to hand the SDK the controller
// state, and with AutoClip's full history that state grows ~19 bytes per step (113 MB at
// 6M steps). Builds a run of N steps (default 6,000,000) through the store layer, starts a
// server on it, and times `init({ resume })` with the SDK's default timeout:
//   node --import tsx test/load/long-resume.ts [steps]
// Exits 1 if the resume fails. Too slow for `npm test` (about a minute here).
import path from 'node:path';
import { DEFAULT_POLICY } from '../../sdk/controller/index.ts';
import { init } from '../../sdk/index.ts';
import { Store } from '../../server/db/store.ts';
import { startServer } from '../../server/start-server.ts';
import { makeBatch, tempDir, toColumns } from '../bench/server-fixtures.ts';

const steps = Number(process.argv[2] ?? 6_000_000);
const tmp = tempDir('gradpilot-long-resume-');
const db = path.join(tmp.dir, 'long.db');
const store = new Store(db);
const run = store.runs.create('long', 'long', null, null, new Date().toISOString());
store.policies.add(run.rid, DEFAULT_POLICY, 0, 'long-resume', new Date().toISOString());
const t0 = performance.now();
for (let start = 0; start < steps; start += 20_000) {
  const cols = toColumns(makeBatch(start, Math.min(20_000, steps - start)));
  store.transaction(() => {
    const r = store.steps.insert(run.rid, cols);
    store.runs.bump(run.rid, { accepted: r.inserted.length, clipped: r.clipped, skipped: r.skipped, nonFinite: r.nonFinite, maxStep: r.maxStep }, 'now');
  });
}
store.close();
console.log(`built a run of ${steps.toLocaleString('en')} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const server = await startServer({ db, port: 0 });
const t1 = performance.now();
let failed = false;
try {
  const resumed = await init({ url: server.url, resume: 'long', spillDir: null });
  const stateBytes = JSON.stringify(resumed.controllerState()).length;
  const d = resumed.observe(steps, { gradNorm: 1 });
  console.log(`resumed in ${((performance.now() - t1) / 1000).toFixed(1)} s: state ${(stateBytes / 1e6).toFixed(0)} MB, next threshold ${d.threshold}`);
  await resumed.close();
} catch (err) {
  failed = true;
  console.error(`resume failed after ${((performance.now() - t1) / 1000).toFixed(1)} s: ${(err as Error).message}`);
}
await server.close();
tmp.remove();
process.exit(failed ? 1 : 0);
