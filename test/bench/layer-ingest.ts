// Per-layer norms at ingest: StepStore.insert of 1000-step batches carrying N layer norms
// each, beside the same batches without layers, in the same run (rounds interleaved, medians):
//   npx tsx test/bench/layer-ingest.ts [layers=20]
// A batch that only appends writes its layer norms 64 rows per INSERT, like its steps.
import path from 'node:path';
import { Store } from '../../server/db/store.ts';
import { makeBatch, tempDir, toColumns } from './server-fixtures.ts';

const layers = Number(process.argv[2] ?? 20);
const tmp = tempDir('gradpilot-bench-layers-');
const store = new Store(path.join(tmp.dir, 'layers.db'));
const contenders = [0, layers].map((n) => ({ layers: n, rid: store.runs.create(`l${n}`, `l${n}`, null, null, 'now').rid, next: 0, ms: [] as number[] }));

for (let round = 0; round < 80; round++) {
  for (const c of contenders) {
    const cols = toColumns(makeBatch(c.next));
    for (let l = 0; l < c.layers; l++) cols.layers.set(`layer${l}`, Array.from(cols.gradNorm, (g) => (g === null ? null : g / (l + 1))));
    c.next += 1000;
    const t0 = performance.now();
    store.transaction(() => store.steps.insert(c.rid, cols));
    if (round >= 10) c.ms.push(performance.now() - t0);
  }
}
store.close();
tmp.remove();
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
const [bare, withLayers] = contenders.map((c) => median(c.ms));
console.log(`1000-step batch: ${bare.toFixed(2)} ms without layers, ${withLayers.toFixed(2)} ms with ${layers} layers (${(withLayers / bare).toFixed(1)}x for ${layers + 1}x the rows)`);
