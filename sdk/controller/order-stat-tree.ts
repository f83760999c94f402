// A B+tree with subtree counts: an ordered multiset of doubles with O(log n) insert,
// delete and select-by-rank.
//
// Why this shape: at a million values every step's cost is cache misses. Wide nodes keep
// the tree 3-4 levels deep at 10^7 values, and all nodes live in a few flat typed arrays
// indexed by node id, so a level costs the lines it reads and nothing more (one object
// and one typed array per node costs three dependent misses per level: measured 2-3x
// slower).
//
// Equal values are made distinct by a caller-supplied sequence number (their arrival
// index): every key (value, seq) is unique, so a sliding window deletes exactly the value
// that left it, whatever the duplicates, without searching through ties. An insert-only
// tree (the full history) stores no sequence numbers: half the memory and the copying.

const LEAF_CAP = 64;
const FAN = 64;
const MAX_DEPTH = 48;

export class OrderStatTree {
  // Leaf l holds leafN[l] keys at [l*LEAF_CAP, l*LEAF_CAP + leafN[l]), ascending.
  #leafVals = new Float64Array(LEAF_CAP * 4);
  #leafSeqs: Float64Array<ArrayBuffer>;
  #leafN = new Int32Array(4);
  #leafFree: number[] = [3, 2, 1];
  // Inner node u has innerLen[u] children at slots [u*FAN, u*FAN + innerLen[u]):
  // kid id, count of values under it, and the smallest key that may go to it (slot 0
  // of a node stands for -Infinity and is never read).
  #kid = new Int32Array(FAN * 4);
  #cnt = new Int32Array(FAN * 4);
  #sepV = new Float64Array(FAN * 4);
  #sepS = new Float64Array(FAN * 4);
  #innerLen = new Int32Array(4);
  #innerFree: number[] = [3, 2, 1, 0];

  #root = 0;
  /** Inner levels above the leaves: 0 when the root is a leaf. */
  #height = 0;
  #size = 0;
  // The descent of the last insert or delete: node and child slot per level.
  readonly #pathNode = new Int32Array(MAX_DEPTH);
  readonly #pathSlot = new Int32Array(MAX_DEPTH);
  readonly #keyed: boolean;

  /** `deletable: false` makes an insert-only tree: sequence numbers are then ignored. */
  constructor({ deletable = true }: { deletable?: boolean } = {}) {
    this.#keyed = deletable;
    this.#leafSeqs = new Float64Array(deletable ? LEAF_CAP * 4 : 0);
  }

  get size(): number {
    return this.#size;
  }

