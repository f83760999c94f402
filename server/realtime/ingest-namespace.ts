// socket.io `/ingest`: SDKs join a run, send columnar step batches (acknowledged after the
// commit), acknowledge policy pushes and ask for the controller state to resume.
// Auth: with a token configured, the handshake must carry an `Authorization: Bearer` header
// (or `auth: { token }`).
import type { Namespace, Socket } from 'socket.io';
import createDebug from 'debug';
import type { IngestClientEvents, IngestServerEvents, Ack, AckFailure } from '@gradpilot/sdk/protocol';
import { ValidationError, describe, isPlainObject, parseName, parseStep, validateColumnarBatch } from '@gradpilot/sdk/protocol';
import { handshakeToken, tokenProblem } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { describeFailure, type Failure } from '../failure.ts';
import { HttpError } from '../http-error.ts';
import { ingestBatch } from '../ingest/ingest-batch.ts';
import { runRoom } from './live-broadcaster.ts';

const log = createDebug('gradpilot:io:ingest');

export type IngestNamespace = Namespace<IngestClientEvents, IngestServerEvents>;
type IngestSocket = Socket<IngestClientEvents, IngestServerEvents>;

export interface IngestHandlers {
  /** Extra handlers (resume) registered per socket; see resume-handler.ts. */
  extend?: (socket: IngestSocket) => void;
}

/** The error reply: `retry: true` marks a server fault (the request was fine; send it again). */
function failureReply(failure: Failure): AckFailure {
  return failure.retry ? { ok: false, error: failure.message, retry: true } : { ok: false, error: failure.message };
}

/** What went wrong; a server fault is logged whole (a client error is only answered). */
function failureOf(ctx: ServerContext, err: unknown): Failure {
  const failure = describeFailure(err, ctx.store.label);
  if (failure.cause !== null) log('fault: %O', err);
  return failure;
}

// A request without an ack callback (fire and forget) is still carried out; it just gets no
// reply. Encoding the reply can throw (a result too large for one JSON string, e.g. the
// resume state of a run of tens of millions of steps): then the error is the reply, and
// nothing is thrown into socket.io or left as an unhandled rejection.
function replier<T>(ack: unknown): Ack<T> {
  if (typeof ack !== 'function') return () => {};
  const send = ack as Ack<T>;
  return (reply) => {
    try {
      send(reply);
    } catch (err) {
      log('could not send a reply: %O', err);
      if (reply.ok) send({ ok: false, error: `Could not send the answer: ${(err as Error).message}` });
    }
  };
}

/**
 * Runs `fn` (the store answers through promises) and acks its result, or an error naming the
 * problem (with `retry: true` for a server fault); never throws into socket.io nor leaves a
 * rejection unhandled. `onFailure` counts it.
 */
export function answer<T>(ctx: ServerContext, ack: unknown, fn: () => T | Promise<T>, onFailure?: (failure: Failure) => void): void {
  const reply = replier<T>(ack);
  new Promise<T>((resolve) => resolve(fn())).then(
    (result) => reply({ ok: true, result }),
    (err: unknown) => {
      const failure = failureOf(ctx, err);
      onFailure?.(failure);
      reply(failureReply(failure));
    },
  );
}

/** As `answer`, for work that yields to the event loop on the way (replaying a run). */
export const answerLater = answer;

/** Counts a failed batch: a client error as a reject, a server fault by its cause. */
function countFailure(ctx: ServerContext, failure: Failure): void {
  if (failure.cause === null) ctx.metrics.rejects.inc({ transport: 'socket' });
  else ctx.metrics.faults.inc({ transport: 'socket', cause: failure.cause });
}

export function parseRank(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1_000_000) {
    throw new ValidationError(`Expected "${field}" to be a non-negative integer, got ${describe(value)}`);
  }
  return value;
}

export function setupIngestNamespace(ns: IngestNamespace, ctx: ServerContext, handlers: IngestHandlers = {}): void {
  ns.use((socket, next) => {
    const problem = tokenProblem(ctx.token, handshakeToken(socket.handshake));
    if (problem) {
      log('refused %s: %s', socket.id, problem);
      next(new Error(problem));
    } else next();
  });

  ns.on('connection', (socket: IngestSocket) => {
    ctx.metrics.connectedSdks.inc();
    const joined = new Set<string>();
    log('connected %s', socket.id);

    socket.on('join', (req, ack) =>
      answer(ctx, ack, async () => {
        if (!isPlainObject(req)) throw new ValidationError(`Expected { runId, rank, worldSize }, got ${describe(req)}`);
        const runId = parseName(req.runId, 'runId') as string;
        parseRank(req.rank, 'rank');
        parseRank(req.worldSize, 'worldSize');
        const run = await ctx.store.runs.byId(runId);
        if (!run) throw new HttpError(404, `Unknown run "${runId}": create it with POST /api/runs first`);
        const policy = await ctx.store.policies.latest(run.rid);
        if (!policy) throw new HttpError(404, `Run "${runId}" has no policy`);
        void socket.join(runRoom(runId));
        joined.add(runId);
        ctx.activity.join(runId, socket.id);
        ctx.live.queueRun(runId);
        return { policy, lastStep: run.last_step, stop: await ctx.stops.inForce(run) };
      }),
    );

    socket.on('steps', (batch, ack) =>
      answer(
        ctx,
        ack,
        async () => {
          const valid = validateColumnarBatch(batch);
          const run = await ctx.store.runs.byId(valid.runId);
          if (!run) throw new HttpError(404, `Unknown run "${valid.runId}": create it with POST /api/runs first`);
          return ingestBatch(ctx, run, valid.columns, 'socket');
        },
        (failure) => countFailure(ctx, failure),
      ),
    );

    socket.on('policyAck', (req, ack) =>
      answer(ctx, ack, async () => {
        if (!isPlainObject(req)) throw new ValidationError(`Expected { runId, version, rank, appliedAtStep, late }, got ${describe(req)}`);
        const runId = parseName(req.runId, 'runId') as string;
        const run = await ctx.store.runs.byId(runId);
        if (!run) throw new HttpError(404, `Unknown run "${runId}"`);
        const version = parseRank(req.version, 'version');
        if (!(await ctx.store.policies.get(run.rid, version))) throw new HttpError(404, `Run "${runId}" has no policy version ${version}`);
        const rank = parseRank(req.rank, 'rank');
        const appliedAtStep = parseStep(req.appliedAtStep, 'appliedAtStep');
        if (typeof req.late !== 'boolean') throw new ValidationError(`Expected "late" to be true or false, got ${describe(req.late)}`);
        const late = req.late;
        await ctx.store.policies.ack(run.rid, version, rank, appliedAtStep, late, new Date().toISOString());
        ctx.live.policy(runId, (await ctx.store.policies.get(run.rid, version))!);
        return null;
      }),
    );

    handlers.extend?.(socket);

    socket.on('disconnect', (reason) => {
      ctx.metrics.connectedSdks.dec();
      for (const runId of joined) {
        ctx.activity.leave(runId, socket.id);
        ctx.live.queueRun(runId);
      }
      log('disconnected %s (%s)', socket.id, reason);
    });
  });
}
