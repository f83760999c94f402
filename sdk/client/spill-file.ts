// Undelivered batches on disk: one JSON line per batch (non-finite numbers as wire strings,
// doubles round-trip exactly), after a header line naming the run. Synchronous on purpose:
// it is a local file, writes happen only while the server is away, and a training loop that
// never yields must still be able to bound its memory.
import {
  closeSync, constants, existsSync, lstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync,
  unlinkSync, writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Policy } from '../controller/types.ts';
import type { ColumnarBatch } from '../protocol/api-types.ts';
import type { WireNumber } from '../protocol/wire-number.ts';
import { encodeNumbers } from '../protocol/wire-number.ts';
import debug from 'debug';

const log = debug('gradpilot:sdk:spill');
const SUFFIX = '.spill.jsonl';

/** What a later process needs to deliver a dead process's batches: how to create the run. */
export interface SpillHeader {
  gradpilot: 1;
  run: { id: string; name: string; project: string | null; config: Record<string, unknown> | null; policy: Policy | null };
  pid: number;
}

/** Where a spilled batch sits in the file. */
export interface SpillRef {
  offset: number;
  length: number;
}

function column(values: Float64Array | WireNumber[]): WireNumber[] {
  return values instanceof Float64Array ? encodeNumbers(values) : values;
}

/** A batch as one JSON line: numeric columns as wire numbers so NaN/±Inf survive. */
export function batchToJson(batch: ColumnarBatch): string {
  const out: Record<string, unknown> = { runId: batch.runId, seq: batch.seq, step: Array.from(batch.step) };
  out.gradNorm = column(batch.gradNorm);
  for (const key of ['loss', 'lr', 'threshold', 'coef'] as const) {
    const values = batch[key];
    if (values) out[key] = column(values);
  }
  if (batch.action) out.action = batch.action;
  // The step's own time, so that a batch delivered after an outage is not stamped on arrival.
  if (batch.time) out.time = Array.from(batch.time);
  if (batch.layers) {
    const layers: Record<string, WireNumber[]> = {};
    for (const name in batch.layers) layers[name] = column(batch.layers[name]);
    out.layers = layers;
  }
  return JSON.stringify(out);
}

/** Number of steps in a batch. */
export function batchLength(batch: ColumnarBatch): number {
  return batch.step.length;
}

/** Whether the process that writes a spill file still runs (then its file is not an orphan). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function closedName(path: string): string {
  return path.slice(0, -SUFFIX.length) + `-closed-${Date.now()}${SUFFIX}`;
}

/** Created here or not at all: never through a planted symlink, never another user's file. */
function openExclusive(path: string): number {
  return openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
}

/** The spill folder must be ours alone: a real directory, our uid, no access for others. */
function assertPrivateDir(dir: string): void {
  const st = lstatSync(dir);
  const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new Error(`the spill folder ${dir} is not a private directory of this user (mode 0700); spilling is off`);
  }
}

/** This process's spill file for one run; opened on the first write. */
export class SpillFile {
  readonly path: string;
  readonly #header: SpillHeader;
  #fd: number | null = null;
  #size = 0;

  constructor(dir: string, header: SpillHeader) {
    this.path = join(dir, `${header.run.id}.${header.pid}${SUFFIX}`);
    this.#header = header;
  }

  /** Appends a batch; returns where it went. Throws on I/O errors (the caller keeps it in memory). */
  append(batch: ColumnarBatch): SpillRef {
    const fd = this.#open();
    const line = Buffer.from(batchToJson(batch) + '\n');
    writeSync(fd, line, 0, line.length, this.#size);
    const ref = { offset: this.#size, length: line.length - 1 };
    this.#size += line.length;
    return ref;
  }

  read(ref: SpillRef): ColumnarBatch {
    if (this.#fd === null) throw new Error(`spill file ${this.path} is not open`);
    const buf = Buffer.alloc(ref.length);
    readSync(this.#fd, buf, 0, ref.length, ref.offset);
    return JSON.parse(buf.toString('utf8')) as ColumnarBatch;
  }

  /** Nothing in the file is needed any more: keep only the header. */
  reset(): void {
    if (this.#fd === null) return;
    const header = Buffer.from(JSON.stringify(this.#header) + '\n');
    ftruncateSync(this.#fd, header.length);
    this.#size = header.length;
  }

  /** Closes the file: deleted when empty, otherwise renamed so that a later `init` of the run adopts it. */
  close(keep: boolean): string | null {
    if (this.#fd === null) return null;
    closeSync(this.#fd);
    this.#fd = null;
    if (!keep) {
      unlinkSync(this.path);
      return null;
    }
    const kept = closedName(this.path);
    renameSync(this.path, kept);
    return kept;
  }

  #open(): number {
    if (this.#fd !== null) return this.#fd;
    const dir = dirname(this.path);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    assertPrivateDir(dir);
    try {
      this.#fd = openExclusive(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A file of an earlier process that had our pid (a container restarts with the same
      // pids): keep it as a closed spill, to be delivered, and start our own.
      renameSync(this.path, closedName(this.path));
      this.#fd = openExclusive(this.path);
    }
    const header = Buffer.from(JSON.stringify(this.#header) + '\n');
    writeSync(this.#fd, header, 0, header.length, 0);
    this.#size = header.length;
    log('spilling to %s', this.path);
    return this.#fd;
  }
}

/** What a spill file's name says: the run, the writing process, and whether it was closed. */
export interface SpillName {
  runId: string;
  pid: number;
  closed: boolean;
}

/** Parses `<runId>.<pid>[-closed-<ms>].spill.jsonl`; the pid is the last dotted part, so run ids may hold dots. */
export function parseSpillName(name: string): SpillName | null {
  if (!name.endsWith(SUFFIX)) return null;
  const m = /^(.+)\.(\d+)(-closed-\d+)?$/.exec(name.slice(0, -SUFFIX.length));
  return m ? { runId: m[1], pid: Number(m[2]), closed: m[3] !== undefined } : null;
}

/** An orphan: closed with steps undelivered, or written by a process that is gone. */
export function isOrphan({ pid, closed }: SpillName): boolean {
  return closed || (pid !== process.pid && !isAlive(pid));
}

/**
 * Spill files of `runId` left behind by a process that died (or closed with steps
 * undelivered), oldest first.
 */
export function findOrphanSpills(dir: string, runId: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const parsed = parseSpillName(name);
    if (parsed === null || parsed.runId !== runId || !isOrphan(parsed)) continue;
    out.push(join(dir, name));
  }
  return out.sort();
}

/** Reads a spill file's batches; a torn last line (a crash mid-write) is dropped. */
export function readSpill(path: string): { header: SpillHeader | null; batches: ColumnarBatch[] } {
  const lines = readFileSync(path, 'utf8').split('\n');
  let header: SpillHeader | null = null;
  const batches: ColumnarBatch[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(lines[i]);
    } catch {
      log('%s line %d is torn, dropped', path, i + 1);
      continue;
    }
    if (i === 0) header = value as SpillHeader;
    else batches.push(value as ColumnarBatch);
  }
  return { header, batches };
}

/** Removes an adopted spill file. */
export function removeSpill(path: string): void {
  unlinkSync(path);
}
