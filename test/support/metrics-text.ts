// Reads one sample out of the Prometheus text that GET /metrics answers.

/** The value of `name` with exactly these labels (in any order), or 0 when it has no sample yet. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const pair of (m[2] ?? '').split(',').filter(Boolean)) {
      const [k, v] = pair.split('=');
      got[k] = JSON.parse(v) as string;
    }
    const same = Object.keys(got).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => got[k] === v);
    if (same) return Number(m[3]);
  }
  return 0;
}

export async function fetchMetric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${url}/metrics`);
  return metricValue(await res.text(), name, labels);
}
