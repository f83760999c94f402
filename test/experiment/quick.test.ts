// `npm run experiment -- --task rnn|transformer --quick` end to end: real TensorFlow.js (wasm)
// or real PyTorch (Debian's python3), the real SDK of each language, a real server on port 0.
// It checks the machinery (rows, files, runs on the server), not the result.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../sdk/protocol/api-types.ts';
import { run } from '../bench/experiment.ts';
import { conditionsFor } from '../bench/experiment/conditions.ts';
import { screenshot } from '../bench/experiment/screenshot.ts';
import { RNN_FIXED_GRID, TRANSFORMER_FIXED_GRID } from '../bench/experiment/settings.ts';
import { withServer, type TestServer } from '../support/server.ts';

const TASKS = [
  { task: 'rnn', grid: RNN_FIXED_GRID, firstFixed: 'fixed 0.1 ', firstNorm: 0.1 },
  { task: 'transformer', grid: TRANSFORMER_FIXED_GRID, firstFixed: 'fixed 0.03 ', firstNorm: 0.03 },
] as const;

for (const { task, grid, firstFixed, firstNorm } of TASKS) {
  const CONDITIONS = conditionsFor(grid);

  describe(`npm run experiment -- --task ${task} --quick`, () => {
    let server: TestServer;
    let out: string;
    let code: number;
    let stdout = '';
    const project = `quick-${task}`;

    beforeAll(async () => {
      server = await withServer();
      out = mkdtempSync(join(tmpdir(), 'gradpilot-experiment-test-'));
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((chunk: string | Uint8Array) => {
        stdout += String(chunk);
        return true;
      }) as typeof process.stdout.write;
      try {
        code = await run(['--task', task, '--quick', '--url', server.url, '--out', out, '--project', project, '--seeds', '2', '--steps', '12']);
      } finally {
        process.stdout.write = write;
      }
    }, 120_000);

    afterAll(async () => {
      await server?.close();
      if (out) rmSync(out, { recursive: true, force: true });
    });

    it('should exit 0 and print a table row for every condition', () => {
      expect(code).toBe(0);
      for (const c of CONDITIONS) expect(stdout).toContain(`| ${c.label} | `);
    });

    it('should write RESULTS.md with every condition and the paired table, a self-contained results.html and results.json', () => {
      const md = readFileSync(join(out, 'RESULTS.md'), 'utf8');
      const rows = md.split('\n').filter((l) => CONDITIONS.some((c) => l.startsWith(`| ${c.label} | `)));
      // Once in the summary, and once in the paired table for all but the best fixed threshold.
      expect(rows).toHaveLength(2 * CONDITIONS.length - 1);
      expect(md).toMatch(/## Paired against the best fixed threshold \(fixed [\d.]+, picked with hindsight\)/);
      const html = readFileSync(join(out, 'results.html'), 'utf8');
      expect(html).toContain('<svg');
      expect(html).not.toMatch(/<script|src=/);
      const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { task: string; runs: unknown[] };
      expect(json.task).toBe(task);
      expect(json.runs).toHaveLength(CONDITIONS.length * 2);
      expect(existsSync(join(out, 'results.html'))).toBe(true);
    });

    it('should start every condition of a seed from the same weights, and different seeds from different ones', () => {
      const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { runs: { seed: number; evalLoss: number[] }[] };
      const before = (seed: number): number[] => json.runs.filter((r) => r.seed === seed).map((r) => r.evalLoss[0]);
      for (const seed of [1, 2]) expect(new Set(before(seed)).size).toBe(1);
      expect(before(1)[0]).not.toBe(before(2)[0]);
    });

    it('should have streamed every run, with all its steps and its policy, to the server', async () => {
      const runs = ((await (await fetch(`${server.url}/api/runs`)).json()) as RunSummary[]).filter((r) => r.project === project);
      expect(runs).toHaveLength(CONDITIONS.length * 2);
      for (const r of runs) {
        expect(r.steps).toBe(12);
        expect(r.lastStep).toBe(11);
      }
      const kinds = new Set(runs.map((r) => r.policy.policy.kind));
      expect([...kinds].sort()).toEqual(['fixed', 'off', 'percentile', 'zscore']);
      const fixed = runs.find((r) => r.name.startsWith(firstFixed));
      expect(fixed?.policy.policy.maxNorm).toBe(firstNorm);
      const windowed = runs.find((r) => r.name.startsWith('cand: percentile p=50 window 100 '));
      expect(windowed?.policy.policy).toMatchObject({ kind: 'percentile', p: 50, window: 100 });
    });

    it('should render results.html to a PNG in real Chromium', async () => {
      const png = readFileSync(await screenshot(out));
      // PNG signature, and an image larger than an empty page's.
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect(png.length).toBeGreaterThan(20_000);
    });
  });
}
