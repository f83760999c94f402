// The REST API as typed functions. Every failure becomes an ApiError whose message is the
// server's own `{ error }` text (or says the server could not be reached), so views can
// show it as is.
import { askForTokenOnce, getToken } from './token.ts';
import type {
  LayerSeries,
  PolicyVersion,
  ReplayResult,
  RunEvent,
  RunSummary,
  StepSeries,
} from '@gradpilot/sdk/protocol';

export class ApiError extends Error {
  /** HTTP status, or 0 when the server could not be reached. */
  readonly status: number;
  constructor(message: string, status: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiError';
    this.status = status;
  }
}

export interface RangeQuery {
  from?: number;
  to?: number;
  points: number;
}

export interface PolicyState {
  current: PolicyVersion;
  history: PolicyVersion[];
}

/** Runs per page of the runs list: a page builds its rows well within one frame budget. */
export const RUNS_PAGE = 200;
/** Events a run page asks for, newest first (a burst of non-finite steps is one). */
export const MAX_EVENTS = 5000;

async function request<T>(
  method: string, path: string, body?: unknown, signal?: AbortSignal, onHeaders?: (headers: Headers) => void, retried = false,
): Promise<T> {
  let res: Response;
  // Every write is JSON (the server refuses other writes: its CSRF guard).
  const headers: Record<string, string> = method === 'GET' ? {} : { 'content-type': 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    res = await fetch(path, {
      method,
      signal,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (cause) {
    if (signal?.aborted) throw cause;
    throw new ApiError(`The server is not reachable (${method} ${path})`, 0, { cause });
  }
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    const msg =
      parsed && typeof parsed === 'object' && 'error' in parsed ? String((parsed as { error: unknown }).error) : text;
    // Refused for want of the token: once a token is there (entered now, or meanwhile for a
    // request sent at the same time), try again with it.
    if (res.status === 401 && !retried && (getToken() !== token || askForTokenOnce(msg))) {
      return request<T>(method, path, body, signal, onHeaders, true);
    }
    const hint = res.status === 401 ? ' Set it with the "token" button at the top right.' : '';
    throw new ApiError((msg || `${method} ${path} failed with HTTP ${res.status}`) + hint, res.status);
  }
  onHeaders?.(res.headers);
  return parsed as T;
}

function rangeParams(q: RangeQuery): string {
  const p = new URLSearchParams({ points: String(Math.max(1, Math.round(q.points))) });
  if (q.from !== undefined) p.set('from', String(Math.floor(q.from)));
  if (q.to !== undefined) p.set('to', String(Math.ceil(q.to)));
  return p.toString();
}

const runPath = (id: string) => `/api/runs/${encodeURIComponent(id)}`;

export const api = {
  /**
   * One page of runs, newest first; `next` is the cursor of the following page, if any.
   * `q`: only runs whose name, project or id contains it.
   */
  listRuns: async (
    { cursor = null, project = null, limit = RUNS_PAGE, q = null }: { cursor?: string | null; project?: string | null; limit?: number; q?: string | null } = {},
  ): Promise<{ runs: RunSummary[]; next: string | null }> => {
    let next: string | null = null;
    const query = `limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}` +
      (project === null ? '' : `&project=${encodeURIComponent(project)}`) +
      (q === null || q === '' ? '' : `&q=${encodeURIComponent(q)}`);
    const runs = await request<RunSummary[]>('GET', `/api/runs?${query}`, undefined, undefined, (h) => (next = h.get('x-next-cursor')));
    return { runs, next };
  },
  listProjects: () => request<string[]>('GET', '/api/projects'),
  getRun: (id: string) => request<RunSummary>('GET', runPath(id)),
  getSteps: (id: string, q: RangeQuery, signal?: AbortSignal) =>
    request<StepSeries>('GET', `${runPath(id)}/steps?${rangeParams(q)}`, undefined, signal),
  getLayers: (id: string, q: RangeQuery, signal?: AbortSignal) =>
    request<LayerSeries>('GET', `${runPath(id)}/layers?${rangeParams(q)}`, undefined, signal),
  // The newest events: a run that diverged long ago still shows its latest ones.
  getEvents: (id: string) => request<RunEvent[]>('GET', `${runPath(id)}/events?order=newest&limit=${MAX_EVENTS}`),
  /** The version in force and the whole history (oldest first). */
  async getPolicy(id: string): Promise<PolicyState> {
    const [current, history] = await Promise.all([
      request<PolicyVersion>('GET', `${runPath(id)}/policy`),
      request<PolicyVersion[]>('GET', `${runPath(id)}/policy/history`).catch(() => null),
    ]);
    return normalizePolicyState({ current, history: history ?? [current] });
  },
  putPolicy: (id: string, policy: Record<string, unknown>, effectiveStep?: number) =>
    request<Pick<PolicyVersion, 'version' | 'effectiveStep' | 'policy'>>('PUT', `${runPath(id)}/policy`, {
      policy,
      author: 'dashboard',
      ...(effectiveStep === undefined ? {} : { effectiveStep }),
    }),
  replay: (id: string, policy: Record<string, unknown>, points: number) =>
    request<ReplayResult>('POST', `${runPath(id)}/replay`, { policy, points: Math.round(points) }),
};

/** GET policy may answer the current version with its history, or just the current one. */
export function normalizePolicyState(body: unknown): PolicyState {
  const obj = body as Partial<PolicyState> & Partial<PolicyVersion> & { versions?: PolicyVersion[] };
  if (Array.isArray(body)) {
    const history = body as PolicyVersion[];
    return { current: history[history.length - 1], history };
  }
  const history = obj.history ?? obj.versions;
  if (obj.current && history) return { current: obj.current, history: history.slice().sort((a, b) => a.version - b.version) };
  if (history && history.length > 0) return { current: history[history.length - 1], history };
  const current = (obj.current ?? obj) as PolicyVersion;
  return { current, history: [current] };
}

/** @private For the API modules of other features (api-alerts.ts): the same errors and token handling. */
export { request as apiRequest };
