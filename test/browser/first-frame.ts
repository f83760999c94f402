// Measures how long the run view takes to paint its first gradient-norm frame for a long
// run, against a short run measured in the same process as the baseline:
//   npx tsx test/browser/first-frame.ts [steps=1000000] [repeats=5]
// Time is from navigation start to the 'gradpilot:first-frame' performance mark, which the
// norm chart sets after its first draw with data (the page's own clock, no polling).
import { buildClient } from '../../server/cli/build-client-lib.js';
import { withServer } from '../support/server.ts';
import { launchChromium } from './support/browser.ts';
import { createRun, makeSteps, postSteps } from './support/seed.ts';

const steps = Number(process.argv[2] ?? 1_000_000);
const repeats = Number(process.argv[3] ?? 5);

async function seed(url: string, name: string, n: number): Promise<string> {
  const run = await createRun(url, name);
  const chunk = 20_000;
  for (let start = 0; start < n; start += chunk) {
    await postSteps(url, run.id, makeSteps({ steps: Math.min(chunk, n - start), start, layers: false, nanAt: [start + 777] }), chunk);
  }
  return run.id;
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];

await buildClient();
const server = await withServer();
const browser = await launchChromium();
try {
  const t0 = performance.now();
  const big = await seed(server.url, `${steps} steps`, steps);
  const small = await seed(server.url, '1000 steps', 1000);
  process.stdout.write(`seeded ${steps} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

  const measure = async (runId: string) => {
    const out: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      const page = await context.newPage();
      await page.goto(`${server.url}/#/runs/${runId}`);
      // A string, not a function: tsx's helpers (__name) do not exist in the page.
      const ms = await page.evaluate<number>(`new Promise((resolve) => {
        const check = () => {
          const m = performance.getEntriesByName('gradpilot:first-frame')[0];
          if (m) resolve(m.startTime); else setTimeout(check, 10);
        };
        check();
      })`);
      out.push(ms);
      await context.close();
    }
    return out;
  };
  // One warm-up load so both runs see a warm HTTP cache for main.js.
  await measure(small);
  const base = await measure(small);
  const long = await measure(big);
  const apiT0 = performance.now();
  await fetch(`${server.url}/api/runs/${big}/steps?points=1300`).then((r) => r.json());
  const apiMs = performance.now() - apiT0;
  process.stdout.write(
    `first frame, ${steps} steps: median ${median(long).toFixed(0)} ms (runs: ${long.map((x) => x.toFixed(0)).join(', ')})\n` +
      `first frame, 1000 steps:    median ${median(base).toFixed(0)} ms (runs: ${base.map((x) => x.toFixed(0)).join(', ')})\n` +
      `ratio long/short: ${(median(long) / median(base)).toFixed(2)}; GET steps?points=1300 on the long run: ${apiMs.toFixed(0)} ms\n`,
  );
} finally {
  await browser.close();
  await server.close();
}
