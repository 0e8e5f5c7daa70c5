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
import { createHmac } from 'node:crypto';
import { Readable, type Transform } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import type { BlobStore } from '../store/blob/types.js';
import { BlobStoreError } from '../store/blob/types.js';
import type { EncryptionRecord, ObjectRecord, ObjectSegment, PartRecord, UploadRecord } from '../store/meta/types.js';
import type { StoredChecksum } from '../checksum/types.js';
import {
  customerKeyMissing,
  encryptionNotApplicable,
  notImplemented,
  partEncryptionMismatch,
  partEncryptionMissing,
  wrongCustomerKey,
} from '../server/s3-error.js';
import { bindingOf, deriveKek, newDataKey, newSalt, open, seal } from './envelope.js';
import { SSE_HEADER, customerKeyFrom, customerKeyHeaders, hasTriple, type CustomerKey, type TripleKind } from './sse-c.js';
import {
  DataCorruptionError,
  SegmentEncryptor,
  decryptRange,
  decryptRangeSync,
  encryptedSize,
  segmentKey,
  storedRange,
} from './package-cipher.js';

export { DataCorruptionError } from './package-cipher.js';

/** What the seam needs of a request (an ObjectContext has it). */
export interface SseRequest {
  readonly headers: IncomingHttpHeaders;
  /** Reached over TLS (directly or through a trusted proxy). */
  readonly secure: boolean;
  readonly config: { readonly allowInsecureSseC: boolean };
  readonly bucketName: string;
  readonly key: string;
}

type SegmentParams = Readonly<Record<string, unknown>>;

export interface WriteEncryption {
  /** Stored with the object or upload (sealed metadata is added by `sealObject`/`sealUpload`). */
  readonly record: EncryptionRecord;
  /** Fresh per-segment parameters (a new salt for every write attempt of a part). */
  segmentParams(): SegmentParams | undefined;
  /** Stored bytes for `plainSize` plaintext bytes. */
  storedSize(plainSize: number): number;
  /** A transform from plaintext to stored bytes, or undefined when stored as is. */
  encryptor(params: SegmentParams | undefined): Transform | undefined;
  /** Whether Amazon's ETag for a single PUT in this mode is the MD5 of the plaintext. */
  readonly etagIsMd5: boolean;
  /** x-amz-server-side-encryption* response headers. */
  responseHeaders(): Record<string, string>;
  /**
   * The ETag of a part where it must not be the plaintext MD5 (!etagIsMd5): keyed by the
   * data key, so it reveals nothing of the plaintext, differs between uploads and part
   * numbers, and is the same for a part sent again with the same bytes (`fingerprint`: a
   * checksum of them), so a client that keeps the first answer of a retried part completes.
   */
  opaqueEtag(partNumber: number, size: number, fingerprint: string): string;
  /** The record as stored: anything that could reveal plaintext is sealed. */
  sealObject(rec: ObjectRecord): ObjectRecord;
  sealUpload(upload: UploadRecord): UploadRecord;
  sealPart(part: PartRecord): PartRecord;
  /** A stored part (or upload) with its sealed fields opened. */
  openPart(part: PartRecord): PartRecord;
  openUpload(upload: UploadRecord): UploadRecord;
  /** Overwrites the data key; the encryption is unusable afterwards. */
  dispose(): void;
}

const FORMAT = 1;
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

const b64 = (b: Buffer): string => b.toString('base64');
const unb64 = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : '', 'base64');

/** The KEK of an SSE-C object: bound to the mode and to the object's bucket and key. */
const sseCBinding = (bucket: string, key: string): Buffer => bindingOf('strongbox/v1/sse-c', bucket, key);
const META_AAD = bindingOf('strongbox/v1/metadata');
const checksumAad = (salt: string): Buffer => bindingOf('strongbox/v1/checksum', salt);

interface SealedMetadata {
  contentHeaders: Record<string, string>;
  userMetadata: Record<string, string>;
  checksum?: StoredChecksum;
}

/** SSE-C: the data key, the customer's key that seals it, and the object it is bound to. */
class CustomerKeyed implements WriteEncryption {
  readonly etagIsMd5 = false;
  readonly record: EncryptionRecord;
  /** Seals metadata and checksums; derived from the data key, so rotation keeps it valid. */
  private readonly metaKey: Buffer;

