// Markers of one kind closer than a few pixels merge into one that carries their count:
// twenty spikes within 50 steps of a diverging run are one "20" marker, not a blob of
// overlapping triangles. Pure, so the rule is tested without a browser.
import type { Marker } from './markers.ts';

/** What a merged marker does when clicked: usually zoom to the steps it covers. */
export type ClusterClick = (from: number, to: number) => void;

/**
 * Groups markers by kind, in step order, merging each into the previous group of its kind
 * while it is within `minPx` of that group's last marker. A group of one is returned as is.
 */
export function clusterMarkers(markers: Marker[], toPx: (step: number) => number, minPx: number, onCluster?: ClusterClick): Marker[] {
  const byKind = new Map<string, Marker[]>();
  for (const m of markers) {
    const list = byKind.get(m.kind);
    if (list) list.push(m);
    else byKind.set(m.kind, [m]);
  }
  const out: Marker[] = [];
  for (const [kind, list] of byKind) {
    list.sort((a, b) => a.x - b.x);
    let group: Marker[] = [];
    const flush = () => {
      if (group.length === 1) out.push(group[0]);
      else if (group.length > 1) out.push(merge(kind, group, onCluster));
      group = [];
    };
    for (const m of list) {
      const last = group[group.length - 1];
      if (last && toPx(m.x) - toPx(last.x) >= minPx) flush();
      group.push(m);
    }
    flush();
  }
  return out;
}

function merge(kind: string, group: Marker[], onCluster?: ClusterClick): Marker {
  const first = group[0].x;
  const last = group[group.length - 1].x;
  const count = group.reduce((n, m) => n + (m.count ?? 1), 0);
  const name = kind.replace('_', ' ');
  return {
    x: first,
    at: (first + last) / 2,
    kind,
    testid: group[0].testid,
    count,
    title: `${count} ${name} markers in steps ${first}–${last}${onCluster ? ' · click to zoom in' : ''}`,
    onClick: onCluster ? () => onCluster(first, last) : undefined,
  };
}
