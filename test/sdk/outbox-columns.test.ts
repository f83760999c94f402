// The outbox's pure parts: columns, the spill file, memory bounds, ordering.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../sdk/client/outbox.ts';
import { findOrphanSpills, readSpill, SpillFile } from '../../sdk/client/spill-file.ts';
import { StepColumns } from '../../sdk/client/step-columns.ts';
import { tempDir } from './helpers.ts';

const dirs: string[] = [];
function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A wall-clock time (ms) to give the steps. */
const T0 = 1_764_590_400_000;

function header(id: string, pid = process.pid) {
  return { gradpilot: 1 as const, pid, run: { id, name: id, project: null, config: null, policy: null } };
}

describe('StepColumns', () => {
  it('should send complete numeric columns as Float64Array, keeping NaN and ±Infinity bit for bit', () => {
    const c = new StepColumns(4);
    c.push(0, Number.NaN, 1, 0.1, 2, 1, 'apply', null, T0 + 0);
    c.push(1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.1, 2, 0, 'skip', null, T0 + 1);
    const b = c.take('r', 7);
    expect(b.seq).toBe(7);
    expect(b.gradNorm).toBeInstanceOf(Float64Array);
    expect(Array.from(b.gradNorm as Float64Array)).toEqual([Number.NaN, Number.POSITIVE_INFINITY]);
    expect(Array.from(b.loss as Float64Array)).toEqual([1, Number.NEGATIVE_INFINITY]);
    expect(b.action).toEqual(['apply', 'skip']);
    expect(b.time).toBeInstanceOf(Float64Array);
    expect(Array.from(b.time!)).toEqual([T0, T0 + 1]);
    expect(c.length).toBe(0);
  });

  it('should send layer columns as wire numbers, so a batch never exceeds socket.io\'s 10 binary attachments', () => {
    const c = new StepColumns(2);
    const layers: Record<string, number> = {};
    for (let i = 0; i < 20; i++) layers[`layer${i}`] = i === 3 ? Number.NaN : i;
    c.push(0, 1, 1, 1, 1, 1, 'apply', layers, T0 + 0);
    const b = c.take('r', 0);
    const binary = Object.values(b).filter((v) => v instanceof Float64Array).length;
    expect(binary).toBeLessThanOrEqual(7);
    expect(b.layers!.layer3).toEqual(['NaN']);
    expect(b.layers!.layer7).toEqual([7]);
  });

  it('should send a column with gaps as wire numbers with null for missing, and omit an empty one', () => {
    const c = new StepColumns(4);
    c.push(0, 1, Number.NaN, null, null, 1, 'apply', { a: 1 }, T0 + 0);
    c.push(1, 2, null, null, 3, 1, 'apply', { b: Number.POSITIVE_INFINITY }, T0 + 1);
    const b = c.take('r', 0);
    expect(b.loss).toEqual(['NaN', null]);
    expect(b.lr).toBeUndefined();
    expect(b.threshold).toEqual([null, 3]);
    expect(b.layers).toEqual({ a: [1, null], b: [null, 'Infinity'] });
    const next = c.take('r', 1);
    expect(next.step.length).toBe(0);
    expect(next.layers).toBeUndefined();
  });
});

describe('SpillFile', () => {
  it('should give back every batch exactly, non-finite values included, after a reset too', () => {
    const d = dir();
    const f = new SpillFile(d, header('run1'));
    const c = new StepColumns(3);
    c.push(5, Number.NaN, -0.5, null, 1e-300, 0.25, 'clip', { w: Number.NEGATIVE_INFINITY }, T0 + 5);
    c.push(6, 1.7976931348623157e308, 0.1 + 0.2, null, null, 1, 'apply', { w: 2 }, T0 + 6);
    const ref = f.append(c.take('run1', 3));
    const back = f.read(ref);
    expect(back.step).toEqual([5, 6]);
    expect(back.gradNorm).toEqual(['NaN', 1.7976931348623157e308]);
    expect(back.loss).toEqual([-0.5, 0.1 + 0.2]);
    expect(back.threshold).toEqual([1e-300, null]);
    expect(back.layers).toEqual({ w: ['-Infinity', 2] });
    expect(back.time).toEqual([T0 + 5, T0 + 6]); // the steps' own times, not the delivery's
    f.reset();
    c.push(7, 1, null, null, null, 1, 'apply', null, T0 + 7);
    const ref2 = f.append(c.take('run1', 4));
    expect(f.read(ref2).step).toEqual([7]);
    expect(readSpill(f.path).batches.map((b) => b.seq)).toEqual([4]);
    expect(f.close(false)).toBeNull();
    expect(existsSync(f.path)).toBe(false);
  });

  it('should find the spill files of dead processes and closed runs, and drop a torn last line', () => {
    const d = dir();
    const mine = new SpillFile(d, header('run1'));
    const c = new StepColumns(2);
    c.push(0, 1, null, null, null, 1, 'apply', null, T0 + 0);
    mine.append(c.take('run1', 0));
    // A process that cannot exist (pid far above pid_max) left a file, torn mid-line.
    const deadPath = path.join(d, 'run1.99999999.spill.jsonl');
    writeFileSync(deadPath, JSON.stringify(header('run1', 99999999)) + '\n' + readFileSync(mine.path, 'utf8').split('\n')[1] + '\n{"runId":"ru');
    const other = path.join(d, 'run2.99999999.spill.jsonl');
    writeFileSync(other, JSON.stringify(header('run2', 99999999)) + '\n');
    expect(findOrphanSpills(d, 'run1')).toEqual([deadPath]);
    const { header: h, batches } = readSpill(deadPath);
    expect(h?.run.id).toBe('run1');
    expect(batches.map((b) => b.step)).toEqual([[0]]);
    const kept = mine.close(true);
    expect(kept).toMatch(/run1\.\d+-closed-\d+\.spill\.jsonl$/);
    expect(findOrphanSpills(d, 'run1')).toEqual([kept, deadPath].sort());
  });
});

