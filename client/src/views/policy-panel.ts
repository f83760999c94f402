// The policy in force, its history with the SDKs' acknowledgements, and a form to apply a
// new one. After applying, the panel shows when each SDK rank switched, as the acks
// arrive over the live socket.
import type { Policy } from '@gradpilot/sdk/controller';
import type { PolicyVersion } from '@gradpilot/sdk/protocol';
import { api, type PolicyState } from '../api.ts';
import { h, setText } from '../dom.ts';
import { fmtTime } from '../format.ts';
import { TID } from '../testids.ts';
import { PolicyForm } from './policy-form.ts';
import { suggestCap, warmupText, warmupWithoutThreshold } from './warmup-warning.ts';
import { errorText } from './view.ts';

const DEFAULT_KEYS = new Set([
  'kind',
  'maxNorm',
  'minThreshold',
  'maxThreshold',
  'onNonFinite',
  'skipOnSpike',
  'spikeZ',
  'explosionFactor',
  'coefRule',
]);

/** "percentile p=10 window=full" — the policy's own parameters, then non-null bounds. */
export function describePolicy(p: Policy): string {
  const rec = p as unknown as Record<string, unknown>;
  const own = Object.entries(rec)
    .filter(([k]) => !DEFAULT_KEYS.has(k))
    .map(([k, v]) => `${k}=${v === null ? 'full' : String(v)}`);
  const bounds = ['maxNorm', 'minThreshold', 'maxThreshold']
    .filter((k) => rec[k] !== null && rec[k] !== undefined)
    .map((k) => `${k}=${String(rec[k])}`);
  // The coefficient rule only when it is not ours: "coefRule=torch" matters, the default does not.
  const coef = p.coefRule === 'torch' ? ['coefRule=torch'] : [];
  return [p.kind, ...own, ...bounds, ...coef].join(' ');
}

/** "v2 zscore z=2.5": the version and the policy's main parameter, for the runs table. */
export function shortPolicy(v: PolicyVersion): string {
  const p = v.policy as unknown as Record<string, unknown>;
  const main = p.kind === 'percentile' ? `p=${String(p.p)}` : p.kind === 'zscore' ? `z=${String(p.z)}` : '';
  const cap = p.maxNorm !== null && p.maxNorm !== undefined ? `≤${String(p.maxNorm)}` : '';
  return [`v${v.version}`, p.kind, main, cap].filter(Boolean).join(' ');
}

export function describeAcks(v: PolicyVersion): string {
  if (!v.acks || v.acks.length === 0) return 'no SDK ack yet';
  return v.acks
    .slice()
    .sort((a, b) => a.rank - b.rank)
    .map((a) => `rank ${a.rank} @ step ${a.appliedAtStep}${a.late ? ' (late)' : ''}`)
    .join(', ');
}

export class PolicyPanel {
  readonly el: HTMLElement;
  readonly #runId: string;
  readonly #current: HTMLElement;
  readonly #history: HTMLTableSectionElement;
  readonly #message: HTMLElement;
  readonly #acks: HTMLElement;
  readonly #form: PolicyForm;
  #state: PolicyState | null = null;
  /** The version this page applied, whose acks it reports. */
  #applied: number | null = null;
  #formFilled = false;

  readonly #onChange: (state: PolicyState) => void;

  /**
   * `warmup`: what the run looks like now (finite steps, thresholds and norms shown), for the
   * warning that a switch starts a warm-up without a threshold.
   */
  constructor(
    runId: string,
    onChange: (state: PolicyState) => void = () => {},
    warmup?: () => { finiteSteps: number; thresholds: (number | null)[]; norms: (number | null)[] },
  ) {
    this.#runId = runId;
    this.#onChange = onChange;
    this.#current = h('div', { class: 'policy-current', testid: TID.policyCurrent }, 'loading…');
    this.#history = h('tbody');
    this.#message = h('p', { class: 'message', testid: TID.policyMessage, role: 'status' });
    this.#acks = h('p', { class: 'acks', testid: TID.policyAcks });
    this.#form = new PolicyForm({
      testid: TID.policyForm,
      submitLabel: 'Apply policy',
      submitTestid: TID.policyApply,
      effectiveStep: true,
      onSubmit: (policy, step) => void this.#apply(policy, step),
      warmup: warmup
        ? (policy) => {
            const run = warmup();
            const current = this.#state?.current.policy ?? null;
            const steps = warmupWithoutThreshold(policy, { current, finiteSteps: run.finiteSteps });
            return { steps, text: warmupText(steps, policy, current), cap: steps > 0 ? suggestCap(run.thresholds, run.norms) : null };
          }
        : undefined,
    });
    this.el = h(
      'section',
      { class: 'panel policy-panel' },
      h('header', { class: 'panel-head' }, h('h3', {}, 'Clipping policy')),
      this.#current,
      this.#acks,
      h('details', { class: 'history' }, h('summary', {}, 'history'),
        h('div', { class: 'scroll' }, h('table', { class: 'policy-history', testid: TID.policyHistory },
          h('thead', {}, h('tr', {}, ...['v', 'policy', 'from step', 'by', 'at', 'SDK acks'].map((t) => h('th', {}, t)))),
          this.#history))),
      this.#form.el,
      this.#message,
    );
  }

  async load(): Promise<void> {
    try {
      this.#set(await api.getPolicy(this.#runId));
    } catch (err) {
      this.#say(`Could not load the policy: ${errorText(err)}`, true);
    }
  }

  /** A policy version pushed over the live socket (new version, or new acks). */
  update(v: PolicyVersion): void {
    const history = (this.#state?.history ?? []).filter((h) => h.version !== v.version).concat(v);
    history.sort((a, b) => a.version - b.version);
    this.#set({ current: history[history.length - 1], history });
  }

  #set(state: PolicyState): void {
    this.#state = state;
    const c = state.current;
    this.#current.replaceChildren(
      h('div', { class: 'policy-desc' }, describePolicy(c.policy)),
      h('div', { class: 'muted' }, `version ${c.version} · from step ${c.effectiveStep} · by ${c.author} · ${fmtTime(c.createdAt)}`),
    );
    this.#history.replaceChildren(
      ...state.history
        .slice()
        .reverse()
        .map((v) =>
          h('tr', {}, h('td', {}, v.version), h('td', {}, describePolicy(v.policy)), h('td', { class: 'num' }, v.effectiveStep),
            h('td', {}, v.author), h('td', {}, fmtTime(v.createdAt)), h('td', {}, describeAcks(v))),
        ),
    );
    const watched = state.history.find((v) => v.version === (this.#applied ?? c.version)) ?? c;
    setText(this.#acks, `v${watched.version}: ${describeAcks(watched)}`);
    if (!this.#formFilled) {
      this.#form.setPolicy(c.policy);
      this.#formFilled = true;
    }
    this.#onChange(state);
  }

  async #apply(policy: Record<string, unknown>, effectiveStep: number | undefined): Promise<void> {
    this.#form.submit.disabled = true;
    this.#say('applying…', false);
    try {
      const res = await api.putPolicy(this.#runId, policy, effectiveStep);
      this.#applied = res.version;
      this.#say(`Applied as version ${res.version}, effective from step ${res.effectiveStep}. SDKs switch when they reach it.`, false);
      await this.load();
    } catch (err) {
      this.#say(errorText(err), true);
    } finally {
      this.#form.submit.disabled = false;
    }
  }

  #say(text: string, isError: boolean): void {
    this.#message.className = isError ? 'message error' : 'message';
    setText(this.#message, text);
  }
}
