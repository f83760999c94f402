// The two packages as a user gets them: `npm pack` both, install the tarballs into a fresh
// project (offline, from the npm cache), then use them as that user would, under plain
// `node` and a strict `tsc`, outside this repository.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, cleanEnv } from '../support/server-process.ts';
import { offlineLock, type Tarball } from './offline-lock.ts';

const run = promisify(execFile);
const NPM = 'npm';
/** What the SDK may bring into a user's project, and no more. */
const SDK_CLOSURE = ['@gradpilot/sdk', '@socket.io/component-emitter', 'debug', 'engine.io-client', 'engine.io-parser', 'ms', 'socket.io-client', 'socket.io-parser', 'ws', 'xmlhttprequest-ssl'];
const SERVER_ONLY = ['express', 'socket.io', 'better-sqlite3', 'prom-client', 'esbuild', 'uplot', 'tsx', '@tensorflow/tfjs', 'gradpilot'];

let work: string;
let project: string;
let server: ChildProcess | null = null;
let serverUrl = '';
let serverLog = '';

function manifestOf(file: string): Tarball['manifest'] {
  return JSON.parse(readFileSync(path.join(file), 'utf8')) as Tarball['manifest'];
}

/** The README's SDK example, as the file a user copies (the code block that starts with `// train.mjs`). */
function readmeExample(): string {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const m = /```js\n(\/\/ train\.mjs[^]*?)```/.exec(readme);
  if (!m) throw new Error('README.md has no ```js block starting with "// train.mjs"');
  return m[1];
}

/** Packages reachable from `dir` through `dependencies`, resolved as Node does. */
function dependencyClosure(projectDir: string, start: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (name: string, fromDir: string): void => {
    for (let dir = fromDir; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'node_modules', name);
      if (existsSync(path.join(candidate, 'package.json'))) {
        if (seen.has(name)) return;
        seen.set(name, candidate);
        const m = manifestOf(path.join(candidate, 'package.json'));
        for (const dep of Object.keys(m.dependencies ?? {})) visit(dep, candidate);
        return;
      }
      if (dir === projectDir || path.dirname(dir) === dir) throw new Error(`${name} is not installed (needed from ${fromDir})`);
    }
  };
  visit(start, projectDir);
  return seen;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]);
}

