// The runs list: live status per run, filter by project, select several to compare.
import type { RunSummary } from '@gradpilot/sdk/protocol';
import { api, RUNS_PAGE } from '../api.ts';
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
  // One page of runs in the DOM at a time (newest first; the server filters by project), so
  // thousands of runs never make one long task of layout.
  const rows = new Map<string, Row>();
  const selected = new Set<string>();
  const tbody = h('tbody');
  const empty = h('p', { class: 'empty', hidden: true }, 'No runs yet. Start one with the SDK, or POST /api/runs.');
  const filter = h('select', { testid: TID.projectFilter }, h('option', { value: '' }, 'all projects'));
  const compare = h('button', { testid: TID.compareButton, disabled: true }, 'Compare selected');
  const newer = h('button', { testid: TID.newerRuns, hidden: true }, '← Newer');
  const older = h('button', { testid: TID.olderRuns, hidden: true }, 'Older →');
  const pageLabel = h('span', { class: 'muted', testid: TID.runsPageLabel });
  /** Cursors of the pages shown so far; the last is the current page (null: the newest). */
  const cursors: (string | null)[] = [null];
  let nextCursor: string | null = null;
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
    h('div', { class: 'toolbar pager' }, newer, pageLabel, older),
    empty,
  );

  compare.addEventListener('click', () => {
    location.hash = `#/compare/${[...selected].map(encodeURIComponent).join(',')}`;
  });
  filter.addEventListener('change', () => {
    cursors.splice(0, cursors.length, null);
    void load();
  });
  older.addEventListener('click', () => {
    cursors.push(nextCursor);
    void load();
  });
  newer.addEventListener('click', () => {
    if (cursors.length > 1) cursors.pop();
    void load();
  });

  function addProjects(projects: (string | null)[]): void {
    const have = [...filter.options].slice(1).map((o) => o.value);
    const all = [...new Set([...have, ...projects.filter((p): p is string => !!p)])].sort();
    if (have.join('\n') === all.join('\n')) return;
    const value = filter.value;
    filter.replaceChildren(h('option', { value: '' }, 'all projects'), ...all.map((p) => h('option', { value: p }, p)));
    filter.value = all.includes(value) ? value : '';
  }

  /** `onTop`: a run seen live goes above the others; a page's rows go in the server's order. */
  function upsert(s: RunSummary, { onTop = false } = {}): void {
    let row = rows.get(s.id);
    if (!row) {
      const box = h('input', { type: 'checkbox', testid: TID.compareSelect, 'aria-label': `select ${s.name}`, checked: selected.has(s.id) });
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
      if (onTop) tbody.prepend(tr);
      else tbody.append(tr);
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

  // The current page again (also after a reconnect): replaces the rows shown.
  async function load(): Promise<void> {
    try {
      const project = filter.value === '' ? null : filter.value;
      const [{ runs, next }, projects] = await Promise.all([
        api.listRuns({ cursor: cursors[cursors.length - 1], project }),
        api.listProjects(),
      ]);
      tbody.replaceChildren();
      rows.clear();
      for (const r of runs) upsert(r);
      nextCursor = next;
      older.hidden = next === null;
      newer.hidden = cursors.length === 1;
      const first = (cursors.length - 1) * RUNS_PAGE;
      setText(pageLabel, runs.length === 0 ? '' : `runs ${fmtInt(first + 1)}–${fmtInt(first + runs.length)}`);
      addProjects(projects);
      empty.hidden = runs.length > 0;
      ctx.showError(null);
    } catch (err) {
      ctx.showError(`Could not load runs: ${errorText(err)}`);
    }
  }

  const stop = ctx.live.listen({
    run: (s) => {
      addProjects([s.project]);
      // A run on this page is updated; a new run shows on the first page (if the filter lets it).
      const isNew = !rows.has(s.id) && cursors.length === 1 && (filter.value === '' || filter.value === s.project);
      if (rows.has(s.id) || isNew) upsert(s, { onTop: isNew });
      empty.hidden = rows.size > 0;
    },
    resync: () => void load(),
  });
  void load();
  return { el, dispose: stop };
}
