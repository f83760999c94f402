// The real `gradpilot serve` in its own process, for the fault and security tests: start it,
// kill -9 it, stop it gracefully, start it again on the same port and database file.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO_ROOT, 'server/cli/gradpilot.js');

/** The environment without any GRADPILOT_* or DEBUG setting of the developer's shell. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GRADPILOT_') && k !== 'DEBUG') env[k] = v;
  return { ...env, ...extra };
}

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion (for commands that must refuse to start). */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<ExitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gradpilot ${args.join(' ')} still running after ${timeoutMs} ms; stdout: ${stdout}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface ServerProcessOptions {
  /** Database file; default a fresh one in a temp dir that dispose() deletes. */
  db?: string;
  token?: string;
  /** How long a start may take (a cold tsx compile on a busy machine is slow). */
  startTimeoutMs?: number;
  /** The source tree whose server runs (default this repository; an older checkout for compatibility tests). */
  root?: string;
}

/**
 * @example
 * const server = new ServerProcess();
 * await server.start();          // port 0 first, then the same port on every restart
 * await server.kill9();
 * await server.start();
 * await server.dispose();
 */
export class ServerProcess {
  readonly dir: string;
  readonly db: string;
  readonly token: string | undefined;
  port = 0;
  starts = 0;
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  readonly #startTimeoutMs: number;
  readonly #root: string;
  #log = '';

  constructor({ db, token, startTimeoutMs = 90_000, root = REPO_ROOT }: ServerProcessOptions = {}) {
    this.#root = root;
    this.dir = mkdtempSync(path.join(tmpdir(), 'gradpilot-proc-'));
    this.db = db ?? path.join(this.dir, 'gradpilot.db');
    this.token = token;
    this.#startTimeoutMs = startTimeoutMs;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Everything the processes wrote so far (for failure messages). */
  get log(): string {
    return this.#log;
  }

  /** Starts the server and resolves once it listens (on a fresh port the first time, the same one after). */
  async start(): Promise<void> {
    if (this.#child) throw new Error('server process already running');
    const env = cleanEnv(this.token ? { GRADPILOT_TOKEN: this.token } : {});
    const cli = path.join(this.#root, 'server/cli/gradpilot.js');
    const child = spawn(process.execPath, [cli, 'serve', '--port', String(this.port), '--host', '127.0.0.1', '--db', this.db], {
      cwd: this.#root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.starts++;
    this.#exited = new Promise((resolve) =>
      child.once('exit', () => {
        if (this.#child === child) this.#child = null;
        resolve();
      }),
    );
    child.stderr!.on('data', (d: Buffer) => (this.#log += d.toString()));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`server did not listen within ${this.#startTimeoutMs} ms: ${this.#log}`)), this.#startTimeoutMs);
      child.stdout!.on('data', (d: Buffer) => {
        const text = d.toString();
        this.#log += text;
        out += text;
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          this.port = Number(m[1]);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`server exited before listening (code ${code}, signal ${signal}): ${this.#log}`));
      });
    });
  }

  /** kill -9: no shutdown code runs, the SQLite file is left as the crash left it. */
  async kill9(): Promise<void> {
    if (!this.#child) return;
    this.#child.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGTERM: the server's own clean shutdown. */
  async stop(): Promise<void> {
    if (!this.#child) return;
    this.#child.kill('SIGTERM');
    await this.#exited;
  }

  async dispose(): Promise<void> {
    await this.kill9();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
