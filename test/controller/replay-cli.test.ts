import { spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Controller, DEFAULT_POLICY, parsePolicy } from '../../sdk/controller/index.ts';
import { replayMain } from '../../server/cli/replay.ts';

const CLI = fileURLToPath(new URL('../../server/cli/gradpilot.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gradpilot-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function replay(args: string[], stdin = ''): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'replay', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

function parseCell(cell: string): number | null {
  return cell === '' ? null : Number(cell);
}

/** The rows the CLI must print: the controller run directly over the same norms. */
function expectedRows(policy: unknown, norms: number[], steps?: number[]): string[][] {
  const c = new Controller(parsePolicy(policy));
  return norms.map((gradNorm, i) => {
    const d = c.decide({ step: steps?.[i] ?? i, gradNorm });
    return [String(d.step), String(d.gradNorm), d.threshold === null ? '' : String(d.threshold), String(d.coef), d.action, d.events.join('|')];
  });
}

/** The same command in-process, streams injected: cheaper than a process per error case. */
async function replayInProcess(args: string[], stdin = ''): Promise<Result> {
  const collect = (stream: PassThrough): (() => string) => {
    let text = '';
    stream.setEncoding('utf8').on('data', (c: string) => (text += c));
    return () => text;
  };
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const code = await replayMain(args, { stdin: Readable.from([stdin]), stdout, stderr });
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: out(), stderr: err() };
}

// Spawned processes start tsx each time (seconds on a busy machine): run them side by side.
describe.concurrent('gradpilot replay (spawned)', () => {
  const norms = Array.from({ length: 120 }, (_, i) => (i % 37 === 36 ? 40 : 1 + ((i * 7919) % 13) / 20));
  norms[50] = Number.NaN;
  norms[60] = Number.POSITIVE_INFINITY;
  norms[61] = Number.NEGATIVE_INFINITY;
  const spellings = new Map<number, string>([[50, 'nan'], [60, 'INF'], [61, '-Infinity']]);

  it('should replay one norm per line from stdin, nan/inf in any case, numbers that parse back exactly', async () => {
    const policy = { kind: 'zscore', warmupSteps: 10, maxNorm: 30 };
    const input = norms.map((g, i) => spellings.get(i) ?? String(g)).join('\n') + '\n';
    const r = await replay(['--policy', JSON.stringify(policy)], input);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('step,gradNorm,threshold,coef,action,events');
    const rows = lines.slice(1).map((l) => l.split(','));
    const want = expectedRows(policy, norms);
    expect(rows.map((row) => row.slice(4))).toEqual(want.map((row) => row.slice(4)));
    rows.forEach((row, i) => {
      for (const col of [1, 2, 3]) {
        const got = parseCell(row[col]);
        const w = parseCell(want[i][col]);
        if (!Object.is(got, w)) expect.fail(`row ${i} column ${col}: ${row[col]} vs ${want[i][col]}`);
      }
    });
    expect(rows[50].slice(1, 2).concat(rows[50].slice(4))).toEqual(['NaN', 'skip', 'nonfinite']);
    expect(rows[60][1]).toBe('Infinity');
    expect(rows[61][1]).toBe('-Infinity');
    expect(rows.some((row) => row[4] === 'clip')).toBe(true);
  });

  it('should read a CSV file with a gradNorm column, using its step column and ignoring the others', async () => {
    const file = join(dir, 'norms.csv');
    const steps = norms.map((_, i) => 1000 + 2 * i);
    const body = norms.map((g, i) => `${steps[i]},"run, one",${spellings.get(i) ?? g},0.5`).join('\r\n');
    writeFileSync(file, `step,name,gradNorm,loss\r\n${body}\r\n`);
    const r = await replay([file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n').slice(1);
    expect(rows).toEqual(expectedRows(DEFAULT_POLICY, norms, steps).map((row) => row.join(',')));
  });

  it('should stop quietly with exit code 0 when the reader goes away (| head)', async () => {
    const file = join(dir, 'long.txt');
    writeFileSync(file, Array.from({ length: 50_000 }, (_, i) => String(1 + (i % 17) / 10)).join('\n'));
    const result = await new Promise<Result>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'replay', file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.stdout.once('data', () => child.stdout.destroy());
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout: '', stderr }));
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('should show an example with --help', async () => {
    const r = await replay(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n\s+printf .*gradpilot replay --policy '\{"kind":"zscore"/);
  });

  const spawnedErrors: [string, string[], string, RegExp][] = [
    ['a policy that is not JSON', ['--policy', '{kind: zscore}'], '1\n', /^gradpilot replay: --policy: not valid JSON/],
    ['an unparsable norm', [], '1.5\n2\n\n0x10\n', /^gradpilot replay: line 4: cannot read the gradient norm "0x10": expected a number, nan, inf or -inf$/],
    ['a missing file', [join(dir, 'missing.txt')], '', /^gradpilot replay: cannot read ".*missing\.txt": ENOENT$/],
  ];
  for (const [what, args, stdin, message] of spawnedErrors) {
    it(`should exit 2 with one line on stderr for ${what}`, async () => {
      const r = await replay(args, stdin);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.stderr.trimEnd()).toMatch(message);
    });
  }

  it('should give the same rows in-process as the controller', async () => {
    const r = await replayInProcess(['--policy', '{"kind":"fixed","maxNorm":1}'], '0.5\n2\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`step,gradNorm,threshold,coef,action,events\n0,0.5,1,1,apply,\n1,2,1,${1 / (2 + 1e-6)},clip,\n`);
  });
});

describe('gradpilot replay errors (in-process, same code path)', () => {
  const errors: [string, string[], string, RegExp][] = [
    ['an unknown policy field', ['--policy', '{"kind":"percentile","windw":5}', '-'], '1\n', /^gradpilot replay: --policy: Unknown policy field "windw" .*Did you mean "window"\?/],
    ['an empty CSV cell', [], 'gradNorm,step\n1,0\n,1\n', /^gradpilot replay: line 3: cannot read gradNorm ""/],
    ['an unparsable CSV cell', [], 'gradNorm,step\n1,0\nabc,1\n', /^gradpilot replay: line 3: cannot read gradNorm "abc"/],
    ['a bad step', [], 'step,gradNorm\n0,1\n-1,2\n', /^gradpilot replay: line 3: expected "step" to be a non-negative integer, got "-1"$/],
    ['a header without gradNorm', [], 'step,norm\n0,1\n', /^gradpilot replay: line 1: expected one norm per line, or a CSV header with a "gradNorm" column/],
    ['a short CSV row', [], 'step,gradNorm\n0\n', /^gradpilot replay: line 2: expected 2 columns as in the header, got 1$/],
    ['two input files', ['a.txt', 'b.txt'], '', /^gradpilot replay: expected at most one input file, got "a.txt" and "b.txt"$/],
    ['--policy without a value', ['--policy'], '', /^gradpilot replay: --policy: expected a JSON policy after it/],
    ['an unknown option', ['--polcy', '{}'], '', /^gradpilot replay: unknown option "--polcy"/],
  ];
  for (const [what, args, stdin, message] of errors) {
    it(`should exit 2 with one line on stderr for ${what}`, async () => {
      const r = await replayInProcess(args, stdin);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')).toHaveLength(2); // one line and its newline
      expect(r.stderr.trimEnd()).toMatch(message);
    });
  }
});
