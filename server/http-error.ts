// The one error class of the HTTP layer: a status and a message that says what was wrong.
// The error middleware answers `{ error: message }` with the status.
export class HttpError extends Error {
  readonly status: number;
  /** Sent as `Retry-After` (seconds): the request was fine, the server is busy. */
  readonly retryAfterSeconds: number | null;
  constructor(status: number, message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options);
    this.name = 'HttpError';
    this.status = status;
    this.retryAfterSeconds = options?.retryAfterSeconds ?? null;
  }
}

export function notFound(what: string): HttpError {
  return new HttpError(404, what);
}
