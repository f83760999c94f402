import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { percentileOfSorted } from '../../sdk/controller/index.ts';
import { NormLog } from '../../sdk/controller/norm-log.ts';
import { OrderStatTree } from '../../sdk/controller/order-stat-tree.ts';
import { PercentileHistory } from '../../sdk/controller/percentile-history.ts';
import { mulberry32 } from '../support/random.ts';

// The spec's formula, written out again independently of the implementation.
function naivePercentile(values: ArrayLike<number>, p: number): number {
  return naiveOfSorted(Float64Array.from(values).sort(), p);
}

function naiveOfSorted(v: Float64Array, p: number): number {
  const n = v.length;
  const q = p / 100;
  const i = (n - 1) * q;
  const lo = Math.floor(i);
  const g = i - lo;
  const hi = Math.min(lo + 1, n - 1);
  const a = v[lo];
  const b = v[hi];
  const d = b - a;
  return g >= 0.5 ? b - d * (1 - g) : a + d * g;
}

type Gen = (rand: () => number) => number;
const GENERATORS: Record<string, Gen> = {
  uniform: (r) => r() * 3,
  ties: (r) => Math.floor(r() * 4) / 4,
  repeated: () => 0.7,
  lognormalish: (r) => Math.exp(6 * r() - 3),
  mixed: (r) => (r() < 0.5 ? Math.floor(r() * 3) : r() * 1e-3 * 10 ** Math.floor(r() * 8)),
};
const PS = [0, 100, 10, 50, 99.9, 0.5, 33.333333333333336, 12.5, 100 - 1e-12];

describe('percentile history against a sort-based reference', () => {
  for (const [name, gen] of Object.entries(GENERATORS)) {
    for (const window of [null, 1, 2, 3, 17, 1000]) {
      it(`should equal the reference for ${name} data, window ${window}`, () => {
        const rand = mulberry32(name.length * 1000 + (window ?? 0));
        const log = new NormLog();
        const history = new PercentileHistory(log, window);
        const n = 4000;
        for (let k = 1; k <= n; k++) {
          log.push(gen(rand));
          history.added();
          if (k <= 60 || k % 331 === 0 || k === n) {
            const start = window === null ? 0 : Math.max(0, k - window);
            const sorted = Float64Array.from(log.view(start, k)).sort();
            expect(Array.from(history.sorted())).toEqual(Array.from(sorted));
            for (const p of PS) {
              const want = naiveOfSorted(sorted, p);
              if (!Object.is(history.percentile(p), want)) expect.fail(`step ${k}, p ${p}: got ${history.percentile(p)}, want ${want}`);
            }
          }
        }
      });
    }
  }

  it('should equal the reference at sampled steps of a 1e5-step full history and a 5e4 window', () => {
    const rand = mulberry32(99);
    for (const window of [null, 50_000]) {
      const log = new NormLog();
      const history = new PercentileHistory(log, window);
      for (let k = 1; k <= 100_000; k++) {
        log.push(rand() < 0.1 ? Math.floor(rand() * 10) : rand() * 10);
        history.added();
        if (k % 25_000 === 0) {
          const sorted = Float64Array.from(log.view(window === null ? 0 : Math.max(0, k - window), k)).sort();
          for (const p of [0, 10, 50, 90, 100, 37.1]) expect(history.percentile(p)).toBe(naiveOfSorted(sorted, p));
        }
      }
    }
  });

  it('should keep exact order statistics through random inserts and deletes', () => {
    const rand = mulberry32(5);
    const tree = new OrderStatTree();
    const live = new Map<number, number>();
    const order: number[] = [];
    let seq = 0;
    for (let op = 0; op < 60_000; op++) {
      if (live.size > 0 && rand() < (op < 30_000 ? 0.4 : 0.6)) {
        // Mostly the oldest keys, as a sliding window deletes them, with some disorder.
        const j = Math.floor(rand() * Math.min(order.length, 50));
        const s = order.splice(j, 1)[0];
        tree.delete(live.get(s) as number, s);
        live.delete(s);
      } else {
        const v = Math.floor(rand() * 50);
        tree.insert(v, seq);
        order.push(seq);
        live.set(seq++, v);
      }
      if (op % 5000 === 0 || live.size < 3) {
        const sorted = Float64Array.from(live.values()).sort();
        expect(tree.size).toBe(sorted.length);
        expect(Array.from(tree.toArray())).toEqual(Array.from(sorted));
        for (let k = 0; k < sorted.length; k += 97) expect(tree.at(k)).toBe(sorted[k]);
      }
    }
    expect(() => tree.delete(12345.5, 1e9)).toThrow(/no key/);
  });

  it('should reject an empty array and p outside [0, 100]', () => {
    expect(() => percentileOfSorted([], 10)).toThrow(RangeError);
    expect(() => percentileOfSorted([1], 101)).toThrow(/p in \[0, 100\]/);
    expect(percentileOfSorted([1, 2, 3, 4], 10)).toBe(1.3);
  });
});

