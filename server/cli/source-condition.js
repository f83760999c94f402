// A module resolve hook for running from a clone: adds the "gradpilot-source" export
// condition, so that `@gradpilot/sdk` resolves to its TypeScript sources (run by tsx) rather
// than to a build in sdk/dist that may be stale or missing. Installed packages never load it.
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes('gradpilot-source')
    ? context.conditions
    : [...context.conditions, 'gradpilot-source'];
  return nextResolve(specifier, { ...context, conditions });
}
