// The dashboard when the server goes away and comes back on the same port and database:
// it says so in the page, reconnects by itself, re-subscribes, re-fetches the run's summary
// (steps stored meanwhile), and shows new steps again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TID } from '../../client/src/testids.ts';
import { startServer, type RunningServer } from '../../server/start-server.ts';
import { launchChromium, openPage, screenshot } from './support/browser.ts';
import { makeSteps, postSteps, seedRun } from './support/seed.ts';

const tid = (id: string) => `[data-testid="${id}"]`;
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 10_000 });

let browser: Browser;
let dir: string;

beforeAll(async () => {
  browser = await launchChromium();
  dir = mkdtempSync(path.join(tmpdir(), 'gradpilot-reconnect-'));
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('should say the server is away, then reconnect by itself and show new steps', async () => {
  const db = path.join(dir, 'test.db');
  let server: RunningServer = await startServer({ db, port: 0, host: '127.0.0.1' });
  const port = server.port;
  try {
    const id = await seedRun(server.url, { name: 'outage', steps: 100 });
    const { page, errors } = await openPage(browser, `${server.url}/#/runs/${id}`);
    const status = page.locator(tid(TID.connection));
    const last = page.locator(tid(TID.runLastStepValue));
    await poll(() => status.getAttribute('data-state')).toBe('connected');
    await poll(() => last.textContent()).toBe('99');

    await server.close();
    await poll(() => status.getAttribute('data-state')).toBe('disconnected');
    expect(await status.textContent()).toContain('server away');
    await poll(() => page.locator(tid(TID.connectionBanner)).textContent()).toContain('Reconnecting by itself');
    await screenshot(page, 'server-away-light');
    // Steps the page cannot hear of: stored by a server on another port (same database)
    // while the page's socket is away. After the reconnect the header must show them.
    const elsewhere = await startServer({ db, port: 0, host: '127.0.0.1' });
    await postSteps(elsewhere.url, id, makeSteps({ steps: 50, start: 100 }));
    await elsewhere.close();

    server = await startServer({ db, port, host: '127.0.0.1' });
    await poll(() => status.getAttribute('data-state')).toBe('connected');
    expect(await page.locator(tid(TID.connectionBanner)).isVisible()).toBe(false);
    await poll(() => page.locator(tid(TID.runStepsValue)).textContent()).toBe('150');
    expect(await last.textContent()).toBe('149');
    // Steps that arrive after the reconnect reach the page: the run room was joined again.
    await postSteps(server.url, id, makeSteps({ steps: 1, start: 150 }));
    await poll(() => last.textContent()).toBe('150');
    await poll(() => page.locator(tid(TID.runStepsValue)).textContent()).toBe('151');
    expect(errors).toEqual([]);
    await page.context().close();
  } finally {
    await server.close();
  }
});
