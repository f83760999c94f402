// Client error or server fault, for every answer that is not a success (HTTP and socket alike).
// A client error (4xx: invalid, unknown run, too large) means the request is wrong and sending
// it again cannot help: the SDK drops it, counts it and says so. A server fault (5xx: disk
// full, database locked or read-only, I/O error, a bug) means the request was fine and the
// server could not carry it out: the SDK keeps it, spills it and sends it again.
import { ValidationError } from '@gradpilot/sdk/protocol';
import { type FaultCause, storeFault } from './db/store-fault.ts';
import { HttpError } from './http-error.ts';

export interface Failure {
  status: number;
  message: string;
  /** Sending the same request again later may succeed (5xx, 429). */
  retry: boolean;
  /** For a fault, what kind (the `cause` label of gradpilot_faults_total); null for a client error. */
  cause: FaultCause | 'internal' | null;
}

export function isRetryable(status: number): boolean {
  return status >= 500 || status === 429;
}

/** What to answer for `err`; `dbFile` is named in store faults. */
export function describeFailure(err: unknown, dbFile: string): Failure {
  if (err instanceof HttpError || err instanceof ValidationError) {
    const retry = isRetryable(err.status);
    return { status: err.status, message: err.message, retry, cause: retry ? 'internal' : null };
  }
  const fault = storeFault(err, dbFile);
  if (fault) {
    return {
      status: fault.status,
      message: `Server fault: ${fault.problem}. Nothing was changed; send it again later (on the server: ${fault.remedy}).`,
      retry: true,
      cause: fault.cause,
    };
  }
  return { status: 500, message: 'Internal server error', retry: true, cause: 'internal' };
}
