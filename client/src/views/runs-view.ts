// The runs list: live status per run, filter by project, search by name/project/id (on the
// server, so it covers every page), sort the page by any column, select several to compare.
import type { RunSummary } from '@gradpilot/sdk/protocol';
import { api, RUNS_PAGE } from '../api.ts';
import { perFrame } from '../charts/frame.ts';
import { h, setText } from '../dom.ts';
import { fmtInt } from '../format.ts';
import { TID } from '../testids.ts';
import { RATE_STALE_MS, RUN_COLUMNS, sortRuns, type RunClock, type RunColumn } from './runs-columns.ts';
import { errorText, type AppContext, type View } from './view.ts';

interface Row {
  tr: HTMLTableRowElement;
  cells: Map<string, HTMLElement>;
  summary: RunSummary;
}

/** Typing pauses this long before the server is asked. */
const SEARCH_DEBOUNCE_MS = 250;

export function runsView(ctx: AppContext): View {
  // One page of runs in the DOM at a time (newest first; the server filters by project and
  // search), so thousands of runs never make one long task of layout.
  const rows = new Map<string, Row>();
  const selected = new Set<string>();
  /** When each run's summary arrived (performance.now()): its rate is stale after RATE_STALE_MS. */
  const heardAt = new Map<string, number>();
  const clock: RunClock = { age: (id) => performance.now() - (heardAt.get(id) ?? performance.now()) };
  let sortBy: RunColumn | null = null;
  let sortDir: 1 | -1 = 1;
  const tbody = h('tbody');
  const empty = h('p', { class: 'empty', hidden: true }, 'No runs yet. Start one with the SDK, or POST /api/runs.');
  const filter = h('select', { testid: TID.projectFilter }, h('option', { value: '' }, 'all projects'));
  const search = h('input', { type: 'search', testid: TID.runsSearch, placeholder: 'search name, project, id', 'aria-label': 'search runs', autocomplete: 'off' });
  const compare = h('button', { testid: TID.compareButton, disabled: true }, 'Compare selected');
  const newer = h('button', { testid: TID.newerRuns, hidden: true }, '← Newer');
  const older = h('button', { testid: TID.olderRuns, hidden: true }, 'Older →');
  const pageLabel = h('span', { class: 'muted', testid: TID.runsPageLabel });
  /** Cursors of the pages shown so far; the last is the current page (null: the newest). */
  const cursors: (string | null)[] = [null];
  let nextCursor: string | null = null;
  const headers = RUN_COLUMNS.map((col) => {
    const th = h('th', { class: `sortable${col.numeric ? ' num' : ''}`, testid: TID.runsSortHeader, 'data-sort': col.key, title: `${col.title ? `${col.title} · ` : ''}click to sort the runs on this page` }, col.label);
    th.addEventListener('click', () => {
      sortDir = sortBy === col ? (-sortDir as 1 | -1) : col.numeric ? -1 : 1;
      sortBy = col;
      for (const other of headers) other.removeAttribute('aria-sort');
      th.setAttribute('aria-sort', sortDir === 1 ? 'ascending' : 'descending');
      resort();
    });
    return th;
  });
  const el = h(
    'div',
    { class: 'view runs-view' },
    h('div', { class: 'toolbar' }, h('h2', {}, 'Runs'), search, h('label', {}, 'Project ', filter), compare),
    h('table', { class: 'runs', testid: TID.runsTable }, h('thead', {}, h('tr', {}, h('th'), ...headers)), tbody),
    h('div', { class: 'toolbar pager' }, newer, pageLabel, older),
    empty,
  );

  compare.addEventListener('click', () => {
    location.hash = `#/compare/${[...selected].map(encodeURIComponent).join(',')}`;
  });
  const firstPage = () => {
    cursors.splice(0, cursors.length, null);
    void load();
  };
  filter.addEventListener('change', firstPage);
  let searchTimer: ReturnType<typeof setTimeout> | null = null;
  search.addEventListener('input', () => {
    if (searchTimer) clearTimeout(searchTimer);
    searchTimer = setTimeout(firstPage, SEARCH_DEBOUNCE_MS);
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

  /** Does a run seen live belong on the first page as filtered and searched? */
  function matches(s: RunSummary): boolean {
    if (filter.value !== '' && filter.value !== s.project) return false;
    const q = search.value.trim().toLowerCase();
    return q === '' || [s.name, s.project ?? '', s.id].some((t) => t.toLowerCase().includes(q));
  }

  // Rows change order only when sorted and only once per frame however many summaries came.
  const resort = perFrame(() => {
    if (!sortBy) return;
    const order = sortRuns([...rows.values()].map((r) => r.summary), sortBy, sortDir, clock);
    const current = [...tbody.children];
    if (order.every((s, i) => current[i] === rows.get(s.id)!.tr)) return;
    tbody.append(...order.map((s) => rows.get(s.id)!.tr));
  }, 250);

  function buildRow(s: RunSummary): Row {
    const box = h('input', { type: 'checkbox', testid: TID.compareSelect, 'aria-label': `select ${s.name}`, checked: selected.has(s.id) });
    box.addEventListener('change', () => {
      if (box.checked) selected.add(s.id);
      else selected.delete(s.id);
      compare.disabled = selected.size < 2;
    });
    const cells = new Map<string, HTMLElement>();
    const tds = RUN_COLUMNS.map((col) => {
      const td = h('td', { class: col.numeric ? 'num' : '', 'data-col': col.key });
      if (col.key === 'name') {
        // Three runs named linear-regression must still be told apart: the id under the name.
        td.append(h('a', { href: `#/runs/${encodeURIComponent(s.id)}` }, s.name || s.id), h('div', { class: 'run-id', testid: TID.runIdCell }, s.id));
      } else if (col.key === 'status') td.append(h('span', { class: 'status' }));
      if (col.key === 'last') td.dataset.testid = TID.runLastStep;
      cells.set(col.key, td);
      return td;
    });
    const tr = h('tr', { testid: TID.runRow, 'data-run-id': s.id }, h('td', {}, box), ...tds);
    return { tr, cells, summary: s };
  }

  function showCells(row: Row): void {
    const s = row.summary;
    for (const col of RUN_COLUMNS) if (col.text) setText(row.cells.get(col.key)!, col.text(s, clock));
    const status = row.cells.get('status')!.firstElementChild as HTMLElement;
    status.className = `status status-${s.status}`;
    setText(status, s.status);
    const nonfinite = row.cells.get('nonfinite')!;
    // nonFinite only grows, so the red mark is added once and then only its count changes.
    if (s.nonFinite > 0) {
      if (!nonfinite.querySelector('.nan-mark')) {
        nonfinite.replaceChildren(
          h('span', { class: 'nan-mark', testid: TID.runNonFinite, title: 'this run has non-finite steps' }, '●'),
          h('span', { class: 'nan-count' }),
        );
      }
      setText(nonfinite.querySelector('.nan-count')!, ` ${fmtInt(s.nonFinite)}`);
    } else setText(nonfinite, '0');
  }

  /** `onTop`: a run seen live goes above the others; a page's rows go in the server's order. */
  function upsert(s: RunSummary, { onTop = false } = {}): void {
    heardAt.set(s.id, performance.now());
    let row = rows.get(s.id);
    if (!row) {
      row = buildRow(s);
      rows.set(s.id, row);
      if (onTop) tbody.prepend(row.tr);
      else tbody.append(row.tr);
    }
    row.summary = s;
    showCells(row);
    resort();
  }

  // A run that stops sending gets no more summaries: its rate falls to 0 here by the clock.
  const staleTimer = setInterval(() => {
    for (const row of rows.values()) if (clock.age(row.summary.id) > RATE_STALE_MS) showCells(row);
  }, 2000);

  // The current page again (also after a reconnect): replaces the rows shown.
  let seq = 0;
  async function load(): Promise<void> {
    const mine = ++seq;
    try {
      const project = filter.value === '' ? null : filter.value;
      const [{ runs, next }, projects] = await Promise.all([
        api.listRuns({ cursor: cursors[cursors.length - 1], project, q: search.value.trim() || null }),
        api.listProjects(),
      ]);
      if (mine !== seq) return;
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
      setText(empty, search.value.trim() ? `No run's name, project or id contains "${search.value.trim()}".` : 'No runs yet. Start one with the SDK, or POST /api/runs.');
      ctx.showError(null);
    } catch (err) {
      ctx.showError(`Could not load runs: ${errorText(err)}`);
    }
  }

  const stop = ctx.live.listen({
    run: (s) => {
      addProjects([s.project]);
      // A run on this page is updated; a new run shows on the first page (if filter and search let it).
      const isNew = !rows.has(s.id) && cursors.length === 1 && matches(s);
      if (rows.has(s.id) || isNew) upsert(s, { onTop: isNew });
      empty.hidden = rows.size > 0;
    },
    resync: () => void load(),
  });
  void load();
  return {
    el,
    dispose() {
      stop();
      clearInterval(staleTimer);
      if (searchTimer) clearTimeout(searchTimer);
    },
  };
}
