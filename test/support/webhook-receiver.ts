// A real webhook receiver for tests: node:http on 127.0.0.1 port 0 that records every JSON
// body POSTed to it and answers what the test asks for (a status per request, or no answer).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AlertPayload } from '../../sdk/protocol/api-types.ts';

export interface Received {
  body: AlertPayload;
  contentType: string | undefined;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  received: Received[];
  /** Status codes to answer, in order; once used up, 200. */
  answers: number[];
  /** true: take requests and never answer them. */
  hang: boolean;
  /** Resolves once `n` bodies (matching `filter`) have arrived. */
  waitFor(n: number, filter?: (r: Received) => boolean, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const pending = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      receiver.received.push({ body: JSON.parse(text) as AlertPayload, contentType: req.headers['content-type'], at: Date.now() });
      if (receiver.hang) {
        pending.add(res);
        return;
      }
      const status = receiver.answers.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : `status ${status} as asked`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: WebhookReceiver = {
    url: `http://127.0.0.1:${port}/hook`,
    received: [],
    answers: [],
    hang: false,
    async waitFor(n, filter = () => true, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const got = receiver.received.filter(filter);
        if (got.length >= n) return got;
        if (Date.now() > end) throw new Error(`timed out waiting for ${n} webhook bodies; got ${got.length}: ${JSON.stringify(got.map((r) => r.body.kind))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close() {
      for (const res of pending) res.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}
