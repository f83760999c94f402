// The write token for servers started with GRADPILOT_TOKEN. Reads need none; writes
// (policy, what-if) send it as `Authorization: Bearer <token>`. Kept in localStorage so
// it is asked for once per browser.
const KEY = 'gradpilot.token';

export function getToken(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(KEY, token);
    else localStorage.removeItem(KEY);
  } catch {
    // private mode: the token lasts until the page is reloaded
  }
}
