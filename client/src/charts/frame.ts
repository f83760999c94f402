// Coalesces many updates into one call per animation frame (uPlot's advice: one setData
// per frame, however many socket messages arrived).
export function perFrame(fn: () => void): () => void {
  let queued = false;
  return function schedule() {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fn();
    });
  };
}