  /**
   * @param dataKey owned by this object from now on (wiped by dispose)
   * @param sealed the stored kekSalt/sealedKey when opening an existing object or upload;
   *   undefined to seal `dataKey` under `customer` now
   */
  constructor(
    readonly dataKey: Buffer,
    readonly customer: CustomerKey,
    bucket: string,
    key: string,
    sealed?: EncryptionRecord,
  ) {
    this.metaKey = deriveKek(dataKey, Buffer.alloc(0), META_AAD);
    if (sealed !== undefined) {
      this.record = sealed;
      return;
    }
    const kekSalt = newSalt();
    const kek = deriveKek(customer.key, kekSalt, sseCBinding(bucket, key));
    const sealedKey = seal(kek, dataKey, sseCBinding(bucket, key));
    kek.fill(0);
    this.record = { mode: 'sse-c', format: FORMAT, kekSalt: b64(kekSalt), sealedKey: b64(sealedKey) };
  }

  /** Opens the data key of a stored record with the customer's key; undefined if it is not the key. */
  static open(record: EncryptionRecord, customer: CustomerKey, bucket: string, key: string): CustomerKeyed | undefined {
    const kek = deriveKek(customer.key, unb64(record.kekSalt), sseCBinding(bucket, key));
    const dataKey = open(kek, unb64(record.sealedKey), sseCBinding(bucket, key));
    kek.fill(0);
    return dataKey === undefined ? undefined : new CustomerKeyed(dataKey, customer, bucket, key, record);
  }

  segmentParams(): SegmentParams {
    return { salt: b64(newSalt()) };
  }
  storedSize(n: number): number {
    return encryptedSize(n);
  }
  encryptor(params: SegmentParams | undefined): Transform {
    const key = segmentKey(this.dataKey, unb64(params?.salt));
    const enc = new SegmentEncryptor(key);
    enc.once('close', () => key.fill(0));
    return enc;
  }
  responseHeaders(): Record<string, string> {
    return customerKeyHeaders(this.customer.md5);
  }
  opaqueEtag(partNumber: number, size: number, fingerprint: string): string {
    const mac = createHmac('sha256', this.metaKey).update(bindingOf('strongbox/v1/part-etag', String(partNumber), String(size), fingerprint)).digest();
    return `"${mac.subarray(0, 16).toString('hex')}"`;
  }
  /** Segment keys for reading. */
  segmentKey(params: SegmentParams | undefined): Buffer {
    return segmentKey(this.dataKey, unb64(params?.salt));
  }

  private sealMetadata(m: SealedMetadata): string {
    return b64(seal(this.metaKey, Buffer.from(JSON.stringify(m)), META_AAD));
  }
  openMetadata(record: EncryptionRecord): SealedMetadata {
    if (record.meta === undefined) return { contentHeaders: {}, userMetadata: {} };
    const plain = open(this.metaKey, unb64(record.meta), META_AAD);
    if (plain === undefined) throw new DataCorruptionError('sealed metadata failed authentication');
    return JSON.parse(plain.toString('utf8')) as SealedMetadata;
  }
  private sealChecksums<T extends { checksum?: StoredChecksum; serverChecksum?: StoredChecksum; encryption?: SegmentParams }>(s: T): T {
    if (s.checksum === undefined && s.serverChecksum === undefined) return s;
    const salt = typeof s.encryption?.salt === 'string' ? s.encryption.salt : '';
    const sealOne = (c: StoredChecksum | undefined) => (c === undefined ? undefined : b64(seal(this.metaKey, Buffer.from(JSON.stringify(c)), checksumAad(salt))));
    const { checksum, serverChecksum, ...rest } = s;
    const params: Record<string, unknown> = { ...s.encryption };
    if (checksum !== undefined) params.checksum = sealOne(checksum);
    if (serverChecksum !== undefined) params.serverChecksum = sealOne(serverChecksum);
    return { ...rest, encryption: params } as T;
  }
  private openChecksums<T extends { checksum?: StoredChecksum; serverChecksum?: StoredChecksum; encryption?: SegmentParams }>(s: T): T {
    const params = s.encryption;
    if (params?.checksum === undefined && params?.serverChecksum === undefined) return s;
    const salt = typeof params.salt === 'string' ? params.salt : '';
    const openOne = (v: unknown): StoredChecksum | undefined => {
      if (v === undefined) return undefined;
      const plain = open(this.metaKey, unb64(v), checksumAad(salt));
      if (plain === undefined) throw new DataCorruptionError('sealed checksum failed authentication');
      return JSON.parse(plain.toString('utf8')) as StoredChecksum;
    };
    const checksum = openOne(params.checksum);
    const serverChecksum = openOne(params.serverChecksum);
    return { ...s, ...(checksum === undefined ? {} : { checksum }), ...(serverChecksum === undefined ? {} : { serverChecksum }) };
  }

