/**
 * The encryption modes of `npm run bench`: what each sends on a write and a read, and the
 * response headers that prove the server applied it, so that a server ignoring the request
 * headers (storing plaintext) cannot look fast.
 *
 *   SSE-C     the customer key triple on every request; the answer echoes algorithm and key MD5
 *   SSE-S3    `x-amz-server-side-encryption: AES256` on the write; every answer says AES256
 *   SSE-KMS   `aws:kms` without a key id (the AWS-managed `aws/s3` key, created on first use);
 *             every answer says aws:kms and names the key by an `arn:aws:kms:` ARN
 *   DSSE-KMS  the same with `aws:kms:dsse`
 *
 * Reads of SSE-S3 and KMS objects carry no SSE header: Amazon refuses one on GET and HEAD
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Server-side encryption").
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Response } from './client.js';

export type SseMode = 'sse-c' | 'sse-s3' | 'sse-kms' | 'dsse-kms';

export interface ModeSpec {
  /** As the report names it. */
  label: string;
  /** Prefix of the mode's case names and object keys (`ssekms-put-64MiB`, `ssekms/big/…`). */
  prefix: string;
  /** Headers of a PUT. */
  write: Readonly<Record<string, string>>;
  /** Headers of a GET or HEAD. */
  read: Readonly<Record<string, string>> | undefined;
  /** Throws unless the response shows the object is (being) stored under this mode. */
  expect: (res: Response, what: string) => void;
}

const SSE = 'x-amz-server-side-encryption';
const KMS_KEY_ID = `${SSE}-aws-kms-key-id`;
const CUSTOMER = `${SSE}-customer`;
const COPY_SOURCE_CUSTOMER = 'x-amz-copy-source-server-side-encryption-customer';

// ---------------------------------------------------------------------------------------------
// SSE-C: two customer keys, so that rotation (bench/sse.ts) can re-key A→B→A…

export type KeyIndex = 0 | 1;

const KEYS: readonly [Buffer, Buffer] = [randomBytes(32), randomBytes(32)];
const md5Base64 = (b: Buffer): string => createHash('md5').update(b).digest('base64');

function triple(prefix: string, k: KeyIndex): Readonly<Record<string, string>> {
  return Object.freeze({
    [`${prefix}-algorithm`]: 'AES256',
    [`${prefix}-key`]: KEYS[k].toString('base64'),
    [`${prefix}-key-md5`]: md5Base64(KEYS[k]),
  });
}

/** The SSE-C headers of customer key `k`, for the object written or read. */
export const KEY_HEADERS = [triple(CUSTOMER, 0), triple(CUSTOMER, 1)] as const;
/** The same key as the source of a CopyObject. */
export const COPY_SOURCE_HEADERS = [triple(COPY_SOURCE_CUSTOMER, 0), triple(COPY_SOURCE_CUSTOMER, 1)] as const;

/** Throws unless the response says it was served under customer key `k`. */
export function expectSseC(res: Response, k: KeyIndex, what: string): void {
  const alg = res.headers[`${CUSTOMER}-algorithm`];
  const md5 = res.headers[`${CUSTOMER}-key-md5`];
  if (alg !== 'AES256' || md5 !== md5Base64(KEYS[k])) {
    throw new Error(`${what}: response lacks the SSE-C headers of the key used (algorithm ${String(alg)}, key MD5 ${String(md5)})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Server-managed keys

/** Throws unless the response says `x-amz-server-side-encryption: <alg>` (and, for KMS, names a KMS key ARN). */
function expectServerSide(res: Response, alg: string, kms: boolean, what: string): void {
  const got = res.headers[SSE];
  if (got !== alg) throw new Error(`${what}: response says ${SSE}: ${String(got)}, not ${alg}`);
  if (!kms) return;
  const keyId = res.headers[KMS_KEY_ID];
  if (typeof keyId !== 'string' || !keyId.startsWith('arn:aws:kms:')) {
    throw new Error(`${what}: response lacks a KMS key ARN (${KMS_KEY_ID}: ${String(keyId)})`);
  }
}

function serverSide(label: string, prefix: string, alg: string, kms: boolean): ModeSpec {
  return {
    label,
    prefix,
    write: Object.freeze({ [SSE]: alg }),
    read: undefined,
    expect: (res, what) => expectServerSide(res, alg, kms, what),
  };
}

export const SSE_MODES: Readonly<Record<SseMode, ModeSpec>> = Object.freeze({
  'sse-c': { label: 'SSE-C', prefix: 'ssec', write: KEY_HEADERS[0], read: KEY_HEADERS[0], expect: (res, what) => expectSseC(res, 0, what) },
  'sse-s3': serverSide('SSE-S3', 'sses3', 'AES256', false),
  'sse-kms': serverSide('SSE-KMS', 'ssekms', 'aws:kms', true),
  'dsse-kms': serverSide('DSSE-KMS', 'dssekms', 'aws:kms:dsse', true),
});

/**
 * Throws if a plain (header-less) write or read came back encrypted: the plain cases are the
 * yardstick of the encrypted ones, so Strongbox must store them as plaintext
 * (`--default-encryption none`, see bench/run.ts).
 */
export function expectPlain(res: Response, what: string): void {
  const got = res.headers[SSE];
  if (got !== undefined) throw new Error(`${what}: a plain request came back with ${SSE}: ${String(got)} (the server encrypts by default)`);
}
