import { describe, expect, it } from 'vitest';
import { decodeNumber, encodeNumber, quoteBareNonFinite } from '../sdk/protocol/wire-number.ts';

describe('wire numbers', () => {
  it('should round-trip NaN, ±Infinity and missing through JSON', () => {
    const values = [1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, null, -0.1];
    const back = (JSON.parse(JSON.stringify(values.map(encodeNumber))) as unknown[]).map(decodeNumber);
    expect(back).toEqual(values);
  });

  it('should quote the bare tokens Python writes, leaving strings alone', () => {
    const text = '{"a": NaN, "b": [Infinity, -Infinity], "name": "NaN Infinity"}';
    expect(JSON.parse(quoteBareNonFinite(text))).toEqual({ a: 'NaN', b: ['Infinity', '-Infinity'], name: 'NaN Infinity' });
  });
});
