// Alerts of one server: raised from ingest (explosions, non-finite bursts, spike bursts), from
// resumes that superseded steps, from runs that stall, and on request (test). Each is stored
// with one delivery per webhook (the server-wide ones and those of the run's project), then
// delivered by the WebhookSender in the background. Nothing here throws into ingest.
import createDebug from 'debug';
import type { Alert, RunEvent, StepColumns } from '@gradpilot/sdk/protocol';
import type { RunRow } from '../db/run-store.ts';
import type { DeliveryTarget } from '../db/alert-store.ts';
import type { ServerStore } from '../db/server-store.ts';
import { decodeRow } from '../db/step-store.ts';
import { HttpError } from '../http-error.ts';
import type { ResolvedAlertOptions } from './alert-options.ts';
import { type AlertFacts, type AlertRun, alertPayload, normClause } from './alert-payload.ts';
import { AlertRules } from './alert-rules.ts';
import { StallWatch } from './stall-watch.ts';
import { WebhookSender } from './webhook-sender.ts';

const log = createDebug('gradpilot:alerts');

export interface AlertsConfig {
  store: ServerStore;
  /** Server-wide webhooks: every alert goes to each. */
  webhooks: string[];
  options: ResolvedAlertOptions;
  /** An alert was raised, or one of its deliveries changed (for dashboards). */
  changed?: (alert: Alert) => void;
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Number((ms / 1000).toPrecision(3))} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Number((ms / 3_600_000).toPrecision(3))} h`;
}

function toAlertRun(run: RunRow): AlertRun {
  return { id: run.id, name: run.name, project: run.project };
}

export class Alerts {
  readonly #store: ServerStore;
  readonly #webhooks: string[];
  readonly #o: ResolvedAlertOptions;
  readonly #changed: (alert: Alert) => void;
  readonly #rules: AlertRules;
  readonly #stalls: StallWatch;
  readonly #sender: WebhookSender;
  #baseUrl = '';
  #timer: NodeJS.Timeout | null = null;

  constructor({ store, webhooks, options, changed = () => {} }: AlertsConfig) {
    this.#store = store;
    this.#webhooks = webhooks;
    this.#o = options;
    this.#changed = changed;
    this.#rules = new AlertRules(options);
    this.#stalls = new StallWatch({ factor: options.stallFactor, minMs: options.stallMinMs });
    this.#sender = new WebhookSender(store.alerts, options, (deliveryId) => this.#deliveryChanged(deliveryId));
  }

  /** Server-wide webhook URLs (unredacted: for the server's own use). */
  get serverWebhooks(): readonly string[] {
    return this.#webhooks;
  }

  /**
   * Starts the stall checks and the retries a previous process left pending. `baseUrl`: where
   * the dashboard is, for the links in alerts.
   */
  async start(baseUrl: string, nowMs = Date.now()): Promise<void> {
    this.#baseUrl = baseUrl.replace(/\/+$/, '');
    for (const run of await this.#store.runs.all()) {
      if (run.finished_at !== null || run.last_step_at === null) continue;
      const lastMs = Date.parse(run.last_step_at);
      if (nowMs - lastMs < this.#o.stallMinMs) this.#stalls.seed(run.id, lastMs);
    }
    for (const d of await this.#store.alerts.pending()) this.#sender.schedule(d.id, d.nextAt === null ? nowMs : Date.parse(d.nextAt));
    this.#timer = setInterval(() => void this.checkStalls().catch((err: unknown) => log('stall check failed: %O', err)), this.#o.stallCheckMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#sender.stop();
  }

  /** After a batch was committed: its new steps keep the run from stalling; its events may alert. */
  async ingested(run: RunRow, cols: StepColumns, inserted: number[], events: RunEvent[]): Promise<void> {
    try {
      if (inserted.length > 0) this.#stalls.arrived(run.id);
      if (events.length === 0) return;
      const thresholdAt = (step: number): number | null => {
        for (const i of inserted) if (cols.step[i] === step) return cols.threshold[i];
        return null;
      };
      for (const facts of this.#rules.fromEvents(run.rid, toAlertRun(run), events, thresholdAt)) await this.#raise(run.rid, facts);
    } catch (err) {
      log('could not raise alerts for run %s: %O', run.id, err);
    }
  }

  /** A resume from step `fromStep` moved `count` stored steps to the audit table. */
  async superseded(run: RunRow, fromStep: number, count: number): Promise<void> {
    try {
      this.#rules.forgetAfter(run.rid, fromStep);
      const [row] = await this.#store.steps.rawRange(run.rid, fromStep, fromStep);
      const step = row ? decodeRow(row) : null;
      const gradNorm = step?.values[0] ?? null;
      const threshold = step?.values[3] ?? null;
      await this.#raise(run.rid, {
        kind: 'superseded', run: toAlertRun(run), project: run.project, step: fromStep, gradNorm, threshold,
        what: `was resumed from step ${fromStep}${normClause(gradNorm, threshold)}: ${count} stored step${count === 1 ? '' : 's'} after it superseded`,
      });
    } catch (err) {
      log('could not raise the resume alert for run %s: %O', run.id, err);
    }
  }

  /** Raises a stall alert for every run that has just gone silent for too long. */
  async checkStalls(nowMs = Date.now()): Promise<void> {
    for (const stall of this.#stalls.due(nowMs)) {
      const run = await this.#store.runs.byId(stall.runId);
      if (!run || run.finished_at !== null) {
        this.#stalls.forget(stall.runId);
        continue;
      }
      const storedMs = run.last_step_at === null ? Number.NaN : Date.parse(run.last_step_at);
      if (nowMs - storedMs < this.#stalls.limitMs(stall.intervalMs)) {
        // Steps of the run came in through another server since: it moved, it did not stall.
        this.#stalls.storedElsewhere(stall.runId, storedMs);
        continue;
      }
      const [row] = run.last_step === null ? [] : await this.#store.steps.rawRange(run.rid, run.last_step, run.last_step);
      const last = row ? decodeRow(row) : null;
      const gradNorm = last?.values[0] ?? null;
      const threshold = last?.values[3] ?? null;
      const usual = stall.intervalMs === null ? 'it had sent one batch' : `one batch every ${formatDuration(stall.intervalMs)} before`;
      await this.#raise(run.rid, {
        kind: 'stall', run: toAlertRun(run), project: run.project, step: run.last_step, gradNorm, threshold,
        what: `stalled: no step for ${formatDuration(stall.silentMs)} (${usual}); last step ${run.last_step ?? 'none'}${normClause(gradNorm, threshold)}`,
      });
    }
  }

  /**
   * A test alert to the webhooks a run's (or a project's) alerts go to, or to the server-wide
   * ones. Refused when there is no webhook to send it to.
   */
  async test({ run = null, project = null }: { run?: RunRow | null; project?: string | null }): Promise<Alert> {
    const p = run?.project ?? project;
    const targets = await this.#targets(p);
    if (targets.length === 0) {
      throw new HttpError(400, `No webhook to send a test alert to${p === null ? '' : ` for project "${p}"`}: start the server with --webhook <url> ` +
        `(or GRADPILOT_WEBHOOK), or add one with POST /api/projects/<project>/webhooks { "url": ... }`);
    }
    const what = run === null ? 'test alert: this channel gets the alerts' : 'test alert: this channel gets the alerts of this run';
    const alert = await this.#send(run?.rid ?? null, {
      kind: 'test', run: run && toAlertRun(run), project: p, step: null, gradNorm: null, threshold: null,
      what: `${what}${p === null ? '' : ` (project ${p})`}`,
    }, targets);
    return alert;
  }

  async #targets(project: string | null): Promise<DeliveryTarget[]> {
    const targets: DeliveryTarget[] = this.#webhooks.map((url) => ({ url, webhookId: null }));
    if (project === null) return targets;
    // A project webhook that is also a server-wide one would get every alert twice.
    for (const w of await this.#store.webhooks.targets(project)) if (!this.#webhooks.includes(w.url)) targets.push({ url: w.url, webhookId: w.id });
    return targets;
  }

  /** Stores and sends an alert unless one of its run and kind went out within the cooldown. */
  async #raise(rid: number, facts: AlertFacts): Promise<Alert | null> {
    const last = await this.#store.alerts.latest(rid, facts.kind);
    if (last && Date.now() - Date.parse(last.at) < this.#o.cooldownMs) {
      await this.#store.alerts.suppress(last.id);
      log('run %s: %s within the cooldown of alert %d, not sent', facts.run?.id, facts.kind, last.id);
      return null;
    }
    return this.#send(rid, facts, await this.#targets(facts.project));
  }

  async #send(rid: number | null, facts: AlertFacts, targets: DeliveryTarget[]): Promise<Alert> {
    const payload = alertPayload(facts, this.#baseUrl, new Date().toISOString());
    const { alert, deliveryIds } = await this.#store.alerts.add(rid, payload, targets);
    log('alert %d: %s', alert.id, alert.text);
    this.#changed(alert);
    for (const id of deliveryIds) this.#sender.schedule(id);
    return alert;
  }

  #deliveryChanged(deliveryId: number): void {
    this.#store.alerts.byDelivery(deliveryId).then(
      (alert) => alert && this.#changed(alert),
      (err: unknown) => log('could not read delivery %d: %O', deliveryId, err),
    );
  }
}
