// A package-lock.json for a user's project, built from this repository's own lockfile, so
// that `npm ci --offline` installs the packed tarballs and their dependencies from the npm
// cache that the repository's `npm install` filled: the same packages a user would get, with
// no network (and no dependence on the registry answering during the test).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [key: string]: unknown;
}

export interface Tarball {
  /** The tarball file. */
  file: string;
  /** Its package.json (name, version, dependencies). */
  manifest: { name: string; version: string; dependencies?: Record<string, string>; [key: string]: unknown };
}

function integrityOf(file: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

/** Where Node would find `name` from the package installed at `from`, in the repository's tree. */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string | null {
  for (let dir = from; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
    const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    const entry = packages[candidate];
    if (entry && !entry.link) return candidate;
    if (dir === '') return null;
  }
}

/**
 * The lockfile of a project at `projectDir` whose dependencies are `tarballs` (by file) and
 * `registryDeps` (by name, at the versions this repository locked).
 */
export function offlineLock(repoLockFile: string, projectDir: string, tarballs: Tarball[], registryDeps: string[]): object {
  const repo = (JSON.parse(readFileSync(repoLockFile, 'utf8')) as { packages: Record<string, LockEntry> }).packages;
  const out: Record<string, LockEntry> = {};
  const rootDeps: Record<string, string> = {};
  const pending: { at: string; deps: Record<string, string> }[] = [];
  const tarballNames = new Set(tarballs.map((t) => t.manifest.name));

  for (const t of tarballs) {
    const resolved = `file:${path.relative(projectDir, t.file)}`;
    rootDeps[t.manifest.name] = resolved;
    const { name: _name, scripts: _scripts, files: _files, exports: _exports, ...rest } = t.manifest;
    out[`node_modules/${t.manifest.name}`] = { ...rest, resolved, integrity: integrityOf(t.file) };
    // Resolved from the top of the tree, where the repository hoists a workspace's deps.
    pending.push({ at: '', deps: t.manifest.dependencies ?? {} });
  }
  for (const name of registryDeps) {
    const at = locate(repo, '', name);
    if (at === null) throw new Error(`${name} is not in the repository's lockfile: add it to the devDependencies`);
    rootDeps[name] = repo[at].version!;
    out[at] = repo[at];
    pending.push({ at, deps: { ...repo[at].dependencies, ...repo[at].optionalDependencies } });
  }
  while (pending.length > 0) {
    const { at, deps } = pending.pop()!;
    for (const name of Object.keys(deps)) {
      if (tarballNames.has(name)) continue;
      const found = locate(repo, at, name);
      if (found === null) {
        if (repo[at]?.optionalDependencies?.[name] !== undefined) continue; // an optional dep for another platform
        throw new Error(`${name} (needed by ${at || 'a packed package'}) is not in the repository's lockfile`);
      }
      if (out[found]) continue;
      out[found] = repo[found];
      pending.push({ at: found, deps: { ...repo[found].dependencies, ...repo[found].optionalDependencies } });
    }
  }
  return {
    name: 'user-project',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name: 'user-project', version: '1.0.0', dependencies: rootDeps }, ...out },
  };
}
