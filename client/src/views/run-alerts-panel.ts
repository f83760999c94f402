// A run's alerts on its page, live, with a button that sends a test alert to the webhooks
// this run's alerts go to (the server-wide ones and its project's).
import { alertsApi } from '../api-alerts.ts';
import { h, setText } from '../dom.ts';
import type { Live } from '../live.ts';
import { TID } from '../testids.ts';
import { AlertsList } from './alerts-list.ts';
import { errorText } from './view.ts';

export class RunAlertsPanel {
  readonly el: HTMLElement;
  readonly #runId: string;
  readonly #list = new AlertsList();
  readonly #count: HTMLElement;
  readonly #message: HTMLElement;
  readonly #stopListening: () => void;

  constructor(live: Live, runId: string) {
    this.#runId = runId;
    this.#count = h('span', { class: 'muted' });
    this.#message = h('div', { class: 'message', testid: TID.alertMessage, role: 'status' });
    const test = h('button', { type: 'button', class: 'secondary', testid: TID.alertTest }, 'Send test alert');
    test.addEventListener('click', () => void this.#test());
    this.el = h(
      'section',
      { class: 'panel alerts-panel', testid: TID.alertsPanel },
      h('header', { class: 'panel-head' }, h('h3', {}, 'Alerts'), this.#count, test),
      this.#message,
      this.#list.el,
      h('a', { href: '#/alerts', class: 'muted' }, 'all alerts and webhooks →'),
    );
    this.#stopListening = live.listen({
      alert: (a) => {
        if (a.runId !== runId) return;
        this.#list.upsert(a);
        this.#showCount();
      },
      resync: () => void this.load(),
    });
  }

  async load(): Promise<void> {
    try {
      this.#list.set(await alertsApi.runAlerts(this.#runId));
      this.#showCount();
    } catch (err) {
      this.#say(`Could not load alerts: ${errorText(err)}`, true);
    }
  }

  dispose(): void {
    this.#stopListening();
  }

  async #test(): Promise<void> {
    try {
      const alert = await alertsApi.testAlert({ runId: this.#runId });
      this.#list.upsert(alert);
      this.#showCount();
      this.#say(`Test alert ${alert.id} sent to ${alert.deliveries.length} webhook${alert.deliveries.length === 1 ? '' : 's'}; its delivery shows below.`, false);
    } catch (err) {
      this.#say(errorText(err), true);
    }
  }

  #showCount(): void {
    setText(this.#count, this.#list.size === 0 ? 'none' : String(this.#list.size));
  }

  #say(text: string, isError: boolean): void {
    this.#message.classList.toggle('error', isError);
    setText(this.#message, text);
  }
}
