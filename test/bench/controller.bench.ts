// `npm run bench:vitest`: the percentile threshold's per-step cost against AutoClip's own step
// (np.percentile over the whole history: copy + quickselect, or copy + sort), measured in
// the same run. Prints the README table, then vitest's benches (whose summary prints the
// ratio too). The table alone: `npx tsx test/bench/controller-bench.ts`.

import { bench, describe } from 'vitest';
import { baselineSelect, filledHistory, runTable } from './controller-measure.ts';

console.log(`\nPercentile threshold (p = 10, full history), per step; fastest of 40 chunks (ours) or single steps (baselines):\n${runTable([1e4, 1e5, 1e6, 1e7])}\n`);

for (const size of [1e4, 1e6]) {
  describe(`percentile threshold at a history of ${size}`, () => {
    const { next, log, history } = filledHistory(size);
    const base = Float64Array.from(log.view());
    let sink = 0;

    bench(
      'gradpilot: insert + exact percentile',
      () => {
        log.push(next());
        history.added();
        sink += history.percentile(10);
      },
      // Few iterations: each one grows the history, which must stay near `size`.
      { time: 0, iterations: Math.min(2000, size / 10), warmupIterations: 100 },
    );

    bench(
      'AutoClip baseline: copy + quickselect',
      () => {
        sink += baselineSelect(base, 10);
      },
      { time: 0, iterations: size >= 1e6 ? 5 : 50, warmupIterations: 1 },
    );

    if (Number.isNaN(sink)) throw new Error('unreachable');
  });
}
