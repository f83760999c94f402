// The alert, webhook and stop-request endpoints as typed functions (errors as in api.ts).
import type { Alert, ProjectWebhook, StopRequest } from '@gradpilot/sdk/protocol';
import { apiRequest } from './api.ts';

const runPath = (id: string) => `/api/runs/${encodeURIComponent(id)}`;
const projectPath = (project: string) => `/api/projects/${encodeURIComponent(project)}/webhooks`;

/** Alerts shown at once; older ones are in the API (`before`). */
export const ALERTS_SHOWN = 200;

export interface Webhooks {
  server: string[];
  projects: ProjectWebhook[];
}

export const alertsApi = {
  runAlerts: (runId: string) => apiRequest<Alert[]>('GET', `${runPath(runId)}/alerts?limit=${ALERTS_SHOWN}`),
  alerts: () => apiRequest<Alert[]>('GET', `/api/alerts?limit=${ALERTS_SHOWN}`),
  /** `{ runId }`: the webhooks that run's alerts go to; `{ project }`; `{}`: the server-wide ones. */
  testAlert: (target: { runId?: string; project?: string }) => apiRequest<Alert>('POST', '/api/alerts/test', target),
  webhooks: () => apiRequest<Webhooks>('GET', '/api/webhooks'),
  addWebhook: (project: string, url: string) => apiRequest<ProjectWebhook>('POST', projectPath(project), { url, author: 'dashboard' }),
  removeWebhook: (project: string, id: number) => apiRequest<null>('DELETE', `${projectPath(project)}/${id}`),
  stops: (runId: string) => apiRequest<StopRequest[]>('GET', `${runPath(runId)}/stop`),
  requestStop: (runId: string, reason: string | null) =>
    apiRequest<StopRequest>('POST', `${runPath(runId)}/stop`, { author: 'dashboard', ...(reason ? { reason } : {}) }),
};
