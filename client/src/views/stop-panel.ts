// Asking the run to stop: the button asks for a reason, the server tells every rank of the
// run, and the line beside it shows who asked, when, why, and which rank was told at which step.
import type { StopRequest } from '@gradpilot/sdk/protocol';
import { alertsApi } from '../api-alerts.ts';
import { h, setText } from '../dom.ts';
import { fmtTime } from '../format.ts';
import type { Live } from '../live.ts';
import '../alerts.css';
import { TID } from '../testids.ts';
import { errorText } from './view.ts';

export function describeStop(r: StopRequest): string {
  const asked = `Stop requested by ${r.author} at ${fmtTime(r.createdAt)}${r.reason ? `: ${r.reason}` : ''}.`;
  if (r.clearedAt !== null) return `${asked} Cleared by a resume at ${fmtTime(r.clearedAt)}.`;
  const told = r.acks.length === 0
    ? 'No rank has been told yet (it is told when it is connected).'
    : `Told ${r.acks.map((a) => `rank ${a.rank}${a.step === null ? '' : ` at step ${a.step}`}`).join(', ')}; the training script decides.`;
  return `${asked} ${told}`;
}

export class StopPanel {
  readonly el: HTMLElement;
  readonly #runId: string;
  readonly #status: HTMLElement;
  readonly #message: HTMLElement;
  readonly #stopListening: () => void;
  /**
   * What is shown: a receipt of an older request must not replace the newest, and the POST's
   * answer (no receipts yet) may arrive after the live push of a receipt: receipts only grow.
   */
  #shown: StopRequest | null = null;

  constructor(live: Live, runId: string) {
    this.#runId = runId;
    this.#status = h('span', { class: 'stop-status', testid: TID.stopStatus });
    this.#message = h('span', { class: 'message', testid: TID.stopMessage, role: 'status' });
    const button = h('button', { type: 'button', class: 'danger', testid: TID.stopButton }, 'Stop run…');
    button.addEventListener('click', () => void this.#ask());
    // In the run's toolbar, one line: the button, then who asked, when, why, who was told.
    this.el = h('span', { class: 'stop-panel' }, this.#status, this.#message, button);
    this.#stopListening = live.listen({
      stop: (r) => r.runId === runId && this.#show(r),
      resync: () => void this.load(),
    });
  }

  async load(): Promise<void> {
    try {
      const all = await alertsApi.stops(this.#runId);
      const last = all.at(-1);
      if (last) this.#show(last);
    } catch (err) {
      this.#say(`Could not load stop requests: ${errorText(err)}`);
    }
  }

  dispose(): void {
    this.#stopListening();
  }

  async #ask(): Promise<void> {
    const reason = window.prompt('Ask every rank of this run to stop. Why? (shown to the training script; may be empty)', '');
    if (reason === null) return;
    try {
      this.#show(await alertsApi.requestStop(this.#runId, reason.trim() || null));
      this.#say('');
    } catch (err) {
      this.#say(errorText(err));
    }
  }

  #show(r: StopRequest): void {
    const s = this.#shown;
    if (s && (r.id < s.id || (r.id === s.id && (r.acks.length < s.acks.length || (s.clearedAt !== null && r.clearedAt === null))))) return;
    this.#shown = r;
    this.#status.classList.toggle('stop-in-force', r.clearedAt === null);
    setText(this.#status, describeStop(r));
  }

  #say(text: string): void {
    this.#message.classList.toggle('error', text !== '');
    setText(this.#message, text);
  }
}
