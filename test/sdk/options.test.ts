// init() and observe() reject bad input with a message naming the field.
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../sdk/client/options.ts';
import { GradpilotError, type InitOptions } from '../../sdk/index.ts';

const url = 'http://127.0.0.1:9';

describe('init options', () => {
  it('should fill in the defaults and choose a run id', () => {
    const o = resolveOptions({ url: url + '/', name: 'n' });
    expect(o).toMatchObject({ url, name: 'n', rank: 0, worldSize: 1, batchSize: 256, flushIntervalMs: 1000, resume: false, policy: null });
    expect(o.id).toMatch(/^[a-z0-9]+-[0-9a-f]{12}$/);
    const unnamed = resolveOptions({ url });
    expect(unnamed.name).toBe(unnamed.id);
    expect(resolveOptions({ url, id: 'abc' }).name).toBe('abc');
    expect(resolveOptions({ url, resume: 'abc', fromStep: 10 })).toMatchObject({ id: 'abc', resume: true, fromStep: 10 });
    expect(resolveOptions({ url, policy: { kind: 'zscore' } }).policy).toMatchObject({ kind: 'zscore', z: 2.5, alpha: 0.97 });
  });

  it('should take several servers as an array or a comma-separated list, in order, without repeats', () => {
    const list = ['http://a:7070/', ' http://b:7070', 'http://a:7070'];
    expect(resolveOptions({ url: list })).toMatchObject({ url: 'http://a:7070', urls: ['http://a:7070', 'http://b:7070'] });
    expect(resolveOptions({ url: list.join(',') }).urls).toEqual(['http://a:7070', 'http://b:7070']);
    expect(resolveOptions({ url }).urls).toEqual([url]);
  });

  const bad: [string, unknown, RegExp][] = [
    ['no url', { name: 'x' }, /"url" option to be the server URL/],
    ['an empty list of servers', { url: [] }, /"url" option to name at least one server/],
    ['a list with a non-http server', { url: ['http://a:1', 'ftp://b:2'] }, /start with http:\/\/ or https:\/\/, got "ftp:\/\/b:2"/],
    ['a non-http url', { url: 'ws://h:1' }, /start with http:\/\/ or https:\/\//],
    ['a misspelled option', { url, runId: 'a' }, /Misspelled option "runId": did you mean "id"\?/],
    ['an unknown option', { url, colour: 1 }, /Unknown option "colour"/],
    ['a rank outside the world', { url, rank: 2, worldSize: 2 }, /"rank" option to be below "worldSize" \(2\), got 2/],
    ['a fractional batch size', { url, batchSize: 2.5 }, /"batchSize" option to be an integer >= 1, got 2.5/],
    ['fromStep without resume', { url, fromStep: 3 }, /"fromStep" option needs "resume"/],
    ['a bad run id', { url, id: 'a b' }, /"id" option to be a run id/],
    ['two different runs', { url, id: 'a', resume: 'b' }, /name different runs/],
    ['a bad policy', { url, policy: { kind: 'percentile', q: 10 } }, /Invalid "policy" option: .*"q"/],
  ];
  for (const [what, options, message] of bad) {
    it(`should refuse ${what} with a message naming it`, () => {
      let err: unknown;
      try {
        resolveOptions(options as InitOptions);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GradpilotError);
      expect((err as GradpilotError).code).toBe('INVALID_OPTION');
      expect((err as Error).message).toMatch(message);
    });
  }
});

describe('observe input', () => {
  it('should refuse steps that do not increase, a missing norm, and steps after close', async () => {
    // Nobody listens on port 9: the run works offline, which is all this needs.
    const { init } = await import('../../sdk/index.ts');
    const run = await init({ url, name: 'offline', spillDir: null });
    expect(run.observe(3, { gradNorm: 1 }).action).toBe('apply');
    expect(() => run.observe(3, { gradNorm: 1 })).toThrow(/Step 3 is not after the last observed step 3: steps must increase/);
    expect(() => run.observe(-1, { gradNorm: 1 })).toThrow(/Expected "step" to be a non-negative integer, got -1/);
    expect(() => run.observe(4, {} as { gradNorm: number })).toThrow(/Step 4: expected "gradNorm" to be a number, got undefined/);
    const report = await run.close({ timeoutMs: 0 });
    expect(report).toMatchObject({ delivered: 0, undelivered: 1, spillFile: null });
    expect(() => run.observe(5, { gradNorm: 1 })).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });
});
