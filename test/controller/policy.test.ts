import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, parsePolicy, PolicyError } from '../../sdk/controller/index.ts';

function errorOf(input: unknown): PolicyError {
  try {
    parsePolicy(input);
  } catch (err) {
    if (err instanceof PolicyError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

describe('parsePolicy', () => {
  it('should fill every default', () => {
    expect(parsePolicy({ kind: 'percentile' })).toStrictEqual(DEFAULT_POLICY);
    expect(DEFAULT_POLICY).toMatchObject({ kind: 'percentile', p: 10, window: null, warmupSteps: 0, maxNorm: null, onNonFinite: 'skip', skipOnSpike: false, spikeZ: 6, explosionFactor: 10 });
    expect(parsePolicy({ kind: 'zscore' })).toMatchObject({ alpha: 0.97, z: 2.5, warmupSteps: 25, clipOption: 'adaptive_scaling', clipFactor: 1, updateStatsOnSpike: true });
    expect(parsePolicy({ kind: 'off' })).toMatchObject({ kind: 'off', maxNorm: null });
  });

  it('should accept its own output', () => {
    for (const input of [{ kind: 'percentile', window: 5 }, { kind: 'zscore', z: 3 }, { kind: 'fixed', maxNorm: 2 }, { kind: 'off' }]) {
      const p = parsePolicy(input);
      expect(parsePolicy(JSON.parse(JSON.stringify(p)))).toStrictEqual(p);
    }
  });

  it('should be a TypeError with the field name', () => {
    const e = errorOf({ kind: 'percentile', p: 'ten' });
    expect(e).toBeInstanceOf(TypeError);
    expect(e.name).toBe('PolicyError');
    expect(e.field).toBe('p');
    expect(e.message).toBe('Expected "p" to be a number in [0, 100], got "ten"');
  });

  it('should name fields that are names of Object.prototype as unknown, not crash on them', () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      const e = errorOf(JSON.parse(`{ "kind": "percentile", "${name}": 1 }`));
      expect(e.name, name).toBe('PolicyError');
      expect(e.field).toBe(name);
      expect(e.message).toMatch(new RegExp(`^Unknown policy field "${name}" for the kind "percentile"\\.`));
    }
  });

  const cases: [unknown, string, RegExp][] = [
    [null, '', /policy to be an object/],
    [[1], '', /got an array/],
    [{}, 'kind', /"kind" .* it is missing/],
    [{ kind: 'Zscore' }, 'kind', /Did you mean "zscore"\?/],
    [{ kind: 'percentile', windw: 10 }, 'windw', /Unknown policy field "windw" for the kind "percentile"\. Did you mean "window"\?/],
    [{ kind: 'percentile', maxnorm: 1 }, 'maxnorm', /Did you mean "maxNorm"\?/],
    [{ kind: 'zscore', max_grad_norm: 1 }, 'max_grad_norm', /Did you mean "maxNorm"\?/],
    [{ kind: 'zscore', skip_update_on_spike: true }, 'skip_update_on_spike', /updateStatsOnSpike.*inverted/],
    [{ kind: 'percentile', alpha: 0.9 }, 'alpha', /applies to the kind "zscore" only/],
    [{ kind: 'zscore', window: 9 }, 'window', /applies to the kind "percentile" only/],
    [{ kind: 'percentile', flavour: 1 }, 'flavour', /Allowed fields: kind, maxNorm/],
    [{ kind: 'percentile', p: -1 }, 'p', /\[0, 100\], got -1/],
    [{ kind: 'percentile', p: Number.NaN }, 'p', /got NaN/],
    [{ kind: 'percentile', window: 0 }, 'window', /integer >= 1 or null/],
    [{ kind: 'percentile', window: 2.5 }, 'window', /integer/],
    [{ kind: 'percentile', warmupSteps: -3 }, 'warmupSteps', /integer >= 0/],
    [{ kind: 'zscore', warmupSteps: 0 }, 'warmupSteps', /at least one warm-up norm/],
    [{ kind: 'zscore', alpha: 1 }, 'alpha', /strictly between 0 and 1/],
    [{ kind: 'zscore', clipOption: 'adaptive' }, 'clipOption', /Did you mean "adaptive_scaling"\?/],
    [{ kind: 'zscore', updateStatsOnSpike: 'yes' }, 'updateStatsOnSpike', /true or false/],
    [{ kind: 'fixed' }, 'maxNorm', /fixed policy clips at maxNorm/],
    [{ kind: 'fixed', maxNorm: 0 }, 'maxNorm', /positive number/],
    [{ kind: 'fixed', maxNorm: 1, minThreshold: 0.5 }, 'minThreshold', /"percentile" and "zscore" only/],
    [{ kind: 'percentile', minThreshold: 2, maxThreshold: 1 }, 'minThreshold', /at most "maxThreshold"/],
    [{ kind: 'off', onNonFinite: 'throw' }, 'onNonFinite', /"skip", "clip", "raise"/],
    [{ kind: 'off', spikeZ: 0 }, 'spikeZ', /positive/],
    [{ kind: 'off', explosionFactor: 0.5 }, 'explosionFactor', />= 1/],
  ];
  for (const [input, field, message] of cases) {
    it(`should reject ${JSON.stringify(input)} naming "${field}"`, () => {
      const e = errorOf(input);
      expect(e.field).toBe(field);
      expect(e.message).toMatch(message);
    });
  }
});