interface Fixture {
  numpy: string;
  textbookDiffers: number;
  series: number[][];
  cases: { name: string; series: number; p: number; window: number | null; steps: number[]; expected: number[] }[];
}

describe('percentile against numpy (test/fixtures/make-percentile-fixtures.py)', () => {
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/percentile-fixtures.json', import.meta.url), 'utf8')) as Fixture;

  it('should be a fixture on which the textbook formula fails, so the test can tell', () => {
    expect(fixture.cases.length).toBeGreaterThan(100);
    expect(fixture.textbookDiffers).toBeGreaterThan(0);
  });

  it('should give numpy\'s doubles exactly, streamed step by step and from a sorted array', () => {
    let checks = 0;
    for (const c of fixture.cases) {
      const values = fixture.series[c.series];
      const log = new NormLog();
      const history = new PercentileHistory(log, c.window);
      let next = 0;
      expect(c.steps.length).toBe(c.expected.length);
      for (let k = 1; k <= values.length && next < c.steps.length; k++) {
        log.push(values[k - 1]);
        history.added();
        if (c.steps[next] !== k) continue;
        const want = c.expected[next++];
        const got = history.percentile(c.p);
        if (!Object.is(got, want)) expect.fail(`${c.name} at step ${k}: got ${got}, numpy ${want}`);
        const start = c.window === null ? 0 : Math.max(0, k - c.window);
        if (next % 4 === 0 && !Object.is(percentileOfSorted(Float64Array.from(log.view(start, k)).sort(), c.p), want)) {
          expect.fail(`${c.name} at step ${k}: percentileOfSorted differs from numpy ${want}`);
        }
        checks++;
      }
    }
    expect(checks).toBe(fixture.cases.reduce((s, c) => s + c.steps.length, 0));
  });
});

describe('insert-only order-statistic tree', () => {
  it('should keep ties and refuse deletes when made insert-only', () => {
    const tree = new OrderStatTree({ deletable: false });
    const rand = mulberry32(77);
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const v = Math.floor(rand() * 30) / 3;
      values.push(v);
      tree.insert(v, 0);
    }
    expect(Array.from(tree.toArray())).toEqual(values.sort((a, b) => a - b));
    expect(() => tree.delete(values[0], 0)).toThrow(/insert-only/);
  });
});

describe('bulk-loaded order-statistic tree', () => {
  for (const n of [1, 47, 48, 49, 3000, 200_000]) {
    it(`should equal inserts one by one after loading ${n} sorted values and inserting more`, () => {
      const rand = mulberry32(n);
      const values = Array.from({ length: n }, () => Math.floor(rand() * 1000) / 7);
      const tree = new OrderStatTree({ deletable: false });
      tree.loadSorted(Float64Array.from(values).sort());
      for (let i = 0; i < 5000; i++) {
        const v = Math.floor(rand() * 1000) / 7;
        values.push(v);
        tree.insert(v, 0);
      }
      const sorted = Float64Array.from(values).sort();
      expect(tree.size).toBe(sorted.length);
      expect(tree.toArray()).toEqual(sorted);
      for (let k = 0; k < sorted.length; k += Math.max(1, Math.floor(sorted.length / 300))) expect(tree.at(k)).toBe(sorted[k]);
    });
  }
});
