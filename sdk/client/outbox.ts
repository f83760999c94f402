// Steps waiting for the server: the batch being filled, then sealed batches in order until
// the server acknowledges them. Memory is bounded: batches that cannot be sent now go to the
// spill file (or, without one, the oldest are dropped and counted).
import type { Action } from '../controller/types.ts';
import type { ColumnarBatch } from '../protocol/api-types.ts';
import debug from 'debug';
import { batchToJson, type SpillFile, type SpillRef } from './spill-file.ts';
import { StepColumns } from './step-columns.ts';

const log = debug('gradpilot:sdk:outbox');

interface Entry {
  seq: number;
  steps: number;
  firstStep: number;
  lastStep: number;
  /** In memory, or null when spilled. */
  batch: ColumnarBatch | null;
  spill: SpillRef | null;
  inFlight: boolean;
  /** Connections that dropped while this batch was in flight. */
  drops: number;
}

/** What is undelivered, for `close()` and `run.status()`. */
export interface OutboxCounts {
  /** Steps the server acknowledged. */
  delivered: number;
  /** Steps recorded but not acknowledged (building, queued, in flight or spilled). */
  undelivered: number;
  /** Of those, steps waiting in the spill file. */
  spilled: number;
  /** Steps dropped: memory full without a spill file, or batches the server rejected. */
  dropped: number;
  firstUndeliveredStep: number | null;
  lastUndeliveredStep: number | null;
}

export class Outbox {
  readonly #runId: string;
  readonly #builder: StepColumns;
  readonly #maxMemorySteps: number;
  #spill: SpillFile | null;
  readonly #queue: Entry[] = [];
  #seq = 0;
  #memorySteps = 0;
  #spilledSteps = 0;
  #delivered = 0;
  #dropped = 0;
  #firstBuilt: number | null = null;
  #lastBuilt: number | null = null;
  /** The file steps go to while the server is away (created on the first write), or null. */
  get spillPath(): string | null {
    return this.#spill?.path ?? null;
  }

  /** The server is unreachable, or cannot store: sealed batches go straight to the spill file. */
  away = false;

  constructor(runId: string, batchSize: number, maxMemorySteps: number, spill: SpillFile | null) {
    this.#runId = runId;
    this.#builder = new StepColumns(batchSize);
    this.#maxMemorySteps = Math.max(maxMemorySteps, batchSize);
    this.#spill = spill;
  }

