// Sends step batches, and keeps a newer SDK working with a server from before the per-step
// `time` column. Such a server validates batches strictly and refuses the whole batch for the
// unknown field; the SDK drops refused batches (resending an invalid batch cannot help), so
// without this every step of the run would be lost until the server is upgraded.
import type { ColumnarBatch, IngestResult } from '../protocol/api-types.ts';
import { RefusedError } from './connection.ts';

/** How a server from before the time column words its refusal (sdk/protocol/validate.ts, rejectUnknownKeys). */
const TIME_REFUSAL = /^Unknown field "time" in the batch\b/;

/** True when `message` is an older server refusing the batch's `time` column, and nothing else. */
export function refusesTimeColumn(message: string): boolean {
  return TIME_REFUSAL.test(message);
}

/** The batch without its `time` column (the server stores arrival times instead). */
export function withoutTime(batch: ColumnarBatch): ColumnarBatch {
  const { time: _time, ...rest } = batch;
  return rest;
}

export class StepsSender {
  readonly #send: (batch: ColumnarBatch) => Promise<IngestResult>;
  readonly #onOlderServer: (message: string) => void;
  #sendTime = true;

  /** `onOlderServer` is told once, when the server turns out not to take the time column. */
  constructor(send: (batch: ColumnarBatch) => Promise<IngestResult>, onOlderServer: (message: string) => void) {
    this.#send = send;
    this.#onOlderServer = onOlderServer;
  }

  /** Whether batches still carry their time column (false once an older server refused it). */
  get sendsTime(): boolean {
    return this.#sendTime;
  }

  async send(batch: ColumnarBatch): Promise<IngestResult> {
    if (!this.#sendTime || batch.time === undefined) return this.#send(this.#sendTime ? batch : withoutTime(batch));
    try {
      return await this.#send(batch);
    } catch (err) {
      if (!(err instanceof RefusedError) || !refusesTimeColumn(err.message)) throw err;
      // Batches already in flight may be refused the same way: only the first one tells.
      if (this.#sendTime) {
        this.#sendTime = false;
        this.#onOlderServer(err.message);
      }
      return this.#send(withoutTime(batch));
    }
  }
}
