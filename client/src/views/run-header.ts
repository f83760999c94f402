// The run's name and headline numbers, updated from live `run` summaries.
import type { RunSummary } from '@gradpilot/sdk/protocol';
import { h, setText } from '../dom.ts';
import { fmtInt, fmtPercent, fmtRate } from '../format.ts';
import { TID } from '../testids.ts';

export class RunHeader {
  readonly el: HTMLElement;
  readonly #title: HTMLElement;
  readonly #project: HTMLElement;
  readonly #status: HTMLElement;
  readonly #cells: Record<string, HTMLElement> = {};
  #lastStep = -1;

  constructor(runId: string) {
    this.#title = h('h2', { testid: TID.runTitle }, runId);
    this.#project = h('span', { class: 'muted' });
    this.#status = h('span', { class: 'status', hidden: true });
    const stat = (key: string, label: string, testid?: string) => {
      const v = h('b', { testid });
      this.#cells[key] = v;
      return h('span', { class: 'stat' }, v, ` ${label}`);
    };
    this.el = h(
      'div',
      { class: 'run-header' },
      h('a', { href: '#/', class: 'back' }, '← runs'),
      this.#title,
      this.#project,
      this.#status,
      h(
        'div',
        { class: 'stats', testid: TID.runStats, hidden: true },
        stat('last', 'last step', TID.runLastStepValue),
        stat('steps', 'steps', TID.runStepsValue),
        stat('rate', 'steps/s'),
        stat('clip', 'clipped'),
        stat('skip', 'skipped'),
        stat('nan', 'non-finite'),
        stat('events', 'events'),
      ),
    );
  }

  set(s: RunSummary): void {
    this.#status.hidden = false;
    this.#cells.steps.closest('.stats')!.removeAttribute('hidden');
    setText(this.#title, s.name || s.id);
    setText(this.#project, s.project ? `project ${s.project}` : '');
    this.#status.className = `status status-${s.status}`;
    setText(this.#status, s.status);
    this.setLastStep(s.lastStep ?? -1);
    setText(this.#cells.steps, fmtInt(s.steps));
    setText(this.#cells.rate, fmtRate(s.stepsPerSecond));
    setText(this.#cells.clip, `${fmtInt(s.clipped)} (${fmtPercent(s.clipped, s.steps)})`);
    setText(this.#cells.skip, fmtInt(s.skipped));
    setText(this.#cells.nan, fmtInt(s.nonFinite));
    this.#cells.nan.classList.toggle('bad', s.nonFinite > 0);
    setText(this.#cells.events, fmtInt(s.events));
  }

  /** Live steps may arrive before the next summary: the last step only moves forward. */
  setLastStep(step: number): void {
    if (step < this.#lastStep) return;
    this.#lastStep = step;
    setText(this.#cells.last, step < 0 ? '–' : fmtInt(step));
  }
}
