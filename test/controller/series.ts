import { mulberry32 } from '../support/random.ts';

/**
 * A seeded spiky series of gradient norms: a noisy level with occasional spikes, a burst
 * of spikes, a level shift, and NaN / ±Infinity steps at fixed places.
 */
export function spikySeries(n: number, seed: number, { nonFinite = true } = {}): number[] {
  const rand = mulberry32(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let g = Math.abs(1 + 0.15 * (rand() + rand() + rand() - 1.5));
    if (i > n / 2) g *= 1.8;
    if (rand() < 0.04) g *= 5 + 30 * rand();
    if (i >= 150 && i < 156) g *= 40;
    out.push(g);
  }
  if (nonFinite) {
    for (const [i, v] of [
      [40, Number.NaN],
      [41, Number.NaN],
      [97, Number.POSITIVE_INFINITY],
      [180, Number.NEGATIVE_INFINITY],
    ] as const) {
      if (i < n) out[i] = v;
    }
  }
  return out;
}
