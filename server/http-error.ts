// The one error class of the HTTP layer: a status and a message that says what was wrong.
// The error middleware answers `{ error: message }` with the status.
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpError';
    this.status = status;
  }
}

export function notFound(what: string): HttpError {
  return new HttpError(404, what);
}
