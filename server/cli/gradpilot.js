#!/usr/bin/env node
// The `gradpilot` command, a plain JS shim. Installed from npm it runs the compiled server
// (server/dist). In a clone, where the TypeScript sources are, it runs them through tsx with
// @gradpilot/sdk resolved to its sources too, so a developer never runs a stale build.
import { existsSync } from 'node:fs';
import { register } from 'node:module';

async function loadMain() {
  if (existsSync(new URL('./main.ts', import.meta.url))) {
    let tsx = null;
    try {
      tsx = await import('tsx/esm/api');
    } catch {
      // A clone installed without devDependencies: fall back to the build, if there is one.
    }
    if (tsx) {
      tsx.register();
      // Registered last, so it runs first and hands tsx the extra condition.
      register('./source-condition.js', import.meta.url);
      return (await import('./main.ts')).main;
    }
  }
  return (await import('../dist/cli/main.js')).main;
}

const main = await loadMain();
process.exitCode = await main(process.argv.slice(2));
