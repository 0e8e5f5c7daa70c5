/**
 * Where `strongbox rotate` moves objects: under a new SSE-C key, or to SSE-KMS (`kms:KEYID`).
 * Each target knows the request parameters that write it and how to recognise an object that
 * is already under it.
 */
import { ServerSideEncryption, type CopyObjectCommandInput } from '@aws-sdk/client-s3';
import { usageError } from '../client-error.js';
import { sseCParams, type CustomerKey } from '../customer-key.js';

export type RotationTarget =
  | { readonly kind: 'sse-c'; readonly key: CustomerKey }
  /** `keyId` as given: a key id, a key ARN, `alias/NAME` or an alias ARN. */
  | { readonly kind: 'kms'; readonly keyId: string };

/** The `--to` prefix that asks for SSE-KMS instead of a new SSE-C key. */
export const KMS_TARGET_PREFIX = 'kms:';

/** The KMS key id of a `--to kms:KEYID` value; undefined when the value is a KEYREF. */
export function kmsKeyIdOf(to: string): string | undefined {
  if (!to.startsWith(KMS_TARGET_PREFIX)) return undefined;
  const id = to.slice(KMS_TARGET_PREFIX.length);
  if (id === '') throw usageError('--to kms: needs a KMS key id, key ARN or alias (kms:alias/NAME)');
  return id;
}

/** "B (ab12-cd34-ef56-7890)" or "SSE-KMS alias/x": how reports name the target. */
export function describeTarget(t: RotationTarget): string {
  return t.kind === 'sse-c' ? `${t.key.label} (${t.key.short})` : `SSE-KMS ${t.keyId}`;
}

/** Identifies the target in a journal: the key's short fingerprint, or `kms:KEYID`. */
export function targetId(t: RotationTarget): string {
  return t.kind === 'sse-c' ? t.key.short : `${KMS_TARGET_PREFIX}${t.keyId}`;
}

export type TargetParams = Pick<CopyObjectCommandInput, 'SSECustomerAlgorithm' | 'SSECustomerKey' | 'SSECustomerKeyMD5' | 'ServerSideEncryption' | 'SSEKMSKeyId'>;

/** Encryption parameters of the rewrite: CopyObject's destination and CreateMultipartUpload. */
export function writeParams(t: RotationTarget): TargetParams {
  if (t.kind === 'sse-c') return sseCParams(t.key);
  return { ServerSideEncryption: ServerSideEncryption.aws_kms, SSEKMSKeyId: t.keyId };
}

/**
 * Parameters of UploadPartCopy and CompleteMultipartUpload: the SSE-C key again (every request
 * of an SSE-C upload carries it), nothing for SSE-KMS (set once, at CreateMultipartUpload).
 */
export function partParams(t: RotationTarget): TargetParams {
  return t.kind === 'sse-c' ? sseCParams(t.key) : {};
}

/**
 * Whether an SSE-KMS object's key (HEAD answers with the key ARN) is the target's. A key id or
 * ARN is compared directly; an alias cannot be resolved without the KMS API, so it matches the
 * ARNs that S3 reported for the objects this rotation wrote (`known`).
 */
export function isKmsTargetKey(t: RotationTarget, headKeyId: string | undefined, known: ReadonlySet<string>): boolean {
  if (t.kind !== 'kms' || headKeyId === undefined) return false;
  return headKeyId === t.keyId || headKeyId.endsWith(`:key/${t.keyId}`) || known.has(headKeyId);
}
