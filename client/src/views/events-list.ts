// The run's events (spikes, explosions, non-finite steps), newest first. Chart markers
// link here; clicking a row zooms the charts around that step.
import type { RunEvent } from '@gradpilot/sdk/protocol';
import { decodeNumber } from '@gradpilot/sdk/protocol';
import { h, setText } from '../dom.ts';
import { fmtNum, fmtTime } from '../format.ts';
import { TID } from '../testids.ts';

/** Rendering thousands of rows helps nobody; the newest are the ones people look at. */
const MAX_ROWS = 500;

export class EventsList {
  readonly el: HTMLElement;
  readonly #tbody: HTMLTableSectionElement;
  readonly #count: HTMLElement;
  readonly #onPick: (e: RunEvent) => void;
  #rendered = '';

  constructor(onPick: (e: RunEvent) => void) {
    this.#onPick = onPick;
    this.#tbody = h('tbody');
    this.#count = h('span', { class: 'muted' });
    this.el = h(
      'section',
      { class: 'panel events-panel', testid: TID.eventsList },
      h('header', { class: 'panel-head' }, h('h3', {}, 'Events'), this.#count),
      h(
        'div',
        { class: 'scroll' },
        h('table', { class: 'events' }, h('thead', {}, h('tr', {}, ...['step', 'kind', '‖g‖', 'detail'].map((t) => h('th', {}, t)))), this.#tbody),
      ),
    );
  }

  render(events: RunEvent[]): void {
    const last = events[events.length - 1];
    const key = `${events.length}:${last?.id ?? ''}:${last?.count ?? ''}:${events.reduce((n, e) => n + e.count, 0)}`;
    if (key === this.#rendered) return;
    this.#rendered = key;
    setText(this.#count, events.length === 0 ? 'none yet' : `${events.length}`);
    const rows = events.slice(-MAX_ROWS).reverse().map((e) => {
      const g = decodeNumber(e.gradNorm);
      const tr = h(
        'tr',
        {
          id: `event-${e.id}`,
          class: `event event-${e.kind}`,
          testid: TID.eventRow,
          'data-step': e.step,
          'data-kind': e.kind,
          title: `detected ${fmtTime(e.createdAt)} · click to zoom to step ${e.step}`,
        },
        // A burst of non-finite steps is one row: its range and how many steps.
        h('td', { class: 'num' }, e.count > 1 ? `${e.step}–${e.lastStep} ×${e.count}` : e.step),
        h('td', {}, h('span', { class: `pill pill-${e.kind}` }, e.kind.replace('_', ' '))),
        h('td', { class: 'num' }, fmtNum(typeof g === 'number' ? g : null)),
        h('td', { class: 'detail' }, e.detail),
      );
      tr.addEventListener('click', () => this.#onPick(e));
      return tr;
    });
    this.#tbody.replaceChildren(...rows);
  }

  /** Scrolls to an event's row and flashes it (used by chart markers). */
  highlight(id: number): void {
    const row = this.el.querySelector<HTMLElement>(`#event-${id}`);
    if (!row) return;
    for (const r of this.el.querySelectorAll('.highlight')) r.classList.remove('highlight');
    row.classList.add('highlight');
    row.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }
}
