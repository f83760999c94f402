// The clipped fraction as a rolling fraction over a stated window of steps: at raw
// resolution a per-step 0/1 is a barcode that says nothing; over a window it reads as a
// rate. Non-finite steps are left out of the denominator (they are skipped, not clipped).
import type { Col, PlotSeries } from '../series.ts';

/** The window, in steps, for a series of buckets of `bucketSize` steps. */
export function clipWindow(bucketSize: number): number {
  return Math.max(100, 10 * bucketSize);
}

/**
 * For each bucket: clipped steps / finite steps over the buckets whose last step lies in
 * (lastStep[i] - window, lastStep[i]]. null where the window holds no finite step.
 */
export function rollingClipFraction(s: Pick<PlotSeries, 'lastStep' | 'count' | 'nonFinite' | 'clipped'>, window: number, n = s.lastStep.length): Col {
  const out: Col = new Array(n);
  let clipped = 0;
  let finite = 0;
  let j = 0;
  for (let i = 0; i < n; i++) {
    clipped += s.clipped[i];
    finite += s.count[i] - s.nonFinite[i];
    while (s.lastStep[j] <= s.lastStep[i] - window) {
      clipped -= s.clipped[j];
      finite -= s.count[j] - s.nonFinite[j];
      j++;
    }
    // onNonFinite 'clip' counts non-finite steps as clipped: never show more than all of them.
    out[i] = finite > 0 ? Math.min(1, clipped / finite) : null;
  }
  return out;
}
