/**
 * Who may do what with a built-in KMS key: the one place the KMS decides it, for the KMS API
 * and for S3 alike. It stands in for AWS key policies, which Strongbox does not have yet; a
 * policy evaluator replaces `mayUse` later and keeps its inputs (key, caller, action, door).
 *
 * - A customer key's implied key policy lets its owner (the user who created it) and the root
 *   user do everything with it, and nobody else anything: no use, no management, no describing.
 *   Keys without a recorded owner are the root user's (key-record.ts).
 * - The AWS-managed aws/s3 key's policy, as on AWS, lets every principal use it through S3
 *   (`kms:ViaService`) and, through the KMS API, only describe and list it (`kms:Describe*`,
 *   `kms:Get*`, `kms:List*`): Encrypt, Decrypt or DisableKey on it are denied, root included.
 *
 * A denial is AccessDeniedException (400) with AWS's message for a principal that no key
 * policy allows, e.g. (same account, key policy without the user):
 * `User: arn:aws:iam::111122223333:user/bob is not authorized to perform: kms:Encrypt on
 * resource: arn:aws:kms:…:key/… because no resource-based policy allows the kms:Encrypt action`.
 * S3 answers it as 403 AccessDenied with the same message (src/server/error-response.ts).
 */
import { KmsError, type KmsCaller } from '../types.js';
import { type KmsScope, keyArnOf } from './arn.js';
import type { KmsKey } from './key-record.js';

/** Through which door a key is used: the KMS JSON API, or S3 for SSE-KMS and DSSE-KMS. */
export type KmsDoor = 'api' | 's3';

/** What an AWS-managed key's policy lets principals do through the KMS API. */
const AWS_MANAGED_API_ACTIONS: ReadonlySet<string> = new Set(['DescribeKey', 'GetKeyRotationStatus', 'ListKeyRotations', 'ListAliases']);

/** Whether `caller` may do `action` (`Encrypt`, `DisableKey` …, without `kms:`) on `key` through `door`. */
export function mayUse(key: KmsKey, caller: KmsCaller, action: string, door: KmsDoor): boolean {
  if (key.manager === 'AWS') return door === 's3' || AWS_MANAGED_API_ACTIONS.has(action);
  const user = caller.user;
  if (user === undefined) return false;
  return user.isRoot || (key.owner !== undefined && key.owner === user.name);
}

/** Whether `caller` sees `key` at all: in ListKeys, ListAliases, DescribeKey. */
export const mayDescribe = (key: KmsKey, caller: KmsCaller): boolean => mayUse(key, caller, 'DescribeKey', 'api');

/** Throws AccessDeniedException unless `caller` may do `action` on `key` through `door`. */
export function checkAccess(scope: KmsScope, key: KmsKey, caller: KmsCaller, action: string, door: KmsDoor): void {
  if (mayUse(key, caller, action, door)) return;
  throw new KmsError(
    'AccessDeniedException',
    `User: ${principalOf(scope, caller)} is not authorized to perform: kms:${action} on resource: ${keyArnOf(scope, key.keyId)} because no resource-based policy allows the kms:${action} action`,
  );
}

/** The owner a key created by `caller` records: its user's name. Anonymous callers create nothing. */
export function ownerOfNewKey(scope: KmsScope, caller: KmsCaller): string {
  if (caller.user !== undefined) return caller.user.name;
  throw new KmsError(
    'AccessDeniedException',
    `User: ${principalOf(scope, caller)} is not authorized to perform: kms:CreateKey on resource: * because no identity-based policy allows the kms:CreateKey action`,
  );
}

/** The IAM principal AWS names in AccessDenied messages: the account root, a user, or `anonymous`. */
export function principalOf(scope: KmsScope, caller: KmsCaller): string {
  const user = caller.user;
  if (user === undefined) return 'anonymous';
  return user.isRoot ? `arn:aws:iam::${scope.accountId}:root` : `arn:aws:iam::${scope.accountId}:user/${user.name}`;
}
