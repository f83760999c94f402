// `/ingest` `stopAck { runId, id, rank, step }`: a rank was told of a stop request.
import type { Socket } from 'socket.io';
import type { IngestClientEvents, IngestServerEvents } from '@gradpilot/sdk/protocol';
import { ValidationError, describe, isPlainObject, parseName, parseStep } from '@gradpilot/sdk/protocol';
import type { ServerContext } from '../context.ts';
import { HttpError } from '../http-error.ts';
import { answer, parseRank } from './ingest-namespace.ts';

export function registerStopAck(socket: Socket<IngestClientEvents, IngestServerEvents>, ctx: ServerContext): void {
  socket.on('stopAck', (req, ack) =>
    answer(ctx, ack, async () => {
      if (!isPlainObject(req)) throw new ValidationError(`Expected { runId, id, rank, step }, got ${describe(req)}`);
      const runId = parseName(req.runId, 'runId') as string;
      const run = await ctx.store.runs.byId(runId);
      if (!run) throw new HttpError(404, `Unknown run "${runId}"`);
      const id = parseRank(req.id, 'id');
      const rank = parseRank(req.rank, 'rank');
      const step = req.step === null || req.step === undefined ? null : parseStep(req.step, 'step');
      await ctx.stops.acknowledge(run, id, rank, step);
      return null;
    }),
  );
}
