// `gradpilot serve`: the server and dashboard until Ctrl-C / SIGTERM, then a clean shutdown.
import { formatAllowedHost, parseAllowedHostList } from '../guard/allowed-hosts.ts';
import { DEFAULT_HOST, DEFAULT_PORT, startServer } from '../start-server.ts';
import { ALERT_FLAGS, ALERT_USAGE, type AlertSettings, alertSettings } from './alert-flags.ts';
import { ensureDashboard } from './ensure-dashboard.ts';
import { UsageError, parseFlags } from './parse-flags.ts';

const USAGE = `gradpilot serve [--port 7070] [--host 127.0.0.1] [--db ./gradpilot.db]
                [--allowed-hosts name[:port],...] [--public-reads] [--webhook URL ...]

  --db             a SQLite file (default ./gradpilot.db), or postgres://user@host:port/db:
                   PostgreSQL, which several servers may share
  --allowed-hosts  host names it may be reached under besides 127.0.0.1, localhost and
                   [::1] (DNS-rebinding guard), and whose pages may call it
  --public-reads   with a token: reads (HTTP and the /live socket) need none

Environment: GRADPILOT_PORT, GRADPILOT_HOST, GRADPILOT_DB, GRADPILOT_ALLOWED_HOSTS,
GRADPILOT_PUBLIC_READS=1 (flags win), GRADPILOT_TOKEN (every request then needs
"Authorization: Bearer <token>"; required for a non-loopback host).
Logs: DEBUG=gradpilot:* for details.

${ALERT_USAGE}`;

function parseBooleanEnv(name: string): boolean {
  const text = (process.env[name] ?? '').trim().toLowerCase();
  if (text === '' || text === '0' || text === 'false') return false;
  if (text === '1' || text === 'true') return true;
  throw new UsageError(`Expected ${name} to be 1, true, 0 or false, got ${JSON.stringify(process.env[name])}`);
}

export async function run(args: string[]): Promise<number> {
  let port: number;
  let host: string;
  let db: string;
  let allowedHosts: string[];
  let publicReads: boolean;
  let alerting: AlertSettings;
  try {
    const { flags, rest, lists } = parseFlags(args, ['port', 'host', 'db', 'allowed-hosts', ...ALERT_FLAGS], ['help', 'public-reads'], ['webhook']);
    if (flags.has('help')) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (rest.length > 0) throw new UsageError(`Unexpected argument "${rest[0]}"`);
    const portText = flags.get('port') ?? process.env.GRADPILOT_PORT ?? String(DEFAULT_PORT);
    port = /^\d+$/.test(portText) ? Number(portText) : Number.NaN;
    if (!Number.isInteger(port) || port > 65535) throw new UsageError(`Expected --port (or GRADPILOT_PORT) to be a port number 0-65535, got "${portText}"`);
    host = flags.get('host') ?? process.env.GRADPILOT_HOST ?? DEFAULT_HOST;
    db = flags.get('db') ?? process.env.GRADPILOT_DB ?? './gradpilot.db';
    const hostList = flags.get('allowed-hosts') ?? process.env.GRADPILOT_ALLOWED_HOSTS ?? '';
    try {
      allowedHosts = parseAllowedHostList(hostList, '--allowed-hosts (or GRADPILOT_ALLOWED_HOSTS)').map(formatAllowedHost);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    publicReads = flags.has('public-reads') || parseBooleanEnv('GRADPILOT_PUBLIC_READS');
    alerting = alertSettings(flags, lists, process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`gradpilot serve: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  const token = process.env.GRADPILOT_TOKEN || null;
  try {
    if ((await ensureDashboard()) === 'built') process.stdout.write('gradpilot: built the dashboard (client/dist was missing or older than client/src)\n');
  } catch (err) {
    // The API can run without it; the start-up line and `/` then say the dashboard is missing.
    process.stderr.write(`gradpilot serve: could not build the dashboard: ${(err as Error).message}\n`);
  }
  let server;
  try {
    server = await startServer({ db, port, host, token, publicReads, allowedHosts, log: true, ...alerting });
  } catch (err) {
    process.stderr.write(`gradpilot serve: ${(err as Error).message}\n`);
    return 1;
  }
  const running = server;
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stdout.write(`gradpilot: ${signal}, shutting down\n`);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      void running.close().then(resolve);
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  return 0;
}
