// The body of one alert: a `text` line for Slack/Mattermost-style incoming webhooks (which
// show `text` and ignore the rest), and the same facts as fields for programs.
import type { AlertKind, AlertPayload } from '@gradpilot/sdk/protocol';
import { encodeNumber } from '@gradpilot/sdk/protocol';

export interface AlertRun {
  id: string;
  name: string;
  project: string | null;
}

export interface AlertFacts {
  kind: AlertKind;
  run: AlertRun | null;
  /** The project whose webhooks get it (the run's; or the one a test alert names). */
  project: string | null;
  step: number | null;
  gradNorm: number | null;
  threshold: number | null;
  /** What happened, as a clause: "exploded at step 1234 (gradNorm 5.2e+4, threshold 1.3)". */
  what: string;
}

/** 4 significant digits, NaN/Infinity spelled out: for the human line only. */
export function formatNumber(v: number | null): string {
  if (v === null) return 'missing';
  if (!Number.isFinite(v)) return String(v);
  return Number(v.toPrecision(4)).toString();
}

/** " (gradNorm 5.2e+4, threshold 1.3)", leaving out what is missing. */
export function normClause(gradNorm: number | null, threshold: number | null): string {
  const parts = [gradNorm === null ? null : `gradNorm ${formatNumber(gradNorm)}`, threshold === null ? null : `threshold ${formatNumber(threshold)}`];
  const kept = parts.filter((p) => p !== null);
  return kept.length === 0 ? '' : ` (${kept.join(', ')})`;
}

export function runPageUrl(baseUrl: string, runId: string | null): string {
  return runId === null ? `${baseUrl}/#/alerts` : `${baseUrl}/#/runs/${encodeURIComponent(runId)}`;
}

export function alertPayload(f: AlertFacts, baseUrl: string, at: string): Omit<AlertPayload, 'alertId'> {
  const url = runPageUrl(baseUrl, f.run?.id ?? null);
  const who = f.run === null
    ? `gradpilot${f.project === null ? '' : ` (project ${f.project})`}`
    : `gradpilot: run "${f.run.name}"${f.run.project === null ? '' : ` (project ${f.run.project})`}`;
  return {
    text: `${who} ${f.what}. ${url}`,
    kind: f.kind,
    runId: f.run?.id ?? null,
    runName: f.run?.name ?? null,
    project: f.project,
    step: f.step,
    gradNorm: encodeNumber(f.gradNorm),
    threshold: encodeNumber(f.threshold),
    url,
    at,
  };
}
