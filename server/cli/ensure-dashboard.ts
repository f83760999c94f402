// In a clone of the repository, `gradpilot serve` rebuilds the dashboard bundle when it is
// missing or older than its sources, so a fresh clone (or a pulled change) never serves a
// stale page. An installed package has no client sources and ships the bundle built.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from '../package-root.ts';

/** What the dashboard bundle is built from: the client, and the SDK modules it imports. */
const SOURCE_DIRS = ['client/src', 'client/public', 'sdk/protocol', 'sdk/controller'];
const BUNDLE_FILES = ['client/dist/index.html', 'client/dist/main.js'];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** 'fresh', 'built' or 'no-sources' (an installed package): whether a build ran. */
export async function ensureDashboard(root = PACKAGE_ROOT): Promise<'fresh' | 'built' | 'no-sources'> {
  if (!existsSync(path.join(root, 'client', 'src'))) return 'no-sources';
  const bundle = BUNDLE_FILES.map((f) => path.join(root, f));
  const builtAt = bundle.every((f) => existsSync(f)) ? Math.min(...bundle.map((f) => statSync(f).mtimeMs)) : -1;
  const sources = SOURCE_DIRS.map((d) => path.join(root, d)).filter((d) => existsSync(d));
  if (builtAt >= 0 && Math.max(...sources.map(newestMtime)) <= builtAt) return 'fresh';
  // A path, not a specifier: the build helper is plain JS beside this file, and esbuild is
  // a devDependency that only a clone has.
  const lib = (await import(pathToFileURL(path.join(root, 'server', 'cli', 'build-client-lib.js')).href)) as {
    buildClient(): Promise<void>;
  };
  await lib.buildClient();
  return 'built';
}
