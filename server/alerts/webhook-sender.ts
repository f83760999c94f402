// Delivers alerts to webhooks beside ingest, never in its way: every attempt is a fetch with a
// timeout, at most `maxConcurrent` at once; a failure, a timeout, a 5xx or a 429 is tried
// again after the next of `retryDelaysMs`; another 4xx is final (the receiver refuses the
// body: sending it again cannot help). Every outcome is written to the store, so the API shows
// where an alert went and a restart picks up the retries that were waiting.
import createDebug from 'debug';
import type { AttemptOutcome, DeliveryJob } from '../db/alert-store.ts';
import type { AlertsApi } from '../db/server-store.ts';
import type { ResolvedAlertOptions } from './alert-options.ts';
import { redactWebhookUrl } from './webhook-target.ts';

const log = createDebug('gradpilot:alerts:send');

type SenderOptions = Pick<ResolvedAlertOptions, 'timeoutMs' | 'retryDelaysMs' | 'maxConcurrent'>;

/** What an attempt came to: delivered, worth another try, or refused for good. */
type Result = { kind: 'delivered'; status: number } | { kind: 'retry' | 'refused'; status: number | null; error: string };

function describeFailure(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const code = e?.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused: nothing listens there';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'the connection was closed before an answer';
  return e?.cause?.message ?? e?.message ?? String(err);
}

export class WebhookSender {
  readonly #store: AlertsApi;
  readonly #o: SenderOptions;
  readonly #settled: (deliveryId: number) => void;
  readonly #timers = new Map<number, NodeJS.Timeout>();
  readonly #ready: number[] = [];
  readonly #shutdown = new AbortController();
  #inFlight = 0;

  constructor(store: AlertsApi, options: SenderOptions, settled: (deliveryId: number) => void = () => {}) {
    this.#store = store;
    this.#o = options;
    this.#settled = settled;
  }

  /** Attempts delivery `id` at `atMs` (now by default). */
  schedule(id: number, atMs = Date.now()): void {
    if (this.#shutdown.signal.aborted || this.#timers.has(id)) return;
    const wait = Math.max(0, atMs - Date.now());
    if (wait === 0) {
      this.#ready.push(id);
      this.#pump();
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(id);
      this.#ready.push(id);
      this.#pump();
    }, wait);
    timer.unref();
    this.#timers.set(id, timer);
  }

  /** Deliveries waiting or in flight (for tests and shutdown logs). */
  get busy(): number {
    return this.#ready.length + this.#timers.size + this.#inFlight;
  }

  /** Cancels what is waiting and aborts what is in flight; it stays pending in the store. */
  stop(): void {
    this.#shutdown.abort();
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#ready.length = 0;
  }

  #pump(): void {
    while (this.#inFlight < this.#o.maxConcurrent && this.#ready.length > 0 && !this.#shutdown.signal.aborted) {
      const id = this.#ready.shift() as number;
      this.#inFlight++;
      void this.#store
        .job(id)
        .then((job) => (job ? this.#attempt(job) : undefined)) // none: delivered or failed meanwhile
        .catch((err: unknown) => log('delivery %d: %O', id, err))
        .finally(() => {
          this.#inFlight--;
          this.#pump();
        });
    }
  }

  async #attempt(job: DeliveryJob): Promise<void> {
    const result = await this.#post(job);
    if (this.#shutdown.signal.aborted) return; // the store may be closed; the attempt is made again after a restart
    const attempts = job.attempts + 1;
    const now = Date.now();
    let outcome: AttemptOutcome;
    if (result.kind === 'delivered') {
      outcome = { status: 'delivered', attempts, lastStatus: result.status, lastError: null, nextAt: null, deliveredAt: new Date(now).toISOString() };
    } else if (result.kind === 'retry' && attempts <= this.#o.retryDelaysMs.length) {
      const nextMs = now + this.#o.retryDelaysMs[attempts - 1];
      outcome = { status: 'pending', attempts, lastStatus: result.status, lastError: result.error, nextAt: new Date(nextMs).toISOString(), deliveredAt: null };
      await this.#store.recordAttempt(job.id, outcome);
      log('delivery %d to %s: %s; again in %d ms', job.id, redactWebhookUrl(job.url), result.error, nextMs - now);
      this.#settled(job.id);
      this.schedule(job.id, nextMs);
      return;
    } else {
      const error = result.kind === 'retry' ? `${result.error}; gave up after ${attempts} attempts` : result.error;
      outcome = { status: 'failed', attempts, lastStatus: result.status, lastError: error, nextAt: null, deliveredAt: null };
    }
    await this.#store.recordAttempt(job.id, outcome);
    log('delivery %d to %s: %s', job.id, redactWebhookUrl(job.url), outcome.status === 'delivered' ? 'delivered' : outcome.lastError);
    this.#settled(job.id);
  }

  async #post(job: DeliveryJob): Promise<Result> {
    try {
      const res = await fetch(job.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'gradpilot-alerts' },
        body: job.body,
        signal: AbortSignal.any([this.#shutdown.signal, AbortSignal.timeout(this.#o.timeoutMs)]),
      });
      const text = (await res.text()).slice(0, 200);
      if (res.ok) return { kind: 'delivered', status: res.status };
      const error = `HTTP ${res.status}${text.trim() === '' ? '' : `: ${text.trim()}`}`;
      if (res.status >= 500 || res.status === 429) return { kind: 'retry', status: res.status, error };
      return { kind: 'refused', status: res.status, error: `the receiver refused the alert (${error})` };
    } catch (err) {
      return { kind: 'retry', status: null, error: describeFailure(err, this.#o.timeoutMs) };
    }
  }
}
