/**
 * A small tmpfs for full-disk tests (mounting needs root). Under CI=true a mount that fails
 * is a failure (CI runs as root, see .ci/run); elsewhere the test is skipped with the reason.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync, openSync, writeSync, closeSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Mounts a tmpfs of `sizeMiB`; returns its path and an unmount function, or the reason it could not. */
export function mountTmpfs(sizeMiB: number): { dir: string; unmount: () => void } | { skip: string } {
  const dir = mkdtempSync(join(tmpdir(), 'strongbox-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmdirSync(dir);
    const reason = `cannot mount a tmpfs (needs root): ${(err as Error).message.split('\n')[0] ?? ''}`;
    if (process.env['CI'] === 'true') throw new Error(`${reason} (CI=true: a full-disk test must not be skipped)`);
    return { skip: reason };
  }
  return {
    dir,
    unmount: () => {
      execFileSync('umount', [dir], { stdio: 'pipe' });
      rmdirSync(dir);
    },
  };
}

/** Bytes an unprivileged writer may still use on the volume of `dir`. */
export function bytesFree(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/**
 * Appends to `file` until the volume is full to the last byte (ENOSPC at a one-byte write).
 * Returns the bytes written.
 */
export function fillToZero(file: string): number {
  const fd = openSync(file, 'a');
  let written = 0;
  try {
    for (const size of [1024 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size, 0x5a);
      for (;;) {
        try {
          written += writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}
