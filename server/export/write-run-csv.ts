// A run's steps as CSV (RFC 4180: CRLF line ends; text cells through csvText, which quotes
// them and keeps spreadsheets from running them as formulas). Numbers stay bare: "-1.5" and
// "-Infinity" are values, not formulas. Written a page at a time with keyset pagination, waiting for the
// stream to drain, so a 10M-step run streams in constant memory and never holds a SQLite
// statement open across an await (better-sqlite3 would refuse other queries meanwhile).
import type { Writable } from 'node:stream';
import { formatCsvNumber } from '@gradpilot/sdk/protocol';
import type { ServerStore } from '../db/server-store.ts';
import { decodeRow } from '../db/step-store.ts';
import { csvText } from './csv-text.ts';

/** `time`: wall-clock ms since the epoch (empty for steps stored before the column). */
export const CSV_COLUMNS = ['step', 'gradNorm', 'loss', 'lr', 'threshold', 'coef', 'action', 'time'] as const;
const PAGE = 5000;

/** Resolves when the stream drains, or closes (a client that went away must not hang us). */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}

/** One page of rows as CSV lines, and the last step in it (null: no rows left). */
async function csvPage(store: ServerStore, rid: number, layers: [string, number][], after: number): Promise<{ chunk: string; last: number | null; full: boolean }> {
  const rows = await store.steps.rawRange(rid, after + 1, Number.MAX_SAFE_INTEGER, PAGE);
  if (rows.length === 0) return { chunk: '', last: null, full: false };
  const first = rows[0].step;
  const last = rows[rows.length - 1].step;
  const layerValues = await Promise.all(layers.map(async ([, idx]) => new Map((await store.steps.layerRange(rid, idx, first, last)).map((r) => [r.step, r.value]))));
  let chunk = '';
  for (const r of rows) {
    const s = decodeRow(r);
    let line = String(s.step);
    for (const v of s.values) line += ',' + formatCsvNumber(v);
    line += ',' + (s.action ?? ''); // apply | clip | skip, decoded from a number: never user text
    line += ',' + formatCsvNumber(s.time);
    for (const m of layerValues) line += ',' + formatCsvNumber(m.get(s.step));
    chunk += line + '\r\n';
  }
  return { chunk, last, full: rows.length === PAGE };
}

/**
 * Writes the run as CSV. Nothing is written until the header and the first page have been
 * read, so a store that fails at once (a damaged file) throws before the first byte and an
 * HTTP caller can still answer with an error status; a failure after that throws mid-stream.
 */
export async function writeRunCsv(store: ServerStore, rid: number, out: Writable): Promise<void> {
  const layers = [...(await store.steps.layerNames(rid)).entries()].sort((a, b) => a[1] - b[1]);
  const header = [...CSV_COLUMNS, ...layers.map(([name]) => name)].map(csvText).join(',');
  let page = await csvPage(store, rid, layers, -1);
  if (!out.write(header + '\r\n' + page.chunk)) await drained(out);
  while (page.full && page.last !== null) {
    if (out.destroyed) return;
    page = await csvPage(store, rid, layers, page.last);
    if (page.chunk !== '' && !out.write(page.chunk)) await drained(out);
  }
}
