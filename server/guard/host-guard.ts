// Who may talk to a server that listens on loopback. Every web page the user opens can send
// requests to 127.0.0.1, so two headers the page cannot forge decide:
// - Host: a DNS-rebinding page reaches us under its own name (evil.example resolving to
//   127.0.0.1), so while bound to loopback only loopback names with our port are answered.
// - Origin: a browser names the page behind every cross-origin request (and behind every
//   POST and WebSocket); anything but our own dashboard is refused. SDKs, curl and Python
//   send no Origin and are not browsers: they pass.
import { type AllowedHost, formatAllowedHost } from './allowed-hosts.ts';

export interface HostGuardOptions {
  /** The address the server listens on. */
  bindHost: string;
  /** The port it listens on (known once it listens: port 0 picks one). */
  port: () => number;
  allowedHosts?: readonly AllowedHost[];
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || isLoopbackIPv4(host);
}

function isLoopbackIPv4(host: string): boolean {
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return m !== null && m.slice(1).every((octet) => Number(octet) <= 255);
}

/** `name:port`, `[v6]:port` or a bare name, as in a Host header; null when it is none of these. */
function splitHost(header: string): { hostname: string; port: number | null } | null {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(header.trim().toLowerCase());
  return m ? { hostname: m[1], port: m[2] === undefined ? null : Number(m[2]) } : null;
}

export class HostGuard {
  readonly #port: () => number;
  readonly #allowed: readonly AllowedHost[];
  /** Checked while bound to loopback, or wherever allowed hosts were given. */
  readonly #checksHost: boolean;

  constructor({ bindHost, port, allowedHosts = [] }: HostGuardOptions) {
    this.#port = port;
    this.#allowed = allowedHosts;
    this.#checksHost = isLoopback(bindHost) || allowedHosts.length > 0;
  }

  /** Why a request with this Host header is refused (answered 421), or null. */
  hostProblem(host: string | undefined): string | null {
    if (!this.#checksHost) return null;
    const port = this.#port();
    const parsed = host === undefined ? null : splitHost(host);
    // A browser leaves the port out of Host only when it is the scheme's default.
    if (parsed && isLoopback(parsed.hostname) && (parsed.port ?? 80) === port) return null;
    if (parsed && this.#isAllowed(parsed.hostname, parsed.port ?? 80)) return null;
    const shown = host === undefined ? 'a request without a Host header' : `Host ${JSON.stringify(host)}`;
    const answers = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, ...this.#allowed.map(formatAllowedHost)].join(', ');
    const name = parsed?.hostname ?? 'my.host';
    return `Refused ${shown}: this server answers only to ${answers} (a guard against DNS rebinding). ` +
      `To reach it under another name, start it with --allowed-hosts ${name} (or GRADPILOT_ALLOWED_HOSTS=${name}).`;
  }

  /** Why a request from this Origin is refused (answered 403), or null. No Origin: not a browser page, fine. */
  originProblem(origin: string | undefined, host: string | undefined): string | null {
    if (origin === undefined) return null;
    let url: URL | null = null;
    try {
      url = new URL(origin);
    } catch {
      // "null" (sandboxed frames, file: pages) and garbage: nobody we know
    }
    if (url && (url.protocol === 'http:' || url.protocol === 'https:')) {
      if (host !== undefined && sameHost(url, host)) return null;
      const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
      if (this.#isAllowed(url.hostname, port)) return null;
    }
    const own = host === undefined ? 'its own dashboard' : `its own dashboard (http://${host})`;
    const hint = url && url.hostname ? ` To let that page in, start the server with --allowed-hosts ${url.host}.` : '';
    return `Refused a request from the web page at ${JSON.stringify(origin)}: this server takes requests only from ${own} ` +
      `and from clients that send no Origin (SDKs, curl).${hint}`;
  }

  #isAllowed(hostname: string, port: number): boolean {
    return this.#allowed.some((a) => a.hostname === hostname && (a.port === null || a.port === port));
  }
}

/** The page is served by the host it sends to (default ports compared per scheme). */
function sameHost(origin: URL, host: string): boolean {
  try {
    return new URL(`${origin.protocol}//${host}`).host === origin.host;
  } catch {
    return false;
  }
}
