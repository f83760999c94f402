// A run as the training loop sees it: observe() decides with the local controller and
// records the step, synchronously; everything that talks to the server happens beside it.
import debug from 'debug';
import { Controller, DEFAULT_POLICY } from '../controller/index.ts';
import type { ControllerState, Decision, Policy } from '../controller/types.ts';
import type { StopPush } from '../protocol/socket-events.ts';
import { Connection, RefusedError, ServerFaultError } from './connection.ts';
import { ConnectionWatch, type ConnectionProblem } from './connection-watch.ts';
import { GradpilotError, NonFiniteGradientError } from './errors.ts';
import type { ResolvedOptions } from './options.ts';
import { Outbox, type OutboxCounts } from './outbox.ts';
import { PolicyFollower } from './policy-follower.ts';
import type { AppliedPolicy } from './policy-schedule.ts';
import { OrphanSpills } from './orphan-spills.ts';
import { SpillFile } from './spill-file.ts';
import { emitStepEvents, type StepEventListener } from './step-events.ts';
import { StepsSender } from './steps-sender.ts';
import { StopFollower } from './stop-follower.ts';

const log = debug('gradpilot:sdk:run');
/** How long the server may be away before the user is told: a restart takes less. */
export const UNREACHABLE_AFTER_MS = 3000;
/** Batches sent and not yet acknowledged, at most (the server benchmark streams the same way). */
export const MAX_IN_FLIGHT = 4;
/** First wait before a batch the server could not store is sent again; it doubles up to reconnectDelayMaxMs. */
export const FAULT_RETRY_FIRST_MS = 250;
/** Server faults are told on stderr at most this often. */
export const FAULT_TELL_EVERY_MS = 60_000;

/** What `run.observe` is told about one step. */
export interface StepMetrics {
  /** Global L2 norm of all gradients, before clipping. May be NaN or ±Infinity. */
  gradNorm: number;
  loss?: number | null;
  lr?: number | null;
  /** Per-layer gradient norms, by variable name. */
  layers?: Record<string, number> | null;
}

/** What `run.close()` could and could not deliver. */
export interface CloseReport extends OutboxCounts {
  /** The file holding the undelivered steps; a later `init` of the same run id sends them. */
  spillFile: string | null;
  /** With steps undelivered: where they are and the command or call that delivers them. */
  howToDeliver: string | null;
  /** The last error the server answered with, if any. */
  lastError: string | null;
}

/** `run.status()`: connection and delivery at a glance. */
export interface RunStatusInfo extends OutboxCounts {
  connected: boolean;
  /** The server knows the run (created, joined, and resumed when resuming). */
  ready: boolean;
  policyVersion: number;
  /** Policy versions received and waiting for their effectiveStep. */
  pendingPolicyVersions: number[];
  lastStep: number | null;
  lastError: string | null;
}

/** Events of a run; subscribe with `run.on(name, listener)`. */
export interface RunEvents {
  /** A server policy came into force (or was found already in force). */
  policy: (applied: AppliedPolicy) => void;
  /**
   * Connected, disconnected, or (`cause` set) still unreachable: first after a few seconds
   * away, then on every failed attempt until the server answers.
   */
  connection: (state: { connected: boolean; url: string; cause?: string }) => void;
  /**
   * The server cannot be reached (`code: 'UNREACHABLE'`, with the cause), could not store steps
   * (`code: 'SERVER_FAULT'`: disk full, database locked...; they are kept and sent again), or
   * refused something (a bad token, a rejected batch, an unknown run).
   */
  error: (err: Error) => void;
  /**
   * The run's own controller flagged this step (`spike`, `explosion`, `nonfinite`): called
   * synchronously inside `observe()`, after the step was recorded and before it returns, once
   * per event. A listener that throws makes `observe()` throw that error.
   */
  event: StepEventListener;
  /**
   * Somebody asked the run to stop (the dashboard, or `POST /api/runs/:id/stop`); every rank
   * is told, once per request, between steps. Nothing is stopped for you: finish the step,
   * save a checkpoint, `close()`, as the script sees fit.
   */
  stop: (request: StopPush) => void;
}

/**
 * A training run. Create it with `init()`; call `observe()` once per training step.
 *
 * @example
 * const run = await init({ url: 'http://127.0.0.1:7070', name: 'rnn-lr0.1' });
 * for (let step = 0; step < 1000; step++) {
 *   const gradNorm = computeNorm();
 *   const { coef, action } = run.observe(step, { gradNorm, loss });
 *   if (action !== 'skip') applyScaled(coef);
 * }
 * console.log(await run.close());
 */