  /** Inserts the value with its unique sequence number. */
  insert(v: number, s: number): void {
    // Unkeyed: every seq reads as 0 and compares equal, so ties go after their equals.
    if (!this.#keyed) s = 0;
    let node = this.#root;
    for (let level = 0; level < this.#height; level++) {
      const slot = this.#childSlot(node, v, s);
      this.#cnt[slot]++;
      this.#pathNode[level] = node;
      this.#pathSlot[level] = slot;
      node = this.#kid[slot];
    }
    this.#size++;
    const vals = this.#leafVals;
    const seqs = this.#leafSeqs;
    const base = node * LEAF_CAP;
    const n = this.#leafN[node];
    // Upper bound of (v, s) in the leaf.
    let lo = base;
    let hi = base + n;
    if (this.#keyed) {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const mv = vals[mid];
        if (v < mv || (v === mv && s < seqs[mid])) hi = mid;
        else lo = mid + 1;
      }
      for (let j = base + n; j > lo; j--) seqs[j] = seqs[j - 1];
      seqs[lo] = s;
    } else {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (v < vals[mid]) hi = mid;
        else lo = mid + 1;
      }
    }
    vals.copyWithin(lo + 1, lo, base + n);
    vals[lo] = v;
    this.#leafN[node] = n + 1;
    if (n + 1 === LEAF_CAP) this.#splitLeaf(node);
  }

  /**
   * Fills an empty insert-only tree from ascending values in O(n): leaves and nodes 3/4
   * full, so that the inserts that follow do not split at once. Restoring a million-norm
   * state this way takes a sort and a copy instead of a million inserts.
   */
  loadSorted(sorted: Float64Array): void {
    if (this.#keyed || this.#size !== 0) throw new Error('OrderStatTree: loadSorted needs an empty insert-only tree');
    const n = sorted.length;
    if (n === 0) return;
    const perLeaf = (LEAF_CAP * 3) >>> 2;
    let ids: number[] = [];
    let counts: number[] = [];
    let firsts: number[] = [];
    for (let start = 0; start < n; start += perLeaf) {
      const id = start === 0 ? this.#root : this.#allocLeaf();
      const end = Math.min(n, start + perLeaf);
      this.#leafVals.set(sorted.subarray(start, end), id * LEAF_CAP);
      this.#leafN[id] = end - start;
      ids.push(id);
      counts.push(end - start);
      firsts.push(sorted[start]);
    }
    const perNode = (FAN * 3) >>> 2;
    let height = 0;
    while (ids.length > 1) {
      const upIds: number[] = [];
      const upCounts: number[] = [];
      const upFirsts: number[] = [];
      for (let i = 0; i < ids.length; i += perNode) {
        const node = this.#allocInner();
        const end = Math.min(ids.length, i + perNode);
        let total = 0;
        for (let j = i; j < end; j++) {
          const slot = node * FAN + (j - i);
          this.#kid[slot] = ids[j];
          this.#cnt[slot] = counts[j];
          this.#sepV[slot] = firsts[j];
          this.#sepS[slot] = 0;
          total += counts[j];
        }
        this.#innerLen[node] = end - i;
        upIds.push(node);
        upCounts.push(total);
        upFirsts.push(firsts[i]);
      }
      ids = upIds;
      counts = upCounts;
      firsts = upFirsts;
      height++;
    }
    this.#root = ids[0];
    this.#height = height;
    this.#size = n;
  }

  /** Deletes the key (value, seq), which must be present. */
  delete(v: number, s: number): void {
    if (!this.#keyed) throw new Error('OrderStatTree: this tree was made insert-only ({ deletable: false })');
    let node = this.#root;
    for (let level = 0; level < this.#height; level++) {
      const slot = this.#childSlot(node, v, s);
      this.#pathNode[level] = node;
      this.#pathSlot[level] = slot;
      node = this.#kid[slot];
    }
    const vals = this.#leafVals;
    const seqs = this.#leafSeqs;
    const base = node * LEAF_CAP;
    const n = this.#leafN[node];
    let lo = base;
    let hi = base + n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const mv = vals[mid];
      if (v < mv || (v === mv && s < seqs[mid])) hi = mid;
      else lo = mid + 1;
    }
    const pos = lo - 1;
    if (pos < base || vals[pos] !== v || seqs[pos] !== s) {
      throw new Error(`OrderStatTree: no key (${v}, ${s}) to delete`);
    }
    for (let j = pos; j < base + n - 1; j++) {
      vals[j] = vals[j + 1];
      seqs[j] = seqs[j + 1];
    }
    this.#leafN[node] = n - 1;
    this.#size--;
    for (let level = 0; level < this.#height; level++) this.#cnt[this.#pathSlot[level]]--;
    if (n - 1 === 0 && this.#height > 0) this.#unlinkEmpty();
  }

  /** The value of rank k (0-based) in ascending order. */
  at(k: number): number {
    if (!(k >= 0 && k < this.#size)) throw new RangeError(`OrderStatTree: rank ${k} outside [0, ${this.#size})`);
    let node = this.#root;
    const cnt = this.#cnt;
    for (let level = 0; level < this.#height; level++) {
      let slot = node * FAN;
      while (k >= cnt[slot]) k -= cnt[slot++];
      node = this.#kid[slot];
    }
    return this.#leafVals[node * LEAF_CAP + k];
  }

  /** Values of ranks k and k + 1 (k + 1 < size) into out[0], out[1]: usually one descent. */
  atPair(k: number, out: Float64Array): void {
    let node = this.#root;
    let r = k;
    const cnt = this.#cnt;
    for (let level = 0; level < this.#height; level++) {
      let slot = node * FAN;
      while (r >= cnt[slot]) r -= cnt[slot++];
      node = this.#kid[slot];
    }
    const at = node * LEAF_CAP + r;
    out[0] = this.#leafVals[at];
    out[1] = r + 1 < this.#leafN[node] ? this.#leafVals[at + 1] : this.at(k + 1);
  }

  /** Every value in ascending order (tests and debugging). */
  toArray(): Float64Array {
    const out = new Float64Array(this.#size);
    let pos = 0;
    const walk = (node: number, level: number): void => {
      if (level === this.#height) {
        const base = node * LEAF_CAP;
        out.set(this.#leafVals.subarray(base, base + this.#leafN[node]), pos);
        pos += this.#leafN[node];
        return;
      }
      for (let i = 0; i < this.#innerLen[node]; i++) walk(this.#kid[node * FAN + i], level + 1);
    };
    walk(this.#root, 0);
    return out;
  }

  /** The slot (node * FAN + i) of the child whose range holds (v, s). */
  #childSlot(node: number, v: number, s: number): number {
    const sepV = this.#sepV;
    const base = node * FAN;
    let lo = base + 1;
    let hi = base + this.#innerLen[node];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const mv = sepV[mid];
      if (v < mv || (v === mv && s < this.#sepS[mid])) hi = mid;
      else lo = mid + 1;
    }
    return lo - 1;
  }

  #splitLeaf(leaf: number): void {
    const right = this.#allocLeaf();
    const half = LEAF_CAP >>> 1;
    const from = leaf * LEAF_CAP + half;
    this.#leafVals.copyWithin(right * LEAF_CAP, from, leaf * LEAF_CAP + LEAF_CAP);
    if (this.#keyed) this.#leafSeqs.copyWithin(right * LEAF_CAP, from, leaf * LEAF_CAP + LEAF_CAP);
    this.#leafN[right] = LEAF_CAP - half;
    this.#leafN[leaf] = half;
    const sepSeq = this.#keyed ? this.#leafSeqs[right * LEAF_CAP] : 0;
    this.#addChild(this.#height - 1, right, LEAF_CAP - half, this.#leafVals[right * LEAF_CAP], sepSeq);
  }

  /** Adds `child` right after the path's child at `level` (the one just split), splitting upwards. */
  #addChild(level: number, child: number, count: number, sv: number, ss: number): void {
    if (level < 0) {
      // The root split: a new root above it.
      const root = this.#allocInner();
      const b = root * FAN;
      this.#kid[b] = this.#root;
      this.#cnt[b] = this.#size - count;
      this.#kid[b + 1] = child;
      this.#cnt[b + 1] = count;
      this.#sepV[b + 1] = sv;
      this.#sepS[b + 1] = ss;
      this.#innerLen[root] = 2;
      this.#root = root;
      this.#height++;
      // Keep the path consistent for callers that read it after a root split.
      this.#pathNode.copyWithin(1, 0, MAX_DEPTH - 1);
      this.#pathSlot.copyWithin(1, 0, MAX_DEPTH - 1);
      this.#pathNode[0] = root;
      this.#pathSlot[0] = b;
      return;
    }
    const node = this.#pathNode[level];
    const slot = this.#pathSlot[level];
    const end = node * FAN + this.#innerLen[node];
    const kid = this.#kid;
    const cnt = this.#cnt;
    const sepV = this.#sepV;
    const sepS = this.#sepS;
    for (let j = end; j > slot + 1; j--) {
      kid[j] = kid[j - 1];
      cnt[j] = cnt[j - 1];
      sepV[j] = sepV[j - 1];
      sepS[j] = sepS[j - 1];
    }
    cnt[slot] -= count;
    kid[slot + 1] = child;
    cnt[slot + 1] = count;
    sepV[slot + 1] = sv;
    sepS[slot + 1] = ss;
    if (++this.#innerLen[node] === FAN) this.#splitInner(level, node);
  }

  #splitInner(level: number, node: number): void {
    const right = this.#allocInner();
    const half = FAN >>> 1;
    const from = node * FAN + half;
    const to = right * FAN;
    let moved = 0;
    for (let j = 0; j < FAN - half; j++) {
      this.#kid[to + j] = this.#kid[from + j];
      this.#cnt[to + j] = this.#cnt[from + j];
      this.#sepV[to + j] = this.#sepV[from + j];
      this.#sepS[to + j] = this.#sepS[from + j];
      moved += this.#cnt[from + j];
    }
    this.#innerLen[right] = FAN - half;
    this.#innerLen[node] = half;
    this.#addChild(level - 1, right, moved, this.#sepV[to], this.#sepS[to]);
  }

  /** After a delete emptied the path's leaf: unlink it and any inner node left empty. */
  #unlinkEmpty(): void {
    let level = this.#height - 1;
    let child = this.#kid[this.#pathSlot[level]];
    this.#leafFree.push(child);
    for (; level >= 0; level--) {
      const node = this.#pathNode[level];
      const slot = this.#pathSlot[level];
      const end = node * FAN + this.#innerLen[node];
      // Removing slot 0 is fine: the next child's keys are all >= its old separator,
      // and slot 0 stands for -Infinity.
      this.#kid.copyWithin(slot, slot + 1, end);
      this.#cnt.copyWithin(slot, slot + 1, end);
      this.#sepV.copyWithin(slot, slot + 1, end);
      this.#sepS.copyWithin(slot, slot + 1, end);
      if (--this.#innerLen[node] > 0) break;
      this.#innerFree.push(node);
      child = node;
    }
    if (level < 0) {
      // Everything was deleted: start again from an empty leaf.
      this.#height = 0;
      this.#root = this.#allocLeaf();
      this.#leafN[this.#root] = 0;
      return;
    }
    while (this.#height > 0 && this.#innerLen[this.#root] === 1) {
      this.#innerFree.push(this.#root);
      this.#root = this.#kid[this.#root * FAN];
      this.#height--;
    }
  }

  #allocLeaf(): number {
    if (this.#leafFree.length === 0) {
      const old = this.#leafN.length;
      this.#leafVals = grow(this.#leafVals, old * 2 * LEAF_CAP);
      if (this.#keyed) this.#leafSeqs = grow(this.#leafSeqs, old * 2 * LEAF_CAP);
      this.#leafN = growInt(this.#leafN, old * 2);
      for (let id = old * 2 - 1; id >= old; id--) this.#leafFree.push(id);
    }
    const id = this.#leafFree.pop() as number;
    this.#leafN[id] = 0;
    return id;
  }

  #allocInner(): number {
    if (this.#innerFree.length === 0) {
      const old = this.#innerLen.length;
      this.#kid = growInt(this.#kid, old * 2 * FAN);
      this.#cnt = growInt(this.#cnt, old * 2 * FAN);
      this.#sepV = grow(this.#sepV, old * 2 * FAN);
      this.#sepS = grow(this.#sepS, old * 2 * FAN);
      this.#innerLen = growInt(this.#innerLen, old * 2);
      for (let id = old * 2 - 1; id >= old; id--) this.#innerFree.push(id);
    }
    const id = this.#innerFree.pop() as number;
    this.#innerLen[id] = 0;
    return id;
  }
}

function grow(a: Float64Array<ArrayBuffer>, length: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(length);
  b.set(a);
  return b;
}

function growInt(a: Int32Array<ArrayBuffer>, length: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(length);
  b.set(a);
  return b;
}
