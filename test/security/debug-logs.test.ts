// DEBUG=* prints every socket.io packet on both ends (socket.io-parser, engine.io), the
// handshake's CONNECT packet with its `auth` included. The SDK sends its token in a header,
// which none of them prints: a full debug log of a token-protected run holds no token.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, cleanEnv } from '../support/server-process.ts';

const exec = promisify(execFile);
const CHILD = fileURLToPath(new URL('./fixtures/debug-log-child.ts', import.meta.url));
const TOKEN = 'tok-LEAK-9d2f6a';

describe('debug logs', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gradpilot-debug-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should not contain the token anywhere in DEBUG=* output of the server and the SDK', async () => {
    const { stdout, stderr } = await exec(process.execPath, ['--conditions=gradpilot-source', '--import', 'tsx', CHILD, dir], {
      cwd: REPO_ROOT,
      env: cleanEnv({ DEBUG: '*', DEBUG_COLORS: '0', GRADPILOT_TOKEN: TOKEN }),
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    // The run went through with the token, and the log is the full one (so a leak would show).
    expect(JSON.parse(stdout)).toMatchObject({ delivered: 10, undelivered: 0 });
    expect(stderr).toMatch(/socket\.io-parser (encoded|decoded)/);
    expect(stderr).toMatch(/engine:ws received/);
    const leaks = stderr.split('\n').filter((line) => line.includes(TOKEN));
    expect(leaks).toEqual([]);
  });
});
