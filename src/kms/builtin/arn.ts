/**
 * KMS key references as AWS KMS accepts them: a key id (UUID), a key ARN, an alias name
 * (`alias/x`) or an alias ARN. Parsing is pure; the messages are the ones AWS KMS sends (and
 * S3 passes on as `KMS.NotFoundException`, ../shared/spec/aws-sse.md §5.3).
 */
import { KmsError } from '../types.js';

export const ALIAS_PREFIX = 'alias/';
/** Aliases under this prefix belong to AWS-managed keys; customers cannot create or change them. */
export const AWS_ALIAS_PREFIX = 'alias/aws/';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** arn:<partition>:kms:<region>:<account>:<resource> */
const ARN = /^arn:([^:]+):kms:([^:]*):([^:]*):(.*)$/;

/** Where the KMS lives: every ARN it accepts and shows names this region and account. */
export interface KmsScope {
  readonly region: string;
  readonly accountId: string;
}

export type KeyRef =
  | { readonly kind: 'key'; readonly keyId: string }
  | { readonly kind: 'alias'; readonly name: string };

export const keyArnOf = (scope: KmsScope, keyId: string): string => `arn:aws:kms:${scope.region}:${scope.accountId}:key/${keyId}`;
export const aliasArnOf = (scope: KmsScope, name: string): string => `arn:aws:kms:${scope.region}:${scope.accountId}:${name}`;

export const isKeyId = (s: string): boolean => UUID.test(s);

export const invalidKeyId = (ref: string): KmsError => new KmsError('NotFoundException', `Invalid keyId '${ref}'`);
export const keyDoesNotExist = (arn: string): KmsError => new KmsError('NotFoundException', `Key '${arn}' does not exist`);
export const aliasNotFound = (aliasArn: string): KmsError => new KmsError('NotFoundException', `Alias ${aliasArn} is not found.`);

/**
 * Parses a reference. Throws NotFoundException as AWS does: `Invalid keyId '…'` for something
 * that is no id, ARN or alias; `Invalid arn <region>` for an ARN of another region; `Key '…'
 * does not exist` / `Alias … is not found.` for an ARN of another account (whose keys this
 * KMS cannot have).
 */
export function parseKeyRef(scope: KmsScope, ref: string): KeyRef {
  if (ref.startsWith(ALIAS_PREFIX)) return { kind: 'alias', name: ref };
  if (isKeyId(ref)) return { kind: 'key', keyId: ref };
  const m = ARN.exec(ref);
  if (m === null) throw invalidKeyId(ref);
  const [, , region = '', account = '', resource = ''] = m;
  if (resource.startsWith('key/')) {
    const keyId = resource.slice('key/'.length);
    if (!isKeyId(keyId)) throw invalidKeyId(ref);
    if (region !== scope.region) throw new KmsError('NotFoundException', `Invalid arn ${region}`);
    if (account !== scope.accountId) throw keyDoesNotExist(ref);
    return { kind: 'key', keyId };
  }
  if (resource.startsWith(ALIAS_PREFIX)) {
    if (region !== scope.region) throw new KmsError('NotFoundException', `Invalid arn ${region}`);
    if (account !== scope.accountId) throw aliasNotFound(ref);
    return { kind: 'alias', name: resource };
  }
  throw invalidKeyId(ref);
}
