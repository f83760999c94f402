// One run: header, synced charts (gradient norm, loss, learning rate, clipping, per-layer
// heatmap), events, the policy panel and what-if. Live steps are appended to the charts;
// a drag-select zooms all charts (and stops following the tail), double-click goes back.
import uPlot from 'uplot';
import type { RunEvent, RunSummary } from '@gradpilot/sdk/protocol';
import { api, ApiError } from '../api.ts';
import { clipWindow, rollingClipFraction } from '../charts/clip-fraction.ts';
import { LineChart } from '../charts/line-chart.ts';
import { LayerHeatmap } from '../charts/heatmap.ts';
import { NormChart } from '../charts/norm-chart.ts';
import type { PlotPanel } from '../charts/plot-panel.ts';
import { h, setText } from '../dom.ts';
import { fmtInt } from '../format.ts';
import { RunData } from '../run-data.ts';
import { TID } from '../testids.ts';
import { onThemeChange } from '../theme.ts';
import { ConfigPanel } from './config-panel.ts';
import { EventsList } from './events-list.ts';
import { PolicyPanel } from './policy-panel.ts';
import { RunAlertsPanel } from './run-alerts-panel.ts';
import { RunHeader } from './run-header.ts';
import { StopPanel } from './stop-panel.ts';
import { Smoothing } from '../smoothing.ts';
import { smoothingControl } from './smoothing-control.ts';
import { hasTime, XAxisChoice } from '../x-axis.ts';
import { xAxisControl } from './x-axis-control.ts';
import { errorText, type AppContext, type View } from './view.ts';
import { WhatIfPanel } from './whatif-panel.ts';

/** While following, the heatmap is re-fetched at most this often (live steps carry no layers). */
const LAYER_REFRESH_MS = 3000;

