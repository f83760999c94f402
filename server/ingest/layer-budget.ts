// A run has at most MAX_LAYERS layer names in all, not per batch: otherwise many batches of
// new names grow one run's heatmap (and /layers answers) without bound.
import { MAX_LAYERS, ValidationError } from '@gradpilot/sdk/protocol';

export function assertLayerBudget(known: ReadonlyMap<string, number>, incoming: Iterable<readonly [string, unknown]>): void {
  let added = 0;
  for (const [name] of incoming) if (!known.has(name)) added++;
  if (known.size + added > MAX_LAYERS) {
    throw new ValidationError(
      `Too many layer names for this run: it has ${known.size} and the batch adds ${added}; at most ${MAX_LAYERS} per run`,
    );
  }
}
