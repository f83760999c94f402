// Steps a dead process (or a run closed with steps undelivered) left in spill files: this
// run delivers them first, before its own, and before a resume replaces later steps.
import debug from 'debug';
import type { ColumnarBatch } from '../protocol/api-types.ts';
import { RefusedError } from './connection.ts';
import type { OutboxCounts } from './outbox.ts';
import { findOrphanSpills, readSpill, removeSpill } from './spill-file.ts';

const log = debug('gradpilot:sdk:orphans');

export class OrphanSpills {
  readonly #files: { path: string; batches: ColumnarBatch[] }[] = [];
  #delivered = 0;
  #dropped = 0;

  /** The spill files of `runId` in `dir` that no live process owns. */
  static load(dir: string | null, runId: string): OrphanSpills {
    const orphans = new OrphanSpills();
    if (dir === null) return orphans;
    for (const path of findOrphanSpills(dir, runId)) {
      try {
        orphans.#files.push({ path, batches: readSpill(path).batches });
        log('will deliver %s first', path);
      } catch (err) {
        log('cannot read %s: %s', path, (err as Error).message);
      }
    }
    return orphans;
  }

  get empty(): boolean {
    return this.#files.length === 0;
  }

  /**
   * Sends every batch in order, removing each file once all of it is acknowledged. A batch
   * the server refuses is counted as dropped (sending it again cannot help); any other
   * failure (a disconnect) stops here and the next call continues where this one stopped.
   */
  async deliver(runId: string, send: (batch: ColumnarBatch) => Promise<unknown>, refused: (err: RefusedError, path: string) => void): Promise<void> {
    while (this.#files.length > 0) {
      const { path, batches } = this.#files[0];
      while (batches.length > 0) {
        try {
          await send({ ...batches[0], runId });
          this.#delivered += batches[0].step.length;
        } catch (err) {
          if (!(err instanceof RefusedError)) throw err;
          this.#dropped += batches[0].step.length;
          refused(err, path);
        }
        batches.shift();
      }
      removeSpill(path);
      this.#files.shift();
    }
  }

  /** Adds what these files hold to a run's counts. */
  addTo(c: OutboxCounts): OutboxCounts {
    c.delivered += this.#delivered;
    c.dropped += this.#dropped;
    for (const { batches } of this.#files) {
      for (const b of batches) {
        c.undelivered += b.step.length;
        const first = Number(b.step[0]);
        const last = Number(b.step[b.step.length - 1]);
        if (c.firstUndeliveredStep === null || first < c.firstUndeliveredStep) c.firstUndeliveredStep = first;
        if (c.lastUndeliveredStep === null || last > c.lastUndeliveredStep) c.lastUndeliveredStep = last;
      }
    }
    return c;
  }
}
