// Which XMap a uPlot chart draws with, so that overlays placed by step (markers, bands, the
// tick strip, policy lines) land where the step is on whatever the x axis shows. A chart
// without one (the compare view) has steps on its axis.
import type uPlot from 'uplot';
import { STEP_MAP, type XMap } from '../x-axis.ts';

const maps = new WeakMap<uPlot, () => XMap>();

export function attachXMap(u: uPlot, map: () => XMap): void {
  maps.set(u, map);
}

export function xMapOf(u: uPlot): XMap {
  return maps.get(u)?.() ?? STEP_MAP;
}

/**
 * The position of `step` on the chart's x axis (CSS pixels, or canvas pixels with `canvas`);
 * `map`: one run's own, where runs on one chart each have theirs (compare on a time axis).
 */
export function stepToPos(u: uPlot, step: number, canvas = false, map: XMap = xMapOf(u)): number {
  return u.valToPos(map.toX(step), 'x', canvas);
}
