#!/usr/bin/env node
// Bundles the dashboard (client/) into client/dist with esbuild. Runs before `npm start`
// and once before the test suite, so a fresh clone needs no separate build step.
import { buildClient } from './build-client-lib.js';

await buildClient();
