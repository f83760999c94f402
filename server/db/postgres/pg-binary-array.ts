// One-dimensional arrays in PostgreSQL's binary format (what array_recv reads), for the
// unnest() writes of a batch. node-pg sends a Buffer parameter as binary; any other array it
// turns into text, quoting and escaping every element (~3 ms of a 1000-step batch's ten
// columns here), and the server then parses each number back. README "Running on PostgreSQL"
// has the ingest rate before and after.

/** The SQL element types we send, as the statements' casts name them (`$2::float8[]`). */
export type ArrayElement = 'smallint' | 'int' | 'bigint' | 'float8';

/** Element type OIDs (pg_type) and widths in bytes. */
const OID: Record<ArrayElement, number> = { smallint: 21, int: 23, bigint: 20, float8: 701 };
const WIDTH: Record<ArrayElement, number> = { smallint: 2, int: 4, bigint: 8, float8: 8 };
const TWO_32 = 0x1_0000_0000;

/**
 * `values` as a binary `<type>[]` parameter; null elements are SQL NULL. Integer types take
 * safe integers (a bigint as its high and low 32 bits, two's complement).
 */
export function binaryArray(type: ArrayElement, values: ArrayLike<number | null>): Buffer {
  const n = values.length;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null) nulls++;
    else if (type !== 'float8' && !Number.isSafeInteger(v)) throw new RangeError(`Expected integers for a ${type}[], got ${v}`);
  }
  const width = WIDTH[type];
  // Header: dimensions, has-nulls flag, element type, then the one dimension's size and lower bound.
  const buf = Buffer.allocUnsafe(20 + n * 4 + (n - nulls) * width);
  buf.writeInt32BE(1, 0);
  buf.writeInt32BE(nulls > 0 ? 1 : 0, 4);
  buf.writeInt32BE(OID[type], 8);
  buf.writeInt32BE(n, 12);
  buf.writeInt32BE(1, 16);
  let at = 20;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null) {
      buf.writeInt32BE(-1, at);
      at += 4;
      continue;
    }
    buf.writeInt32BE(width, at);
    at += 4;
    if (type === 'float8') buf.writeDoubleBE(v, at);
    else if (type === 'bigint') {
      const hi = Math.floor(v / TWO_32);
      buf.writeInt32BE(hi, at);
      buf.writeUInt32BE(v - hi * TWO_32, at + 4);
    } else if (type === 'int') buf.writeInt32BE(v, at);
    else buf.writeInt16BE(v, at);
    at += width;
  }
  return buf;
}
