// Renders results.html to results.png with Chromium, for places that show images but not
// HTML (a README on a code host). Not part of `npm run experiment`, which needs no browser:
//   npx tsx test/bench/experiment/screenshot.ts DIR   (e.g. test/bench/experiment/results/rnn)
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Writes `<dir>/results.png` from `<dir>/results.html`; returns the PNG's path. */
export async function screenshot(dir: string): Promise<string> {
  const html = join(dir, 'results.html');
  if (!existsSync(html)) throw new Error(`No ${html}: run \`npm run experiment\` first`);
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install it or set CHROMIUM_PATH`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1150, height: 900 } });
    await page.goto(pathToFileURL(html).href);
    const png = join(dir, 'results.png');
    await page.screenshot({ path: png, fullPage: true });
    return png;
  } finally {
    await browser.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'results', 'rnn'));
  process.stdout.write(`wrote ${await screenshot(dir)}\n`);
}
