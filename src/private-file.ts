import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Writes `data` to a fresh temporary file beside `path` with `mode`, fsynced; returns its path. */
async function writeTemp(path: string, data: string | Buffer, mode: number): Promise<string> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  const fh = await open(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode); // the umask may have changed the create mode
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  return tmp;
}

/** Makes directory entries durable: after a rename or a file's creation, fsync its directory too. */
export async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes a small file atomically with `mode` (0600 for keys and credentials): a fresh
 * temporary file, fsync, then rename over `path`. A crash leaves the old file or the new.
 */
export async function writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = await writeTemp(path, data, mode);
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dirname(path));
}

/**
 * Creates a new file the same way, but never replaces one: the temporary file is hard-linked
 * to `path`, which fails with EEXIST if `path` exists. `path` never holds half the data.
 */
export async function createFileAtomic(path: string, data: string | Buffer, mode: number): Promise<void> {
  const tmp = await writeTemp(path, data, mode);
  try {
    await link(tmp, path);
  } finally {
    await unlink(tmp);
  }
  await syncDirectory(dirname(path));
}
