/**
 * Opens the KMS the server uses: the built-in one (src/kms/builtin/), whose keys live in the
 * metadata store sealed under the root key, and which also serves the AWS KMS JSON API on the
 * S3 endpoint (src/kms/api/).
 */
import type { MetaStore } from '../store/meta/types.js';
import type { RootKeyring } from '../crypto/root-key.js';
import type { KmsApi } from './types.js';
import { BuiltinKms } from './builtin/kms.js';
import { ALIAS_PREFIX } from './builtin/arn.js';
import { runOperation } from './api/operations.js';

export { BuiltinKms } from './builtin/kms.js';

/**
 * The built-in KMS together with the AWS KMS JSON API it serves on the S3 endpoint. The API
 * (src/kms/api/) is built on the KMS (src/kms/builtin/), so the two are joined here, above
 * both, and the built-in KMS imports nothing from its API (docs/adr/0008-layers-and-imports.md).
 */
export class ServedKms extends BuiltinKms {
  readonly api: KmsApi = (operation, input, caller) => runOperation(this, operation, input, caller);
}

export interface KmsOptions {
  readonly meta: MetaStore;
  readonly rootKey: RootKeyring;
  readonly region: string;
  readonly accountId: string;
  readonly now: () => Date;
}

/** The built-in KMS (serving its API); keys whose deletion date has passed are deleted before it answers. */
export async function openKms(opts: KmsOptions): Promise<BuiltinKms> {
  const kms = new ServedKms(opts);
  await kms.keys.sweep();
  return kms;
}

/**
 * Makes sure a customer key exists behind `alias/<name>` (`serve --kms-alias`): creates the
 * key and the alias if the alias is missing, and leaves an existing alias alone. A key made
 * here belongs to the root user. Returns the key ARN and whether it was created.
 */
export async function ensureKmsAlias(kms: BuiltinKms, name: string): Promise<{ keyArn: string; created: boolean }> {
  const alias = `${ALIAS_PREFIX}${name}`;
  const existing = (await kms.keys.aliases()).find((a) => a.name === alias);
  if (existing !== undefined) return { keyArn: kms.arn(existing.keyId), created: false };
  const key = await kms.createKey(`Created by strongbox serve --kms-alias ${name}`);
  await kms.keys.linkAlias(alias, key.keyId);
  return { keyArn: kms.arn(key.keyId), created: true };
}
