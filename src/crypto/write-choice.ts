/**
 * Which encryption a write gets (../shared/spec/aws-sse.md §2.3, §3, §4, §5.1, §6): from the
 * request's SSE headers, else from the bucket's default, else SSE-S3 (Amazon's default since
 * 2023) unless the server runs with `--default-encryption none`. Only headers and the bucket
 * record are judged here; key material is built by encryption.ts.
 */
import {
  accessDenied,
  invalidArgument,
  kmsKeyWithoutKms,
} from '../errors/s3-error.js';
import type { EncryptionContext } from '../kms/types.js';
import type { BucketEncryptionConfig, BucketRecord } from '../store/meta/types.js';
import { SSE_HEADER, customerKeyFrom, hasTriple, one, type CustomerKey } from './sse-c.js';
import type { SseRequest } from './types.js';

export const KMS_KEY_ID_HEADER = `${SSE_HEADER}-aws-kms-key-id`;
export const KMS_CONTEXT_HEADER = `${SSE_HEADER}-context`;
export const BUCKET_KEY_HEADER = `${SSE_HEADER}-bucket-key-enabled`;

export type WriteChoice =
  | { readonly kind: 'sse-c'; readonly customer: CustomerKey }
  | { readonly kind: 'sse-s3' }
  | {
      readonly kind: 'kms';
      /** aws:kms:dsse: two independent layers. */
      readonly dsse: boolean;
      /** As sent or configured (id, ARN, alias); undefined: the aws/s3 key. */
      readonly keyId: string | undefined;
      /** The client's context (without aws:s3:arn, which the encryption adds). */
      readonly context: EncryptionContext;
      /** Whether the client sent the context header (Put, Copy and CreateMPU echo it). */
      readonly contextSent: boolean;
      readonly bucketKeyEnabled: boolean;
    }
  | { readonly kind: 'none' };

const CONTEXT_MESSAGE =
  "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map";

/** The client's encryption context header: base64 of a JSON object of strings. */
function contextFrom(value: string | undefined): EncryptionContext {
  if (value === undefined) return {};
  let parsed: unknown;
  try {
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value)) throw new Error('not base64');
    parsed = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    throw invalidArgument(CONTEXT_MESSAGE, KMS_CONTEXT_HEADER, value);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw invalidArgument(CONTEXT_MESSAGE, KMS_CONTEXT_HEADER, value);
  }
  return parsed as EncryptionContext;
}

const isKms = (alg: string | undefined): alg is 'aws:kms' | 'aws:kms:dsse' => alg === 'aws:kms' || alg === 'aws:kms:dsse';

/** Whether the bucket refuses writes with SSE-C keys (BlockedEncryptionTypes, §3). */
export const blocksSseC = (bucket: BucketRecord): boolean =>
  bucket.encryption?.blockedEncryptionTypes.includes('SSE-C') === true;

/**
 * A write carrying SSE-C headers for the object it writes (PutObject, CopyObject's destination,
 * CreateMultipartUpload, UploadPart, UploadPartCopy) into a bucket that blocks SSE-C: 403
 * AccessDenied, decided before the key is looked at, so even a malformed triple gets it (§3).
 * Copy-source keys are reads and stay allowed.
 */
export function refuseBlockedSseC(req: Pick<SseRequest, 'headers' | 'bucket'>): void {
  if (blocksSseC(req.bucket) && hasTriple(req.headers, 'object')) throw accessDenied();
}

/**
 * The bucket's default for a write without SSE headers (§6 Precedence): its configuration if
 * PutBucketEncryption set one; otherwise the server's default, SSE-S3 unless started with
 * `--default-encryption none`. (A creation default from --block-sse-c-on-new-buckets is not
 * an explicit configuration: it only blocks SSE-C.)
 */
function bucketDefault(req: SseRequest): BucketEncryptionConfig['sseAlgorithm'] | 'none' {
  const cfg = req.bucket.encryption;
  if (cfg?.explicit === true) return cfg.sseAlgorithm;
  return req.config.defaultEncryption === 'none' ? 'none' : 'AES256';
}

/**
 * The encryption a write asks for (the customer key, if any, is the caller's to wipe). Request
 * headers win over the bucket default; CopyObject and CreateMultipartUpload use the same rule,
 * with the destination's bucket: a copy never inherits its source's encryption (§8.1).
 */
export function chooseWriteEncryption(req: SseRequest): WriteChoice {
  refuseBlockedSseC(req);
  const customer = customerKeyFrom(req.headers, 'object', { secure: req.secure || req.config.allowInsecureSseC, forRead: false });
  if (customer !== undefined) return { kind: 'sse-c', customer };
  const sse = one(req.headers[SSE_HEADER]);
  const keyId = one(req.headers[KMS_KEY_ID_HEADER]);
  const fallback = bucketDefault(req);
  if (isKms(sse) || (sse === undefined && keyId === undefined && isKms(fallback))) {
    const alg = sse ?? fallback;
    const cfg = req.bucket.encryption;
    const contextHeader = one(req.headers[KMS_CONTEXT_HEADER]);
    const bucketKeyHeader = one(req.headers[BUCKET_KEY_HEADER]);
    // The header overrides; otherwise the bucket rule's BucketKeyEnabled applies to aws:kms.
    // Bucket Keys are never applied with DSSE (§5.1).
    const bucketKey = bucketKeyHeader !== undefined ? bucketKeyHeader.toLowerCase() === 'true' : cfg?.explicit === true && cfg.bucketKeyEnabled;
    return {
      kind: 'kms',
      dsse: alg === 'aws:kms:dsse',
      // Without a key id: the bucket default's key if the default is KMS, else aws/s3 (§5.1).
      keyId: keyId === undefined || keyId === '' ? (isKms(fallback) ? cfg?.kmsMasterKeyId : undefined) : keyId,
      context: contextFrom(contextHeader),
      contextSent: contextHeader !== undefined,
      bucketKeyEnabled: bucketKey && alg === 'aws:kms',
    };
  }
  if (keyId !== undefined) throw kmsKeyWithoutKms();
  if (sse === undefined) {
    if (req.headers[KMS_CONTEXT_HEADER] !== undefined) throw kmsKeyWithoutKms();
    return fallback === 'none' ? { kind: 'none' } : { kind: 'sse-s3' };
  }
  if (sse !== 'AES256') throw invalidArgument('The encryption method specified is not supported', SSE_HEADER, sse);
  return { kind: 'sse-s3' };
}
