// The token of a server started with GRADPILOT_TOKEN. Sent on every request (reads need it
// too unless the server was started with --public-reads) and on the /live socket. Kept in
// localStorage, so it is asked for once per browser: the first refusal for want of it opens
// the prompt by itself (once per page), the header's "token" button changes it.
const KEY = 'gradpilot.token';

type Listener = (token: string | null) => void;
const listeners = new Set<Listener>();
let askedThisPage = false;

export function getToken(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return memoryToken;
  }
}

// Private mode (no localStorage): the token lasts until the page is reloaded.
let memoryToken: string | null = null;

export function setToken(token: string | null): void {
  memoryToken = token;
  try {
    if (token) localStorage.setItem(KEY, token);
    else localStorage.removeItem(KEY);
  } catch {
    // kept in memoryToken
  }
  for (const l of listeners) l(token);
}

/** Calls `listener` with every new token (or null when forgotten); returns the unsubscribe. */
export function onTokenChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Prompts for the token, saying why; true when one was entered (or it was forgotten). */
export function promptForToken(reason?: string): boolean {
  const value = window.prompt(`${reason ? `${reason}\n\n` : ''}Token of this server (GRADPILOT_TOKEN); empty to forget it`, getToken() ?? '');
  if (value === null) return false;
  setToken(value.trim() || null);
  return true;
}

/** After a refusal for want of a token: prompts once per page (never a prompt loop); true when one was entered. */
export function askForTokenOnce(reason: string): boolean {
  if (askedThisPage) return false;
  askedThisPage = true;
  return promptForToken(reason);
}
