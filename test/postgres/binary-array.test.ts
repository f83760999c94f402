// The binary array parameters of the PostgreSQL store, read back by a real PostgreSQL 15:
// every element type, NULLs, the edges of each type's range and doubles to the last bit.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArrayElement, binaryArray } from '../../server/db/postgres/pg-binary-array.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

let database: TestDatabase;
let client: pg.Client;
beforeAll(async () => {
  database = await createTestDatabase();
  client = new pg.Client({ connectionString: database.db });
  await client.connect();
});
afterAll(async () => {
  await client.end();
  await database.drop();
});

/** What PostgreSQL makes of the array: each element as text (exact for every type), in order. */
async function roundTrip(type: ArrayElement, values: (number | null)[]): Promise<(string | null)[]> {
  const r = await client.query<{ v: string | null }>(`SELECT v::text AS v FROM unnest($1::${type}[]) WITH ORDINALITY AS t(v, i) ORDER BY i`, [binaryArray(type, values)]);
  return r.rows.map((row) => row.v);
}

describe('binary array parameters', () => {
  it('should carry doubles to the last bit, with NULLs, infinities and -0', async () => {
    const values = [0, -0, 1.5, -2.25, Math.PI, 5e-324, Number.MAX_VALUE, -1e-300, 0.1 + 0.2, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, null, 123456789.123456];
    const back = await roundTrip('float8', values);
    // PostgreSQL 15 prints the shortest text that reads back as the same double, as JavaScript does.
    expect(back.map((t) => (t === null ? null : Number(t)))).toEqual(values);
    expect(back[1]).toBe('-0');
    expect(back[9]).toBe('Infinity');
  });

  it('should carry integers of every width, negative and at the edges', async () => {
    expect(await roundTrip('smallint', [0, 1, -1, 32767, -32768, null])).toEqual(['0', '1', '-1', '32767', '-32768', null]);
    expect(await roundTrip('int', [0, 7, -7, 2147483647, -2147483648, null])).toEqual(['0', '7', '-7', '2147483647', '-2147483648', null]);
    const big = [0, 1, -1, 4294967295, 4294967296, -4294967297, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, null];
    expect(await roundTrip('bigint', big)).toEqual(big.map((v) => (v === null ? null : String(v))));
  });

  it('should send empty arrays and arrays of only NULLs', async () => {
    expect(await roundTrip('float8', [])).toEqual([]);
    expect(await roundTrip('bigint', [null, null])).toEqual([null, null]);
  });

  it('should refuse a fraction or an unsafe integer for an integer type', () => {
    expect(() => binaryArray('bigint', [1.5])).toThrow(/Expected integers for a bigint\[\], got 1.5/);
    expect(() => binaryArray('int', [2 ** 60])).toThrow(RangeError);
  });
});
