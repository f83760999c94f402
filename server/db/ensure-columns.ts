// Columns added after a table first shipped: added in place to files written by an older
// server (ALTER TABLE ADD COLUMN keeps every row, with the column's default), so existing
// databases keep working. A fresh file gets them the same way, right after the schema.
import type Database from 'better-sqlite3';

/** Columns by table: name -> SQL definition (type and default). */
const ADDED_COLUMNS: Record<string, Record<string, string>> = {
  // A burst of consecutive non-finite steps is one event: its first step, last step and count.
  events: { last_step: 'INTEGER', count: 'INTEGER NOT NULL DEFAULT 1' },
  // Wall-clock time per step (ms since the epoch; NULL in rows stored before the column), and
  // the time of each rollup bucket's first step.
  steps: { time: 'REAL' },
  superseded_steps: { time: 'REAL' },
  rollups: { first_time: 'REAL' },
  // NaN and ±Infinity norms per layer bucket: the max alone lets a number hide a NaN. Old files
  // get the column as 0 and then their rollups rebuilt (ROLLUP_LAYOUT_VERSION 4, store.ts).
  layer_rollups: { non_finite: 'INTEGER NOT NULL DEFAULT 0' },
};

export function ensureColumns(db: Database.Database): void {
  for (const [table, columns] of Object.entries(ADDED_COLUMNS)) {
    const have = new Set((db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name));
    for (const [name, definition] of Object.entries(columns)) {
      if (!have.has(name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${definition}`);
    }
  }
}
