// The Python SDK as a user installs it: `pip install ./sdk/python` into a fresh venv (with the
// system's torch and python-socketio from Debian, no index), then the README's train.py run
// by that venv's python outside the repository, against a real server.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, cleanEnv } from '../support/server-process.ts';
import { type TestServer, withServer } from '../support/server.ts';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';

function readmePythonExample(): string {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const m = /```python\n(# train\.py[^]*?)```/.exec(readme);
  if (!m) throw new Error('README.md has no ```python block starting with "# train.py"');
  return m[1];
}

describe('pip install ./sdk/python', () => {
  let work: string;
  let server: TestServer;
  let venvPython: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'gradpilot-pip-'));
    server = await withServer();
    await run(PYTHON, ['-m', 'venv', '--system-site-packages', path.join(work, 'venv')]);
    venvPython = path.join(work, 'venv', 'bin', 'python');
    // --no-index: nothing comes from PyPI (unreachable here); setuptools is the system's.
    await run(venvPython, ['-m', 'pip', 'install', '--quiet', '--no-build-isolation', '--no-index', path.join(REPO_ROOT, 'sdk', 'python')], {
      cwd: work, env: cleanEnv({ PIP_DISABLE_PIP_VERSION_CHECK: '1' }), maxBuffer: 1 << 24,
    });
  }, 240_000);

  afterAll(async () => {
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('should install gradpilot into site-packages, not run it from the repository', async () => {
    const { stdout } = await run(venvPython, ['-c', 'import gradpilot, gradpilot.torch; print(gradpilot.__file__)'], { cwd: work, env: cleanEnv() });
    expect(stdout.trim()).toBe(path.join(work, 'venv', 'lib', 'python3.11', 'site-packages', 'gradpilot', '__init__.py'));
  });

  it('should run the README example with plain python and deliver every step', { timeout: 180_000 }, async () => {
    writeFileSync(path.join(work, 'train.py'), readmePythonExample());
    const { stdout } = await run(venvPython, ['train.py'], { cwd: work, env: cleanEnv({ GRADPILOT_URL: server.url }), maxBuffer: 1 << 24, timeout: 170_000 });
    expect(stdout).toMatch(/'delivered': 320,/);
    expect(stdout).toMatch(/'undelivered': 0,/);
    const id = /live at http:\/\/[^ ]+\/#\/runs\/(\S+)/.exec(stdout)?.[1];
    expect(id, stdout).toBeTruthy();
    const summary = (await (await fetch(`${server.url}/api/runs/${id}`)).json()) as { steps: number; lastStep: number; status: string; project: string };
    expect(summary).toMatchObject({ steps: 320, lastStep: 319, status: 'finished', project: 'demo' });
  });
});
