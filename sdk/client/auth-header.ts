// The token travels in an `Authorization` header of the socket's handshake, not in socket.io's
// `auth`: with DEBUG=*, socket.io-parser and engine.io print every packet on both ends, the
// CONNECT packet's `auth` included, but never a request's headers. engine.io-client does print
// its options (extraHeaders among them) with %j, i.e. JSON.stringify; a toJSON that is not
// enumerable is what JSON.stringify shows, while ws copies only enumerable keys into the
// request. So the header is sent and the log says "[redacted]".

/** `{ authorization: 'Bearer <token>' }` that prints as redacted in JSON, or `{}` without a token. */
export function authHeader(token: string | null): Record<string, string> {
  if (!token) return {};
  const headers = { authorization: `Bearer ${token}` };
  Object.defineProperty(headers, 'toJSON', { value: () => ({ authorization: 'Bearer [redacted]' }), enumerable: false });
  return headers;
}
