// The run's config (hyperparameters) as collapsible JSON. Only GET /api/runs/:id carries
// it (lists and live summaries leave it out, it can be 64 KiB), so it is set once from the
// run's summary and never from a live push.
import { h, setText } from '../dom.ts';
import { TID } from '../testids.ts';

export class ConfigPanel {
  readonly el: HTMLDetailsElement;
  readonly #summary: HTMLElement;
  readonly #body: HTMLElement;

  constructor() {
    this.#summary = h('summary', {}, 'Config');
    this.#body = h('pre', { class: 'config-json', testid: TID.runConfigJson });
    this.el = h('details', { class: 'panel config-panel', testid: TID.runConfig }, this.#summary, this.#body);
  }

  set(config: Record<string, unknown> | null | undefined): void {
    if (config === undefined) return;
    const keys = config ? Object.keys(config).length : 0;
    setText(this.#summary, config && keys > 0 ? `Config (${keys} ${keys === 1 ? 'key' : 'keys'})` : 'Config: none recorded');
    setText(this.#body, config && keys > 0 ? JSON.stringify(config, null, 2) : 'The run was created without a config (POST /api/runs { config }).');
  }
}
