// `/ingest` `resume`: { runId, fromStep? } -> { state, fromStep } (see policy/resume-run.ts).
import type { Socket } from 'socket.io';
import type { IngestClientEvents, IngestServerEvents } from '@gradpilot/sdk/protocol';
import { ValidationError, describe, isPlainObject, parseName, parseStep } from '@gradpilot/sdk/protocol';
import type { ServerContext } from '../context.ts';
import { HttpError } from '../http-error.ts';
import { resumeRun } from '../policy/resume-run.ts';
import { answerLater } from './ingest-namespace.ts';

export function registerResume(socket: Socket<IngestClientEvents, IngestServerEvents>, ctx: ServerContext): void {
  socket.on('resume', (req, ack) =>
    answerLater(ctx, ack, async () => {
      if (!isPlainObject(req)) throw new ValidationError(`Expected { runId, fromStep? }, got ${describe(req)}`);
      const runId = parseName(req.runId, 'runId') as string;
      const fromStep = req.fromStep === undefined || req.fromStep === null ? undefined : parseStep(req.fromStep, 'fromStep');
      const run = await ctx.store.runs.byId(runId);
      if (!run) throw new HttpError(404, `Unknown run "${runId}": create it with POST /api/runs first`);
      const { state, fromStep: resumedAfter } = await resumeRun(ctx, run, fromStep);
      return { state, fromStep: resumedAfter };
    }),
  );
}
