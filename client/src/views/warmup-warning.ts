// What a policy switch does to the threshold right after it: switching into zscore starts a
// new warm-up (its statistics start over), and a percentile warm-up counts the run's finite
// norms. During a warm-up there is no threshold, so nothing is clipped unless maxNorm caps
// it. The policy form says so and offers a cap (see sdk/controller/controller.ts #adopt).
import type { Policy } from '@gradpilot/sdk/controller';

/** The controller's defaults (sdk/controller/policy.ts KIND_DEFAULTS). */
const DEFAULT_WARMUP = { percentile: 0, zscore: 25 } as const;

export interface WarmupContext {
  /** The policy in force. */
  current: Policy | null;
  /** Finite norms the run has so far (steps - non-finite). */
  finiteSteps: number;
}

/** Steps without a threshold that applying `next` would start, or 0. */
export function warmupWithoutThreshold(next: Record<string, unknown>, ctx: WarmupContext): number {
  if (next.maxNorm !== undefined && next.maxNorm !== null) return 0;
  const kind = next.kind;
  if (kind !== 'zscore' && kind !== 'percentile') return 0;
  const raw = next.warmupSteps;
  const steps = typeof raw === 'number' && raw >= 0 ? Math.floor(raw) : DEFAULT_WARMUP[kind];
  if (kind === 'zscore') return ctx.current?.kind === 'zscore' ? 0 : steps;
  return Math.max(0, steps - ctx.finiteSteps);
}

export function warmupText(steps: number, next: Record<string, unknown>, current: Policy | null): string {
  const from = current && current.kind !== next.kind ? `Switching from ${current.kind} to ${String(next.kind)}` : 'This policy';
  return `${from} starts a ${steps}-step warm-up with no threshold: no step is clipped until it ends, so a spike in it goes through. A max norm caps it (and stays a hard cap after).`;
}

/** A cap to offer: the last threshold in force, else twice the median recent norm; 3 significant digits. */
export function suggestCap(thresholds: (number | null)[], norms: (number | null)[]): number | null {
  for (let i = thresholds.length - 1; i >= 0; i--) {
    const t = thresholds[i];
    if (t !== null && Number.isFinite(t) && t > 0) return Number(t.toPrecision(3));
  }
  const finite = norms.slice(-200).filter((v): v is number => v !== null && Number.isFinite(v) && v > 0).sort((a, b) => a - b);
  if (finite.length === 0) return null;
  return Number((2 * finite[finite.length >> 1]).toPrecision(3));
}
