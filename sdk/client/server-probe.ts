// Why a server cannot be reached, in words a user can act on. socket.io's own connect errors
// say little ("websocket error"), so one plain HTTP request to /api/health tells apart a
// refused connection, a TLS mismatch, a host that is not a gradpilot server, and a URL with
// a path where the server root was meant.

/** The cause of a failed fetch, from Node's error codes (undici wraps them in `cause`). */
export function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (err as { code?: string }).code ?? '';
  const message = cause?.message ?? (err as Error).message;
  if (code === 'ECONNREFUSED') return 'connection refused: nothing listens on that port (is `gradpilot serve` running?)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host not found (${message})`;
  if (code === 'ECONNRESET') return 'the connection was reset';
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || (err as Error).name === 'TimeoutError') return 'no answer (timed out)';
  if (/TLS|SSL|CERT|EPROTO|self.signed/i.test(`${code} ${message}`)) {
    if (/wrong version number|packet length too long/i.test(message)) {
      return 'TLS error: the server does not speak TLS (an https:// URL for an http:// server?)';
    }
    // OpenSSL's own text is a stack of internals; its code and first clause say enough.
    return `TLS error: ${code ? `${code}: ` : ''}${message.split('\n')[0].slice(0, 160)} (a certificate Node does not trust? an http:// server?)`;
  }
  return message || String(err);
}

/** A hint when the URL has a path: the SDK needs the server root. */
export function pathHint(url: string): string {
  const { pathname, origin } = new URL(url);
  return pathname !== '/' && pathname !== ''
    ? ` The url has a path ("${pathname}"): pass the server root, e.g. "${origin}".`
    : '';
}

/**
 * Asks `GET <url>/api/health` what is at the other end; resolves to a cause such as
 * "connection refused: ..." or "not a gradpilot server: ...", or null when a gradpilot
 * server answers (the socket failed for another reason, e.g. its token).
 */
export async function probeServer(url: string, timeoutMs: number): Promise<string | null> {
  let res: Response;
  try {
    res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    return describeFetchError(err);
  }
  const text = await res.text().catch(() => '');
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: not ours
  }
  // A gradpilot server whose store cannot write answers 503 { ok: false, store: 'unwritable' }:
  // still a gradpilot server, and reachable.
  const ours = typeof body === 'object' && body !== null && ((body as { ok?: unknown }).ok === true || (body as { store?: unknown }).store === 'unwritable');
  if (ours) return null;
  return `not a gradpilot server: GET ${url}/api/health answered HTTP ${res.status}` +
    (res.headers.get('content-type') ? ` (${res.headers.get('content-type')})` : '');
}
