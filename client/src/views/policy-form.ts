// The policy editor used by the policy panel and the what-if panel. It sends what the
// user typed (numbers as numbers, anything unparsable as the text itself) and leaves
// validation to the server, whose message is shown as is: one source of truth for rules.
import type { Policy, PolicyKind } from '@gradpilot/sdk/controller';
import { h } from '../dom.ts';
import { TID } from '../testids.ts';

type FieldType = 'number' | 'bool' | 'choice';

interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  kinds: PolicyKind[] | 'all';
  choices?: string[];
  placeholder?: string;
  advanced?: boolean;
}

const ALL: PolicyKind[] = ['percentile', 'zscore', 'fixed', 'off'];

const FIELDS: FieldDef[] = [
  { name: 'p', label: 'percentile p', type: 'number', kinds: ['percentile'], placeholder: '10' },
  { name: 'window', label: 'window (steps, empty: full history)', type: 'number', kinds: ['percentile'], placeholder: 'full' },
  { name: 'alpha', label: 'EMA alpha', type: 'number', kinds: ['zscore'], placeholder: '0.97' },
  { name: 'z', label: 'z', type: 'number', kinds: ['zscore'], placeholder: '2.5' },
  { name: 'clipOption', label: 'clip option', type: 'choice', kinds: ['zscore'], choices: ['adaptive_scaling', 'mean'] },
  { name: 'clipFactor', label: 'clip factor', type: 'number', kinds: ['zscore'], placeholder: '1' },
  { name: 'updateStatsOnSpike', label: 'update stats on spike', type: 'bool', kinds: ['zscore'] },
  { name: 'warmupSteps', label: 'warm-up steps', type: 'number', kinds: ['percentile', 'zscore'], placeholder: 'default' },
  { name: 'maxNorm', label: 'max norm (hard cap)', type: 'number', kinds: 'all', placeholder: 'none' },
  { name: 'minThreshold', label: 'min threshold', type: 'number', kinds: ['percentile', 'zscore'], placeholder: 'none', advanced: true },
  { name: 'maxThreshold', label: 'max threshold', type: 'number', kinds: ['percentile', 'zscore'], placeholder: 'none', advanced: true },
  { name: 'onNonFinite', label: 'on non-finite', type: 'choice', kinds: 'all', choices: ['skip', 'clip', 'raise'], advanced: true },
  { name: 'skipOnSpike', label: 'skip on spike', type: 'bool', kinds: 'all', advanced: true },
  { name: 'spikeZ', label: 'spike z', type: 'number', kinds: 'all', placeholder: '6', advanced: true },
  { name: 'explosionFactor', label: 'explosion factor', type: 'number', kinds: 'all', placeholder: '10', advanced: true },
];

export interface PolicyFormOptions {
  testid: string;
  submitLabel: string;
  submitTestid: string;
  /** Show an "effective step" field (policy panel only). */
  effectiveStep?: boolean;
  onSubmit: (policy: Record<string, unknown>, effectiveStep: number | undefined) => void;
  /**
   * Policy panel only: steps of warm-up without a threshold the policy typed would start, its
   * text, and a cap to offer (filled into max norm by a button).
   */
  warmup?: (policy: Record<string, unknown>) => { steps: number; text: string; cap: number | null };
}

/** What the user typed: a number when it parses as one, otherwise the text for the server to reject. */
function parseNumber(text: string): unknown {
  const t = text.trim();
  if (t === '') return undefined;
  if (t === 'null') return null;
  const n = Number(t);
  return Number.isNaN(n) ? t : n;
}

export class PolicyForm {
  readonly el: HTMLFormElement;
  readonly submit: HTMLButtonElement;
  readonly #kind: HTMLSelectElement;
  readonly #inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  readonly #rows = new Map<string, HTMLElement>();
  readonly #effective: HTMLInputElement;
  readonly #warning: HTMLElement;
  readonly #capButton: HTMLButtonElement;
  readonly #warmup: PolicyFormOptions['warmup'];

