/**
 * The seam between operations and the stores for encryption at rest. Operations ask for a
 * WriteEncryption when they store bytes and open a ReadableObject when they serve them; they
 * never look at SSE headers, keys or ciphers themselves.
 *
 * Every encrypted object follows the envelope of DESIGN.md: a random data key per object
 * version, each segment (part) encrypted in 64 KiB AES-256-GCM packages under a key derived
 * from the data key and the segment's salt, and only the data key sealed under a key that
 * depends on the mode. For SSE-C that key is derived from the customer's key, which is never
 * stored: a wrong key is recognised by the failed unseal. Whatever could reveal plaintext
 * (content headers, user metadata, checksums) is stored sealed under the data key.
 */
import type { Readable } from 'node:stream';
import type { BlobStore } from '../store/blob/types.js';
import type { EncryptionRecord, ObjectRecord, UploadRecord } from '../store/meta/types.js';
import {
  customerKeyMissing,
  encryptionNotApplicable,
  insecureSseKms,
  notImplemented,
  partEncryptionMismatch,
  partEncryptionMissing,
  wrongCustomerKey,
} from '../errors/s3-error.js';
import { newDataKey } from './envelope.js';
import { CustomerKeyed } from './customer-keyed.js';
import type { DataKeyed } from './data-keyed.js';
import { RootKeyed, SSE_S3_HEADERS } from './sse-s3.js';
import type { SseRequest, WriteEncryption } from './types.js';
import { readEncrypted, readPlain } from './read-segments.js';
import { KmsKeyed, isKmsMode, kmsResponseHeaders } from './sse-kms.js';
import { chooseWriteEncryption, refuseBlockedSseC } from './write-choice.js';
import { SSE_HEADER, customerKeyFrom, hasTriple, type CustomerKey, type TripleKind } from './sse-c.js';

export { DataCorruptionError } from './package-cipher.js';

export type { SegmentParams, SseRequest, WriteEncryption } from './types.js';

const identity = <T>(x: T): T => x;

const NONE: WriteEncryption = Object.freeze({
  record: Object.freeze({ mode: 'none' }),
  segmentParams: () => undefined,
  storedSize: (n: number) => n,
  encryptor: () => undefined,
  etagIsMd5: true,
  responseHeaders: () => ({}),
  opaqueEtag: () => {
    throw new Error('plain objects have MD5 ETags');
  },
  sealObject: identity,
  sealUpload: identity,
  sealPart: identity,
  openPart: identity,
  openUpload: identity,
  dispose: () => undefined,
});


const customerKeyOf = (req: SseRequest, kind: TripleKind, forRead: boolean): CustomerKey | undefined =>
  customerKeyFrom(req.headers, kind, { secure: req.secure || req.config.allowInsecureSseC, forRead });

/** Wipes the request's customer key before an error is thrown with it unused. */
function refuse(customer: CustomerKey | undefined, err: Error): Error {
  customer?.wipe();
  return err;
}

/** Encryption for a new object, upload or copy destination (§2.3, §4, §5, §6). */
export async function encryptionForWrite(req: SseRequest): Promise<WriteEncryption> {
  const choice = chooseWriteEncryption(req);
  switch (choice.kind) {
    case 'sse-c':
      return new CustomerKeyed(newDataKey(), choice.customer, req.bucketName, req.key);
    case 'sse-s3':
      return new RootKeyed(newDataKey(), req.rootKey, req.bucketName, req.key);
    case 'kms':
      requireSecureForKms(req);
      return KmsKeyed.create(req.kms, req.requester, choice, req.bucketName, req.key);
    case 'none':
      return NONE;
  }
}

/**
 * The encryption of a part (UploadPart, UploadPartCopy's destination, Complete): the upload's,
 * with the same customer key on every request (§2.6). `writesPart` (UploadPart, UploadPartCopy):
 * a bucket that blocks SSE-C refuses SSE-C headers (§3); Complete and ListParts pass false.
 */
export async function encryptionForPart(req: SseRequest, upload: UploadRecord, writesPart = true): Promise<WriteEncryption> {
  if (writesPart) refuseBlockedSseC(req);
  const customer = customerKeyOf(req, 'object', false);
  if (upload.encryption.mode !== 'sse-c') {
    if (customer !== undefined) throw refuse(customer, partEncryptionMissing());
    if (upload.encryption.mode === 'sse-s3') return RootKeyed.open(upload.encryption, req.rootKey, upload.bucket, upload.key);
    if (isKmsMode(upload.encryption.mode)) {
      requireSecureForKms(req);
      return KmsKeyed.open(req.kms, req.requester, upload.encryption);
    }
    return NONE;
  }
  if (customer === undefined) throw partEncryptionMissing();
  return CustomerKeyed.open(upload.encryption, customer, upload.bucket, upload.key) ?? throwError(refuse(customer, partEncryptionMismatch()));
}

/** The SSE headers of a CompleteMultipartUpload answer: SSE-S3's and KMS's, never SSE-C's (§2.5, §4, §5.2). */
export const completeResponseHeaders = (record: EncryptionRecord): Record<string, string> =>
  record.mode === 'sse-s3' ? { ...SSE_S3_HEADERS } : isKmsMode(record.mode) ? kmsResponseHeaders(record) : {};

/** Amazon serves KMS-encrypted objects only over TLS (§5.1); the insecure-SSE test switch lifts it. */
function requireSecureForKms(req: SseRequest): void {
  if (!req.secure && !req.config.allowInsecureSseC) throw insecureSseKms();
}

