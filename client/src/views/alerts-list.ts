// A table of alerts, newest first, kept up to date by id: a live `alert` push replaces the
// row of the same alert (its deliveries moved on; never with an older state) or adds a new
// one at the top.
import type { Alert, AlertDelivery } from '@gradpilot/sdk/protocol';
import { decodeNumber } from '@gradpilot/sdk/protocol';
import { h, setText } from '../dom.ts';
import { fmtNum, fmtTime } from '../format.ts';
import '../alerts.css';
import { TID } from '../testids.ts';

/** One line per webhook: where it went and how that ended (or when it is tried again). */
export function describeDelivery(d: AlertDelivery): string {
  if (d.status === 'delivered') return `${d.target}: delivered${d.attempts > 1 ? ` after ${d.attempts} attempts` : ''}`;
  if (d.status === 'failed') return `${d.target}: failed (${d.lastError ?? 'no reason given'})`;
  if (d.attempts === 0) return `${d.target}: sending…`;
  return `${d.target}: attempt ${d.attempts} failed (${d.lastError ?? `HTTP ${d.lastStatus}`}), again at ${fmtTime(d.nextAttemptAt)}`;
}

/** How far an alert has got: attempts and settled deliveries only grow, so do suppressions. */
function progress(a: Alert): number {
  return a.suppressed + a.deliveries.reduce((n, d) => n + d.attempts + (d.status === 'pending' ? 0 : 1), 0);
}

export class AlertsList {
  readonly el: HTMLElement;
  readonly #tbody: HTMLTableSectionElement;
  readonly #withRun: boolean;
  #alerts: Alert[] = [];

  /** `withRun`: a column linking each alert's run (the alerts view); a run page leaves it out. */
  constructor({ withRun = false }: { withRun?: boolean } = {}) {
    this.#withRun = withRun;
    this.#tbody = h('tbody');
    const heads = ['time', 'kind', ...(withRun ? ['run'] : []), 'step', '‖g‖', 'webhooks'];
    this.el = h('div', { class: 'scroll' }, h('table', { class: 'alerts' }, h('thead', {}, h('tr', {}, ...heads.map((t) => h('th', {}, t)))), this.#tbody));
  }

  get size(): number {
    return this.#alerts.length;
  }

  set(alerts: Alert[]): void {
    this.#alerts = alerts.slice().sort((a, b) => b.id - a.id);
    this.#tbody.replaceChildren(...this.#alerts.map((a) => this.#row(a)));
  }

  upsert(alert: Alert): void {
    const i = this.#alerts.findIndex((a) => a.id === alert.id);
    // A POST's answer can arrive after the live push of a later state of the same alert.
    if (i >= 0 && progress(alert) < progress(this.#alerts[i])) return;
    const row = this.#row(alert);
    if (i >= 0) {
      this.#alerts[i] = alert;
      this.#tbody.querySelector(`[data-alert-id="${alert.id}"]`)?.replaceWith(row);
      return;
    }
    this.#alerts.unshift(alert);
    this.#tbody.prepend(row);
  }

  #row(a: Alert): HTMLTableRowElement {
    const g = decodeNumber(a.gradNorm);
    const deliveries = h('td', { class: 'deliveries', testid: TID.alertDeliveries });
    if (a.deliveries.length === 0) setText(deliveries, 'no webhook');
    for (const d of a.deliveries) deliveries.append(h('div', { class: `delivery delivery-${d.status}` }, describeDelivery(d)));
    if (a.suppressed > 0) deliveries.append(h('div', { class: 'muted' }, `+${a.suppressed} more within the cooldown, not sent`));
    return h(
      'tr',
      { testid: TID.alertRow, 'data-alert-id': a.id, 'data-kind': a.kind, title: a.text },
      h('td', {}, fmtTime(a.at)),
      h('td', {}, h('span', { class: `pill pill-alert-${a.kind}` }, a.kind)),
      this.#withRun ? h('td', {}, a.runId === null ? '–' : h('a', { href: `#/runs/${encodeURIComponent(a.runId)}` }, a.runName ?? a.runId)) : null,
      h('td', { class: 'num' }, a.step ?? '–'),
      h('td', { class: 'num' }, fmtNum(typeof g === 'number' ? g : null)),
      deliveries,
    );
  }
}
