// Which store `--db` names: a `postgres://` (or `postgresql://`) URL selects PostgreSQL, anything
// else is a SQLite file (the default, ./gradpilot.db).
import type { WarmupSource } from '../ingest/run-detectors.ts';
import { openServerStore } from './open-server-store.ts';
import type { ServerStore } from './server-store.ts';
import { SqliteServerStore } from './sqlite-server-store.ts';
import type { FaultReporter } from './write-health.ts';

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

export interface OpenedStore {
  store: ServerStore;
  /** Where a fresh event detector reads the run's history synchronously (SQLite only). */
  warmup: WarmupSource | null;
}

export async function openStore(db: string, { report }: { report?: FaultReporter } = {}): Promise<OpenedStore> {
  if (isPostgresUrl(db)) {
    const { openPostgresStore } = await import('./postgres/pg-server-store.ts');
    return { store: await openPostgresStore(db, report ? { report } : {}), warmup: null };
  }
  const sync = openServerStore(db, report ? { report } : {});
  return {
    store: new SqliteServerStore(sync),
    warmup: { policy: (rid) => sync.policies.latest(rid)?.policy, rows: (rid, from, to) => sync.steps.rawRange(rid, from, to) },
  };
}
