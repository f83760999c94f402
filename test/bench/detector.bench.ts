// `npx vitest bench --run test/bench/detector.bench.ts`: EventDetector.observe (typed rings,
// one copyWithin per step) against the same rules written with arrays, push/shift and a
// splice into a sorted copy: the implementation before the rings, which the detector test's
// reference keeps. Both see the same spiky norms.
import { bench, describe } from 'vitest';
import { EventDetector } from '../../sdk/controller/detector.ts';
import { referenceDetector } from '../support/reference-detector.ts';

const NORMS = Float64Array.from({ length: 1 << 16 }, (_, i) => 1 + Math.sin(i / 100) * 0.5 + (i % 997 === 0 ? 20 : 0));
const OPTIONS = { spikeZ: 6, explosionFactor: 10 };

describe('spike/explosion detection, per step', () => {
  const ours = new EventDetector(OPTIONS);
  const plain = referenceDetector(OPTIONS.spikeZ, OPTIONS.explosionFactor);
  let i = 0;
  let j = 0;
  bench('EventDetector.observe (typed rings)', () => {
    ours.observe(NORMS[i++ & 0xffff]);
  });
  bench('plain arrays (push/shift, sorted copy)', () => {
    plain.observe(NORMS[j++ & 0xffff]);
  });
});