  sealObject(rec: ObjectRecord): ObjectRecord {
    const meta: SealedMetadata = { contentHeaders: { ...rec.contentHeaders }, userMetadata: { ...rec.userMetadata } };
    if (rec.checksum !== undefined) meta.checksum = rec.checksum;
    const { checksum: _plainChecksum, ...rest } = rec;
    return {
      ...rest,
      contentHeaders: {},
      userMetadata: {},
      segments: rec.segments.map((s) => this.sealChecksums(s)),
      encryption: { ...this.record, meta: this.sealMetadata(meta) },
    };
  }
  /** The stored record with its sealed fields opened. */
  openObject(rec: ObjectRecord): ObjectRecord {
    const meta = this.openMetadata(rec.encryption);
    return {
      ...rec,
      contentHeaders: meta.contentHeaders,
      userMetadata: meta.userMetadata,
      ...(meta.checksum === undefined ? {} : { checksum: meta.checksum }),
      segments: rec.segments.map((s) => this.openChecksums(s)),
    };
  }
  sealUpload(u: UploadRecord): UploadRecord {
    const meta = this.sealMetadata({ contentHeaders: { ...u.contentHeaders }, userMetadata: { ...u.userMetadata } });
    return { ...u, contentHeaders: {}, userMetadata: {}, encryption: { ...this.record, meta } };
  }
  openUpload(u: UploadRecord): UploadRecord {
    const meta = this.openMetadata(u.encryption);
    return { ...u, contentHeaders: meta.contentHeaders, userMetadata: meta.userMetadata };
  }
  sealPart(p: PartRecord): PartRecord {
    return this.sealChecksums(p);
  }
  openPart(p: PartRecord): PartRecord {
    return this.openChecksums(p);
  }
  dispose(): void {
    this.dataKey.fill(0);
    this.metaKey.fill(0);
    this.customer.wipe();
  }
}

/** Request headers of SSE modes that later issues bring (SSE-S3, SSE-KMS, DSSE-KMS). */
const UNSUPPORTED_SSE_HEADERS = [SSE_HEADER, `${SSE_HEADER}-aws-kms-key-id`, `${SSE_HEADER}-context`, `${SSE_HEADER}-bucket-key-enabled`];

const customerKeyOf = (req: SseRequest, kind: TripleKind, forRead: boolean): CustomerKey | undefined =>
  customerKeyFrom(req.headers, kind, { secure: req.secure || req.config.allowInsecureSseC, forRead });

/** Encryption for a new object, upload or copy destination, from its request headers. */
export function encryptionForWrite(req: SseRequest): WriteEncryption {
  const customer = customerKeyOf(req, 'object', false);
  if (customer !== undefined) return new CustomerKeyed(newDataKey(), customer, req.bucketName, req.key);
  // Never store plaintext where the client asked for encryption this build cannot give.
  if (UNSUPPORTED_SSE_HEADERS.some((h) => req.headers[h] !== undefined)) {
    throw notImplemented('Server-side encryption with Amazon S3 or KMS managed keys is not implemented yet.');
  }
  return NONE;
}

/**
 * The encryption of a part (UploadPart, UploadPartCopy's destination, Complete): the upload's,
 * with the same customer key on every request (§2.6).
 */
export function encryptionForPart(req: SseRequest, upload: UploadRecord): WriteEncryption {
  const customer = customerKeyOf(req, 'object', false);
  if (upload.encryption.mode === 'none') {
    if (customer !== undefined) {
      customer.wipe();
      throw partEncryptionMissing();
    }
    return NONE;
  }
  if (customer === undefined) throw partEncryptionMissing();
  const opened = CustomerKeyed.open(upload.encryption, customer, upload.bucket, upload.key);
  if (opened === undefined) {
    customer.wipe();
    throw partEncryptionMismatch();
  }
  return opened;
}

/** Whether the request carries the SSE-C triple for the object it writes (Complete, ListParts). */
export const hasCustomerKey = (req: SseRequest): boolean => hasTriple(req.headers, 'object');

/**
 * Whether objects or uploads with this record are keyed by the customer (SSE-C): Amazon gives
 * such multipart uploads no automatic checksum (../shared/spec/aws-sse.md §9.5).
 */
export const isCustomerKeyed = (record: EncryptionRecord): boolean => record.mode === 'sse-c';

