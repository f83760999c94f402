// Runs and their running counters (steps, last step, clipped, skipped, non-finite, events),
// updated in the same transaction as the steps so a summary never needs a scan.
import type { Db } from './open-database.ts';
import { TOP_LEVEL } from './rollup-store.ts';

export interface RunRow {
  rid: number;
  id: string;
  name: string;
  project: string | null;
  config: string | null;
  created_at: string;
  finished_at: string | null;
  steps: number;
  last_step: number | null;
  last_step_at: string | null;
  clipped: number;
  skipped: number;
  non_finite: number;
  events: number;
}

export interface IngestCounts {
  accepted: number;
  clipped: number;
  skipped: number;
  nonFinite: number;
  maxStep: number | null;
}

export class RunStore {
  readonly #insert;
  readonly #byId;
  readonly #byRid;
  readonly #all;
  readonly #page;
  readonly #projectPage;
  readonly #searchPage;
  readonly #projects;
  readonly #bump;
  readonly #recount;
  readonly #addEvents;
  readonly #recountEvents;
  readonly #finish;
  readonly #count;

  constructor(db: Db) {
    this.#insert = db.prepare('INSERT INTO runs (id, name, project, config, created_at) VALUES (?, ?, ?, ?, ?)');
    this.#byId = db.prepare<[string], RunRow>('SELECT * FROM runs WHERE id = ?');
    this.#byRid = db.prepare<[number], RunRow>('SELECT * FROM runs WHERE rid = ?');
    this.#all = db.prepare<[], RunRow>('SELECT * FROM runs ORDER BY rid DESC');
    this.#page = db.prepare<[number, number], RunRow>('SELECT * FROM runs WHERE rid < ? ORDER BY rid DESC LIMIT ?');
    this.#projectPage = db.prepare<[string, number, number], RunRow>('SELECT * FROM runs WHERE project = ? AND rid < ? ORDER BY rid DESC LIMIT ?');
    // LIKE is case-insensitive for ASCII in SQLite; `\` escapes the user's % and _.
    this.#searchPage = db.prepare<{ q: string; project: string | null; before: number; limit: number }, RunRow>(
      `SELECT * FROM runs WHERE rid < @before AND (@project IS NULL OR project = @project)
         AND (name LIKE @q ESCAPE '\\' OR project LIKE @q ESCAPE '\\' OR id LIKE @q ESCAPE '\\')
       ORDER BY rid DESC LIMIT @limit`,
    );
    this.#projects = db.prepare<[], { project: string }>('SELECT DISTINCT project FROM runs WHERE project IS NOT NULL ORDER BY project');
    this.#bump = db.prepare(
      `UPDATE runs SET steps = steps + @accepted, clipped = clipped + @clipped, skipped = skipped + @skipped,
         non_finite = non_finite + @nonFinite, last_step = max(coalesce(last_step, -1), coalesce(@maxStep, -1)),
         last_step_at = @at, finished_at = NULL WHERE rid = @rid`,
    );
    this.#recount = db.prepare(
      `UPDATE runs SET
         steps = coalesce((SELECT sum(count) FROM rollups WHERE rid = @rid AND level = ${TOP_LEVEL}), 0),
         clipped = coalesce((SELECT sum(clipped) FROM rollups WHERE rid = @rid AND level = ${TOP_LEVEL}), 0),
         skipped = coalesce((SELECT sum(skipped) FROM rollups WHERE rid = @rid AND level = ${TOP_LEVEL}), 0),
         non_finite = coalesce((SELECT sum(non_finite) FROM rollups WHERE rid = @rid AND level = ${TOP_LEVEL}), 0),
         last_step = (SELECT max(step) FROM steps WHERE rid = @rid)
       WHERE rid = @rid`,
    );
    this.#addEvents = db.prepare('UPDATE runs SET events = events + ? WHERE rid = ?');
    this.#recountEvents = db.prepare('UPDATE runs SET events = (SELECT count(*) FROM events WHERE rid = @rid) WHERE rid = @rid');
    this.#finish = db.prepare('UPDATE runs SET finished_at = ? WHERE rid = ?');
    this.#count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM runs');
  }

  create(id: string, name: string, project: string | null, config: unknown, at: string): RunRow {
    const rid = Number(this.#insert.run(id, name, project, config === null || config === undefined ? null : JSON.stringify(config), at).lastInsertRowid);
    return this.#byRid.get(rid) as RunRow;
  }

  byId(id: string): RunRow | undefined {
    return this.#byId.get(id);
  }

  byRid(rid: number): RunRow | undefined {
    return this.#byRid.get(rid);
  }

  all(): RunRow[] {
    return this.#all.all();
  }

  /**
   * Newest first: at most `limit` runs created before run `beforeRid` (null: from the newest),
   * of `project` if given, whose name, project or id contains `search` if given.
   */
  page(limit: number, beforeRid: number | null, project: string | null = null, search: string | null = null): RunRow[] {
    const before = beforeRid ?? Number.MAX_SAFE_INTEGER;
    if (search !== null) {
      const q = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      return this.#searchPage.all({ q, project, before, limit });
    }
    return project === null ? this.#page.all(before, limit) : this.#projectPage.all(project, before, limit);
  }

  /** Every project name in use, sorted. */
  projects(): string[] {
    return this.#projects.all().map((r) => r.project);
  }

  count(): number {
    return this.#count.get()?.n ?? 0;
  }

  bump(rid: number, c: IngestCounts, at: string): void {
    this.#bump.run({ rid, accepted: c.accepted, clipped: c.clipped, skipped: c.skipped, nonFinite: c.nonFinite, maxStep: c.maxStep, at });
  }

  /** Recomputes the step counters from the rollups (after steps were superseded). */
  recount(rid: number): void {
    this.#recount.run({ rid });
    this.#recountEvents.run({ rid });
  }

  addEvents(rid: number, n: number): void {
    if (n > 0) this.#addEvents.run(n, rid);
  }

  finish(rid: number, at: string): void {
    this.#finish.run(at, rid);
  }
}