export class Run {
  /** The run id (chosen by the client, so it exists before the server answers). */
  readonly id: string;
  readonly rank: number;
  readonly worldSize: number;
  /** The run's page on the dashboard. */
  readonly dashboardUrl: string;

  readonly #o: ResolvedOptions;
  #controller: Controller;
  readonly #policies: PolicyFollower;
  readonly #stops: StopFollower;
  readonly #outbox: Outbox;
  readonly #conn: Connection;
  readonly #watch: ConnectionWatch;
  readonly #timer: NodeJS.Timeout;
  readonly #listeners: { [K in keyof RunEvents]: Set<RunEvents[K]> } = {
    policy: new Set(), connection: new Set(), error: new Set(), event: new Set(), stop: new Set(),
  };
  #lastStep: number | null = null;
  #ready = false;
  #generation = 0;
  #closed = false;
  #lastError: string | null = null;
  #lastErrorCode: string | null = null;
  #idleWaiters: (() => void)[] = [];
  readonly #orphans: OrphanSpills;
  readonly #steps: StepsSender;
  /** The controller state of a resumed run is in place (from the server, or given). */
  #resumed: boolean;
  /** The server was told about the resume (it supersedes stored steps after fromStep). */
  #resumeSent: boolean;
  #resumeWaiter: { resolve: () => void; reject: (err: Error) => void } | null = null;
  /** Batches the server could not store, until it stores (or refuses) them: while any, it faults. */
  readonly #faulted = new Set<number>();
  /** The wait before the next attempt while it faults. */
  #faultDelayMs = FAULT_RETRY_FIRST_MS;
  #faultRetry: NodeJS.Timeout | null = null;
  #faultToldAt = -Infinity;

  /** @private Use `init()`. */
  constructor(o: ResolvedOptions) {
    this.#o = o;
    this.id = o.id;
    this.rank = o.rank;
    this.worldSize = o.worldSize;
    this.dashboardUrl = `${o.url}/#/runs/${encodeURIComponent(o.id)}`;
    this.#controller = o.state ? Controller.fromState(o.state) : new Controller(o.policy ?? DEFAULT_POLICY);
    if (o.state) this.#lastStep = o.fromStep;
    this.#resumed = !o.resume || o.state !== null;
    this.#resumeSent = !o.resume;
    const streams = o.rank === 0;
    let spill: SpillFile | null = null;
    if (streams && o.spillDir !== null) {
      spill = new SpillFile(o.spillDir, {
        gradpilot: 1, pid: process.pid,
        run: { id: o.id, name: o.name, project: o.project, config: o.config, policy: o.policy },
      });
    }
    this.#orphans = OrphanSpills.load(streams ? o.spillDir : null, o.id);
    this.#outbox = new Outbox(o.id, o.batchSize, o.maxMemorySteps, spill);
    this.#policies = new PolicyFollower(o.id, o.rank, {
      send: (ack) => this.#conn.request('policyAck', ack, o.ackTimeoutMs),
      applied: (applied) => this.#emit('policy', applied),
      error: (err) => this.#fail(err),
      settled: () => this.#checkIdle(),
    });
    this.#stops = new StopFollower(o.id, o.rank, {
      send: (ack) => this.#conn.request('stopAck', ack, o.ackTimeoutMs),
      told: (push) => this.#emit('stop', push),
      error: (err) => this.#fail(err),
      settled: () => this.#checkIdle(),
    });
    this.#steps = new StepsSender((batch) => this.#conn.request('steps', batch, o.ackTimeoutMs), (message) => {
      const told = `The server at ${this.#conn.url} is older than this SDK and refused the steps' wall-clock times (${message}); ` +
        'steps are sent without them and the server stores their arrival times. Upgrade the server to keep them.';
      if (!o.quiet) process.stderr.write(`gradpilot: ${told}\n`);
      this.#fail(new GradpilotError(told, 'OLDER_SERVER'));
    });
    this.#watch = new ConnectionWatch(() => this.#conn.url, UNREACHABLE_AFTER_MS, (problem) => this.#unreachable(problem));
    this.#conn = new Connection(o.urls, o.token, o.reconnectDelayMaxMs, {
      connected: () => {
        this.#watch.connected();
        // "Cannot reach the server" is no longer true; other errors stay until the next one.
        if (this.#lastErrorCode === 'UNREACHABLE') this.#lastError = this.#lastErrorCode = null;
        this.#emit('connection', { connected: true, url: this.#conn.url });
        void this.#handshake(++this.#generation);
      },
      disconnected: () => {
        this.#generation++;
        this.#ready = false;
        this.#policies.online = false;
        this.#stops.online = false;
        this.#outbox.disconnected();
        this.#watch.disconnected();
        this.#emit('connection', { connected: false, url: this.#conn.url });
      },
      attemptFailed: (message) => this.#watch.attemptFailed(message),
      refused: (message) => this.#watch.refused(message),
      policy: (push) => this.#policies.offer(push, this.#controller, this.#lastStep),
      stop: (push) => this.#stops.offer(push, this.#lastStep),
    });
    this.#timer = setInterval(() => this.#tick(), o.flushIntervalMs);
    this.#timer.unref();
    this.#conn.start();
  }

  /**
   * Decides one training step with the run's policy and records it for the server.
   * Synchronous and free of I/O: call it between computing gradients and applying them.
   * Steps must increase. Throws `NonFiniteGradientError` when the policy says
   * `onNonFinite: 'raise'` and the norm or loss is NaN/±Infinity (the step is still recorded).
   *
   * @example
   * const d = run.observe(step, { gradNorm: 3.2, loss: 0.7, lr: 1e-3 });
   * if (d.action === 'clip') scaleGradients(d.coef);
   * if (d.action === 'skip') return; // do not apply this step's update
   */
  observe(step: number, metrics: StepMetrics): Decision {
    if (this.#closed) throw new GradpilotError(`Step ${step}: run "${this.id}" is closed; call init() for a new run`, 'CLOSED');
    if (!Number.isSafeInteger(step) || step < 0) {
      throw new GradpilotError(`Expected "step" to be a non-negative integer, got ${step}`, 'INVALID_STEP');
    }
    if (this.#lastStep !== null && step <= this.#lastStep) {
      throw new GradpilotError(
        `Step ${step} is not after the last observed step ${this.#lastStep}: steps must increase`, 'INVALID_STEP',
      );
    }
    const { gradNorm, loss, lr, layers } = metrics;
    if (typeof gradNorm !== 'number') {
      throw new GradpilotError(`Step ${step}: expected "gradNorm" to be a number, got ${typeof gradNorm}`, 'INVALID_STEP');
    }
    this.#policies.beforeStep(step, this.#controller);
    const d = this.#controller.decide({ step, gradNorm, loss: loss ?? null });
    this.#lastStep = step;
    if (this.rank === 0 && this.#outbox.record(step, gradNorm, loss, lr, d.threshold, d.coef, d.action, layers, Date.now())) {
      this.#pump();
    }
    if (d.events.length > 0 && this.#listeners.event.size > 0) emitStepEvents(this.#listeners.event, d, loss ?? null);
    if (this.#controller.policy.onNonFinite === 'raise' && d.events.includes('nonfinite')) {
      throw new NonFiniteGradientError(step, gradNorm, loss ?? null);
    }
    return d;
  }

  /** The policy in force. */
  get policy(): Policy {
    return this.#controller.policy;
  }

  /**
   * Whether somebody asked this run to stop (the dashboard or `POST /api/runs/:id/stop`).
   * Read it between steps; the SDK stops nothing by itself.
   *
   * @example
   * for (let step = 0; step < steps && !run.stopRequested; step++) trainStep(step);
   * saveCheckpoint();
   * await run.close();
   */
  get stopRequested(): boolean {
    return this.#stops.request !== null;
  }

  /** The latest stop request (who, when, why), or null. */
  get stopRequest(): StopPush | null {
    return this.#stops.request;
  }

  /** The server's version of the policy in force (0 until the server's first answer). */
  get policyVersion(): number {
    return this.#policies.version;
  }

  /**
   * The controller's state, to save with a checkpoint; `init({ resume, fromStep, state })`
   * continues from it without asking the server.
   *
   * @example
   * saveCheckpoint({ weights, step, gradpilot: run.controllerState() });
   */
  controllerState(): ControllerState {
    return this.#controller.toState();
  }

  /**
   * Connection and delivery counters.
   *
   * @example
   * const { connected, undelivered } = run.status();
   */
  status(): RunStatusInfo {
    return {
      ...this.#counts(), connected: this.#conn.connected, ready: this.#ready,
      policyVersion: this.#policies.version, pendingPolicyVersions: this.#policies.pendingVersions, lastStep: this.#lastStep, lastError: this.#lastError,
    };
  }

  /**
   * Subscribes to run events; returns the unsubscribe function.
   *
   * @example
   * run.on('policy', (p) => console.log(`policy v${p.version} from step ${p.appliedAtStep}`));
   * run.on('event', (e) => {
   *   if (e.kind === 'explosion') restoreLastGoodWeights(); // still inside this step's observe()
   * });
   */
  on<K extends keyof RunEvents>(event: K, listener: RunEvents[K]): () => void {
    this.#listeners[event].add(listener);
    return () => this.#listeners[event].delete(listener);
  }

  /**
   * Sends what is recorded and waits until the server acknowledged it; false on timeout.
   *
   * @example
   * await run.flush({ timeoutMs: 2000 });
   */
  async flush({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<boolean> {
    this.#outbox.seal();
    this.#pump();
    if (this.#isIdle()) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.#idleWaiters = this.#idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#idleWaiters.push(done);
    });
  }

  /**
   * Flushes (waiting at most `timeoutMs`), disconnects, and reports what was delivered.
   * Undelivered steps stay in the spill file, which a later `init` of the same run id sends.
   *
   * @example
   * const { delivered, undelivered, spillFile } = await run.close({ timeoutMs: 5000 });
   * if (undelivered) console.warn(`${undelivered} steps not delivered, kept in ${spillFile}`);
   */
  async close({ timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<CloseReport> {
    if (!this.#closed) {
      this.#closed = true;
      clearInterval(this.#timer);
      const flushed = await this.flush({ timeoutMs });
      if (flushed && this.rank === 0 && this.#ready && timeoutMs > 0) await this.#conn.finishRun(this.id, Math.min(timeoutMs, 2000));
      this.#conn.close();
      this.#resumeWaiter?.reject(new GradpilotError(`Run "${this.id}" was closed while resuming`, 'CLOSED'));
    }
    const spillFile = this.#outbox.closeSpill();
    const counts = this.#counts();
    const howToDeliver = counts.undelivered > 0 ? this.#howToDeliver(counts, spillFile) : null;
    if (howToDeliver !== null) {
      log('closed: %s', howToDeliver);
      if (!this.#o.quiet) process.stderr.write(`gradpilot: ${howToDeliver}\n`);
    }
    return { ...counts, spillFile, howToDeliver, lastError: this.#lastError };
  }

  #howToDeliver(c: OutboxCounts, spillFile: string | null): string {
    const steps = c.undelivered === 1 ? `1 step (${c.firstUndeliveredStep})` : `${c.undelivered} steps (${c.firstUndeliveredStep}-${c.lastUndeliveredStep})`;
    const what = `run "${this.id}": ${steps} not delivered to ${this.#o.url}`;
    if (spillFile === null) return `${what}, lost with this process (no spill directory: spillDir is null or could not be written).`;
    return `${what}, kept in ${spillFile}. Deliver with \`npx gradpilot spill send --url ${this.#o.url}\`, ` +
      `or by init({ url, id: "${this.id}" }) (or resume) in a later run.`;
  }

  /** The server has been away for a while, or refused the socket: say so, once on stderr. */
  #unreachable(problem: ConnectionProblem): void {
    this.#emit('connection', { connected: false, url: problem.url, cause: problem.cause });
    this.#fail(new GradpilotError(problem.message, 'UNREACHABLE'));
    if (!problem.first || this.#o.quiet || this.#closed) return;
    const keptIn = this.rank !== 0
      ? 'this rank streams no steps; policy pushes resume when it answers'
      : this.#o.spillDir === null
        ? `steps are kept in memory (at most ${this.#o.maxMemorySteps}; older ones are dropped) and sent when it answers`
        : `steps are kept in memory and in ${this.#outbox.spillPath} and sent when it answers`;
    process.stderr.write(`gradpilot: ${problem.message} Training goes on: ${keptIn}. (quiet: true silences this.)\n`);
  }

  /** The outbox's counts, plus the orphaned spill files' steps. */
  #counts(): OutboxCounts {
    return this.#orphans.addTo(this.#outbox.counts());
  }

  /** @private Resolves when a resumed run has its controller state. */
  _whenResumed(): Promise<void> {
    if (this.#resumed) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new GradpilotError(
          `Could not resume run "${this.id}": no answer from ${this.#o.url} within ${this.#o.resumeTimeoutMs} ms` +
            (this.#lastError ? ` (${this.#lastError})` : '') +
            '. Check the url, or pass the checkpoint\'s { fromStep, state } to resume offline.',
          'RESUME_FAILED',
        ));
      }, this.#o.resumeTimeoutMs);
      this.#resumeWaiter = {
        resolve: () => { clearTimeout(timer); resolve(); },
        reject: (err) => { clearTimeout(timer); reject(err); },
      };
    });
  }

  // ---------------------------------------------------------------------------------------
  // Talking to the server.

  /** After each (re)connect: create, join, deliver a dead process's leftovers, resume, then send. */
  async #handshake(generation: number): Promise<void> {
    const o = this.#o;
    const current = (): boolean => generation === this.#generation && !this.#closedHard();
    try {
      if (!o.resume) {
        await this.#conn.createRun({
          id: o.id, name: o.name, author: 'sdk',
          ...(o.project !== null ? { project: o.project } : {}),
          ...(o.config !== null ? { config: o.config } : {}),
          ...(o.policy !== null ? { policy: o.policy } : {}),
        }, o.reconnectDelayMaxMs);
      }
      if (!current()) return;
      const joined = await this.#conn.request('join', { runId: o.id, rank: o.rank, worldSize: o.worldSize }, o.ackTimeoutMs);
      await this.#orphans.deliver(o.id, (batch) => this.#steps.send(batch), (err, path) => {
        this.#fail(new GradpilotError(`The server refused spilled steps of run "${o.id}" from ${path}: ${err.message}`, 'INVALID_STEP'));
      });
      const resumesNow = !this.#resumeSent;
      if (!this.#resumeSent) {
        // The server replays the run to answer (~1.6 s per million steps on a 2-core machine):
        // the resume timeout, not the batch ack timeout, or a long run would be asked again
        // and again, each time starting one more replay.
        const r = await this.#conn.request('resume', { runId: o.id, ...(o.fromStep !== null ? { fromStep: o.fromStep } : {}) }, o.resumeTimeoutMs);
        if (!current()) return;
        this.#resumeSent = true;
        if (!this.#resumed) {
          this.#controller = Controller.fromState(r.state);
          this.#lastStep = r.fromStep;
          this.#resumed = true;
          this.#resumeWaiter?.resolve();
        }
      }
      if (!current()) return;
      const { version, effectiveStep, policy } = joined.policy;
      this.#policies.offer({ runId: o.id, version, effectiveStep, policy }, this.#controller, this.#lastStep);
      // A resume clears the stop request in force: the one the join answered with is not for this process.
      if (joined.stop && !resumesNow) this.#stops.offer(joined.stop, this.#lastStep);
      this.#ready = true;
      this.#policies.online = true;
      this.#stops.online = true;
      this.#outbox.away = false;
      this.#pump();
      this.#policies.flush();
      this.#stops.flush();
      this.#checkIdle();
    } catch (err) {
      if (err instanceof ServerFaultError) {
        // Not a refusal: the server could not do it now (handing back spilled steps, resuming).
        this.#fail(new GradpilotError(`The server could not take run "${o.id}" now, trying again: ${err.message}`, 'SERVER_FAULT'));
      } else if (err instanceof RefusedError || err instanceof GradpilotError) {
        this.#fail(err);
        if (!this.#resumed) this.#resumeWaiter?.reject(new GradpilotError(`Could not resume run "${o.id}": ${err.message}`, 'RESUME_FAILED', { cause: err }));
      } else {
        log('handshake interrupted: %s', (err as Error).message);
      }
      // A timeout on a live socket: try again (a disconnect starts a new handshake by itself).
      if (current() && this.#conn.connected && !(err instanceof RefusedError)) {
        setTimeout(() => current() && void this.#handshake(generation), 500).unref();
      }
    }
  }

  #closedHard(): boolean {
    return this.#closed && !this.#conn.connected;
  }

  #tick(): void {
    this.#watch.check();
    // A flush interval without the server: from now on batches go to the spill file.
    if (!this.#ready && !this.#outbox.away) this.#outbox.disconnected();
    if (this.#outbox.pendingSteps > 0) this.#outbox.seal();
    this.#pump();
  }

  #pump(): void {
    if (!this.#ready || this.#faultRetry !== null) return;
    // While the server faults, one batch at a time finds out whether it can store again.
    for (const { seq, batch } of this.#outbox.takeSendable(this.#faulted.size > 0 ? 1 : MAX_IN_FLIGHT)) {
      const generation = this.#generation;
      this.#steps.send(batch).then(
        () => {
          this.#outbox.ack(seq);
          this.#faultOver(seq);
          this.#pump();
          this.#checkIdle();
        },
        (err: Error) => {
          if (err instanceof ServerFaultError) {
            // The batch was fine; keep it (on disk) and send it again after a backoff.
            if (generation !== this.#generation) return; // a reconnect already resent it
            this.#outbox.retry(seq);
            this.#serverFault(seq, err);
          } else if (err instanceof RefusedError) {
            this.#outbox.reject(seq);
            this.#faultOver(seq);
            this.#fail(new GradpilotError(`The server refused steps of run "${this.id}": ${err.message}`, 'INVALID_STEP'));
            this.#pump(); // its place in flight is free for the next batch
            this.#checkIdle();
          } else if (generation === this.#generation) {
            log('batch %d: %s, sending again', seq, err.message);
            this.#outbox.retry(seq);
            setTimeout(() => this.#pump(), 200).unref();
          }
        },
      );
    }
  }

  /** Batch `seq` met a server fault: spill, report once per episode, retry with a doubling wait. */
  #serverFault(seq: number, err: ServerFaultError): void {
    const first = this.#faulted.size === 0;
    this.#faulted.add(seq);
    this.#outbox.serverFault();
    if (first || this.#lastErrorCode !== 'SERVER_FAULT') {
      this.#fail(new GradpilotError(`The server could not store steps of run "${this.id}" (kept, and sent again): ${err.message}`, 'SERVER_FAULT'));
    }
    // On stderr once a minute at most: a server whose disk is nearly full fails every other batch.
    if (first && !this.#o.quiet && !this.#closed && Date.now() - this.#faultToldAt >= FAULT_TELL_EVERY_MS) {
      this.#faultToldAt = Date.now();
      const keptIn = this.#outbox.spillPath ?? `memory (at most ${this.#o.maxMemorySteps} steps; older ones are dropped)`;
      process.stderr.write(`gradpilot: ${this.#lastError} Training goes on: steps are kept in ${keptIn} and sent again until the server stores them. (quiet: true silences this.)\n`);
    }
    if (this.#faultRetry !== null) return;
    const delay = this.#faultDelayMs;
    this.#faultDelayMs = Math.min(delay * 2, Math.max(this.#o.reconnectDelayMaxMs, FAULT_RETRY_FIRST_MS));
    log('server fault on batch %d, sending again in %d ms: %s', seq, delay, err.message);
    this.#faultRetry = setTimeout(() => {
      this.#faultRetry = null;
      this.#pump();
    }, delay);
    this.#faultRetry.unref();
  }

  /** Batch `seq` got its answer; once every faulted batch has one, the fault is over. */
  #faultOver(seq: number): void {
    if (!this.#faulted.delete(seq) || this.#faulted.size > 0) return;
    log('the server stores steps again (batch %d)', seq);
    this.#faultDelayMs = FAULT_RETRY_FIRST_MS;
    this.#outbox.away = false;
    if (this.#lastErrorCode === 'SERVER_FAULT') this.#lastError = this.#lastErrorCode = null;
  }

  #isIdle(): boolean {
    return this.#outbox.idle && this.#orphans.empty && this.#policies.idle && this.#stops.idle;
  }

  #checkIdle(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  #fail(err: Error): void {
    this.#lastError = err.message;
    this.#lastErrorCode = err instanceof GradpilotError ? err.code : null;
    log('error: %s', err.message);
    if (this.#listeners.error.size > 0) this.#emit('error', err);
  }

  #emit<K extends keyof RunEvents>(event: K, ...args: Parameters<RunEvents[K]>): void {
    for (const listener of this.#listeners[event]) {
      try {
        (listener as (...a: Parameters<RunEvents[K]>) => void)(...args);
      } catch (err) {
        log('%s listener threw: %s', event, (err as Error).message);
      }
    }
  }
}
