import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, open, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { KeyError } from './key-error.js';

/**
 * Writes key material to a new file, mode 0600: a temporary file is written and fsynced, then
 * hard-linked to `path`, which fails if `path` exists. So an existing file is never
 * overwritten, and `path` never holds a half-written key.
 */
export async function writeNewSecretFile(path: string, data: Buffer | string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  const fh = await open(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  try {
    try {
      await fh.writeFile(data);
      await fh.chmod(0o600);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await link(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new KeyError('STRONGBOX_KEYREF_INVALID', `${path} already exists: refusing to overwrite it`);
      throw err;
    }
  } finally {
    await unlink(tmp);
  }
}
