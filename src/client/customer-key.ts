/**
 * SSE-C keys as the client commands hold them: the key, the name the user gave it (its KEYREF,
 * shown in reports), its fingerprints, and the request parameters that send it.
 */
import { fingerprintOf } from '../keys/fingerprint.js';

export interface CustomerKey {
  /** The KEYREF as typed (keyring name, @file or env:VAR): never the key itself. */
  readonly label: string;
  readonly key: Buffer;
  /** base64 MD5, as S3 echoes in x-amz-server-side-encryption-customer-key-MD5. */
  readonly md5: string;
  /** The short SHA-256 fingerprint (`ab12-cd34-ef56-7890`) of `strongbox key fingerprint`. */
  readonly short: string;
}

export function customerKey(label: string, key: Buffer): CustomerKey {
  const fp = fingerprintOf(key);
  return { label, key, md5: fp.md5, short: fp.short };
}

/** Wipes the keys' bytes once a command is done with them. */
export function wipeKeys(keys: readonly CustomerKey[]): void {
  for (const k of keys) k.key.fill(0);
}

/** SSE-C parameters of PutObject, GetObject, HeadObject, CreateMultipartUpload, UploadPart, CopyObject's destination. */
export function sseCParams(k: CustomerKey | undefined): {
  SSECustomerAlgorithm?: string;
  SSECustomerKey?: string;
  SSECustomerKeyMD5?: string;
} {
  if (k === undefined) return {};
  return { SSECustomerAlgorithm: 'AES256', SSECustomerKey: k.key.toString('base64'), SSECustomerKeyMD5: k.md5 };
}

/** SSE-C parameters for the source of CopyObject and UploadPartCopy. */
export function copySourceSseCParams(k: CustomerKey | undefined): {
  CopySourceSSECustomerAlgorithm?: string;
  CopySourceSSECustomerKey?: string;
  CopySourceSSECustomerKeyMD5?: string;
} {
  if (k === undefined) return {};
  return { CopySourceSSECustomerAlgorithm: 'AES256', CopySourceSSECustomerKey: k.key.toString('base64'), CopySourceSSECustomerKeyMD5: k.md5 };
}
