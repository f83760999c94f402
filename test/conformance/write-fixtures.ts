// Writes fixtures/<case>.json: for each case of cases.ts, the policy, the input stream
// (non-finite norms as "NaN"/"Infinity"/"-Infinity"), the policy changes, every decision
// (doubles as the hex of their IEEE-754 bits, see bits.ts) and the states saved along the way.
// Run: node --import tsx test/conformance/write-fixtures.ts
// The files are committed: the TS controller must keep reproducing them (conformance.test.ts),
// and the Python one must give the same bits (test/python/test_controller_conformance.py).

import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { encodeNumbers } from '../../sdk/protocol/wire-number.ts';
import { CASES } from './cases.ts';
import { runCase } from './run-case.ts';

const dir = new URL('./fixtures/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const file of readdirSync(dir)) if (file.startsWith('case-')) rmSync(new URL(file, dir));

let total = 0;
for (const c of CASES) {
  const { decisions, states } = runCase(c);
  // One line per field and per state: small diffs when a case changes.
  const entries: [string, unknown][] = [
    ['name', c.name],
    ['about', c.about],
    ['policy', c.policy],
    ['changes', c.changes],
    ['gradNorm', encodeNumbers(c.gradNorm)],
    ['loss', c.loss.map(([step, loss]) => [step, encodeNumbers([loss])[0]])],
    ['decisions', null],
    ...Object.entries(decisions).map(([k, v]): [string, unknown] => [`  ${k}`, v]),
    ['states', states],
  ];
  const lines = entries.map(([k, v]) => {
    if (k === 'decisions') return '"decisions": {';
    if (k.startsWith('  ')) return `  ${JSON.stringify(k.trim())}: ${JSON.stringify(v)}`;
    return `${JSON.stringify(k)}: ${JSON.stringify(v)}`;
  });
  const body = lines.map((line, i) => {
    const next = lines[i + 1];
    if (line === '"decisions": {') return line;
    if (next !== undefined && next.startsWith('"states"') && line.startsWith('  ')) return `${line}\n},`;
    return next === undefined ? line : `${line},`;
  });
  const text = `{\n${body.join('\n')}\n}\n`;
  JSON.parse(text); // it must stay JSON
  writeFileSync(new URL(`case-${c.name}.json`, dir), text);
  total += text.length;
  console.log(`${c.name}: ${c.gradNorm.length} steps, ${states.length} states, ${(text.length / 1024).toFixed(1)} KiB`);
}
console.log(`${CASES.length} cases, ${(total / 1024).toFixed(0)} KiB in ${dir.pathname}`);
