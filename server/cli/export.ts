// `gradpilot export --db file --run id [--out file]`: a run's steps as CSV, straight from
// the SQLite file (no server needed; safe while a server writes, thanks to WAL), or from a
// PostgreSQL database (`--db postgres://...`).
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { isPostgresUrl } from '../db/open-store.ts';
import type { ServerStore } from '../db/server-store.ts';
import { Store } from '../db/store.ts';
import { SqliteServerStore } from '../db/sqlite-server-store.ts';
import { writeRunCsv } from '../export/write-run-csv.ts';
import { watchForClosedPipe } from './closed-pipe.ts';
import { UsageError, parseFlags } from './parse-flags.ts';

const USAGE = `gradpilot export --run <id> [--db ./gradpilot.db] [--out file.csv]

Writes the run's steps as CSV (step,gradNorm,loss,lr,threshold,coef,action,time, then one
column per layer; time in ms since the epoch) to --out, or to stdout. --db defaults to GRADPILOT_DB or ./gradpilot.db.`;

export async function run(args: string[]): Promise<number> {
  let runId: string;
  let db: string;
  let outPath: string | undefined;
  try {
    const { flags, rest } = parseFlags(args, ['db', 'run', 'out'], ['help']);
    if (flags.has('help')) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (rest.length > 0) throw new UsageError(`Unexpected argument "${rest[0]}"`);
    const r = flags.get('run');
    if (!r) throw new UsageError('Missing --run <id>: the run to export (see GET /api/runs)');
    runId = r;
    db = flags.get('db') ?? process.env.GRADPILOT_DB ?? './gradpilot.db';
    outPath = flags.get('out');
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`gradpilot export: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  let store: ServerStore;
  if (isPostgresUrl(db)) {
    const { openPostgresStore } = await import('../db/postgres/pg-server-store.ts');
    store = await openPostgresStore(db);
  } else {
    const { existsSync } = await import('node:fs');
    if (!existsSync(db)) {
      process.stderr.write(`gradpilot export: no database at "${db}"; pass --db <file>\n`);
      return 1;
    }
    store = new SqliteServerStore(new Store(db));
  }
  try {
    const row = await store.runs.byId(runId);
    if (!row) {
      process.stderr.write(`gradpilot export: unknown run "${runId}" in ${store.label}\n`);
      return 1;
    }
    const out = outPath ? createWriteStream(outPath) : process.stdout;
    const watch = watchForClosedPipe(out);
    await writeRunCsv(store, row.rid, out);
    if (outPath && !out.destroyed) {
      out.end();
      await finished(out).catch(() => {}); // an error here is in watch.error
    }
    if (watch.error) {
      process.stderr.write(`gradpilot export: could not write ${outPath ?? 'to stdout'}: ${watch.error.message}\n`);
      return 1;
    }
    return 0;
  } finally {
    await store.close();
  }
}
