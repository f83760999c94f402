// socket.io `/live`: dashboards subscribe to per-run rooms. Read-only, but it carries every
// run's summary and steps: with a token configured (and reads not public) the handshake needs
// it, as an `Authorization: Bearer` header (or `auth: { token }`).
import createDebug from 'debug';
import { ValidationError, describe, isPlainObject, parseName } from '@gradpilot/sdk/protocol';
import { handshakeToken, tokenProblem } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { HttpError } from '../http-error.ts';
import { type LiveNamespace, runRoom } from './live-broadcaster.ts';
import { answer } from './ingest-namespace.ts';

const log = createDebug('gradpilot:io:live');

function runIdOf(req: unknown): string {
  if (!isPlainObject(req)) throw new ValidationError(`Expected { runId }, got ${describe(req)}`);
  return parseName(req.runId, 'runId') as string;
}

export function setupLiveNamespace(ns: LiveNamespace, ctx: ServerContext): void {
  if (!ctx.publicReads) {
    ns.use((socket, next) => {
      const problem = tokenProblem(ctx.token, handshakeToken(socket.handshake), 'reads');
      if (problem) log('refused %s: %s', socket.id, problem);
      next(problem ? new Error(problem) : undefined);
    });
  }
  ns.on('connection', (socket) => {
    ctx.metrics.dashboards.inc();
    log('connected %s', socket.id);
    socket.on('subscribe', (req, ack) =>
      answer(ctx, ack, async () => {
        const runId = runIdOf(req);
        if (!(await ctx.store.runs.byId(runId))) throw new HttpError(404, `Unknown run "${runId}"`);
        void socket.join(runRoom(runId));
        return null;
      }),
    );
    socket.on('unsubscribe', (req) => {
      try {
        void socket.leave(runRoom(runIdOf(req)));
      } catch {
        // a malformed unsubscribe has no ack to answer; ignoring it changes nothing
      }
    });
    socket.on('disconnect', () => ctx.metrics.dashboards.dec());
  });
}
