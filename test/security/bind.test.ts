// A non-loopback bind without a token is refused at start: the real CLI exits non-zero with
// a message saying why and what to do. (Nothing here ever binds a non-loopback address.)
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../../server/start-server.ts';
import { runCli } from '../support/server-process.ts';

describe('binding a non-loopback host', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gradpilot-bind-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should make `gradpilot serve` exit non-zero with a clear message for --host 0.0.0.0 or GRADPILOT_HOST=:: without a token', async () => {
    const db = path.join(dir, 'cli.db');
    const [byFlag, byEnv] = await Promise.all([
      runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--db', db]),
      runCli(['serve', '--port', '0', '--db', db], { GRADPILOT_HOST: '::' }),
    ]);
    for (const [host, r] of [['0.0.0.0', byFlag], ['::', byEnv]] as const) {
      expect(r.code).not.toBe(0);
      expect(r.code).not.toBeNull();
      expect(r.stderr).toContain(`"${host}"`);
      expect(r.stderr).toMatch(/without a token/);
      expect(r.stderr).toMatch(/GRADPILOT_TOKEN/);
      expect(r.stdout).not.toMatch(/listening/);
    }
    expect(existsSync(db)).toBe(false);
  }, 120_000);

  it('should make startServer reject a LAN address without a token before opening anything', async () => {
    for (const host of ['0.0.0.0', '192.168.1.20', '::', 'example.com']) {
      await expect(startServer({ db: path.join(dir, 'api.db'), port: 0, host })).rejects.toThrow(/non-loopback.*without a token/);
    }
    expect(existsSync(path.join(dir, 'api.db'))).toBe(false);
  });
});
