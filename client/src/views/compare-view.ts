// Several runs overlaid on one chart (x = step, or each run's time since its first step, or
// wall time, as on the run page), any metric of theirs: gradient norm,
// threshold, loss, learning rate or the rolling clipped fraction. Each run is a RunData of
// its own (fetched at about the chart's pixel width, live steps appended while following,
// zoomed together), aligned with uPlot.join once per frame. A run that cannot be loaded
// (an unknown id) is listed as missing and the others still draw.
import uPlot from 'uplot';
import { ApiError, api } from '../api.ts';
import { clipWindow, rollingClipFraction } from '../charts/clip-fraction.ts';
import { AUTO_LOG_DECADES, decadesSpanned } from '../charts/log-scale.ts';
import { MarkerLayer, type Marker } from '../charts/markers.ts';
import { drawNonFiniteBands, spanMiddle, spansOnChart } from '../charts/nonfinite-bands.ts';
import { describeSpan } from '../charts/nonfinite-spans.ts';
import { axis, PlotPanel, yTicks } from '../charts/plot-panel.ts';
import { h, setText } from '../dom.ts';
import { fmtInt, fmtNum } from '../format.ts';
import { RunData } from '../run-data.ts';
import type { Col, PlotSeries } from '../series.ts';
import { emaOverSteps, firstSpan, Smoothing } from '../smoothing.ts';
import { TID } from '../testids.ts';
import { onThemeChange, palette, type Palette } from '../theme.ts';
import { errorText, type AppContext, type View } from './view.ts';
import { smoothingControl } from './smoothing-control.ts';
import { hasTime, STEP_MAP, XAxisChoice, xAxisOf, type XMap, type XMode } from '../x-axis.ts';
import { xAxisParts } from '../charts/x-axis-options.ts';
import { xAxisControl } from './x-axis-control.ts';

interface Metric {
  label: string;
  title: string;
  column: (s: PlotSeries, window: number) => Col;
  /** Which steps are marked as non-finite for this metric. */
  nonFinite: (s: PlotSeries) => number[];
  smooth: boolean;
  log: boolean;
}

const METRICS: Record<string, Metric> = {
  norm: { label: '‖g‖', title: 'Gradient norm (max per bucket, so spikes stay visible)', column: (s) => s.normMax, nonFinite: (s) => s.nonFinite, smooth: true, log: true },
  threshold: { label: 'threshold', title: 'Clipping threshold in force', column: (s) => s.threshold, nonFinite: (s) => s.nonFinite, smooth: false, log: true },
  loss: { label: 'loss', title: 'Loss', column: (s) => s.loss, nonFinite: (s) => s.lossNonFinite, smooth: true, log: true },
  lr: { label: 'lr', title: 'Learning rate', column: (s) => s.lr, nonFinite: (s) => s.nonFinite, smooth: false, log: true },
  clipped: {
    label: 'clipped fraction',
    title: 'Clipped fraction',
    column: (s, window) => rollingClipFraction(s, window),
    nonFinite: (s) => s.nonFinite,
    smooth: false,
    log: false,
  },
};

interface Member {
  id: string;
  name: string;
  model: RunData;
  missing: string | null;
  info: HTMLElement;
  /** Its steps -> the chart's x (each run has its own times). */
  xMap: XMap;
}

/** Marker rows: one per run, so two runs' markers at one step do not cover each other. */
const MARKER_ROW = 13;

