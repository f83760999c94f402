// What every view gets and gives back.
import type { Live } from '../live.ts';

export interface AppContext {
  live: Live;
  /** Shows a message in the page's error bar; null clears it. */
  showError(message: string | null): void;
}

export interface View {
  el: HTMLElement;
  dispose(): void;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
