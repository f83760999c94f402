import { build } from 'esbuild';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const clientDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'client');

/** Bundles client/src/main.ts and copies client/public/* into client/dist. */
export async function buildClient() {
  const outdir = join(clientDir, 'dist');
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: [join(clientDir, 'src', 'main.ts')],
    bundle: true,
    // @gradpilot/sdk from its sources (the workspace), not from a build that may be stale.
    conditions: ['gradpilot-source'],
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    outdir,
    loader: { '.css': 'css' },
    logLevel: 'warning',
  });
  for (const name of await readdir(join(clientDir, 'public'))) {
    await copyFile(join(clientDir, 'public', name), join(outdir, name));
  }
}
