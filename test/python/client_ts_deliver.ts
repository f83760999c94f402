// Run by test_client_crash.py with `node --import tsx`: the TS SDK's init of a run whose steps a
// killed Python process spilled; prints the close report once everything is delivered.
import { init } from '../../sdk/index.ts';

const [url, id, spillDir] = process.argv.slice(2);
const run = await init({ url, id, name: 'crashed', spillDir, flushIntervalMs: 20 });
const flushed = await run.flush({ timeoutMs: 15_000 });
const report = await run.close();
process.stdout.write(JSON.stringify({ flushed, ...report }) + '\n');
