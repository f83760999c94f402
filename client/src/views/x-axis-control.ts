// The x-axis picker above the run page's charts: step, relative time or wall time. It says
// so when the steps shown have no times (stored by a server before the time column).
import { h, setText } from '../dom.ts';
import { TID } from '../testids.ts';
import { X_MODE_LABELS, X_MODES, type XAxisChoice } from '../x-axis.ts';

const NOTES = {
  step: '',
  relative: 'since the run\'s first step',
  wall: 'local time',
} as const;

export interface XAxisControl {
  el: HTMLElement;
  /** After new data: `timesMissing` when steps shown have no times, so a time axis cannot be drawn. */
  update(timesMissing: boolean): void;
}

export function xAxisControl(choice: XAxisChoice): XAxisControl {
  const select = h(
    'select',
    { testid: TID.xAxisSelect, 'aria-label': 'x axis' },
    ...X_MODES.map((m) => h('option', { value: m, selected: m === choice.mode }, X_MODE_LABELS[m])),
  );
  const note = h('span', { class: 'muted hint', testid: TID.xAxisNote }, NOTES[choice.mode]);
  let last = false;
  const update = (timesMissing: boolean) => {
    last = timesMissing;
    const mode = choice.mode;
    const missing = mode !== 'step' && timesMissing;
    setText(note, missing ? 'no wall-clock times stored for these steps (an older server): showing steps' : NOTES[mode]);
  };
  select.addEventListener('change', () => choice.set(select.value as (typeof X_MODES)[number]));
  choice.onChange((m) => {
    select.value = m;
    update(last);
  });
  return { el: h('label', { class: 'toggle x-axis' }, 'x axis ', select, ' ', note), update };
}
