// The smoothing picker shown above the charts: off, or an EMA half-life in steps.
import { h } from '../dom.ts';
import { fmtInt } from '../format.ts';
import { HALF_LIVES, type Smoothing } from '../smoothing.ts';
import { TID } from '../testids.ts';

const label = (steps: number) => (steps === 0 ? 'off' : `${fmtInt(steps)} steps`);

export function describeSmoothing(halfLife: number): string {
  return halfLife === 0
    ? 'raw values'
    : `EMA over steps, half-life ${label(halfLife)} (debiased, as TensorBoard; restarts at the first step shown)`;
}

export function smoothingControl(smoothing: Smoothing): HTMLElement {
  const select = h(
    'select',
    { testid: TID.smoothingSelect, 'aria-label': 'smoothing' },
    ...HALF_LIVES.map((n) => h('option', { value: n, selected: n === smoothing.halfLife }, label(n))),
  );
  const note = h('span', { class: 'muted hint', testid: TID.smoothingNote }, describeSmoothing(smoothing.halfLife));
  select.addEventListener('change', () => smoothing.set(Number(select.value)));
  smoothing.onChange((n) => {
    select.value = String(n);
    note.textContent = describeSmoothing(n);
  });
  return h('label', { class: 'toggle smoothing' }, 'smoothing ', select, note);
}