describe('the packed packages in a fresh project', () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'gradpilot-pack-'));
    const packs = path.join(work, 'tarballs');
    project = path.join(work, 'user-project');
    mkdirSync(packs);
    mkdirSync(project);
    // The root's prepack builds the SDK, the server and the dashboard; the SDK is then packed as is.
    await run(NPM, ['pack', '--pack-destination', packs], { cwd: REPO_ROOT, maxBuffer: 1 << 24 });
    await run(NPM, ['pack', '--ignore-scripts', '--pack-destination', packs], { cwd: path.join(REPO_ROOT, 'sdk'), maxBuffer: 1 << 24 });
    const tarballs = readdirSync(packs).map((name) => {
      const file = path.join(packs, name);
      const extracted = path.join(work, `manifest-${name}`);
      mkdirSync(extracted);
      return { file, extracted };
    });
    const parsed: Tarball[] = [];
    for (const { file, extracted } of tarballs) {
      await run('tar', ['-xzf', file, '-C', extracted, 'package/package.json']);
      parsed.push({ file, manifest: manifestOf(path.join(extracted, 'package', 'package.json')) });
    }
    const lock = offlineLock(path.join(REPO_ROOT, 'package-lock.json'), project, parsed, ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']) as {
      packages: { '': { dependencies: Record<string, string> } };
    };
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', type: 'module', dependencies: lock.packages[''].dependencies }, null, 2));
    writeFileSync(path.join(project, 'package-lock.json'), JSON.stringify(lock, null, 2));
    // --ignore-scripts: better-sqlite3 would compile its addon for a minute and a half; the
    // repository's build of the same version for the same Node is copied in instead.
    await run(NPM, ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: project, maxBuffer: 1 << 24, env: cleanEnv() });
    const addon = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
    mkdirSync(path.dirname(path.join(project, addon)), { recursive: true });
    copyFileSync(path.join(REPO_ROOT, addon), path.join(project, addon));

    server = spawn('npx', ['--no-install', 'gradpilot', 'serve', '--port', '0', '--db', path.join(work, 'user.db')], {
      cwd: project, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stderr!.on('data', (d: Buffer) => (serverLog += d.toString()));
    serverUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npx gradpilot serve did not start: ${serverLog}`)), 60_000);
      server!.stdout!.on('data', (d: Buffer) => {
        serverLog += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+) \(([^)]*)\)/.exec(serverLog);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      server!.once('exit', (code) => reject(new Error(`npx gradpilot serve exited (${code}): ${serverLog}`)));
    });
  }, 300_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('should serve the built dashboard and the API from `npx gradpilot serve`', async () => {
    expect(serverLog).toContain('(dashboard and API)');
    const page = await fetch(`${serverUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toMatch(/<script[^>]+src="[^"]*main\.js"/);
    const script = await fetch(`${serverUrl}/main.js`);
    expect(script.status).toBe(200);
    expect((await script.text()).length).toBeGreaterThan(10_000);
    expect(await (await fetch(`${serverUrl}/api/health`)).json()).toMatchObject({ ok: true });
  });

  it('should run the README example under plain node and deliver every step', { timeout: 120_000 }, async () => {
    writeFileSync(path.join(project, 'train.mjs'), readmeExample());
    const { stdout } = await run(process.execPath, ['train.mjs'], { cwd: project, env: cleanEnv({ GRADPILOT_URL: serverUrl }), maxBuffer: 1 << 24, timeout: 120_000 });
    expect(stdout).toMatch(/delivered: 300,/);
    expect(stdout).toMatch(/undelivered: 0,/);
    const id = /live at http:\/\/[^ ]+\/#\/runs\/(\S+)/.exec(stdout)?.[1];
    expect(id, stdout).toBeTruthy();
    const summary = (await (await fetch(`${serverUrl}/api/runs/${id}`)).json()) as { steps: number; lastStep: number; status: string };
    expect(summary).toMatchObject({ steps: 300, lastStep: 299, status: 'finished' });
  });

  it('should load with require() too, where Node 20.19+ allows require of ESM', async () => {
    const { stdout } = await run(process.execPath, ['-e', "const s = require('@gradpilot/sdk'); console.log(typeof s.init, typeof require('@gradpilot/sdk/controller').Controller)"], { cwd: project });
    expect(stdout.trim()).toBe('function function');
  });

  // tsc over TensorFlow.js's declarations with skipLibCheck off: 25 s alone at load average 12
  // on the shared machine, past the default 30 s timeout inside the full suite.
  it('should compile a strict module-nodenext TypeScript file against both packages with zero errors', async () => {
    writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true,
        skipLibCheck: false, types: ['node'], typeRoots: [path.join(REPO_ROOT, 'node_modules/@types')],
      },
      include: ['typed.mts'],
    }));
    writeFileSync(path.join(project, 'typed.mts'), `
import * as tf from '@tensorflow/tfjs';
import { init, GradpilotError, listSpills, type CloseReport, type Decision, type InitOptions } from '@gradpilot/sdk';
import { clipOptimizer } from '@gradpilot/sdk/tfjs';
import { Controller, parsePolicy, type Policy } from '@gradpilot/sdk/controller';
import { startServer, type RunningServer } from 'gradpilot';

const server: RunningServer = await startServer({ db: './typed.db', port: 0 });
const options: InitOptions = { url: server.url, name: 'typed', policy: { kind: 'zscore', z: 3 }, quiet: true };
const run = await init(options);
const decision: Decision = run.observe(0, { gradNorm: 1.5, loss: 0.3 });
const policy: Policy = parsePolicy({ kind: 'fixed', maxNorm: 1 });
const replay = new Controller(policy).decide({ step: 0, gradNorm: 2 });
const optimizer = clipOptimizer(run, tf.train.sgd(0.1));
const report: CloseReport = await run.close();
console.log(decision.coef, replay.action, optimizer.lastDecision, report.howToDeliver, listSpills().length, GradpilotError.name);
await server.close();
`);
    const tsc = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project }).catch((err: { stdout: string }) => err);
    // TensorFlow.js's own declarations do not pass `skipLibCheck: false` in any project (e.g.
    // "Cannot find name 'Long'" in tfjs-core): those lines are theirs; every other must be absent.
    const errors = result.stdout.split('\n').filter((line) => /error TS\d+/.test(line));
    expect(errors.filter((line) => !line.startsWith('node_modules/@tensorflow/'))).toEqual([]);
  }, 180_000); // tsc reads all of TensorFlow.js's declarations: ~25 s alone, minutes on a loaded machine

  it('should keep the SDK tree free of native modules and of the server\'s dependencies', () => {
    const closure = dependencyClosure(project, '@gradpilot/sdk');
    expect([...closure.keys()].sort()).toEqual([...SDK_CLOSURE].sort());
    for (const name of SERVER_ONLY) expect(closure.has(name), name).toBe(false);
    for (const dir of closure.values()) {
      const native = filesUnder(dir).filter((f) => f.endsWith('.node') || f.endsWith('binding.gyp'));
      expect(native, dir).toEqual([]);
    }
    const sdkManifest = manifestOf(path.join(closure.get('@gradpilot/sdk')!, 'package.json')) as { peerDependenciesMeta?: Record<string, { optional?: boolean }> };
    expect(sdkManifest.peerDependenciesMeta?.['@tensorflow/tfjs']?.optional).toBe(true);
  });

  it('should pack only what users need', () => {
    const sdkFiles = filesUnder(dependencyClosure(project, '@gradpilot/sdk').get('@gradpilot/sdk')!).map((f) => f.split('/@gradpilot/sdk/')[1]);
    expect(sdkFiles.filter((f) => !/^(dist\/.+\.(js|d\.ts|js\.map)|package\.json|README\.md|LICENSE)$/.test(f))).toEqual([]);
    const serverDir = path.join(project, 'node_modules', 'gradpilot');
    const serverFiles = filesUnder(serverDir).map((f) => path.relative(serverDir, f));
    expect(serverFiles.filter((f) => !/^(server\/dist\/.+\.(js|d\.ts|js\.map)|server\/cli\/(gradpilot|source-condition)\.js|client\/dist\/.+|package\.json|README\.md|LICENSE)$/.test(f))).toEqual([]);
    expect(serverFiles).toContain('client/dist/index.html');
    expect(statSync(path.join(serverDir, 'server/cli/gradpilot.js')).mode & 0o111).not.toBe(0);
  });
});
