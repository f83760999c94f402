// Tiny fetch helpers for the server tests.
export interface Reply<T = unknown> {
  status: number;
  body: T;
}

export async function call<T = any>(url: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
  const init: RequestInit = { method, headers: { 'content-type': 'application/json', ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(url, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (CSV, HTML): keep the text
  }
  return { status: res.status, body: parsed as T };
}

export async function createRun(base: string, body: Record<string, unknown> = { name: 'test' }, headers: Record<string, string> = {}): Promise<string> {
  const r = await call<{ id: string }>(`${base}/api/runs`, 'POST', body, headers);
  if (r.status !== 201) throw new Error(`create run failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id;
}
