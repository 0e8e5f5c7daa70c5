import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import type { MetaStore, UserRecord } from '../store/meta/types.js';
import { writeFileAtomic } from '../private-file.js';

const ACCESS_KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export const ROOT_USER = 'root';
export const ROOT_CREDENTIALS_FILE = 'root-credentials';

/** A new access key id (20 characters, like Amazon's) and secret (40 characters). */
export function generateCredentials(): { accessKeyId: string; secretAccessKey: string } {
  let accessKeyId = 'SB';
  while (accessKeyId.length < 20) accessKeyId += ACCESS_KEY_ALPHABET[randomInt(ACCESS_KEY_ALPHABET.length)];
  const secretAccessKey = randomBytes(30).toString('base64').replace(/\+/g, 'x').replace(/\//g, 'y');
  return { accessKeyId, secretAccessKey };
}

/** The file (mode 0600) holding the root credentials as shell assignments. */
export const rootCredentialsPath = (dataDir: string) => join(dataDir, ROOT_CREDENTIALS_FILE);


/**
 * Makes sure the root user exists. Credentials from the environment win and replace the
 * stored ones; otherwise the stored root is kept, and on first start a random one is made
 * and saved (0600) in the data directory. `created` tells the caller to print them once.
 */
export async function ensureRootUser(
  meta: MetaStore,
  dataDir: string,
  fromEnv: { accessKeyId: string; secretAccessKey: string } | undefined,
  now: Date,
): Promise<{ user: UserRecord; created: boolean }> {
  const existing = await meta.getUser(ROOT_USER);
  if (fromEnv !== undefined) {
    const user: UserRecord = { name: ROOT_USER, ...fromEnv, isRoot: true, createdAt: existing?.createdAt ?? now };
    if (existing?.accessKeyId !== user.accessKeyId || existing.secretAccessKey !== user.secretAccessKey) await meta.upsertUser(user);
    return { user, created: false };
  }
  if (existing !== undefined) return { user: existing, created: false };
  const user: UserRecord = { name: ROOT_USER, ...generateCredentials(), isRoot: true, createdAt: now };
  await meta.addUser(user);
  await writeFileAtomic(
    rootCredentialsPath(dataDir),
    `AWS_ACCESS_KEY_ID=${user.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${user.secretAccessKey}\n`,
    0o600,
  );
  return { user, created: true };
}