export function compareView(ctx: AppContext, ids: string[]): View {
  const smoothing = new Smoothing();
  const xAxis = new XAxisChoice();
  const xControl = xAxisControl(xAxis);
  /** The x mode options were built for. */
  let builtMode: XMode = 'step';
  let metric: Metric = METRICS.norm;
  let log = false;
  /** null: log when the values span more than two decades; true/false: the user's choice. */
  let logChoice: boolean | null = null;
  const scaleNote = h('span', { class: 'muted scale-note', testid: TID.scaleNote });
  let markers: MarkerLayer | null = null;
  const members: Member[] = ids.map((id) => ({ id, name: id, model: new RunData(id), missing: null, info: h('li', { testid: TID.compareRun, 'data-run-id': id }), xMap: STEP_MAP }));
  const message = h('div', { class: 'error-box', testid: TID.error, hidden: true });
  const metricSelect = h(
    'select',
    { testid: TID.compareMetric, 'aria-label': 'metric' },
    ...Object.entries(METRICS).map(([key, m]) => h('option', { value: key }, m.label)),
  );
  const logBox = h('input', { type: 'checkbox', testid: TID.logToggle });
  const windowNote = h('span', { class: 'muted hint', testid: TID.clipWindowNote });
  /** The clipped-fraction window: the same for every run, from the coarsest buckets shown. */
  const window = () => clipWindow(Math.max(1, ...members.map((m) => m.model.series.bucketSize)));
  const halfLife = () => (metric.smooth ? smoothing.halfLife : 0);
  const timesMissing = () => members.some((m) => !m.missing && m.model.series.step.length > 0 && !hasTime(m.model.series));
  /** A time axis only when every run with steps has times: seconds and steps on one axis would mislead. */
  const xMode = (): XMode => {
    const withSteps = members.filter((m) => !m.missing && m.model.series.step.length > 0);
    return xAxis.mode !== 'step' && withSteps.length > 0 && withSteps.every((m) => hasTime(m.model.series)) ? xAxis.mode : 'step';
  };

  // Columns: x, then per run its raw metric, then (smoothing on) per run its EMA.
  function data(): uPlot.AlignedData {
    const w = window();
    const mode = xMode();
    if (mode !== builtMode) queueMicrotask(() => panel.rebuild());
    const tables = members.map((m) => {
      const s = m.model.series;
      const n = s.step.length;
      const raw = metric.column(s, w).slice(0, n);
      const cols: Col[] = [raw];
      if (halfLife() > 0 && !m.missing) cols.push(emaOverSteps(s.lastStep, raw, halfLife(), n, firstSpan(s)));
      // Relative time: every run from its own first step, so runs started days apart overlay.
      const { x, map } = xAxisOf(s, mode, n);
      m.xMap = map;
      return [x, ...cols] as uPlot.AlignedData;
    });
    // uPlot.join needs at least one x; an all-missing compare draws empty axes.
    const joined = tables.every((t) => t[0].length === 0) ? (tables.flatMap((t, i) => (i === 0 ? t : t.slice(1))) as uPlot.AlignedData) : uPlot.join(tables);
    setText(windowNote, metric === METRICS.clipped ? `rolling over ${fmtInt(w)} steps, of finite steps` : '');
    // join orders columns run by run ([x, a raw, a ema, b raw, b ema]); the series follow that.
    return log ? positiveOnly(joined) : joined;
  }

  function options(pal: Palette): Omit<uPlot.Options, 'width' | 'height'> {
    const smooth = halfLife() > 0;
    builtMode = xMode();
    const x = xAxisParts(builtMode, null);
    const series: uPlot.Series[] = [{ label: x.legendLabel, value: x.legend }];
    members.forEach((m, i) => {
      const stroke = pal.series[i % pal.series.length];
      const label = m.missing ? `${m.id} (missing)` : m.name;
      series.push({ label, stroke, width: 1.5, spanGaps: true, alpha: smooth ? 0.3 : 1, value: (_u, v) => fmtNum(v) });
      if (smooth && !m.missing) series.push({ label: `${label} EMA`, stroke, width: 2, spanGaps: true, value: (_u, v) => fmtNum(v) });
    });
    const fraction = metric === METRICS.clipped;
    return {
      ms: x.ms,
      cursor: { drag: { x: true, y: false } },
      scales: { x: x.scale, y: log ? { distr: 3, log: 10 } : fraction ? { range: () => [0, 1.05] } : {} },
      axes: [axis(pal, x.label, x.axis), axis(pal, metric.label, { size: 60, values: yTicks })],
      series,
      hooks: { drawAxes: [(u) => drawBehind(u, pal)], draw: [(u) => drawMarkers(u, pal)] },
    };
  }

  function drawBehind(u: uPlot, pal: Palette): void {
    members.forEach((m, i) => {
      const s = m.model.series;
      const flags = metric.nonFinite(s);
      drawNonFiniteBands(u, spansOnChart(u, s, (j) => flags[j], s.step.length, m.xMap), pal.series[i % pal.series.length], 0.6, m.xMap);
    });
  }

  function drawMarkers(u: uPlot, pal: Palette): void {
    const list: Marker[] = [];
    members.forEach((m, i) => {
      const s = m.model.series;
      const flags = metric.nonFinite(s);
      for (const span of spansOnChart(u, s, (j) => flags[j], s.step.length, m.xMap)) {
        list.push({
          x: span.from,
          at: spanMiddle(span),
          kind: 'nonfinite',
          testid: TID.nonFiniteMarker,
          count: span.count,
          color: pal.series[i % pal.series.length],
          top: i * MARKER_ROW,
          run: m.id,
          xMap: m.xMap,
          title: `${m.name}: ${describeSpan(span, `${metric.label} values`, `${metric.label} is not finite`)}`,
        });
      }
    });
    if (markers?.plot !== u) markers = new MarkerLayer(u);
    markers.place(u, list);
  }

  const panel = new PlotPanel(
    { title: metric.title, testid: TID.compareChart, height: 380, data, options },
    {
      // The panel's own map is steps (x itself): each run turns the x range into its steps.
      onZoom: (from, to) => {
        for (const m of members) void m.model.zoom(m.xMap.toStep(from), m.xMap.toStep(to));
      },
      onReset: () => {
        for (const m of members) void m.model.follow();
      },
    },
    h('label', { class: 'toggle' }, 'metric ', metricSelect),
    h('label', { class: 'toggle' }, logBox, ' log scale'),
    scaleNote,
    windowNote,
  );

  function setLog(next: boolean, note: string): void {
    setText(scaleNote, note);
    logBox.checked = next;
    if (next === log) return;
    log = next;
    panel.rebuild();
  }

  // As on the run page: one run's spike must not flatten the others on a linear scale.
  function autoLog(): void {
    if (logChoice !== null) return;
    if (!metric.log) return setLog(false, '');
    const w = window();
    const cols = members.map((m) => metric.column(m.model.series, w));
    const decades = decadesSpanned(cols, Math.max(0, ...cols.map((c) => c.length)));
    const on = decades > AUTO_LOG_DECADES;
    setLog(on, on ? `auto: the values span ${decades.toFixed(1)} decades` : '');
  }
  metricSelect.addEventListener('change', () => {
    metric = METRICS[metricSelect.value];
    logBox.disabled = !metric.log;
    panel.setTitle(metric.title);
    panel.rebuild();
    if (!metric.log) setLog(false, '');
    else if (logChoice === null) autoLog();
    else setLog(logChoice, '');
  });
  logBox.addEventListener('change', () => {
    logChoice = logBox.checked;
    setLog(logChoice, '');
  });
  const runList = h('ul', { class: 'compare-runs' }, ...members.map((m) => m.info));
  const el = h(
    'div',
    { class: 'view compare-view' },
    h(
      'div',
      { class: 'toolbar' },
      h('a', { href: '#/', class: 'back' }, '← runs'),
      h('h2', {}, `Comparing ${ids.length} runs`),
      h('span', { class: 'muted hint' }, 'drag to zoom · double-click for the whole runs'),
      xControl.el,
      smoothingControl(smoothing),
    ),
    message,
    panel.el,
    runList,
  );

  function describeMembers(): void {
    const colors = palette().series;
    members.forEach((m, i) => {
      const s = m.model.series;
      const last = s.lastStep.length > 0 ? s.lastStep[s.lastStep.length - 1] : null;
      const text = m.missing ? `${m.id}: ${m.missing}` : `${m.name} (${m.id}): ${last === null ? 'no steps yet' : `last step ${fmtInt(last)}`}`;
      if (m.info.childElementCount === 0) m.info.append(h('i', { class: 'sw' }), h('span', {}));
      (m.info.firstElementChild as HTMLElement).style.background = colors[i % colors.length];
      setText(m.info.lastElementChild!, text);
      m.info.classList.toggle('missing', m.missing !== null);
    });
    const missing = members.filter((m) => m.missing);
    message.hidden = missing.length === 0;
    setText(message, missing.map((m) => `Run "${m.id}": ${m.missing}.`).join(' ') + (missing.length > 0 && missing.length < members.length ? ' The other runs are drawn.' : ''));
  }

  const disposers: (() => void)[] = [];
  for (const m of members) {
    disposers.push(
      m.model.onData((reason) => {
        panel.update();
        describeMembers();
        xControl.update(timesMissing());
        if (reason === 'load') autoLog();
      }),
      m.model.onError((err) => {
        m.missing = err instanceof ApiError && err.status === 404 ? 'not found' : `could not be loaded (${errorText(err)})`;
        describeMembers();
        panel.rebuild();
      }),
      ctx.live.join(m.id),
    );
  }
  disposers.push(
    ctx.live.listen({
      steps: (live) => members.find((m) => m.id === live.runId)?.model.pushLive(live),
      resync: () => {
        for (const m of members) if (!m.missing) void m.model.load();
      },
    }),
    onThemeChange(() => {
      panel.rebuild();
      describeMembers();
    }),
    smoothing.onChange(() => panel.rebuild()),
    xAxis.onChange(() => {
      panel.rebuild();
      xControl.update(timesMissing());
    }),
  );

  void Promise.all(
    members.map(async (m) => {
      m.model.points = panel.width();
      const [summary] = await Promise.all([api.getRun(m.id).catch(() => null), m.model.load()]);
      if (summary) m.name = summary.name || m.id;
    }),
  ).then(() => {
    describeMembers();
    panel.rebuild();
  });

  return {
    el,
    dispose() {
      for (const d of disposers) d();
      for (const m of members) m.model.dispose();
      panel.destroy();
    },
  };
}

/** Log scales cannot show zero or negative values: those become gaps. */
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
