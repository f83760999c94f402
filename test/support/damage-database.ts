// Builds a gradpilot database with real runs, then damages chosen b-tree pages of it the way a
// failing disk does: the page's bytes replaced, everything else intact.
import { closeSync, openSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';
import { startServer } from '../../server/start-server.ts';
import { openReadOnly } from './store-snapshot.ts';

/** Creates runs `ids` with `steps` steps each through a real server, then closes it (the WAL is checkpointed). */
export async function buildDatabase(file: string, ids: string[], steps: number): Promise<void> {
  const server = await startServer({ db: file, port: 0, host: '127.0.0.1' });
  try {
    for (const id of ids) {
      const created = await fetch(`${server.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id, name: id }) });
      if (created.status !== 201) throw new Error(`POST /api/runs: ${created.status} ${await created.text()}`);
      for (let from = 0; from < steps; from += 2000) {
        const batch = Array.from({ length: Math.min(2000, steps - from) }, (_, i) => ({ step: from + i, gradNorm: 1 + ((from + i) % 97) / 97, loss: 0.5 }));
        const res = await fetch(`${server.url}/api/runs/${id}/steps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ steps: batch }) });
        if (res.status !== 200) throw new Error(`POST steps: ${res.status} ${await res.text()}`);
      }
    }
  } finally {
    await server.close();
  }
}

export interface BtreePage {
  pageno: number;
  /** Rows (leaf) or child pointers (interior) on the page. */
  ncell: number;
}

/** The pages of table `name`, in key order (dbstat's path), split into interior and leaf pages. */
export function btreePages(file: string, name: string): { interior: BtreePage[]; leaves: BtreePage[] } {
  const db = openReadOnly(file);
  try {
    const rows = db.prepare<[string], BtreePage & { pagetype: string; path: string }>(
      'SELECT pageno, ncell, pagetype, path FROM dbstat WHERE name = ? ORDER BY path',
    ).all(name);
    return {
      interior: rows.filter((r) => r.pagetype === 'internal').map(({ pageno, ncell }) => ({ pageno, ncell })),
      leaves: rows.filter((r) => r.pagetype === 'leaf').map(({ pageno, ncell }) => ({ pageno, ncell })),
    };
  } finally {
    db.close();
  }
}

/** Overwrites page `pageno` (1-based) with garbage. */
export function damagePage(file: string, pageno: number, pageSize = 4096): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (pageno - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
}

/**
 * Commits a no-op write from another connection. A running server keeps the pages it read in
 * its cache (its start-up quick_check read them all); a commit by someone else makes it drop
 * that cache at its next read, so that it meets the damaged pages as a long-running server
 * whose cache has moved on would.
 */
export function commitFromElsewhere(file: string): void {
  const db = new Database(file, { timeout: 5000 });
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    db.pragma(`user_version = ${version}`);
  } finally {
    db.close();
  }
}
