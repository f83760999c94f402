// socket.io's handshake gets the same Host and Origin checks as HTTP: a WebSocket is not
// bound by the same-origin policy, so without them any page could read `/live` or write
// to `/ingest`. Used as the io Server's `allowRequest`, which engine.io calls for every
// new connection (polling or WebSocket) before anything else.
import type { IncomingMessage } from 'node:http';
import createDebug from 'debug';
import type { HostGuard } from './host-guard.ts';

const log = createDebug('gradpilot:io');

export function allowHandshake(guard: HostGuard) {
  return function allowRequest(req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void): void {
    const problem = guard.hostProblem(req.headers.host) ?? guard.originProblem(req.headers.origin, req.headers.host);
    if (problem) log('refused a handshake: %s', problem);
    callback(problem, problem === null);
  };
}
