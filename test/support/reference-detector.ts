// EventDetector's rules written the plain way, as detector.ts did before its typed rings:
// arrays with push/shift, and a sorted copy of the window kept by binary search and splice.
// The reference the detector test checks the rings against, and the detector benchmark's
// baseline.
import { EXPLOSION_SPIKES, EXPLOSION_STEPS, MEDIAN_WINDOW, MIN_HISTORY, SPIKE_ALPHA } from '../../sdk/controller/detector.ts';
import { percentileOfSorted } from '../../sdk/controller/percentile.ts';

/** observe(g) gives the events; recent() and spikes() the window and flags, oldest first (as toState). */
export function referenceDetector(spikeZ: number, explosionFactor: number) {
  let count = 0;
  let mean = 0;
  let variance = 0;
  const recent: number[] = [];
  const sorted: number[] = [];
  const spikes: number[] = [];
  const lowerBound = (v: number) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const pushSpike = (f: number) => {
    spikes.push(f);
    if (spikes.length > EXPLOSION_STEPS) spikes.shift();
  };
  return {
    observe(g: number): string[] {
      if (!Number.isFinite(g)) {
        pushSpike(0);
        return ['nonfinite'];
      }
      let spike = false;
      let explosion = false;
      if (count >= MIN_HISTORY) {
        const level = mean + spikeZ * Math.sqrt(variance);
        spike = g > level;
        explosion = g > explosionFactor * percentileOfSorted(sorted, 50);
        pushSpike(spike ? 1 : 0);
        if (spike && !explosion) explosion = spikes.filter((f) => f === 1).length >= EXPLOSION_SPIKES;
        const x = spike ? level : g;
        mean = SPIKE_ALPHA * mean + (1 - SPIKE_ALPHA) * x;
        variance = SPIKE_ALPHA * variance + (1 - SPIKE_ALPHA) * (x - mean) * (x - mean);
      } else {
        pushSpike(0);
        if (count === MIN_HISTORY - 1) {
          const seed = [...recent, g];
          mean = seed.reduce((a, b) => a + b, 0) / seed.length;
          variance = seed.reduce((a, b) => a + (b - mean) * (b - mean), 0) / seed.length;
        }
      }
      count++;
      recent.push(g);
      sorted.splice(lowerBound(g), 0, g);
      if (recent.length > MEDIAN_WINDOW) sorted.splice(lowerBound(recent.shift() as number), 1);
      return [...(spike ? ['spike'] : []), ...(explosion ? ['explosion'] : [])];
    },
    recent: () => recent.slice(),
    spikes: () => spikes.slice(),
  };
}
