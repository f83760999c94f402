// The first frame of a 1M-step run with this checkout's dashboard and with another commit's,
// alternating page by page on one server (each page gets one bundle's static files by
// routing), so load from other processes hits both alike; a back-to-back before/after on a
// shared machine swings by ±200 ms. Per page: the time from navigation start to the norm
// chart's first frame with data ('gradpilot:first-frame', the page's own clock).
//   node --conditions=gradpilot-source --import tsx test/bench/perf/first-paint-ab.ts <commit> [pages=25] [steps=1000000]
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { parsePolicy } from '../../../sdk/controller/index.ts';
import { Store } from '../../../server/db/store.ts';
import { startServer } from '../../../server/start-server.ts';
import { REPO_ROOT } from '../../support/server-process.ts';
import { launchChromium } from '../../browser/support/browser.ts';
import { buildRun, tempDir } from '../server-fixtures.ts';

const [commit, pagesArg, stepsArg] = process.argv.slice(2);
if (!commit) throw new Error('Expected a commit to compare with, e.g. `first-paint-ab.ts main`');
const pages = Number(pagesArg ?? 25);
const steps = Number(stepsArg ?? 1_000_000);
const tmp = tempDir('gradpilot-paint-ab-');

/** Bundles `root`'s client (its own SDK sources) into `out`, as server/cli/build-client-lib.js does. */
async function bundle(root: string, out: string): Promise<void> {
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [path.join(root, 'client/src/main.ts')],
    bundle: true,
    conditions: ['gradpilot-source'],
    // The other commit's SDK, not this checkout's workspace link; packages from this node_modules.
    alias: { '@gradpilot/sdk': path.join(root, 'sdk') },
    nodePaths: [path.join(REPO_ROOT, 'node_modules')],
    format: 'esm',
    target: 'es2022',
    minify: true,
    outdir: out,
    loader: { '.css': 'css' },
    logLevel: 'warning',
  });
  for (const name of readdirSync(path.join(root, 'client/public'))) copyFileSync(path.join(root, 'client/public', name), path.join(out, name));
}

const other = path.join(tmp.dir, 'other');
mkdirSync(other);
execFileSync('sh', ['-c', `git -C "${REPO_ROOT}" archive "${commit}" client sdk | tar -x -C "${other}"`]);
const dirs = { this: path.join(tmp.dir, 'dist-this'), [commit]: path.join(tmp.dir, 'dist-other') };
await bundle(REPO_ROOT, dirs.this);
await bundle(other, dirs[commit]);

const db = path.join(tmp.dir, 'paint.db');
const store = new Store(db);
const rid = buildRun(store, 'paint', steps);
store.policies.add(rid, parsePolicy({ kind: 'off' }), 0, 'bench', new Date().toISOString());
store.close();
const server = await startServer({ db, port: 0, host: '127.0.0.1' });
const browser = await launchChromium();
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html' };
// A string, not a function: tsx's helpers (__name) do not exist in the page.
const FIRST_FRAME = `new Promise((resolve) => { const check = () => { const m = performance.getEntriesByName('gradpilot:first-frame')[0]; m ? resolve(m.startTime) : setTimeout(check, 5); }; check(); })`;

async function once(dir: string): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await context.route(/\/(main\.js|main\.css|style\.css|index\.html|)(\?.*)?$/, (route) => {
    const p = new URL(route.request().url()).pathname;
    const name = p === '/' ? 'index.html' : p.slice(1);
    return route.fulfill({ body: readFileSync(path.join(dir, name)), contentType: TYPES[path.extname(name)] });
  });
  const page = await context.newPage();
  await page.goto(`${server.url}/#/runs/paint`);
  const ms = (await page.evaluate(FIRST_FRAME)) as number;
  await context.close();
  return ms;
}

try {
  const names = Object.keys(dirs);
  for (const n of names) await once(dirs[n]); // warm-up: the server's statements and page cache
  const res = Object.fromEntries(names.map((n) => [n, [] as number[]]));
  for (let i = 0; i < pages; i++) for (const n of i % 2 ? names.slice().reverse() : names) res[n].push(await once(dirs[n]));
  const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
  process.stdout.write(`first frame of a ${steps.toLocaleString('en-US')}-step run, ${pages} pages each, alternating:\n`);
  for (const n of names) {
    const kb = (readFileSync(path.join(dirs[n], 'main.js')).length / 1024).toFixed(0);
    process.stdout.write(`  ${n.padEnd(12)} median ${median(res[n]).toFixed(0)} ms (${Math.min(...res[n]).toFixed(0)}–${Math.max(...res[n]).toFixed(0)}; bundle ${kb} kB)\n`);
  }
} finally {
  await browser.close();
  await server.close();
  tmp.remove();
}
