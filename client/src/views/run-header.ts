// The run's name and headline numbers, updated from live `run` summaries.
import type { RunSummary } from '@gradpilot/sdk/protocol';
import { h, setText } from '../dom.ts';
import { fmtInt, fmtPercent, fmtRate } from '../format.ts';
import { TID } from '../testids.ts';
import { RATE_STALE_MS } from './runs-columns.ts';

export class RunHeader {
  readonly el: HTMLElement;
  readonly #title: HTMLElement;
  readonly #project: HTMLElement;
  readonly #status: HTMLElement;
  readonly #cells: Record<string, HTMLElement> = {};
  #lastStep = -1;
  #rate = 0;
  #heardAt = 0;
  #staleTimer: ReturnType<typeof setInterval> | null = null;

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
        stat('rate', 'steps/s', TID.runRateValue),
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
    this.#rate = s.stepsPerSecond;
    this.#heardAt = performance.now();
    this.#showRate();
    // Clipped over finite steps: non-finite steps are skipped, never clipped.
    setText(this.#cells.clip, `${fmtInt(s.clipped)} (${fmtPercent(s.clipped, s.steps - s.nonFinite)})`);
    setText(this.#cells.skip, fmtInt(s.skipped));
    setText(this.#cells.nan, fmtInt(s.nonFinite));
    this.#cells.nan.classList.toggle('bad', s.nonFinite > 0);
    setText(this.#cells.events, fmtInt(s.events));
  }

  /** A run that stops sending gets no more summaries: its rate falls to 0 by the clock. */
  #showRate(): void {
    const stale = performance.now() - this.#heardAt > RATE_STALE_MS;
    setText(this.#cells.rate, fmtRate(stale ? 0 : this.#rate));
    if (stale || this.#staleTimer) return;
    this.#staleTimer = setInterval(() => {
      if (!this.el.isConnected || performance.now() - this.#heardAt > RATE_STALE_MS) {
        clearInterval(this.#staleTimer!);
        this.#staleTimer = null;
        if (this.el.isConnected) this.#showRate();
      }
    }, 2000);
  }

  /** Live steps may arrive before the next summary: the last step only moves forward. */
  setLastStep(step: number): void {
    if (step < this.#lastStep) return;
    this.#lastStep = step;
    setText(this.#cells.last, step < 0 ? '–' : fmtInt(step));
  }
}
