// Doubles as the hex of their IEEE-754 bits: exact, -0 and NaN included, and the same
// string in every language (Python: struct.pack('>d', x).hex()). Every NaN is written as the
// one quiet NaN 7ff8000000000000: engines and CPUs differ in the NaN bits they produce, and
// the controller never looks at a NaN's payload.

const view = new DataView(new ArrayBuffer(8));

/** The 16 hex digits of a double's bits, big-endian; null stays null. */
export function toBits(x: number | null): string | null {
  if (x === null) return null;
  if (Number.isNaN(x)) return '7ff8000000000000';
  view.setFloat64(0, x);
  return view.getBigUint64(0).toString(16).padStart(16, '0');
}

/** The double whose bits `toBits` wrote. */
export function fromBits(hex: string | null): number | null {
  if (hex === null) return null;
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}