export function runView(ctx: AppContext, runId: string): View {
  const header = new RunHeader(runId);
  const config = new ConfigPanel();
  const el = h('div', { class: 'view run-view' }, header.el);
  const disposers: (() => void)[] = [];
  let disposed = false;
  /** The latest summary (live pushes or GET); the policy form's warm-up warning reads it. */
  let summary: RunSummary | null = null;
  const showSummary = (s: RunSummary) => {
    summary = s;
    header.set(s);
  };

  // The charts start loading at once, in parallel with the run's summary: a missing run
  // then tears them down and says so, instead of the page waiting one more round trip.
  const content = mount();
  api.getRun(runId).then(
    (run) => {
      if (disposed) return;
      showSummary(run);
      config.set(run.config);
    },
    (err: unknown) => {
      if (disposed) return;
      teardown();
      content.remove();
      const missing = err instanceof ApiError && err.status === 404;
      el.append(
        h(
          'div',
          { class: 'error-box', testid: TID.error },
          missing ? `Run "${runId}" was not found. ` : `Could not load run "${runId}": ${errorText(err)} `,
          h('a', { href: '#/' }, 'Back to the runs'),
        ),
      );
    },
  );

  function teardown(): void {
    for (const d of disposers.splice(0)) d();
  }

  function mount(): HTMLElement {
    const model = new RunData(runId);
    // The steps are the slow request: ask before building anything, with the chart width
    // estimated from the window (the layout in style.css: a 400 px side column from 1150 px).
    model.points = Math.max(200, window.innerWidth - (window.innerWidth >= 1150 ? 476 : 64));
    const firstLoad = model.load();
    const syncKey = `run-${runId}`;
    const smoothing = new Smoothing();
    const xAxis = new XAxisChoice();
    const xControl = xAxisControl(xAxis);
    const zoom = {
      onZoom: (from: number, to: number) => void model.zoom(from, to),
      onReset: () => void model.follow(),
    };
    const events = new EventsList((e) => void model.zoom(Math.max(0, e.step - 200), e.step + 200));
    const norm = new NormChart(model, {
      ...zoom,
      syncKey,
      smoothing,
      onEventClick: (e: RunEvent) => events.highlight(e.id),
      onDraw: () => heatmap.renderIfMoved(),
      xAxis,
    });
    const loss = new LineChart(model, {
      ...zoom,
      syncKey,
      title: 'Loss',
      testid: TID.lossChart,
      yLabel: 'loss',
      smoothing,
      xAxis,
      lines: [{ label: 'loss', color: (p) => p.loss, column: (s) => s.loss, nonFinite: (s) => s.lossNonFinite, smooth: true }],
    });
    const lr = new LineChart(model, {
      ...zoom,
      syncKey,
      title: 'Learning rate',
      testid: TID.lrChart,
      yLabel: 'lr',
      xAxis,
      lines: [{ label: 'lr', color: (p) => p.lr, column: (s) => s.lr }],
    });
    const coef = new LineChart(model, {
      ...zoom,
      syncKey,
      title: 'Clip coefficient and clipped fraction',
      testid: TID.coefChart,
      yLabel: 'factor / fraction',
      yRange: [0, 1.05],
      xAxis,
      lines: [
        { label: 'min coef', color: (p) => p.coef, column: (s) => s.coefMin },
        { label: 'clipped fraction', color: (p) => p.clipped, column: (s) => rollingClipFraction(s, clipWindow(s.bucketSize)), area: true },
      ],
      // A per-step 0/1 is a barcode: the fraction is rolling, over a window said here.
      note: (s) => `clipped fraction: rolling over ${fmtInt(clipWindow(s.bucketSize))} steps, of finite steps`,
    });
    const heatmap = new LayerHeatmap(
      () => {
        const u = norm.panel.plot;
        const { min, max } = u?.scales.x ?? {};
        if (!u || min === undefined || max === undefined || min === null || max === null) return null;
        return { left: u.bbox.left / uPlot.pxRatio, width: u.bbox.width / uPlot.pxRatio, min, max, map: norm.panel.xMap };
      },
      { ...zoom, runLastStep: () => summary?.lastStep ?? null },
    );
    const panels: PlotPanel[] = [norm.panel, loss.panel, lr.panel, coef.panel];
    const policy = new PolicyPanel(
      runId,
      (state) =>
        model.setPolicyMarks(
          state.history
            .filter((v) => v.version > 1)
            .map((v) => ({ step: v.effectiveStep, label: `v${v.version} ${v.policy.kind}` })),
        ),
      () => ({
        finiteSteps: summary ? summary.steps - summary.nonFinite : 0,
        thresholds: model.series.threshold,
        norms: model.series.normLast,
      }),
    );
    const whatIf = new WhatIfPanel(model, () => norm.panel.width());
    const stop = new StopPanel(ctx.live, runId);
    const alerts = new RunAlertsPanel(ctx.live, runId);
    disposers.push(() => stop.dispose(), () => alerts.dispose());
    void stop.load();
    void alerts.load();

    const follow = h('button', { type: 'button', class: 'secondary', testid: TID.followToggle }, 'following live');
    const csv = h(
      'a',
      { href: `/api/runs/${encodeURIComponent(runId)}/export.csv`, download: `${runId}.csv`, class: 'csv-link', testid: TID.csvLink, title: 'every step as CSV (RFC 4180; NaN and ±Infinity spelled out)' },
      '⤓ CSV',
    );
    follow.addEventListener('click', () => void model.follow());
    const problem = h('div', { class: 'error-box', testid: TID.error, hidden: true });
    const content = h(
      'div',
      {},
      h('div', { class: 'toolbar' }, follow, h('span', { class: 'muted hint' }, 'drag to zoom · double-click for the whole run'), xControl.el, smoothingControl(smoothing), csv, stop.el),
      problem,
      h(
        'div',
        { class: 'run-grid' },
        h('div', { class: 'charts' }, ...panels.map((p) => p.el), heatmap.el),
        h('aside', { class: 'side' }, config.el, policy.el, whatIf.el, events.el, alerts.el),
      ),
    );
    el.append(content);
    // The side column's panels (policy, what-if, events, config) join the page one frame after
    // the norm chart's first frame: their forms cost the page's first style and layout about
    // as much as the charts (measured: 20-25 ms of main-thread time before the first frame of
    // a 1M-step run), and the chart is what one opens a run for. They join at once if the
    // steps fail, and after a second whatever happens.
    const side = content.querySelector<HTMLElement>('aside.side')!;
    const sidePanels = [...side.children];
    side.replaceChildren();
    const showSide = () => {
      if (side.childElementCount === 0) side.append(...sidePanels);
    };
    const sideTimer = setTimeout(showSide, 1000);
    disposers.push(
      () => clearTimeout(sideTimer),
      model.onData((reason) => reason === 'load' && requestAnimationFrame(() => requestAnimationFrame(showSide))),
      model.onError(showSide),
    );

    // ---- data flow
    let layersAt = 0;
    let layersTimer: ReturnType<typeof setTimeout> | null = null;
    const loadLayers = async () => {
      layersAt = Date.now();
      try {
        heatmap.setLayers(await api.getLayers(runId, { from: model.from, to: model.to, points: Math.min(400, norm.panel.width()) }));
      } catch {
        heatmap.setLayers(null);
      }
    };
    const layersSoon = () => {
      if (layersTimer) return;
      layersTimer = setTimeout(() => {
        layersTimer = null;
        void loadLayers();
      }, Math.max(0, layersAt + LAYER_REFRESH_MS - Date.now()));
    };
    disposers.push(() => layersTimer && clearTimeout(layersTimer));

    model.onData((reason) => {
      for (const p of panels) p.update();
      xControl.update(model.series.step.length > 0 && !hasTime(model.series));
      const s = model.series;
      if (s.step.length > 0) header.setLastStep(s.lastStep[s.lastStep.length - 1]);
      events.render(model.events);
      setText(follow, model.following ? 'following live' : `zoomed to ${model.from}–${model.to} · follow live`);
      follow.classList.toggle('active', model.following);
      if (reason === 'load') {
        problem.hidden = true;
        void loadLayers();
      } else if (reason === 'append') layersSoon();
    });
    model.onError((err) => {
      problem.hidden = false;
      setText(problem, `Could not load steps: ${errorText(err)}`);
    });

    const loadEvents = async () => {
      try {
        model.setEvents(await api.getEvents(runId));
      } catch (err) {
        problem.hidden = false;
        setText(problem, `Could not load events: ${errorText(err)}`);
      }
    };
    const loadAll = () => Promise.all([model.load(), loadEvents(), policy.load()]);

    disposers.push(
      ctx.live.join(runId),
      ctx.live.listen({
        run: (s) => s.id === runId && showSummary(s),
        steps: (live) => live.runId === runId && model.pushLive(live),
        events: (evts) => model.addEvents(evts),
        policy: (v) => v.runId === runId && policy.update(v),
        // Steps may have arrived while the socket was away: the header's counts too.
        resync: () => {
          void loadAll();
          void api.getRun(runId).then((run) => !disposed && showSummary(run), () => {});
        },
      }),
      onThemeChange(() => {
        for (const p of panels) p.rebuild();
        heatmap.render();
      }),
      () => {
        model.dispose();
        for (const p of panels) p.destroy();
        heatmap.destroy();
      },
    );
    void firstLoad;
    void Promise.all([loadEvents(), policy.load()]);
    return content;
  }

  return {
    el,
    dispose() {
      disposed = true;
      teardown();
    },
  };
}