/** Runs `fn` with key material (an encryption, an opened object) that is wiped when it settles. */
export async function disposing<K extends { dispose(): void }, T>(keys: K, fn: (keys: K) => Promise<T>): Promise<T> {
  try {
    return await fn(keys);
  } finally {
    keys.dispose();
  }
}

const throwError = (err: Error): never => {
  throw err;
};

/**
 * Whether a copy onto itself changes its encryption attributes, which makes it legal without
 * other changes (§8.2): another mode, a destination SSE-C key, any SSE header (even AES256
 * again on an SSE-S3 object), or a bucket with an explicit default encryption configuration.
 */
export const copyChangesEncryption = (req: SseRequest, enc: WriteEncryption, source: EncryptionRecord): boolean =>
  enc.record.mode !== source.mode ||
  hasTriple(req.headers, 'object') ||
  req.headers[SSE_HEADER] !== undefined ||
  req.bucket.encryption?.explicit === true;

/** Whether the request carries the SSE-C triple for the object it writes (Complete, ListParts). */
export const hasCustomerKey = (req: SseRequest): boolean => hasTriple(req.headers, 'object');

/**
 * Whether objects or uploads with this record are keyed by the customer (SSE-C): Amazon gives
 * such multipart uploads no automatic checksum (../shared/spec/aws-sse.md §9.5).
 */
export const isCustomerKeyed = (record: EncryptionRecord): boolean => record.mode === 'sse-c';

/** Whether metadata and checksums of objects or uploads with this record are stored sealed. */
export const sealsMetadata = (record: EncryptionRecord): boolean => record.mode === 'sse-c' || isKmsMode(record.mode);

/** An object opened for reading: its plaintext view and how to read its bytes. */
export interface ReadableObject {
  /** The record with sealed fields opened (content headers, metadata, checksums). */
  readonly record: ObjectRecord;
  /** x-amz-server-side-encryption* headers for GET/HEAD. */
  responseHeaders(): Record<string, string>;
  /**
   * Plaintext bytes [start, end] (inclusive). The first package is decrypted before this
   * resolves, so damage there fails the request before any header is sent; damage found
   * later errors the stream. Blobs freed meanwhile stay for the reclaim grace period.
   */
  read(blobs: BlobStore, start: number, end: number): Promise<Readable | Buffer>;
  /**
   * For a copy onto itself: the destination encryption that keeps this object's stored
   * bytes (same data key, resealed for `dest`), or undefined when the data must be rewritten.
   */
  keepData(dest: WriteEncryption, req: SseRequest): WriteEncryption | undefined;
  /** Overwrites key material (read streams do it when they close). */
  dispose(): void;
}

/**
 * Opens an object for reading with the request's keys (`copySource`: the copy-source triple),
 * with Amazon's errors for a missing, wrong or inapplicable key (§2.4).
 */
export async function openObject(req: SseRequest, rec: ObjectRecord, kind: TripleKind): Promise<ReadableObject> {
  const customer = customerKeyOf(req, kind, true);
  // x-amz-server-side-encryption belongs to writes; on a read Amazon refuses it (§2.4), as it
  // refuses a customer key for an object that is not SSE-C.
  if (kind === 'object' && req.headers[SSE_HEADER] !== undefined) throw refuse(customer, encryptionNotApplicable());
  const mode = rec.encryption.mode;
  if (mode !== 'sse-c' && customer !== undefined) throw refuse(customer, encryptionNotApplicable());
  if (mode === 'none') return plainObject(rec);
  if (mode === 'sse-s3') return dataKeyedObject(RootKeyed.open(rec.encryption, req.rootKey, rec.bucket, rec.key), rec);
  if (isKmsMode(mode)) {
    requireSecureForKms(req);
    return dataKeyedObject(await KmsKeyed.open(req.kms, req.requester, rec.encryption), rec);
  }
  if (mode !== 'sse-c') throw notImplemented();
  if (customer === undefined) throw customerKeyMissing();
  const keyed = CustomerKeyed.open(rec.encryption, customer, rec.bucket, rec.key) ?? throwError(refuse(customer, wrongCustomerKey()));
  return dataKeyedObject(keyed, rec);
}

function plainObject(rec: ObjectRecord): ReadableObject {
  return {
    record: rec,
    responseHeaders: () => ({}),
    read: (blobs, start, end) => Promise.resolve(readPlain(blobs, rec.segments, start, end)),
    keepData: (dest) => (dest === NONE ? NONE : undefined),
    dispose: () => undefined,
  };
}

function dataKeyedObject(keyed: DataKeyed, stored: ObjectRecord): ReadableObject {
  let view: ObjectRecord;
  try {
    view = keyed.openObject(stored);
  } catch (err) {
    keyed.dispose();
    throw err;
  }
  return {
    record: view,
    responseHeaders: () => keyed.responseHeaders(),
    read: (blobs, start, end) => readEncrypted(blobs, keyed, stored.segments, start, end),
    keepData(dest, req) {
      // The same data key, sealed for the destination. An SSE-S3 destination keeps only an
      // SSE-S3 source: its ETag must be the MD5 of the plaintext, which only such a source has.
      if (dest instanceof CustomerKeyed) return new CustomerKeyed(Buffer.from(keyed.dataKey), dest.customer, req.bucketName, req.key);
      if (dest instanceof RootKeyed && keyed instanceof RootKeyed) return new RootKeyed(Buffer.from(keyed.dataKey), req.rootKey, req.bucketName, req.key);
      return undefined;
    },
    dispose: () => keyed.dispose(),
  };
}

