// The gradient norm of step k in the fault tests: a pure function of k, so the test can
// check every stored value and feed an uninterrupted controller the very same norms.

/** A noisy decaying norm with a spike every 997 steps and a NaN every 4999. */
export function normAt(step: number): number {
  if (step % 4999 === 4998) return Number.NaN;
  const noise = Math.sin(step * 12.9898) * 43758.5453;
  const u = noise - Math.floor(noise);
  const base = 0.5 + 1.5 * Math.exp(-step / 3000) + 0.4 * u;
  return step % 997 === 996 ? base * 30 : base;
}

export function lossAt(step: number): number {
  return 2 * Math.exp(-step / 5000) + 0.01 * (step % 7);
}

/** Same value, NaN included (Object.is would also tell 0 from -0, which never occurs here). */
export function sameNumber(a: number | null, b: number | null): boolean {
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
}
