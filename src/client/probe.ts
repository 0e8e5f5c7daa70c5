/**
 * How an object is protected, and which of the user's SSE-C keys opens it, found with HEAD
 * requests only: the answers are Amazon's (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerSideEncryptionCustomerKeys.html):
 * - HEAD without SSE-C headers: 200 with `x-amz-server-side-encryption` for SSE-S3, SSE-KMS and
 *   DSSE-KMS (none for plaintext), 400 for an SSE-C object (HEAD answers have no body);
 * - HEAD with an SSE-C key: 200 when it is the object's key, 403 when it is another key,
 *   400 when the object is not SSE-C.
 */
import { HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { ClientError, httpStatusOf, s3Error } from './client-error.js';
import { sseCParams, type CustomerKey } from './customer-key.js';

export type Protection =
  | { readonly kind: 'none' }
  | { readonly kind: 'sse-s3' }
  | { readonly kind: 'sse-kms' | 'dsse-kms'; readonly kmsKeyId: string | undefined }
  /** `opener` is the given key that opens it, undefined when none of them does. */
  | { readonly kind: 'sse-c'; readonly opener: CustomerKey | undefined };

export interface Probe {
  readonly protection: Protection;
  /** The HEAD answer that succeeded (without a key, or with the opener); undefined if none did. */
  readonly head: HeadObjectCommandOutput | undefined;
}

/** How a protection is shown in listings and reports: "SSE-C", "SSE-KMS alias/…", "none". */
export function describeProtection(p: Protection): string {
  switch (p.kind) {
    case 'none':
      return 'none';
    case 'sse-s3':
      return 'SSE-S3';
    case 'sse-kms':
      return p.kmsKeyId === undefined ? 'SSE-KMS' : `SSE-KMS ${p.kmsKeyId}`;
    case 'dsse-kms':
      return p.kmsKeyId === undefined ? 'DSSE-KMS' : `DSSE-KMS ${p.kmsKeyId}`;
    case 'sse-c':
      return 'SSE-C';
  }
}

function protectionOf(head: HeadObjectCommandOutput): Protection {
  if (head.SSECustomerAlgorithm !== undefined) return { kind: 'sse-c', opener: undefined };
  const sse = head.ServerSideEncryption;
  if (sse === 'AES256') return { kind: 'sse-s3' };
  if (sse === 'aws:kms') return { kind: 'sse-kms', kmsKeyId: head.SSEKMSKeyId };
  if (sse === 'aws:kms:dsse') return { kind: 'dsse-kms', kmsKeyId: head.SSEKMSKeyId };
  return { kind: 'none' };
}

export type KeyedHead = { readonly result: 'opens'; readonly head: HeadObjectCommandOutput } | { readonly result: 'wrong-key' | 'not-sse-c' };

/** HEAD with one SSE-C key: does this key open the object? (403 also answers a denied HEAD.) */
export async function headWithKey(client: S3Client, bucket: string, key: string, k: CustomerKey): Promise<KeyedHead> {
  try {
    return { result: 'opens', head: await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...sseCParams(k) })) };
  } catch (err) {
    const status = httpStatusOf(err);
    if (status === 403) return { result: 'wrong-key' };
    if (status === 400) return { result: 'not-sse-c' };
    throw s3Error(`HEAD s3://${bucket}/${key}`, err);
  }
}

/**
 * HEAD without a key: how a non-SSE-C object is protected; undefined for an SSE-C object
 * (which answers 400 to a HEAD without its key).
 */
export async function probeWithoutKey(client: S3Client, bucket: string, key: string): Promise<Probe | undefined> {
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { protection: protectionOf(head), head };
  } catch (err) {
    if (httpStatusOf(err) === 400) return undefined;
    throw s3Error(`HEAD s3://${bucket}/${key}`, err);
  }
}

/**
 * HEAD answered 400 both without a key (so the object is SSE-C) and with one (so it is not):
 * the server refuses the key itself, as Amazon and Strongbox do over plain HTTP.
 */
export const sseCRefused = (bucket: string, key: string): ClientError =>
  new ClientError(
    'STRONGBOX_CLIENT_S3',
    `HEAD s3://${bucket}/${key}: 400 with and without an SSE-C key: the server refuses the key (SSE-C needs HTTPS)`,
    400,
  );

/** How `key` is protected and, for SSE-C, which of `keys` opens it (tried in order). */
export async function probeObject(client: S3Client, bucket: string, key: string, keys: readonly CustomerKey[]): Promise<Probe> {
  const plain = await probeWithoutKey(client, bucket, key);
  if (plain !== undefined) return plain;
  for (const k of keys) {
    const r = await headWithKey(client, bucket, key, k);
    if (r.result === 'opens') return { protection: { kind: 'sse-c', opener: k }, head: r.head };
    if (r.result === 'not-sse-c') throw sseCRefused(bucket, key);
  }
  return { protection: { kind: 'sse-c', opener: undefined }, head: undefined };
}
