// `gradpilot export | head`: the reader may leave before the output ends. The next write then
// fails with EPIPE, which for a command whose output nobody reads any more means "done", not
// a crash with a stack trace. Any other write error (a full disk) is kept to be reported.
import type { Writable } from 'node:stream';

export interface PipeWatch {
  /** The write error other than EPIPE, if one happened. */
  readonly error: Error | null;
}

/** Listens for the stream's errors: EPIPE stops it quietly, others are kept in `error`. */
export function watchForClosedPipe(out: Writable): PipeWatch {
  const watch = { error: null as Error | null };
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') watch.error = err;
    // The stream is destroyed by now, so the writer sees `out.destroyed` and stops.
  });
  return watch;
}
