import { Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import type { BlobStore } from '../store/blob/types.js';
import type { EncryptionRecord, ObjectSegment } from '../store/meta/types.js';
import { notImplemented } from '../server/s3-error.js';

/**
 * The seam between operations and the stores for encryption at rest. Operations ask for a
 * WriteEncryption when they store bytes and a reader when they serve them; they never look
 * at SSE headers or ciphers themselves. This first version knows only the `none` mode and
 * refuses SSE requests with NotImplemented; the envelope of DESIGN.md plugs in here.
 */
export interface WriteEncryption {
  /** Stored with the object or upload; given back to `readSegments`. */
  readonly record: EncryptionRecord;
  /** Per-segment parameters (salt …) for one part written under this encryption. */
  segmentParams(): Readonly<Record<string, unknown>> | undefined;
  /** Stored bytes for `plainSize` plaintext bytes. */
  storedSize(plainSize: number): number;
  /** A transform from plaintext to stored bytes, or undefined when stored as is. */
  encryptor(segmentParams: Readonly<Record<string, unknown>> | undefined): NodeJS.ReadWriteStream | undefined;
  /** Whether Amazon's ETag for a single PUT in this mode is the MD5 of the plaintext. */
  readonly etagIsMd5: boolean;
  /** x-amz-server-side-encryption* response headers. */
  responseHeaders(): Record<string, string>;
}

const SSE_HEADER_PREFIXES = ['x-amz-server-side-encryption', 'x-amz-copy-source-server-side-encryption'];

const NONE: WriteEncryption = Object.freeze({
  record: Object.freeze({ mode: 'none' }),
  segmentParams: () => undefined,
  storedSize: (n: number) => n,
  encryptor: () => undefined,
  etagIsMd5: true,
  responseHeaders: () => ({}),
});

/** Rejects SSE request headers that this build cannot honour (never store plaintext silently). */
function refuseSseHeaders(headers: IncomingHttpHeaders, prefixes: readonly string[]): void {
  for (const name of Object.keys(headers)) {
    if (prefixes.some((p) => name.startsWith(p))) {
      throw notImplemented('Server-side encryption is not implemented yet.');
    }
  }
}

/** Encryption for a new object, upload or copy destination, from its request headers. */
export function encryptionForWrite(headers: IncomingHttpHeaders): WriteEncryption {
  refuseSseHeaders(headers, [SSE_HEADER_PREFIXES[0]!]);
  return NONE;
}

/** Encryption of a part: the upload's, checked against the part request's headers. */
export function encryptionForPart(upload: EncryptionRecord, headers: IncomingHttpHeaders): WriteEncryption {
  refuseSseHeaders(headers, [SSE_HEADER_PREFIXES[0]!]);
  if (upload.mode !== 'none') throw notImplemented();
  return NONE;
}

/** Checks that a read of an object with this record may proceed with these headers. */
export function checkReadAccess(record: EncryptionRecord, headers: IncomingHttpHeaders, copySource = false): void {
  refuseSseHeaders(headers, [copySource ? SSE_HEADER_PREFIXES[1]! : SSE_HEADER_PREFIXES[0]!]);
  if (record.mode !== 'none') throw notImplemented();
}

/**
 * Whether objects or uploads with this record are keyed by the customer (SSE-C): Amazon gives
 * such multipart uploads no automatic checksum (../shared/spec/aws-sse.md §9.5).
 */
export const isCustomerKeyed = (record: EncryptionRecord): boolean => record.mode === 'sse-c';

/** Response headers describing how a stored object is encrypted. */
export function encryptionResponseHeaders(record: EncryptionRecord): Record<string, string> {
  // Only unencrypted objects exist so far (checkReadAccess refuses anything else).
  if (record.mode !== 'none') throw notImplemented();
  return {};
}

/**
 * The plaintext bytes [start, end] of an object whose segments are all stored inline (small
 * objects), without a stream; undefined when any segment is a file.
 */
export function inlinePlaintext(
  record: EncryptionRecord,
  segments: readonly ObjectSegment[],
  start: number,
  end: number,
): Buffer | undefined {
  if (record.mode !== 'none' || !segments.every((s) => s.blob.kind === 'inline')) return undefined;
  const whole = segments.length === 1 && segments[0]!.blob.kind === 'inline' ? segments[0]!.blob.data : Buffer.concat(segments.map((s) => (s.blob.kind === 'inline' ? s.blob.data : Buffer.alloc(0))));
  return whole.subarray(start, end + 1);
}

/**
 * Plaintext bytes [start, end] (inclusive) of an object made of `segments`, read from the
 * blob store and decrypted. Segments are consecutive in plaintext order.
 */
export function readPlaintext(
  blobs: BlobStore,
  record: EncryptionRecord,
  segments: readonly ObjectSegment[],
  start: number,
  end: number,
): Readable {
  if (record.mode !== 'none') throw notImplemented();
  async function* plaintext(): AsyncGenerator<Buffer> {
    let offset = 0;
    for (const seg of segments) {
      const segStart = offset;
      const segEnd = offset + seg.size - 1;
      offset += seg.size;
      if (segEnd < start || seg.size === 0) continue;
      if (segStart > end) break;
      // Leaving the loop early (client gone) ends the inner for-await, which destroys `src`.
      yield* blobs.read(seg.blob, Math.max(start, segStart) - segStart, Math.min(end, segEnd) - segStart);
    }
  }
  // Leased now, synchronously with the caller's metadata read, so that a concurrent
  // overwrite cannot remove these blobs before they are read to the end.
  const release = blobs.lease(segments.map((s) => s.blob));
  const out = Readable.from(plaintext(), { objectMode: false, highWaterMark: 64 * 1024 });
  out.once('close', release);
  return out;
}
