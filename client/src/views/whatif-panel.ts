// What-if: replay another policy over the run's stored norms on the server, draw its
// threshold over the actual one, and put both summaries side by side.
import type { ReplayResult, ReplaySummary } from '@gradpilot/sdk/protocol';
import { api } from '../api.ts';
import { h, setText } from '../dom.ts';
import { fmtInt } from '../format.ts';
import type { RunData } from '../run-data.ts';
import { plottable } from '../series.ts';
import { TID } from '../testids.ts';
import { PolicyForm } from './policy-form.ts';
import { errorText } from './view.ts';

const ROWS: [string, (s: ReplaySummary) => number][] = [
  ['steps', (s) => s.steps],
  ['clipped', (s) => s.clipped],
  ['skipped', (s) => s.skipped],
  ['non-finite events', (s) => s.events?.nonfinite ?? 0],
  ['spike events', (s) => s.events?.spike ?? 0],
  ['explosion events', (s) => s.events?.explosion ?? 0],
];

export class WhatIfPanel {
  readonly el: HTMLElement;
  readonly form: PolicyForm;
  readonly #model: RunData;
  readonly #summary: HTMLElement;
  readonly #message: HTMLElement;
  readonly #clear: HTMLButtonElement;
  readonly #points: () => number;

  constructor(model: RunData, points: () => number) {
    this.#model = model;
    this.#points = points;
    this.#summary = h('div', { class: 'whatif-summary', testid: TID.whatIfSummary, hidden: true });
    this.#message = h('p', { class: 'message', testid: TID.whatIfMessage, role: 'status' });
    this.#clear = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Remove overlay');
    this.#clear.addEventListener('click', () => {
      model.setWhatIf(null);
      this.#summary.hidden = true;
      this.#clear.hidden = true;
      setText(this.#message, '');
    });
    this.form = new PolicyForm({
      testid: TID.whatIfForm,
      submitLabel: 'Replay over this run',
      submitTestid: TID.whatIfRun,
      onSubmit: (policy) => void this.#run(policy),
    });
    this.el = h(
      'section',
      { class: 'panel whatif-panel' },
      h('header', { class: 'panel-head' }, h('h3', {}, 'What if…'), this.#clear),
      h('p', { class: 'muted' }, 'Replays a policy over the stored gradient norms with the same controller the SDK runs.'),
      this.form.el,
      this.#message,
      this.#summary,
    );
  }

  async #run(policy: Record<string, unknown>): Promise<void> {
    this.form.submit.disabled = true;
    this.#message.className = 'message';
    setText(this.#message, 'replaying…');
    try {
      const res = await api.replay(this.#model.runId, policy, this.#points());
      this.#show(res);
      setText(this.#message, '');
    } catch (err) {
      // The previous replay's table and overlay are not this request's answer: remove them.
      this.#model.setWhatIf(null);
      this.#summary.hidden = true;
      this.#clear.hidden = true;
      this.#message.className = 'message error';
      setText(this.#message, errorText(err));
    } finally {
      this.form.submit.disabled = false;
    }
  }

  #show(res: ReplayResult): void {
    this.#model.setWhatIf({ step: res.step, threshold: (res.threshold.max ?? res.threshold.last).map(plottable) });
    const rows = ROWS.map(([label, get]) => {
      const a = get(res.actual);
      const w = get(res.summary);
      const d = w - a;
      return h(
        'tr',
        {},
        h('th', {}, label),
        h('td', { class: 'num' }, fmtInt(a)),
        h('td', { class: 'num' }, fmtInt(w)),
        h('td', { class: `num ${d > 0 ? 'up' : d < 0 ? 'down' : ''}` }, d === 0 ? '=' : `${d > 0 ? '+' : ''}${fmtInt(d)}`),
      );
    });
    this.#summary.replaceChildren(
      h(
        'table',
        { class: 'compare' },
        h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'actual'), h('th', {}, 'what-if'), h('th', {}, 'Δ'))),
        h('tbody', {}, ...rows),
      ),
    );
    this.#summary.hidden = false;
    this.#clear.hidden = false;
  }
}
