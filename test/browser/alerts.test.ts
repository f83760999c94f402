// Alerts and stop requests in the dashboard, in real Chromium against a real server, a real
// webhook receiver and a real SDK rank.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TID } from '../../client/src/testids.ts';
import { init } from '../../sdk/index.ts';
import type { StopRequest } from '../../sdk/protocol/api-types.ts';
import { withServer, type TestServer } from '../support/server.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { launchChromium, openPage, screenshot } from './support/browser.ts';
import { seedRun } from './support/seed.ts';

const tid = (id: string) => `[data-testid="${id}"]`;
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 10_000 });

describe('alerts and stop in Chromium', () => {
  let browser: Browser;
  let server: TestServer;
  let hook: WebhookReceiver;
  let projectHook: WebhookReceiver;
  let runId: string;

  beforeAll(async () => {
    [hook, projectHook, browser] = await Promise.all([startWebhookReceiver(), startWebhookReceiver(), launchChromium()]);
    server = await withServer({ webhooks: [hook.url] });
    runId = await seedRun(server.url, { name: 'vit-long', project: 'vision', steps: 300, nanAt: [150], layers: false });
    await hook.waitFor(1);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await hook?.close();
    await projectHook?.close();
  });

  it("should show the run's alerts with their delivery, send a test alert, and ask the run to stop", async () => {
    const { page, errors } = await openPage(browser, `${server.url}/#/runs/${runId}`);
    const panel = page.locator(tid(TID.alertsPanel));
    const nanRow = panel.locator(`${tid(TID.alertRow)}[data-kind="nonfinite"]`);
    await poll(() => nanRow.count()).toBe(1);
    expect(await nanRow.locator('td').nth(2).textContent()).toBe('150');
    await poll(() => nanRow.locator(tid(TID.alertDeliveries)).textContent()).toContain('delivered');

    await panel.locator(tid(TID.alertTest)).click();
    const testRow = panel.locator(`${tid(TID.alertRow)}[data-kind="test"]`);
    await poll(() => testRow.count()).toBe(1);
    await poll(() => testRow.locator(tid(TID.alertDeliveries)).textContent()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/…: delivered$/);
    const [, received] = await hook.waitFor(2);
    expect(received.body).toMatchObject({ kind: 'test', runId, runName: 'vit-long', project: 'vision' });

    // A rank of the run is training; the button asks it to stop and the receipt shows live.
    const run = await init({ url: server.url, id: runId, name: 'vit-long', quiet: true, spillDir: null, flushIntervalMs: 20 });
    try {
      await poll(() => run.status().ready).toBe(true);
      run.observe(300, { gradNorm: 1 });
      page.once('dialog', (d) => void d.accept('validation loss is flat'));
      await page.click(tid(TID.stopButton));
      await poll(() => run.stopRequested).toBe(true);
      expect(run.stopRequest).toMatchObject({ author: 'dashboard', reason: 'validation loss is flat' });
      await poll(() => page.locator(tid(TID.stopStatus)).textContent()).toMatch(
        /^Stop requested by dashboard at [\d:]+: validation loss is flat\. Told rank 0 at step 300; the training script decides\.$/,
      );
      const [stored] = (await (await fetch(`${server.url}/api/runs/${runId}/stop`)).json()) as StopRequest[];
      expect(stored).toMatchObject({ author: 'dashboard', reason: 'validation loss is flat', acks: [{ rank: 0, step: 300 }] });
    } finally {
      await run.close({ timeoutMs: 1000 });
    }
    await screenshot(page, 'run-alerts-stop-light');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('should list every alert, add and remove a project webhook, and send it a test alert', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/`);
    await page.click(tid(TID.alertsNav));
    const view = page.locator(tid(TID.alertsView));
    await poll(() => view.locator(`${tid(TID.alertRow)}[data-kind="nonfinite"] a`).textContent()).toBe('vit-long');
    await poll(() => page.locator(tid(TID.webhookRow)).count()).toBe(1);
    expect(await page.locator(tid(TID.webhookRow)).textContent()).toContain(`http://127.0.0.1:${new URL(hook.url).port}/…`);

    await page.fill(tid(TID.webhookProject), 'vision');
    await page.fill(tid(TID.webhookUrl), projectHook.url);
    await page.click(tid(TID.webhookAdd));
    await poll(() => page.locator(tid(TID.webhookRow)).count()).toBe(2);
    await page.selectOption(tid(TID.alertTestTarget), 'vision');
    await page.click(`${tid(TID.alertsView)} ${tid(TID.alertTest)}`);
    const [got] = await projectHook.waitFor(1);
    expect(got.body).toMatchObject({ kind: 'test', project: 'vision', runId: null });
    await poll(() => view.locator(`${tid(TID.alertRow)}[data-alert-id="${got.body.alertId}"] ${tid(TID.alertDeliveries)}`).textContent())
      .toMatch(/delivered.*delivered/);
    await screenshot(page, 'alerts-view-light');

    await page.locator(`${tid(TID.webhookRow)} ${tid(TID.webhookRemove)}`).click();
    await poll(() => page.locator(tid(TID.webhookRow)).count()).toBe(1);
    expect(await (await fetch(`${server.url}/api/projects/vision/webhooks`)).json()).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
