// The benchmark's SDK stand-in, run as a separate process (as a training job would be) so
// that client-side encoding does not eat the server's CPU. Parent -> child IPC messages:
// { kind: 'socket' | 'http', url, runId, start, steps } -> child answers { done: true } or { error }.
import { type Socket, io } from 'socket.io-client';
import { BATCH, makeBatch } from './server-fixtures.ts';

interface Job {
  kind: 'socket' | 'http';
  url: string;
  runId: string;
  start: number;
  steps: number;
}

const sockets = new Map<string, Socket>();

async function socketFor(url: string): Promise<Socket> {
  let s = sockets.get(url);
  if (!s) {
    s = io(`${url}/ingest`, { transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve, reject) => {
      s!.once('connect', resolve);
      s!.once('connect_error', reject);
    });
    sockets.set(url, s);
  }
  return s;
}

async function run(job: Job): Promise<void> {
  const batches = Array.from({ length: job.steps / BATCH }, (_, i) => makeBatch(job.start + i * BATCH));
  if (job.kind === 'socket') {
    const sock = await socketFor(job.url);
    // Binary Float64 columns, as the SDK sends them; every batch acknowledged after its commit.
    await Promise.all(
      batches.map(
        (b, seq) =>
          new Promise<void>((resolve, reject) =>
            sock.emit('steps', { runId: job.runId, seq, ...b }, (r: { ok: boolean; error?: string }) => (r.ok ? resolve() : reject(new Error(r.error)))),
          ),
      ),
    );
    return;
  }
  for (const b of batches) {
    const steps = Array.from(b.step, (s, i) => ({ step: s, gradNorm: b.gradNorm[i], loss: b.loss[i], lr: b.lr[i], threshold: b.threshold[i], coef: b.coef[i], action: b.action[i] }));
    const res = await fetch(`${job.url}/api/runs/${job.runId}/steps`, { method: 'POST', body: JSON.stringify({ steps }) });
    if (!res.ok) throw new Error(await res.text());
  }
}

process.on('message', (job: Job | 'exit') => {
  if (job === 'exit') {
    for (const s of sockets.values()) s.close();
    process.disconnect();
    return;
  }
  run(job).then(
    () => process.send!({ done: true }),
    (err: Error) => process.send!({ error: err.message }),
  );
});
process.send!({ ready: true });
