// Runs the Python suite (test/python/test_*.py) under Debian's /usr/bin/python3 -m pytest, one
// vitest test per pytest file, so that `npm test` covers the Python SDK too. A failure shows
// pytest's own output. (Not the python3 first on PATH: that one lacks the Debian packages.)

import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PYTHON = '/usr/bin/python3';
const files = readdirSync(new URL('./', import.meta.url))
  .filter((f) => /^test_.*\.py$/.test(f))
  .sort();

function pytest(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      ['-m', 'pytest', '-q', `test/python/${file}`, '-p', 'no:cacheprovider'],
      {
        cwd: ROOT,
        env: { ...process.env, PYTHONPATH: 'sdk/python', PYTHONDONTWRITEBYTECODE: '1' },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 170_000,
      },
      (err, stdout, stderr) => {
        if (err === null) resolve();
        else reject(new Error(`${PYTHON} -m pytest test/python/${file} failed (${err.code ?? err.signal}):\n${stdout}${stderr}`));
      },
    );
  });
}

describe('Python suite (/usr/bin/python3 -m pytest test/python)', () => {
  it('should find the pytest files', ({ expect }) => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    it(`should pass ${file}`, () => pytest(file), 180_000);
  }
});
