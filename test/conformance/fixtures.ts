// Reads the committed conformance fixtures (fixtures/case-*.json) back into cases.

import { readdirSync, readFileSync } from 'node:fs';
import type { ControllerState } from '../../sdk/controller/index.ts';
import { decodeNumber } from '../../sdk/protocol/wire-number.ts';
import type { ConformanceCase } from './cases.ts';
import type { DecisionColumns } from './run-case.ts';

export interface Fixture extends ConformanceCase {
  decisions: DecisionColumns;
  states: { afterStep: number; state: ControllerState }[];
}

export const FIXTURE_DIR = new URL('./fixtures/', import.meta.url);

export function loadFixtures(): Fixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.startsWith('case-') && f.endsWith('.json'))
    .sort()
    .map((file) => {
      const raw = JSON.parse(readFileSync(new URL(file, FIXTURE_DIR), 'utf8'));
      return {
        ...raw,
        gradNorm: raw.gradNorm.map((v: unknown) => decodeNumber(v) as number),
        loss: raw.loss.map(([step, v]: [number, unknown]) => [step, decodeNumber(v) as number]),
        stateAfter: raw.states.map((s: { afterStep: number }) => s.afterStep),
      } as Fixture;
    });
}
