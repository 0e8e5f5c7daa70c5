import { createFileAtomic } from '../private-file.js';
import { KeyError } from './key-error.js';

/** Writes key material (a key, a share) to a new file, mode 0600; an existing file is never overwritten. */
export async function writeNewSecretFile(path: string, data: Buffer | string): Promise<void> {
  try {
    await createFileAtomic(path, data, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new KeyError('STRONGBOX_KEYREF_INVALID', `${path} already exists: refusing to overwrite it`);
    throw err;
  }
}
