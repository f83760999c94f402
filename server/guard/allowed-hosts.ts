// The host names a server may be reached under besides the loopback ones (`--allowed-hosts`,
// GRADPILOT_ALLOWED_HOSTS): each entry is a name or an IP, optionally with a port.
export interface AllowedHost {
  /** Lower case; an IPv6 address keeps its brackets, as in a Host header. */
  hostname: string;
  /** null: any port. */
  port: number | null;
}

// A DNS name (labels of letters, digits and inner hyphens), an IPv4 address, or a bracketed
// IPv6 address; then an optional port.
const ENTRY = /^(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)(?::(\d{1,5}))?$/;

/** Parses one entry, or throws a RangeError naming it and saying what is expected. */
export function parseAllowedHost(entry: string, field = 'allowedHosts'): AllowedHost {
  const text = entry.trim().toLowerCase();
  const m = ENTRY.exec(text);
  const port = m?.[2] === undefined ? null : Number(m[2]);
  if (!m || (port !== null && port > 65535)) {
    throw new RangeError(
      `Expected each of "${field}" to be a host name or IP with an optional port (e.g. "gradpilot.lan", "gradpilot.lan:7070", "[fd00::1]"), got ${JSON.stringify(entry)}`,
    );
  }
  return { hostname: m[1], port };
}

/** Parses a comma-separated list (`a,b:8080`); empty entries are skipped. */
export function parseAllowedHostList(list: string, field = 'allowedHosts'): AllowedHost[] {
  return list.split(',').filter((e) => e.trim() !== '').map((e) => parseAllowedHost(e, field));
}

export function formatAllowedHost(h: AllowedHost): string {
  return h.port === null ? h.hostname : `${h.hostname}:${h.port}`;
}
