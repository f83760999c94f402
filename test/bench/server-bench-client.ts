// The benchmark's SDK stand-in, run as a separate process (as a training job would be) so
// that client-side encoding does not eat the server's CPU. Parent -> child IPC messages:
// { kind: 'socket' | 'http', url, runId, start, steps } -> child answers { done: true } or { error }.
import { type Socket, io } from 'socket.io-client';
import { MAX_IN_FLIGHT } from '../../sdk/client/run.ts';
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
  const batches = job.steps / BATCH;
  if (job.kind === 'socket') {
    const sock = await socketFor(job.url);
    // As the SDK streams: binary Float64 columns, at most MAX_IN_FLIGHT batches awaiting
    // their acknowledgement (sent after the commit), the next batch built and sent as soon
    // as one is acknowledged.
    let next = 0;
    const send = (seq: number): Promise<void> =>
      new Promise<void>((resolve, reject) =>
        sock.emit('steps', { runId: job.runId, seq, ...makeBatch(job.start + seq * BATCH) }, (r: { ok: boolean; error?: string }) =>
          r.ok ? resolve() : reject(new Error(r.error)),
        ),
      );
    const lane = async (): Promise<void> => {
      while (next < batches) await send(next++);
    };
    await Promise.all(Array.from({ length: Math.min(MAX_IN_FLIGHT, batches) }, lane));
    return;
  }
  for (let seq = 0; seq < batches; seq++) {
    const b = makeBatch(job.start + seq * BATCH);
    const steps = Array.from(b.step, (s, i) => ({ step: s, gradNorm: b.gradNorm[i], loss: b.loss[i], lr: b.lr[i], threshold: b.threshold[i], coef: b.coef[i], action: b.action[i], time: b.time[i] }));
    const res = await fetch(`${job.url}/api/runs/${job.runId}/steps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ steps }) });
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
