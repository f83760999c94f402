// The runs list: live status per run, filter by project, select several to compare.
import type { RunSummary } from '@gradpilot/sdk/protocol';
import { api } from '../api.ts';
import { h, setText } from '../dom.ts';
import { fmtInt, fmtPercent, fmtRate, fmtTime } from '../format.ts';
import { TID } from '../testids.ts';
import { errorText, type AppContext, type View } from './view.ts';

interface Row {
  tr: HTMLTableRowElement;
  cells: Record<'status' | 'project' | 'last' | 'rate' | 'clip' | 'events' | 'nonfinite' | 'updated', HTMLElement>;
  summary: RunSummary;
}

export function runsView(ctx: AppContext): View {
  const rows = new Map<string, Row>();
  const selected = new Set<string>();
  const tbody = h('tbody');
  const empty = h('p', { class: 'empty', hidden: true }, 'No runs yet. Start one with the SDK, or POST /api/runs.');
  const filter = h('select', { testid: TID.projectFilter }, h('option', { value: '' }, 'all projects'));
  const compare = h('button', { testid: TID.compareButton, disabled: true }, 'Compare selected');
  const el = h(
    'div',
    { class: 'view runs-view' },
    h('div', { class: 'toolbar' }, h('h2', {}, 'Runs'), h('label', {}, 'Project ', filter), compare),
    h(
      'table',
      { class: 'runs', testid: TID.runsTable },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['', 'run', 'project', 'status', 'last step', 'steps/s', 'clip rate', 'events', 'non-finite', 'updated'].map(
            (t, i) => h('th', { class: i >= 4 && i <= 8 ? 'num' : '' }, t),
          ),
        ),
      ),
      tbody,
    ),
    empty,
  );

  compare.addEventListener('click', () => {
    location.hash = `#/compare/${[...selected].map(encodeURIComponent).join(',')}`;
  });
  filter.addEventListener('change', () => applyFilter());

  function applyFilter(): void {
    const project = filter.value;
    let shown = 0;
    for (const row of rows.values()) {
      const visible = project === '' || (row.summary.project ?? '') === project;
      row.tr.hidden = !visible;
      if (visible) shown++;
    }
    empty.hidden = shown > 0;
  }

  function refreshProjects(): void {
    const projects = [...new Set([...rows.values()].map((r) => r.summary.project).filter((p): p is string => !!p))].sort();
    const have = [...filter.options].slice(1).map((o) => o.value);
    if (have.join('\n') === projects.join('\n')) return;
    const value = filter.value;
    filter.replaceChildren(h('option', { value: '' }, 'all projects'), ...projects.map((p) => h('option', { value: p }, p)));
    filter.value = projects.includes(value) ? value : '';
  }

  function upsert(s: RunSummary): void {
    let row = rows.get(s.id);
    if (!row) {
      const box = h('input', { type: 'checkbox', testid: TID.compareSelect, 'aria-label': `select ${s.name}` });
      box.addEventListener('change', () => {
        if (box.checked) selected.add(s.id);
        else selected.delete(s.id);
        compare.disabled = selected.size < 2;
      });
      const cells = {
        project: h('td'),
        status: h('span', { class: 'status' }),
        last: h('td', { class: 'num', testid: TID.runLastStep }),
        rate: h('td', { class: 'num' }),
        clip: h('td', { class: 'num' }),
        events: h('td', { class: 'num' }),
        nonfinite: h('td', { class: 'num' }),
        updated: h('td'),
      };
      const link = h('a', { href: `#/runs/${encodeURIComponent(s.id)}` }, s.name || s.id);
      const tr = h(
        'tr',
        { testid: TID.runRow, 'data-run-id': s.id },
        h('td', {}, box),
        h('td', {}, link),
        cells.project,
        h('td', {}, cells.status),
        cells.last,
        cells.rate,
        cells.clip,
        cells.events,
        cells.nonfinite,
        cells.updated,
      );
      row = { tr, cells, summary: s };
      rows.set(s.id, row);
      tbody.prepend(tr);
    }
    row.summary = s;
    const c = row.cells;
    setText(c.project, s.project ?? '–');
    c.status.className = `status status-${s.status}`;
    setText(c.status, s.status);
    setText(c.last, fmtInt(s.lastStep));
    setText(c.rate, fmtRate(s.stepsPerSecond));
    setText(c.clip, fmtPercent(s.clipped + s.skipped, s.steps));
    setText(c.events, fmtInt(s.events));
    setText(c.updated, fmtTime(s.lastStepAt));
    // nonFinite only grows, so the red mark is added once and then only its count changes.
    if (s.nonFinite > 0) {
      if (!c.nonfinite.querySelector('.nan-mark')) {
        c.nonfinite.replaceChildren(
          h('span', { class: 'nan-mark', testid: TID.runNonFinite, title: 'this run has non-finite steps' }, '●'),
          h('span', { class: 'nan-count' }),
        );
      }
      setText(c.nonfinite.querySelector('.nan-count')!, ` ${fmtInt(s.nonFinite)}`);
    } else setText(c.nonfinite, '0');
  }

  async function load(): Promise<void> {
    try {
      const runs = await api.listRuns();
      runs.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      for (const r of runs) upsert(r);
      refreshProjects();
      applyFilter();
      ctx.showError(null);
    } catch (err) {
      ctx.showError(`Could not load runs: ${errorText(err)}`);
    }
  }

  const stop = ctx.live.listen({
    run: (s) => {
      upsert(s);
      refreshProjects();
      applyFilter();
    },
    resync: () => void load(),
  });
  void load();
  return { el, dispose: stop };
}