/** An object opened for reading: its plaintext view and how to read its bytes. */
export interface ReadableObject {
  /** The record with sealed fields opened (content headers, metadata, checksums). */
  readonly record: ObjectRecord;
  /** x-amz-server-side-encryption* headers for GET/HEAD. */
  responseHeaders(): Record<string, string>;
  /**
   * Plaintext bytes [start, end] (inclusive). The first package is decrypted before this
   * resolves, so damage there fails the request before any header is sent; damage found
   * later errors the stream. The blobs are leased synchronously, at the call.
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
export function openObject(req: SseRequest, rec: ObjectRecord, kind: TripleKind): ReadableObject {
  const customer = customerKeyOf(req, kind, true);
  if (rec.encryption.mode === 'none') {
    if (customer !== undefined) {
      customer.wipe();
      throw encryptionNotApplicable();
    }
    if (kind === 'object' && req.headers[SSE_HEADER] !== undefined) throw encryptionNotApplicable();
    return plainObject(rec);
  }
  if (rec.encryption.mode !== 'sse-c') throw notImplemented();
  if (customer === undefined) throw customerKeyMissing();
  const keyed = CustomerKeyed.open(rec.encryption, customer, rec.bucket, rec.key);
  if (keyed === undefined) {
    customer.wipe();
    throw wrongCustomerKey();
  }
  return customerKeyedObject(keyed, rec);
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

function customerKeyedObject(keyed: CustomerKeyed, stored: ObjectRecord): ReadableObject {
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
      if (!(dest instanceof CustomerKeyed)) return undefined;
      // The same data key, sealed under the destination's customer key.
      return new CustomerKeyed(Buffer.from(keyed.dataKey), dest.customer, req.bucketName, req.key);
    },
    dispose: () => keyed.dispose(),
  };
}

/** The segments overlapping plaintext [start, end], with the range inside each. */
function* overlapping(segments: readonly ObjectSegment[], start: number, end: number): Generator<{ seg: ObjectSegment; from: number; to: number }> {
  let offset = 0;
  for (const seg of segments) {
    const segStart = offset;
    const segEnd = offset + seg.size - 1;
    offset += seg.size;
    if (segEnd < start || seg.size === 0) continue;
    if (segStart > end) break;
    yield { seg, from: Math.max(start, segStart) - segStart, to: Math.min(end, segEnd) - segStart };
  }
}

function readPlain(blobs: BlobStore, segments: readonly ObjectSegment[], start: number, end: number): Readable | Buffer {
  if (segments.every((s) => s.blob.kind === 'inline')) {
    const parts = [...overlapping(segments, start, end)].map(({ seg, from, to }) => (seg.blob.kind === 'inline' ? seg.blob.data.subarray(from, to + 1) : Buffer.alloc(0)));
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
  // Leased now, synchronously with the caller's metadata read, so that a concurrent
  // overwrite cannot remove these blobs before they are read to the end.
  const release = blobs.lease(segments.map((s) => s.blob));
  async function* plaintext(): AsyncGenerator<Buffer> {
    for (const { seg, from, to } of overlapping(segments, start, end)) yield* blobs.read(seg.blob, from, to);
  }
  const out = Readable.from(plaintext(), { objectMode: false, highWaterMark: 64 * 1024 });
  out.once('close', release);
  return out;
}

async function readEncrypted(
  blobs: BlobStore,
  keyed: CustomerKeyed,
  segments: readonly ObjectSegment[],
  start: number,
  end: number,
): Promise<Readable | Buffer> {
  if (segments.every((s) => s.blob.kind === 'inline')) {
    try {
      const parts = [...overlapping(segments, start, end)].map(({ seg, from, to }) => {
        const key = keyed.segmentKey(seg.encryption);
        try {
          return decryptRangeSync(key, seg.size, from, to, seg.blob.kind === 'inline' ? seg.blob.data : Buffer.alloc(0));
        } finally {
          key.fill(0);
        }
      });
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    } finally {
      keyed.dispose();
    }
  }
  const release = blobs.lease(segments.map((s) => s.blob));
  async function* plaintext(): AsyncGenerator<Buffer> {
    for (const { seg, from, to } of overlapping(segments, start, end)) {
      const key = keyed.segmentKey(seg.encryption);
      try {
        const r = storedRange(seg.size, from, to);
        const stored = blobs.read(seg.blob, r.start, r.end);
        try {
          yield* decryptRange(key, seg.size, from, to, stored);
        } catch (err) {
          // A blob shorter than its record is damage, not an I/O fault.
          if (err instanceof BlobStoreError && /shorter/.test(err.message)) throw new DataCorruptionError(err.message);
          throw err;
        } finally {
          stored.destroy();
        }
      } finally {
        key.fill(0);
      }
    }
  }
  const it = plaintext();
  let first: IteratorResult<Buffer>;
  try {
    first = await it.next();
  } catch (err) {
    release();
    keyed.dispose();
    throw err;
  }
  async function* all(): AsyncGenerator<Buffer> {
    if (first.done === true) return;
    yield first.value;
    yield* it;
  }
  const out = Readable.from(all(), { objectMode: false, highWaterMark: 64 * 1024 });
  out.once('close', () => {
    release();
    void it.return(undefined);
    keyed.dispose();
  });
  return out;
}
