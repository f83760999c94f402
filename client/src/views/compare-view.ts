// Several runs' gradient norms overlaid on one chart (x = step). Each run is fetched at
// about the chart's pixel width and aligned with uPlot.join; live steps trigger a
// throttled re-fetch rather than per-step appends, since runs advance at different rates.
import uPlot from 'uplot';
import type { RunSummary } from '@gradpilot/sdk/protocol';
import { api } from '../api.ts';
import { axis, PlotPanel, yTicks } from '../charts/plot-panel.ts';
import { h } from '../dom.ts';
import { fmtNum } from '../format.ts';
import { fromStepSeries } from '../series.ts';
import { TID } from '../testids.ts';
import { onThemeChange } from '../theme.ts';
import { errorText, type AppContext, type View } from './view.ts';

const REFRESH_MS = 1000;

export function compareView(ctx: AppContext, ids: string[]): View {
  let names: string[] = ids.slice();
  let data: uPlot.AlignedData = [[], ...ids.map(() => [])];
  let log = false;
  let range: { from?: number; to?: number } = {};
  const message = h('div', { class: 'error-box', testid: TID.error, hidden: true });
  const logBox = h('input', { type: 'checkbox', testid: TID.logToggle });
  const panel = new PlotPanel(
    {
      title: 'Gradient norm (max per bucket, so spikes stay visible)',
      testid: TID.compareChart,
      height: 380,
      data: () => (log ? positiveOnly(data) : data),
      options: (pal) => ({
        scales: { x: { time: false }, y: log ? { distr: 3, log: 10 } : {} },
        axes: [axis(pal, 'step'), axis(pal, '‖g‖', { size: 60, values: yTicks })],
        series: [
          { label: 'step', value: (_u, v) => (v === null ? '–' : String(v)) },
          ...names.map((name, i): uPlot.Series => ({
            label: name,
            stroke: pal.series[i % pal.series.length],
            width: 1.5,
            spanGaps: true,
            value: (_u, v) => fmtNum(v),
          })),
        ],
      }),
    },
    {
      onZoom: (from, to) => {
        range = { from: Math.max(0, Math.floor(from)), to: Math.ceil(to) };
        void load();
      },
      onReset: () => {
        range = {};
        void load();
      },
    },
    h('label', { class: 'toggle' }, logBox, ' log scale'),
  );
  logBox.addEventListener('change', () => {
    log = logBox.checked;
    panel.rebuild();
  });
  const el = h(
    'div',
    { class: 'view compare-view' },
    h('div', { class: 'toolbar' }, h('a', { href: '#/', class: 'back' }, '← runs'), h('h2', {}, `Comparing ${ids.length} runs`)),
    message,
    panel.el,
  );

  let seq = 0;
  async function load(): Promise<void> {
    const mine = ++seq;
    try {
      const points = panel.width();
      const series = await Promise.all(ids.map((id) => api.getSteps(id, { ...range, points })));
      if (mine !== seq) return;
      const tables = series.map((s) => {
        const p = fromStepSeries(s);
        return [p.step, p.normMax] as uPlot.AlignedData;
      });
      data = uPlot.join(tables);
      message.hidden = true;
      panel.update();
    } catch (err) {
      message.hidden = false;
      message.textContent = `Could not load the runs: ${errorText(err)}`;
    }
  }

  let timer: ReturnType<typeof setTimeout> | null = null;
  const soon = () => {
    if (timer || range.to !== undefined) return;
    timer = setTimeout(() => {
      timer = null;
      void load();
    }, REFRESH_MS);
  };
  const leave = ids.map((id) => ctx.live.join(id));
  const stop = ctx.live.listen({ steps: (s) => ids.includes(s.runId) && soon(), resync: () => void load() });
  const stopTheme = onThemeChange(() => panel.rebuild());

  void Promise.all(ids.map((id) => api.getRun(id).catch(() => null))).then((runs: (RunSummary | null)[]) => {
    names = runs.map((r, i) => r?.name ?? `${ids[i]} (missing)`);
    panel.rebuild();
    void load();
  });

  return {
    el,
    dispose() {
      if (timer) clearTimeout(timer);
      for (const l of leave) l();
      stop();
      stopTheme();
      panel.destroy();
    },
  };
}

/** Log scales cannot show zero or negative norms: those become gaps. */
function positiveOnly(data: uPlot.AlignedData): uPlot.AlignedData {
  return data.map((col, i) => {
    if (i === 0) return col;
    const src = col as ArrayLike<number | null | undefined>;
    const out: (number | null)[] = new Array(src.length);
    for (let j = 0; j < src.length; j++) {
      const v = src[j];
      out[j] = v !== null && v !== undefined && v > 0 ? v : null;
    }
    return out;
  }) as uPlot.AlignedData;
}
