// The folder of the gradpilot package, whether this module runs from its source
// (server/*.ts) or from the build (server/dist/*.js): the nearest package.json named gradpilot.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'gradpilot') return dir;
    if (path.dirname(dir) === dir) throw new Error(`No package.json of gradpilot above ${from}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
