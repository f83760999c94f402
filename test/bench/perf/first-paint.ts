// The first-paint figure: a 1M-step run, seeded through the store layer (real rollups, via
// the server benchmark's buildRun), opened in Chromium; time from navigation start to the
// norm chart's first frame with data (its 'gradpilot:first-frame' performance mark, the
// page's own clock, as test/browser/first-frame.ts reads it). Baseline: a 1e4-step run.
import path from 'node:path';
import { parsePolicy } from '../../../sdk/controller/index.ts';
import { buildClient } from '../../../server/cli/build-client-lib.js';
import { Store } from '../../../server/db/store.ts';
import { startServer } from '../../../server/start-server.ts';
import { launchChromium } from '../../browser/support/browser.ts';
import { buildRun, tempDir } from '../server-fixtures.ts';

export interface FirstPaint {
  steps: number;
  baselineSteps: number;
  /** Medians in ms. */
  ms: number;
  baselineMs: number;
  samples: number[];
  baselineSamples: number[];
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];

// A string, not a function: tsx's helpers (__name) do not exist in the page.
const FIRST_FRAME = `new Promise((resolve, reject) => {
  const end = Date.now() + 60000;
  const check = () => {
    const m = performance.getEntriesByName('gradpilot:first-frame')[0];
    if (m) resolve(m.startTime);
    else if (Date.now() > end) reject(new Error('no first frame within 60 s'));
    else setTimeout(check, 5);
  };
  check();
})`;

export async function measureFirstPaint({ steps = 1_000_000, baselineSteps = 10_000, repeats = 5, log = (_: string) => {} } = {}): Promise<FirstPaint> {
  await buildClient();
  const tmp = tempDir('gradpilot-bench-paint-');
  const db = path.join(tmp.dir, 'paint.db');
  const store = new Store(db);
  const t0 = performance.now();
  const at = new Date().toISOString();
  for (const n of [steps, baselineSteps]) {
    const rid = buildRun(store, `paint-${n}`, n);
    store.policies.add(rid, parsePolicy({ kind: 'off' }), 0, 'bench', at);
  }
  store.close();
  log(`seeded ${steps} + ${baselineSteps} steps through the store in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const server = await startServer({ db, port: 0, host: '127.0.0.1' });
  const browser = await launchChromium();
  try {
    const measureOnce = async (n: number): Promise<number> => {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      const page = await context.newPage();
      await page.goto(`${server.url}/#/runs/paint-${n}`);
      const ms = await page.evaluate<number>(FIRST_FRAME);
      await context.close();
      return ms;
    };
    // Warm-up: the bundle in the HTTP cache, the server's statements and page cache, for both.
    await measureOnce(baselineSteps);
    await measureOnce(steps);
    // Interleave so that load from other processes hits both alike.
    const samples: number[] = [];
    const baselineSamples: number[] = [];
    for (let i = 0; i < repeats; i++) {
      baselineSamples.push(await measureOnce(baselineSteps));
      samples.push(await measureOnce(steps));
    }
    return { steps, baselineSteps, ms: median(samples), baselineMs: median(baselineSamples), samples, baselineSamples };
  } finally {
    await browser.close();
    await server.close();
    tmp.remove();
  }
}
