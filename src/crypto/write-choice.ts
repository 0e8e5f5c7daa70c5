/**
 * Which encryption a write gets (../shared/spec/aws-sse.md §2.3, §4, §5.1, §6): from the
 * request's SSE headers, else from the bucket's default. Only headers are judged here; key
 * material is built by encryption.ts.
 */
import {
  invalidArgument,
  kmsKeyWithoutKms,
} from '../server/s3-error.js';
import type { EncryptionContext } from '../kms/types.js';
import { SSE_HEADER, customerKeyFrom, one, type CustomerKey } from './sse-c.js';
import type { SseRequest } from './encryption.js';

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

/** The encryption a write asks for (the customer key, if any, is the caller's to wipe). */
export function chooseWriteEncryption(req: SseRequest): WriteChoice {
  const customer = customerKeyFrom(req.headers, 'object', { secure: req.secure || req.config.allowInsecureSseC, forRead: false });
  if (customer !== undefined) return { kind: 'sse-c', customer };
  const sse = one(req.headers[SSE_HEADER]);
  const keyId = one(req.headers[KMS_KEY_ID_HEADER]);
  if (sse === 'aws:kms' || sse === 'aws:kms:dsse') {
    const contextHeader = one(req.headers[KMS_CONTEXT_HEADER]);
    return {
      kind: 'kms',
      dsse: sse === 'aws:kms:dsse',
      keyId: keyId === '' ? undefined : keyId,
      context: contextFrom(contextHeader),
      contextSent: contextHeader !== undefined,
      bucketKeyEnabled: one(req.headers[BUCKET_KEY_HEADER])?.toLowerCase() === 'true' && sse === 'aws:kms',
    };
  }
  if (keyId !== undefined) throw kmsKeyWithoutKms();
  if (sse === undefined) {
    if (req.headers[KMS_CONTEXT_HEADER] !== undefined) throw kmsKeyWithoutKms();
    return { kind: 'none' };
  }
  if (sse !== 'AES256') throw invalidArgument('The encryption method specified is not supported', SSE_HEADER, sse);
  return { kind: 'sse-s3' };
}