  /** Records one step (`time`: wall-clock ms, Date.now()); returns true when that filled a batch (sealed, ready to send). */
  record(
    step: number, gradNorm: number, loss: number | null | undefined, lr: number | null | undefined,
    threshold: number | null, coef: number, action: Action, layers: Record<string, number> | null | undefined, time: number,
  ): boolean {
    this.#builder.push(step, gradNorm, loss, lr, threshold, coef, action, layers, time);
    if (this.#firstBuilt === null) this.#firstBuilt = step;
    this.#lastBuilt = step;
    if (!this.#builder.full) return false;
    this.seal();
    return true;
  }

  /** Closes the batch being filled (straight to disk while `away`). */
  seal(): void {
    if (this.#builder.length === 0) return;
    const batch = this.#builder.take(this.#runId, this.#seq);
    const entry: Entry = {
      seq: this.#seq++, steps: batch.step.length, firstStep: this.#firstBuilt!, lastStep: this.#lastBuilt!,
      batch, spill: null, inFlight: false, drops: 0,
    };
    this.#firstBuilt = this.#lastBuilt = null;
    this.#queue.push(entry);
    this.#memorySteps += entry.steps;
    if (this.away) this.#toDisk(entry);
    this.#bound();
  }

  /** Sealed batches not yet sent, oldest first, up to `limit` in flight; marks them in flight. */
  takeSendable(limit: number): { seq: number; batch: ColumnarBatch }[] {
    const out: { seq: number; batch: ColumnarBatch }[] = [];
    let inFlight = 0;
    for (const entry of this.#queue) {
      if (entry.inFlight) {
        inFlight++;
        continue;
      }
      if (inFlight >= limit) break;
      let batch = entry.batch ?? this.#spill!.read(entry.spill!);
      // A batch that keeps dropping the connection goes as plain JSON (exact too), in case its
      // binary form is what the server cannot take.
      if (entry.drops >= 2 && entry.batch) batch = JSON.parse(batchToJson(batch)) as ColumnarBatch;
      entry.inFlight = true;
      inFlight++;
      out.push({ seq: entry.seq, batch });
    }
    return out;
  }

  /** The server committed batch `seq`. */
  ack(seq: number): void {
    const entry = this.#remove(seq);
    if (entry) this.#delivered += entry.steps;
  }

  /** The server refused batch `seq` (invalid): resending cannot help, so it is dropped and counted. */
  reject(seq: number): void {
    const entry = this.#remove(seq);
    if (entry) this.#dropped += entry.steps;
  }

  /** Batch `seq` got no answer: send it again. */
  retry(seq: number): void {
    const entry = this.#queue.find((e) => e.seq === seq);
    if (entry) entry.inFlight = false;
  }

  /** The connection dropped: nothing is in flight any more, and everything goes to disk. */
  disconnected(): void {
    this.away = true;
    for (const entry of this.#queue) {
      if (entry.inFlight) entry.drops++;
      entry.inFlight = false;
      this.#toDisk(entry);
    }
  }

  /**
   * The server could not store a batch (disk full, locked...): until it can again, everything
   * waits on disk, as while it is unreachable, so that a crash of this process loses nothing.
   */
  serverFault(): void {
    this.away = true;
    for (const entry of this.#queue) if (!entry.inFlight) this.#toDisk(entry);
  }

  get idle(): boolean {
    return this.#queue.length === 0 && this.#builder.length === 0;
  }

  get pendingSteps(): number {
    return this.#builder.length;
  }

  counts(): OutboxCounts {
    let undelivered = this.#builder.length;
    let first = this.#firstBuilt;
    let last = this.#lastBuilt;
    for (const e of this.#queue) {
      undelivered += e.steps;
      if (first === null || e.firstStep < first) first = e.firstStep;
      if (last === null || e.lastStep > last) last = e.lastStep;
    }
    return {
      delivered: this.#delivered, undelivered, spilled: this.#spilledSteps, dropped: this.#dropped,
      firstUndeliveredStep: first, lastUndeliveredStep: last,
    };
  }

  #remove(seq: number): Entry | null {
    const i = this.#queue.findIndex((e) => e.seq === seq);
    if (i < 0) return null;
    const [entry] = this.#queue.splice(i, 1);
    if (entry.batch) this.#memorySteps -= entry.steps;
    else this.#spilledSteps -= entry.steps;
    if (this.#spilledSteps === 0 && this.#spill) this.#spill.reset();
    return entry;
  }

  #toDisk(entry: Entry): boolean {
    if (!entry.batch || !this.#spill) return false;
    try {
      entry.spill = this.#spill.append(entry.batch);
    } catch (err) {
      log('cannot write the spill file, keeping batches in memory: %s', (err as Error).message);
      this.#spill = null;
      return false;
    }
    entry.batch = null;
    this.#memorySteps -= entry.steps;
    this.#spilledSteps += entry.steps;
    return true;
  }

  /** Keeps memory under the bound: newest batches to disk, or without a disk the oldest dropped. */
  #bound(): void {
    for (let i = this.#queue.length - 1; i >= 0 && this.#memorySteps > this.#maxMemorySteps; i--) {
      const entry = this.#queue[i];
      if (!entry.inFlight && !this.#toDisk(entry)) break;
    }
    while (this.#memorySteps > this.#maxMemorySteps) {
      const i = this.#queue.findIndex((e) => e.batch !== null && !e.inFlight);
      if (i < 0) break;
      const [entry] = this.#queue.splice(i, 1);
      this.#memorySteps -= entry.steps;
      this.#dropped += entry.steps;
      log('memory full and no spill file: dropped steps %d..%d', entry.firstStep, entry.lastStep);
    }
  }

  /** Closes the spill file; keeps it (and returns its path) when it still holds undelivered steps. */
  closeSpill(): string | null {
    if (!this.#spill) return null;
    const keep = this.#queue.length > 0 || this.#builder.length > 0;
    if (keep) {
      this.away = true;
      this.seal();
      for (const entry of this.#queue) this.#toDisk(entry);
    }
    try {
      return this.#spill.close(keep);
    } catch (err) {
      log('cannot close the spill file: %s', (err as Error).message);
      return null;
    }
  }
}
