// A tiny `--name value` / `--name=value` parser for the CLI commands; unknown flags are errors.
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `repeatable` flags keep every value given, in order, in `lists` (`flags` has the last one). */
export function parseFlags(
  args: string[], known: readonly string[], booleans: readonly string[] = [], repeatable: readonly string[] = [],
): { flags: Map<string, string>; rest: string[]; lists: Map<string, string[]> } {
  const flags = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--') || a === '--') {
      rest.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq === -1 ? undefined : eq);
    if (!known.includes(name) && !booleans.includes(name)) {
      throw new UsageError(`Unknown option "--${name}"; expected one of ${[...known, ...booleans].map((k) => `--${k}`).join(', ')}`);
    }
    if (booleans.includes(name)) {
      flags.set(name, 'true');
      continue;
    }
    const value = eq === -1 ? args[++i] : a.slice(eq + 1);
    if (value === undefined || value === '') throw new UsageError(`Option "--${name}" needs a value`);
    flags.set(name, value);
    if (repeatable.includes(name)) lists.set(name, [...(lists.get(name) ?? []), value]);
  }
  return { flags, rest, lists };
}
