// socket.io-client helpers for the server tests: typed sockets and promise-returning emits.
import { type Socket, io } from 'socket.io-client';
import type { IngestClientEvents, IngestServerEvents, LiveClientEvents, LiveServerEvents } from '../../sdk/protocol/socket-events.ts';

export type IngestClient = Socket<IngestServerEvents, IngestClientEvents>;
export type LiveClient = Socket<LiveServerEvents, LiveClientEvents>;

export type Reply<T> = { ok: true; result: T } | { ok: false; error: string };

export function connectIngest(url: string, token?: string): Promise<IngestClient> {
  const socket: IngestClient = io(`${url}/ingest`, { transports: ['websocket'], reconnection: false, auth: token === undefined ? {} : { token } });
  return connected(socket);
}

export function connectLive(url: string): Promise<LiveClient> {
  return connected(io(`${url}/live`, { transports: ['websocket'], reconnection: false }));
}

function connected<S extends Socket>(socket: S): Promise<S> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Emits with an ack and resolves with the server's reply. */
export function request<T>(socket: Socket, event: string, payload: unknown): Promise<Reply<T>> {
  return new Promise((resolve) => {
    socket.emit(event, payload, (reply: Reply<T>) => resolve(reply));
  });
}

/** Resolves with the next `event` payload the socket receives. */
export function next<T>(socket: Socket, event: string): Promise<T> {
  return new Promise((resolve) => socket.once(event, (payload: T) => resolve(payload)));
}
