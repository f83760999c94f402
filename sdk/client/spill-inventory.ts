// Spill files as a user sees them: which runs have steps waiting on this machine, and a way
// to send them without starting a training run (`gradpilot spill list|send`).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSpillDir } from './options.ts';
import { init } from './init.ts';
import { isOrphan, parseSpillName, readSpill } from './spill-file.ts';

/** One spill file. */
export interface SpillInfo {
  path: string;
  runId: string;
  runName: string | null;
  /** The process that wrote it. */
  pid: number;
  /** `writing`: its process still runs; `orphaned`: it died; `closed`: closed with steps undelivered. */
  state: 'writing' | 'orphaned' | 'closed';
  steps: number;
  bytes: number;
  modified: Date;
}

/**
 * The spill files in `dir` (default: the SDK's per-user spill folder), oldest first.
 *
 * @example
 * for (const s of listSpills()) console.log(s.runId, s.state, s.steps, s.path);
 */
export function listSpills(dir: string = defaultSpillDir()): SpillInfo[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: SpillInfo[] = [];
  for (const name of names.sort()) {
    const parsed = parseSpillName(name);
    if (parsed === null) continue;
    const path = join(dir, name);
    const { header, batches } = readSpill(path);
    const stat = statSync(path);
    out.push({
      path, runId: parsed.runId, runName: header?.run.name ?? null, pid: parsed.pid,
      state: parsed.closed ? 'closed' : isOrphan(parsed) ? 'orphaned' : 'writing',
      steps: batches.reduce((n, b) => n + b.step.length, 0), bytes: stat.size, modified: stat.mtime,
    });
  }
  return out;
}

/** What `deliverSpills` did for one run. */
export interface SpillDelivery {
  runId: string;
  files: string[];
  delivered: number;
  undelivered: number;
  dropped: number;
  lastError: string | null;
}

/**
 * Sends every orphaned or closed spill file in `dir` (or only those of `runId`) to the
 * server, exactly as the next `init` of each run would, and removes the files it delivered.
 * Files of processes that still run are left to them.
 *
 * @example
 * const report = await deliverSpills({ url: 'http://127.0.0.1:7070' });
 * for (const r of report) console.log(`${r.runId}: ${r.delivered} steps delivered`);
 */
export async function deliverSpills({ url, token, dir = defaultSpillDir(), runId, timeoutMs = 30_000 }: {
  url: string; token?: string; dir?: string; runId?: string; timeoutMs?: number;
}): Promise<SpillDelivery[]> {
  const byRun = new Map<string, SpillInfo[]>();
  for (const s of listSpills(dir)) {
    if (s.state === 'writing' || (runId !== undefined && s.runId !== runId)) continue;
    byRun.set(s.runId, [...(byRun.get(s.runId) ?? []), s]);
  }
  const out: SpillDelivery[] = [];
  for (const [id, files] of byRun) {
    const header = readSpill(files[0].path).header;
    const meta = header?.run;
    const run = await init({
      url, id, spillDir: dir, quiet: true,
      ...(token !== undefined ? { token } : {}),
      ...(meta?.name ? { name: meta.name } : {}),
      ...(meta?.project ? { project: meta.project } : {}),
      ...(meta?.config ? { config: meta.config } : {}),
      ...(meta?.policy ? { policy: meta.policy } : {}),
    });
    const report = await run.close({ timeoutMs });
    out.push({
      runId: id, files: files.map((f) => f.path), delivered: report.delivered,
      undelivered: report.undelivered, dropped: report.dropped, lastError: report.lastError,
    });
  }
  return out;
}