describe('Outbox', () => {
  function fill(o: Outbox, from: number, n: number): void {
    for (let s = from; s < from + n; s++) o.record(s, s, null, null, null, 1, 'apply', null, T0 + s);
  }

  it('should hand out batches in order, at most `limit` in flight, and resend after a disconnect', () => {
    const o = new Outbox('r', 2, 100, null);
    o.away = false;
    fill(o, 0, 7);
    o.seal();
    const first = o.takeSendable(2);
    expect(first.map((b) => Array.from(b.batch.step))).toEqual([[0, 1], [2, 3]]);
    expect(o.takeSendable(2)).toEqual([]);
    o.ack(first[1].seq);
    const next = o.takeSendable(2);
    expect(next.map((b) => Array.from(b.batch.step))).toEqual([[4, 5]]);
    o.disconnected();
    o.away = false;
    const again = o.takeSendable(10);
    expect(again.map((b) => Array.from(b.batch.step))).toEqual([[0, 1], [4, 5], [6]]);
    for (const b of again) o.ack(b.seq);
    expect(o.counts()).toMatchObject({ delivered: 7, undelivered: 0, dropped: 0 });
    expect(o.idle).toBe(true);
  });

  it('should send a batch as plain JSON after the connection dropped twice while it was in flight', () => {
    const o = new Outbox('r', 2, 100, null);
    o.away = false;
    fill(o, 0, 2);
    expect(o.takeSendable(1)[0].batch.gradNorm).toBeInstanceOf(Float64Array);
    o.disconnected();
    o.away = false;
    expect(o.takeSendable(1)[0].batch.gradNorm).toBeInstanceOf(Float64Array);
    o.disconnected();
    o.away = false;
    expect(o.takeSendable(1)[0].batch.gradNorm).toEqual([0, 1]);
  });

  it('should keep memory bounded by spilling, and lose nothing', () => {
    const d = dir();
    const spill = new SpillFile(d, header('r'));
    const o = new Outbox('r', 10, 30, spill);
    o.away = false;
    fill(o, 0, 100);
    const c = o.counts();
    expect(c.undelivered).toBe(100);
    expect(c.spilled).toBe(70);
    const steps: number[] = [];
    for (let out = o.takeSendable(3); out.length > 0; out = o.takeSendable(3)) {
      for (const b of out) {
        steps.push(...Array.from(b.batch.step as ArrayLike<number>));
        o.ack(b.seq);
      }
    }
    expect(steps).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(o.counts()).toMatchObject({ delivered: 100, spilled: 0, undelivered: 0 });
    expect(o.closeSpill()).toBeNull();
  });

  it('should drop the oldest batches and count them when memory is full and there is no spill file', () => {
    const o = new Outbox('r', 10, 30, null);
    fill(o, 0, 50);
    expect(o.counts()).toMatchObject({ undelivered: 30, dropped: 20, firstUndeliveredStep: 20, lastUndeliveredStep: 49 });
  });

  it('should write sealed batches straight to disk while the server is away', () => {
    const d = dir();
    const o = new Outbox('r', 5, 1000, new SpillFile(d, header('r')));
    o.away = true;
    fill(o, 0, 12);
    expect(o.counts()).toMatchObject({ undelivered: 12, spilled: 10 });
    const kept = o.closeSpill();
    expect(kept).not.toBeNull();
    expect(readSpill(kept!).batches.flatMap((b) => Array.from(b.step))).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });
});
