// A damaged database file: the server refuses to start on it (PRAGMA quick_check), naming the
// file and leaving it as it is. Pages that go bad under a running server make an
// export fail so that the client can tell: before the first row, an error status naming the
// cause; mid-stream, a chunked response cut short (curl exits 18), and one line on stderr.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { btreePages, buildDatabase, commitFromElsewhere, damagePage } from '../support/damage-database.ts';
import { startServer } from '../../server/start-server.ts';
import { ServerProcess } from '../support/server-process.ts';

// Two pages of the export (5,000 rows each) and then some.
const STEPS = 12_000;

function sha(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function hasCurl(): boolean {
  return spawnSync('curl', ['--version']).status === 0;
}

describe('a damaged database', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  function tempDir(): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'gradpilot-damaged-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  it('should refuse to start on a file whose interior b-tree pages are damaged, naming it and leaving it untouched', async () => {
    const db = path.join(tempDir(), 'damaged.db');
    await buildDatabase(db, ['a'], 20_000); // a b-tree of three levels: interior pages below the root
    const { interior } = btreePages(db, 'steps');
    expect(interior.length).toBeGreaterThan(1);
    damagePage(db, interior[interior.length - 1].pageno);
    const before = sha(db);

    const refused = startServer({ db, port: 0, host: '127.0.0.1' });
    await expect(refused).rejects.toThrow(`The database ${db} is damaged: PRAGMA quick_check found: `);
    await expect(refused).rejects.toThrow(/Refusing to serve it .*\.recover/);
    expect(sha(db)).toBe(before);
  }, 120_000);

  it('should answer an export failing before its first row with an error status, and cut one failing mid-stream short', async () => {
    const db = path.join(tempDir(), 'export.db');
    await buildDatabase(db, ['early', 'late'], STEPS);
    const server = new ServerProcess({ db });
    cleanup.push(() => server.dispose());
    await server.start();
    // Pages go bad under the running server: the first page of run "early" (rid 1), and one
    // 60 % into run "late" (rid 2).
    const { leaves } = btreePages(db, 'steps');
    let seen = 0;
    let midLate: number | null = null;
    for (const leaf of leaves) {
      seen += leaf.ncell;
      if (midLate === null && seen > STEPS + 0.6 * STEPS) midLate = leaf.pageno;
    }
    damagePage(db, leaves[0].pageno);
    damagePage(db, midLate!);
    commitFromElsewhere(db);

    const early = await fetch(`${server.url}/api/runs/early/export.csv`);
    expect(early.status).toBe(500);
    expect(early.headers.get('content-type')).toMatch(/json/);
    expect(early.headers.get('content-disposition')).toBeNull();
    expect(((await early.json()) as { error: string }).error).toContain(`Server fault: ${db} is damaged (SQLITE_CORRUPT`);

    const late = await fetch(`${server.url}/api/runs/late/export.csv`);
    expect(late.status).toBe(200);
    const reader = late.body!.getReader();
    let text = '';
    const read = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += Buffer.from(value).toString();
      }
    })();
    await expect(read).rejects.toThrow(/terminated/);
    const rows = text.split('\r\n').filter(Boolean).length - 1;
    expect(rows).toBeGreaterThan(0.3 * STEPS);
    expect(rows).toBeLessThan(STEPS);
    if (hasCurl()) {
      // What a shell script sees: curl's exit code 18 (partial file), not 0 with a short CSV.
      const curl = spawnSync('curl', ['-sS', '-o', '/dev/null', `${server.url}/api/runs/late/export.csv`], { encoding: 'utf8' });
      expect(curl.status).toBe(18);
    }

    await server.stop();
    expect(server.log).toContain(`gradpilot: GET /api/runs/early/export.csv failed: ${db} is damaged (SQLITE_CORRUPT`);
    expect(server.log).toContain(`gradpilot: export of run "late" (aborted mid-stream) failed: ${db} is damaged (SQLITE_CORRUPT`);
  }, 120_000);
});
