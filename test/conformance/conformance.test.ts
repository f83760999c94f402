import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Controller, type ControllerState } from '../../sdk/controller/index.ts';
import { CASES } from './cases.ts';
import { loadFixtures, type Fixture } from './fixtures.ts';
import { runCase, type DecisionColumns } from './run-case.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = loadFixtures();

/** The columns of steps from.. (a stats column that is all null there is null, as runCase writes it). */
function tail(d: DecisionColumns, from: number): DecisionColumns {
  const out = {} as Record<string, unknown>;
  for (const [k, v] of Object.entries(d)) {
    const rest = v === null ? null : (v as unknown[]).slice(from);
    out[k] = rest !== null && ['percentile', 'emaMean', 'emaStd', 'zScore'].includes(k) && rest.every((x) => x === null) ? null : rest;
  }
  return out as unknown as DecisionColumns;
}

describe('conformance corpus (test/conformance/fixtures, node --import tsx test/conformance/write-fixtures.ts)', () => {
  it('should hold every case of cases.ts', () => {
    expect(fixtures.map((f) => f.name).sort()).toEqual(CASES.map((c) => c.name).sort());
  });

  for (const f of fixtures) {
    it(`should still be what the TS controller decides and saves: ${f.name}`, () => {
      const { decisions, states } = runCase(f);
      expect(decisions).toStrictEqual(f.decisions);
      expect(states).toStrictEqual(f.states);
    });
  }
});

describe('states saved by the Python controller, restored in TS', async () => {
  // test/conformance/python_states.py runs the Python controller to each state step of each case.
  const { stdout } = await promisify(execFile)('/usr/bin/python3', ['test/conformance/python_states.py'], {
    cwd: ROOT,
    env: { ...process.env, PYTHONPATH: 'sdk/python', PYTHONDONTWRITEBYTECODE: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const fromPython = JSON.parse(stdout) as Record<string, { afterStep: number; state: ControllerState }[]>;

  for (const f of fixtures) {
    it(`should equal the TS state and continue bit for bit: ${f.name}`, () => {
      const states = fromPython[f.name];
      expect(states.map((s) => s.afterStep)).toEqual(f.stateAfter);
      states.forEach(({ afterStep, state }, i) => {
        expect(state, `state after step ${afterStep}`).toStrictEqual(f.states[i].state);
        const resumed = Controller.fromState(state);
        const rest = runCase(f as Fixture, resumed, afterStep + 1);
        expect(rest.decisions, `continued after step ${afterStep}`).toStrictEqual(tail(f.decisions, afterStep + 1));
      });
    });
  }
});
