// The baseline of the live-latency figure: a bare socket.io server speaking just enough of
// gradpilot's protocol for test/load/run-load.ts (create run, join, subscribe, steps) that
// relays each batch to the run's dashboards at once: no validation, no SQLite, no batching.
// Run: node --import tsx relay-server.ts  (prints "relay listening on <port>")
import http from 'node:http';
import { Server } from 'socket.io';

const httpServer = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    const { id } = JSON.parse(body || '{}') as { id?: string };
    res.writeHead(req.method === 'POST' && req.url === '/api/runs' ? 201 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id }));
  });
});
const io = new Server(httpServer, { serveClient: false, maxHttpBufferSize: 16 * 1024 * 1024 });
const live = io.of('/live');
live.on('connection', (socket) => {
  socket.on('subscribe', (req: { runId: string }, ack: (r: unknown) => void) => {
    void socket.join(`run:${req.runId}`);
    ack({ ok: true, result: null });
  });
});
io.of('/ingest').on('connection', (socket) => {
  socket.on('join', (_req: unknown, ack: (r: unknown) => void) => ack({ ok: true, result: { lastStep: null } }));
  socket.on('steps', (batch: { runId: string; step: Uint8Array }, ack: (r: unknown) => void) => {
    // Binary columns arrive as bytes of little-endian doubles, as in the real server.
    const bytes = batch.step;
    const step = Array.from(new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
    ack({ ok: true, result: { accepted: step.length, duplicates: 0, lastStep: step[step.length - 1] } });
    live.to(`run:${batch.runId}`).emit('steps', { runId: batch.runId, step });
  });
});
httpServer.listen(0, '127.0.0.1', () => {
  const addr = httpServer.address();
  process.stdout.write(`relay listening on ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => {
  void io.close();
  process.exit(0);
});
