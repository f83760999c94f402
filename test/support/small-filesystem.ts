// A small file system of its own (tmpfs) for the disk-full and read-only tests, so that
// SQLite meets a real ENOSPC / EROFS rather than an injected error. Mounting needs root (or
// CAP_SYS_ADMIN); where it is not allowed, `mountSmallFilesystem` says why and the tests that
// need it are skipped with that reason.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface SmallFilesystem {
  dir: string;
  /** Bytes free right now. */
  free(): number;
  /** Writes `name` until the file system is full (ENOSPC); returns its size. */
  fill(name: string): number;
  /** Mounts it read-only (or back to read-write). */
  remount(readOnly: boolean): void;
  unmount(): void;
}

function run(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) return r.error.message;
  return r.status === 0 ? null : (r.stderr || r.stdout || `exit ${r.status}`).trim();
}

/** A tmpfs of `bytes` bytes in a fresh temp folder, or the reason it cannot be mounted here. */
export function mountSmallFilesystem(bytes: number): SmallFilesystem | string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gradpilot-smallfs-'));
  const problem = run('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0777`, 'gradpilot-test', dir]);
  if (problem !== null) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a small tmpfs here (needs root): ${problem}`;
  }
  return {
    dir,
    free() {
      const s = statfsSync(dir);
      return s.bavail * s.bsize;
    },
    fill(name) {
      const fd = openSync(path.join(dir, name), 'w');
      const chunk = Buffer.alloc(64 * 1024, 0x5a);
      let written = 0;
      try {
        for (;;) written += writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
      // tmpfs pages are 4 KiB: the last partial chunk leaves less than a page.
      try {
        for (;;) written += writeSync(fd, chunk, 0, 512);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
      closeSync(fd);
      return written;
    },
    remount(readOnly) {
      const p = run('mount', ['-o', `remount,${readOnly ? 'ro' : 'rw'}`, dir]);
      if (p !== null) throw new Error(`cannot remount ${dir}: ${p}`);
    },
    unmount() {
      run('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