  constructor(opts: PolicyFormOptions) {
    this.#kind = h('select', { name: 'kind', testid: TID.policyKind }, ...ALL.map((k) => h('option', { value: k }, k)));
    this.#effective = h('input', { name: 'effectiveStep', inputmode: 'numeric', placeholder: 'next step' });
    this.submit = h('button', { type: 'submit', testid: opts.submitTestid }, opts.submitLabel);
    this.#warmup = opts.warmup;
    this.#capButton = h('button', { type: 'button', class: 'secondary', testid: TID.policyCap });
    this.#warning = h('div', { class: 'warning', testid: TID.policyWarning, role: 'status', hidden: true }, h('span'), ' ', this.#capButton);
    const basic = h('div', { class: 'fields' });
    const advanced = h('div', { class: 'fields' });
    for (const f of FIELDS) {
      const input =
        f.type === 'choice'
          ? h('select', { name: f.name }, h('option', { value: '' }, 'default'), ...(f.choices ?? []).map((c) => h('option', { value: c }, c)))
          : f.type === 'bool'
            ? h('select', { name: f.name }, h('option', { value: '' }, 'default'), h('option', { value: 'true' }, 'yes'), h('option', { value: 'false' }, 'no'))
            : h('input', { name: f.name, inputmode: 'decimal', placeholder: f.placeholder ?? '', autocomplete: 'off' });
      const row = h('label', { class: 'field' }, h('span', {}, f.label), input);
      this.#inputs.set(f.name, input);
      this.#rows.set(f.name, row);
      (f.advanced ? advanced : basic).append(row);
    }
    this.el = h(
      'form',
      { class: 'policy-form', testid: opts.testid },
      h('label', { class: 'field' }, h('span', {}, 'kind'), this.#kind),
      basic,
      h('details', {}, h('summary', {}, 'bounds and detectors'), advanced),
      opts.effectiveStep ? h('label', { class: 'field' }, h('span', {}, 'effective step'), this.#effective) : null,
      opts.warmup ? this.#warning : null,
      h('div', { class: 'actions' }, this.submit),
    );
    // Kind-specific values do not carry over (percentile's warmupSteps 0 is invalid for
    // zscore): a new kind starts from the server's defaults.
    this.#kind.addEventListener('change', () => {
      for (const f of FIELDS) if (f.kinds !== 'all') this.#inputs.get(f.name)!.value = '';
      this.#showFields();
    });
    this.el.addEventListener('input', () => this.checkWarmup());
    this.el.addEventListener('change', () => this.checkWarmup());
    this.#capButton.addEventListener('click', () => {
      const cap = this.#capButton.dataset.cap;
      if (!cap) return;
      this.#inputs.get('maxNorm')!.value = cap;
      this.checkWarmup();
    });
    this.el.addEventListener('submit', (e) => {
      e.preventDefault();
      const step = parseNumber(this.#effective.value);
      opts.onSubmit(this.value(), typeof step === 'number' ? step : undefined);
    });
    this.#showFields();
  }

  /** Fills the form from a policy (e.g. the one in force). */
  setPolicy(policy: Policy): void {
    this.#kind.value = policy.kind;
    const rec = policy as unknown as Record<string, unknown>;
    for (const [name, input] of this.#inputs) {
      const v = rec[name];
      input.value = v === undefined || v === null ? '' : String(v);
    }
    this.#showFields();
    this.checkWarmup();
  }

  /** Shows or hides the warm-up warning for what the form holds now. */
  checkWarmup(): void {
    if (!this.#warmup) return;
    const w = this.#warmup(this.value());
    this.#warning.hidden = w.steps === 0;
    if (w.steps === 0) return;
    this.#warning.firstElementChild!.textContent = w.text;
    this.#capButton.hidden = w.cap === null;
    if (w.cap !== null) {
      this.#capButton.dataset.cap = String(w.cap);
      this.#capButton.textContent = `cap at ${w.cap}`;
    }
  }

  value(): Record<string, unknown> {
    const kind = this.#kind.value as PolicyKind;
    const out: Record<string, unknown> = { kind };
    for (const f of FIELDS) {
      if (!applies(f, kind)) continue;
      const raw = this.#inputs.get(f.name)!.value;
      if (raw === '') continue;
      out[f.name] = f.type === 'number' ? parseNumber(raw) : f.type === 'bool' ? raw === 'true' : raw;
    }
    return out;
  }

  #showFields(): void {
    const kind = this.#kind.value as PolicyKind;
    for (const f of FIELDS) this.#rows.get(f.name)!.hidden = !applies(f, kind);
  }
}

function applies(f: FieldDef, kind: PolicyKind): boolean {
  return f.kinds === 'all' || f.kinds.includes(kind);
}
