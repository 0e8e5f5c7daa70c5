/**
 * SSE-C request headers: the customer's key triple, validated in Amazon's order with Amazon's
 * errors (../shared/spec/aws-sse.md §2.3, §2.4). The key itself never leaves this module except
 * as a Buffer that the caller wipes; error messages never contain it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  insecureSseC,
  invalidArgument,
  invalidEncryptionAlgorithm,
  SSE_C_MESSAGES,
} from '../errors/s3-error.js';
import { KEY_SIZE } from './envelope.js';

export const SSE_HEADER = 'x-amz-server-side-encryption';
const PREFIX = { object: 'x-amz-server-side-encryption-customer-', copySource: 'x-amz-copy-source-server-side-encryption-customer-' } as const;
export type TripleKind = keyof typeof PREFIX;

/** A validated customer key. `wipe()` overwrites it; call it once the key is no longer needed. */
export interface CustomerKey {
  readonly key: Buffer;
  /** base64 MD5 of the raw key, as echoed in x-amz-server-side-encryption-customer-key-MD5. */
  readonly md5: string;
  wipe(): void;
}

interface Triple {
  readonly algorithm: string | undefined;
  readonly key: string | undefined;
  readonly md5: string | undefined;
}

/** A header's value, repeated headers joined as Node would. */
export const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(',') : v);

function tripleOf(headers: IncomingHttpHeaders, kind: TripleKind): Triple | undefined {
  const p = PREFIX[kind];
  const t = { algorithm: one(headers[`${p}algorithm`]), key: one(headers[`${p}key`]), md5: one(headers[`${p}key-md5`]) };
  return t.algorithm === undefined && t.key === undefined && t.md5 === undefined ? undefined : t;
}

/** Whether the request carries any header of this SSE-C triple. */
export const hasTriple = (headers: IncomingHttpHeaders, kind: TripleKind): boolean => tripleOf(headers, kind) !== undefined;

/** Strict standard base64 (Buffer.from is lenient and would accept a mangled key). */
function decodeBase64(s: string): Buffer | undefined {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}

/**
 * The customer key of a request, or undefined when it carries no such triple. `forRead`
 * selects the read-side rule that a key of the wrong length is a wrong key (403), since
 * Amazon compares it with the object's before checking its length (§2.4).
 */
export function customerKeyFrom(
  headers: IncomingHttpHeaders,
  kind: TripleKind,
  opts: { readonly secure: boolean; readonly forRead: boolean },
): CustomerKey | undefined {
  const t = tripleOf(headers, kind);
  if (t === undefined) return undefined;
  if (!opts.secure) throw insecureSseC();
  const sse = one(headers[SSE_HEADER]);
  if (kind === 'object' && !opts.forRead && sse !== undefined) throw invalidArgument(SSE_C_MESSAGES.conflict, SSE_HEADER, sse);
  if (t.algorithm !== undefined && t.algorithm !== 'AES256') throw invalidEncryptionAlgorithm(t.algorithm);
  if (t.algorithm === undefined) throw invalidArgument(SSE_C_MESSAGES.noAlgorithm, SSE_HEADER);
  if (t.key === undefined || t.key === '') throw invalidArgument(SSE_C_MESSAGES.noKey, SSE_HEADER);
  const key = decodeBase64(t.key.trim());
  if (key === undefined || (key.length !== KEY_SIZE && !opts.forRead)) {
    key?.fill(0);
    throw invalidArgument(SSE_C_MESSAGES.badKey, SSE_HEADER);
  }
  const md5 = createHash('md5').update(key).digest();
  const given = t.md5 === undefined ? undefined : decodeBase64(t.md5.trim());
  if (t.md5 === undefined) {
    key.fill(0);
    throw invalidArgument(SSE_C_MESSAGES.noMd5, SSE_HEADER);
  }
  if (given === undefined || given.length !== md5.length || !timingSafeEqual(given, md5)) {
    key.fill(0);
    throw invalidArgument(SSE_C_MESSAGES.badMd5, SSE_HEADER);
  }
  // A key of another length cannot open anything: the caller's unseal fails and answers 403.
  return { key, md5: md5.toString('base64'), wipe: () => key.fill(0) };
}

/** SSE-C response headers for a key. */
export const customerKeyHeaders = (md5: string): Record<string, string> => ({
  'x-amz-server-side-encryption-customer-algorithm': 'AES256',
  'x-amz-server-side-encryption-customer-key-md5': md5,
});
