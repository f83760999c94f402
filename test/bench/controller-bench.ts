// Standalone: `npx tsx test/bench/controller-bench.ts [sizes...]` prints the README table.
import { runTable } from './controller-measure.ts';

const sizes = process.argv.slice(2).map(Number);
console.log(runTable(sizes.length > 0 ? sizes : [1e4, 1e5, 1e6, 1e7]));
