/**
 * Response shapes of the AWS KMS API built from our keys. Timestamps are epoch seconds
 * (numbers), as the awsJson1_1 protocol sends them.
 */
import type { KmsAliasRecord } from '../../store/meta/types.js';
import type { JsonObject } from '../types.js';
import { aliasArnOf } from '../builtin/arn.js';
import type { KmsKey } from '../builtin/key-record.js';
import type { BuiltinKms } from '../builtin/kms.js';

export const SYMMETRIC_DEFAULT = 'SYMMETRIC_DEFAULT';

export const epochSeconds = (d: Date): number => d.getTime() / 1000;

/** DescribeKey's KeyMetadata (CreateKey returns the same). */
export function keyMetadata(kms: BuiltinKms, key: KmsKey): JsonObject {
  const current = key.materials.at(-1);
  return {
    AWSAccountId: kms.scope.accountId,
    KeyId: key.keyId,
    Arn: kms.arn(key.keyId),
    CreationDate: epochSeconds(key.createdAt),
    Enabled: key.state === 'Enabled',
    Description: key.description,
    KeyUsage: 'ENCRYPT_DECRYPT',
    KeyState: key.state,
    ...(key.deletionDate === undefined ? {} : { DeletionDate: epochSeconds(key.deletionDate) }),
    Origin: 'AWS_KMS',
    KeyManager: key.manager,
    CustomerMasterKeySpec: SYMMETRIC_DEFAULT,
    KeySpec: SYMMETRIC_DEFAULT,
    EncryptionAlgorithms: [SYMMETRIC_DEFAULT],
    MultiRegion: false,
    ...(key.pendingWindowInDays === undefined ? {} : { PendingDeletionWindowInDays: key.pendingWindowInDays }),
    ...(current === undefined ? {} : { CurrentKeyMaterialId: current.id }),
  };
}

/**
 * One ListAliases entry. The store keeps no update time, so LastUpdatedDate shows the
 * creation time (README: compatibility notes).
 */
export function aliasEntry(kms: BuiltinKms, a: KmsAliasRecord): JsonObject {
  return {
    AliasName: a.name,
    AliasArn: aliasArnOf(kms.scope, a.name),
    TargetKeyId: a.keyId,
    CreationDate: epochSeconds(a.createdAt),
    LastUpdatedDate: epochSeconds(a.createdAt),
  };
}

/**
 * A page of `items` after `marker` (the id of the last item of the previous page). Markers
 * are opaque to clients; an unknown one is InvalidMarkerException.
 */
export function page<T>(items: readonly T[], idOf: (t: T) => string, limit: number, marker: string | undefined): { items: T[]; next: string | undefined } | undefined {
  let start = 0;
  if (marker !== undefined) {
    const i = items.findIndex((t) => idOf(t) === marker);
    if (i === -1) return undefined;
    start = i + 1;
  }
  const slice = items.slice(start, start + limit);
  const last = slice.at(-1);
  const next = start + limit < items.length && last !== undefined ? idOf(last) : undefined;
  return { items: slice, next };
}
