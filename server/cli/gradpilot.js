#!/usr/bin/env node
// The `gradpilot` command. A plain JS shim so that `npx gradpilot` and `npm start`
// work after a bare `npm install`: tsx compiles the TypeScript sources on load.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
