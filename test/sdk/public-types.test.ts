// The SDK's public types, checked by the type checker (npm test runs tsc first): a change that
// breaks users' code breaks this file.
import { describe, expectTypeOf, it } from 'vitest';
import * as sdk from '../../sdk/index.ts';
import type { CloseReport, Decision, InitOptions, PolicyInput, Run, StepEvent, StepMetrics, StopPush } from '../../sdk/index.ts';
import * as tfjs from '../../sdk/tfjs/index.ts';

describe('public types', () => {
  it('should type init, observe and close as documented', () => {
    expectTypeOf(sdk.init).parameter(0).toEqualTypeOf<InitOptions>();
    expectTypeOf(sdk.init).returns.resolves.toEqualTypeOf<Run>();
    expectTypeOf<Run['observe']>().parameters.toEqualTypeOf<[number, StepMetrics]>();
    expectTypeOf<Run['observe']>().returns.toEqualTypeOf<Decision>();
    expectTypeOf<Run['close']>().returns.resolves.toEqualTypeOf<CloseReport>();
    expectTypeOf<Decision['action']>().toEqualTypeOf<'apply' | 'clip' | 'skip'>();
    expectTypeOf<InitOptions>().toHaveProperty('url').toEqualTypeOf<string | readonly string[]>();
  });

  it('should type the step events and stop requests', () => {
    expectTypeOf<Run['stopRequested']>().toEqualTypeOf<boolean>();
    expectTypeOf<Run['stopRequest']>().toEqualTypeOf<StopPush | null>();
    expectTypeOf<StepEvent>().toEqualTypeOf<{ kind: 'nonfinite' | 'spike' | 'explosion'; step: number; gradNorm: number; loss: number | null; decision: Decision }>();
    expectTypeOf<StopPush>().toEqualTypeOf<{ runId: string; id: number; author: string; reason: string | null; createdAt: string }>();
    // Type-checked only, never called.
    const subscribe = (run: Run) => {
      run.on('event', (e) => expectTypeOf(e).toEqualTypeOf<StepEvent>());
      run.on('stop', (s) => expectTypeOf(s).toEqualTypeOf<StopPush>());
    };
    void subscribe;
  });

  it('should accept a policy by kind with that kind\'s fields only', () => {
    expectTypeOf<{ kind: 'percentile'; p: 5 }>().toMatchTypeOf<PolicyInput>();
    expectTypeOf<{ kind: 'zscore'; z: 3; alpha: 0.9 }>().toMatchTypeOf<PolicyInput>();
    // @ts-expect-error: `p` belongs to the percentile policy, not to zscore
    const wrong: PolicyInput = { kind: 'zscore', p: 10 };
    void wrong;
  });

  it('should export only the documented names', () => {
    expectTypeOf<keyof typeof sdk>().toEqualTypeOf<'init' | 'Run' | 'GradpilotError' | 'NonFiniteGradientError' | 'DEFAULT_POLICY' | 'parsePolicy' | 'defaultSpillDir' | 'listSpills' | 'deliverSpills'>();
    expectTypeOf<keyof typeof tfjs>().toEqualTypeOf<'clipOptimizer' | 'clipGradients' | 'scaleGradients' | 'gradientNorms'>();
  });
});
