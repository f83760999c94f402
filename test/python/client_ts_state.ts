// Run by test_client_resume.py with `node --import tsx <file.json>`: the TS controller's state
// after the first `split` norms, and the TS thresholds of the remaining steps continued from
// the state the Python SDK saved, so that a state crosses the language boundary both ways.
import { readFileSync } from 'node:fs';
import { Controller, parsePolicy } from '../../sdk/controller/index.ts';
import { decodeNumber } from '../../sdk/protocol/wire-number.ts';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8')) as {
  policy: unknown; norms: unknown[]; split: number; pythonState: unknown;
};
const norms = input.norms.map((v) => decodeNumber(v) as number);
const ts = new Controller(parsePolicy(input.policy));
for (let step = 0; step < input.split; step++) ts.decide({ step, gradNorm: norms[step] });
const fromPython = Controller.fromState(input.pythonState as never);
const thresholds: (number | null)[] = [];
for (let step = input.split; step < norms.length; step++) thresholds.push(fromPython.decide({ step, gradNorm: norms[step] }).threshold);
process.stdout.write(JSON.stringify({ tsState: ts.toState(), thresholds }) + '\n');
