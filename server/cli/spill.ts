// `gradpilot spill list|send`: the steps SDKs on this machine kept on disk while a server was
// away, and a way to deliver them without restarting the training run.
import { defaultSpillDir, deliverSpills, listSpills } from '@gradpilot/sdk';
import { UsageError, parseFlags } from './parse-flags.ts';

const USAGE = `gradpilot spill list [--dir <folder>]
gradpilot spill send [--url http://127.0.0.1:7070] [--run <id>] [--dir <folder>]

list: every spill file, its run, how many steps it holds, and whether its process still runs.
send: delivers the files of runs whose process ended (crashed, or closed with steps
undelivered) and removes them; files of running processes are left to them.
--dir defaults to the SDK's per-user spill folder (${defaultSpillDir()}); --url to
GRADPILOT_URL or http://127.0.0.1:7070. GRADPILOT_TOKEN is sent when set.`;

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

export async function run(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  let flags: Map<string, string>;
  try {
    if (action === '--help' || action === '-h') {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (action !== 'list' && action !== 'send') throw new UsageError(`Expected "list" or "send", got ${action === undefined ? 'nothing' : `"${action}"`}`);
    const parsed = parseFlags(rest, action === 'list' ? ['dir'] : ['dir', 'url', 'run'], ['help']);
    if (parsed.rest.length > 0) throw new UsageError(`Unexpected argument "${parsed.rest[0]}"`);
    flags = parsed.flags;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`gradpilot spill: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (flags.has('help')) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const dir = flags.get('dir') ?? defaultSpillDir();
  if (action === 'list') {
    const spills = listSpills(dir);
    if (spills.length === 0) {
      process.stdout.write(`no spill files in ${dir}\n`);
      return 0;
    }
    process.stdout.write('run\tname\tstate\tsteps\tsize\tmodified\tfile\n');
    for (const s of spills) {
      process.stdout.write(`${s.runId}\t${s.runName ?? ''}\t${s.state}\t${s.steps}\t${kib(s.bytes)}\t${s.modified.toISOString()}\t${s.path}\n`);
    }
    return 0;
  }
  const url = (flags.get('url') ?? process.env.GRADPILOT_URL ?? 'http://127.0.0.1:7070').replace(/\/+$/, '');
  const token = process.env.GRADPILOT_TOKEN || undefined;
  const runId = flags.get('run');
  const results = await deliverSpills({ url, dir, ...(token ? { token } : {}), ...(runId ? { runId } : {}) });
  if (results.length === 0) {
    process.stdout.write(`nothing to send: no spill files of ended runs${runId ? ` of run "${runId}"` : ''} in ${dir}\n`);
    return 0;
  }
  let failed = false;
  for (const r of results) {
    const left = r.undelivered > 0 ? `, ${r.undelivered} still undelivered (${r.lastError ?? 'no answer'})` : '';
    const dropped = r.dropped > 0 ? `, ${r.dropped} refused by the server` : '';
    process.stdout.write(`${r.runId}: ${r.delivered} steps delivered to ${url}${dropped}${left}\n`);
    if (r.undelivered > 0) failed = true;
  }
  return failed ? 1 : 0;
}
