// Hash routes, so deep links work from a static server: #/ (runs), #/runs/<id>,
// #/compare/<id>,<id>..., #/alerts
export type Route =
  | { name: 'runs' }
  | { name: 'alerts' }
  | { name: 'run'; runId: string }
  | { name: 'compare'; runIds: string[] };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  if (/^\/alerts\/?$/.test(path)) return { name: 'alerts' };
  const run = /^\/runs\/([^/?]+)\/?$/.exec(path);
  if (run) return { name: 'run', runId: decodeURIComponent(run[1]) };
  const cmp = /^\/compare\/([^/?]+)\/?$/.exec(path);
  if (cmp) {
    const runIds = cmp[1].split(',').filter(Boolean).map(decodeURIComponent);
    if (runIds.length > 0) return { name: 'compare', runIds };
  }
  return { name: 'runs' };
}
