// An older commit of this repository, checked out beside it, whose server a test can start:
// the only honest way to test what a newer SDK does against a server from before a change.
import { execFileSync, execSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './server-process.ts';

/** True when the commit is in this clone's history (a shallow clone may lack it). */
export function hasCommit(commit: string): boolean {
  try {
    execFileSync('git', ['-C', REPO_ROOT, 'cat-file', '-e', `${commit}^{commit}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Extracts `commit` into a temp folder and gives it this repository's node_modules, except that
 * `@gradpilot/sdk` is the old tree's own sdk/ (the server validates with the SDK's protocol
 * code, so sharing ours would make the old server new). Returns the folder and its remover.
 */
export function checkOut(commit: string): { root: string; remove: () => void } {
  const root = mkdtempSync(path.join(tmpdir(), `gradpilot-at-${commit}-`));
  execSync(`git -C '${REPO_ROOT}' archive --format=tar ${commit} | tar -x -C '${root}'`, { stdio: ['ignore', 'ignore', 'pipe'] });
  const modules = path.join(root, 'node_modules');
  mkdirSync(modules);
  for (const name of readdirSync(path.join(REPO_ROOT, 'node_modules'))) {
    if (name === '@gradpilot') continue;
    symlinkSync(path.join(REPO_ROOT, 'node_modules', name), path.join(modules, name));
  }
  mkdirSync(path.join(modules, '@gradpilot'));
  symlinkSync(path.join(root, 'sdk'), path.join(modules, '@gradpilot', 'sdk'));
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
