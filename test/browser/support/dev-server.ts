// A throwaway server with seeded runs, for looking at the dashboard by hand:
//   npx tsx test/browser/support/dev-server.ts [port]
// Ctrl-C stops it and deletes its database. It keeps appending steps to one run so the
// live path can be watched.
import { buildClient } from '../../../server/cli/build-client-lib.js';
import { withServer } from '../../support/server.ts';
import { makeSteps, postSteps, seedRun } from './seed.ts';

await buildClient();
const server = await withServer();
const a = await seedRun(server.url, { name: 'rnn-adding lr=1e-3', project: 'adding', steps: 3000, nanAt: [1500, 2200], spikeAt: [800, 2600] });
await seedRun(server.url, { name: 'rnn-adding lr=3e-3', project: 'adding', steps: 2500, start: 0, spikeAt: [400, 1200] });
await seedRun(server.url, { name: 'mlp baseline', project: 'mnist', steps: 1200, layers: false });
process.stdout.write(`${server.url}/#/runs/${a}\n`);
let next = 3000;
const timer = setInterval(() => {
  void postSteps(server.url, a, makeSteps({ steps: 5, start: next, nanAt: [], spikeAt: [] }));
  next += 5;
}, 500);
process.on('SIGINT', () => {
  clearInterval(timer);
  void server.close().then(() => process.exit(0));
});
