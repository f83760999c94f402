// Coalesces many updates into one call per animation frame (uPlot's advice: one setData
// per frame, however many socket messages arrived), and at most one per `minIntervalMs`:
// a fast run would otherwise repaint every chart 20 times a second for no visible gain.
export function perFrame(fn: () => void, minIntervalMs = 0): () => void {
  let queued = false;
  let last = Number.NEGATIVE_INFINITY;
  const run = () =>
    requestAnimationFrame(() => {
      queued = false;
      last = performance.now();
      fn();
    });
  return function schedule() {
    if (queued) return;
    queued = true;
    const wait = last + minIntervalMs - performance.now();
    if (wait > 0) setTimeout(run, wait);
    else run();
  };
}
