// A WebSocket is not bound by the same-origin policy: any page could open `/live` (every run,
// live) or `/ingest`. The handshake of both is refused when its Origin is another page;
// Node and Python clients send no Origin and connect as before.
import { type Socket, io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../support/raw-request.ts';
import { type TestServer, withServer } from '../support/server.ts';

function connect(url: string, namespace: string, headers: Record<string, string>, transport: 'websocket' | 'polling' = 'websocket'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = io(url + namespace, { transports: [transport], reconnection: false, forceNew: true, extraHeaders: headers });
    s.once('connect', () => resolve(s));
    s.once('connect_error', (err) => {
      s.close();
      reject(err);
    });
  });
}

describe('socket.io handshake Origin', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await withServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('should refuse /live and /ingest handshakes from another page, over WebSocket and polling', async () => {
    for (const origin of ['http://evil.example', 'null', `http://localhost:${server.port + 1}`]) {
      for (const namespace of ['/live', '/ingest']) {
        for (const transport of ['websocket', 'polling'] as const) {
          await expect(connect(server.url, namespace, { origin }, transport)).rejects.toThrow();
        }
      }
      // What the page sees (polling lets it read the answer): a 403 that names its origin.
      const r = await rawRequest(server.port, 'GET', '/socket.io/?EIO=4&transport=polling', { origin });
      expect(r.status).toBe(403);
      expect((JSON.parse(r.body) as { message: string }).message).toContain(`Refused a request from the web page at ${JSON.stringify(origin)}`);
    }
  });

  it('should accept handshakes with no Origin (SDKs) and from the dashboard itself', async () => {
    for (const namespace of ['/live', '/ingest']) {
      for (const headers of <Record<string, string>[]>[{}, { origin: server.url }]) {
        const s = await connect(server.url, namespace, headers);
        expect(s.connected).toBe(true);
        s.close();
      }
    }
  });
});
