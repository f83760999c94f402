// The summary table as Markdown (the same text goes to stdout and to RESULTS.md).
import type { ConditionSummary, Criteria } from './stats.ts';

/** Three significant digits; "—" for missing, and NaN/Infinity spelled out. */
export function fmt(x: number | null, digits = 3): string {
  if (x === null) return '—';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return '0';
  if (x !== 0 && (Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3)) return x.toExponential(digits - 1);
  return x.toPrecision(digits);
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

export const TABLE_HEADER = [
  'condition',
  'diverged',
  'loss spikes (seeds)',
  'final eval loss (mean ± sd, not diverged)',
  'final eval loss (median, all)',
  'reached target',
  'steps to target (median)',
  'clipped',
  'skipped',
];

/** One Markdown row per condition, with the header and alignment row first. */
export function formatTable(rows: ConditionSummary[]): string {
  const lines = [`| ${TABLE_HEADER.join(' | ')} |`, `|${TABLE_HEADER.map((_, i) => (i === 0 ? ':--' : '--:')).join('|')}|`];
  for (const r of rows) {
    const kept = r.seeds - r.diverged;
    // A single surviving seed has no spread to report: say n=1 rather than "± 0".
    const final = r.finalMean === null ? '—' : kept < 2 ? `${fmt(r.finalMean)} (n=1)` : `${fmt(r.finalMean)} ± ${fmt(r.finalSd)}`;
    const cells = [
      r.condition,
      `${r.diverged}/${r.seeds}`,
      `${r.spikes} (${r.seedsWithSpikes}/${r.seeds})`,
      final,
      fmt(r.finalMedian),
      `${r.reached}/${r.seeds}`,
      r.stepsToTargetMedian === null ? '—' : String(r.stepsToTargetMedian),
      pct(r.clippedFraction),
      pct(r.skippedFraction),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/**
 * The sentences under the table that say what the columns mean. `loss` says what the loss
 * is and how it is scored; `baseline` names a reference value of the target, if any.
 */
export function describeCriteria(c: Criteria, loss: string, baseline = ''): string {
  const bound = c.divergeLoss === null ? '' : ` or above ${fmt(c.divergeLoss)}`;
  return (
    `${loss} A run *diverged* when its final evaluation loss is NaN/Infinity, more than ${c.divergeFactor}× its loss before training${bound}. ` +
    `*Loss spikes*: stretches of consecutive steps whose training loss is non-finite or above ${c.spikeFactor}× the median of the previous ${c.spikeWindow} steps' (from step 10 on), summed over seeds; in brackets the seeds with any. ` +
    `*Reached target*: the evaluation loss went below ${c.targetLoss} at some evaluation${baseline ? ` (${baseline})` : ''}. ` +
    `*Clipped*/*skipped*: share of all steps of all seeds that the controller clipped or skipped.`
  );
}
