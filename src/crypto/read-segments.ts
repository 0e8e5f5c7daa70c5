/**
 * Reading plaintext ranges of an object's segments: as stored, or decrypted package by package
 * (only the packages a range covers). Nothing holds the blobs: a blob an overwrite or delete
 * frees stays for the store's grace period (src/store/reclaim.ts), and an open file survives
 * its removal, so a read that has started streams to the end.
 */
import { Readable } from 'node:stream';
import type { BlobStore } from '../store/blob/types.js';
import { BlobStoreError } from '../store/blob/types.js';
import type { ObjectSegment } from '../store/meta/types.js';
import type { DataKeyed } from './data-keyed.js';
import { DataCorruptionError, decryptRange, decryptRangeSync, storedPackageSize, storedRange } from './package-cipher.js';

/** Packages per blob read (about 256 KiB, like plain reads). */
const READ_PACKAGES = 4;
/**
 * Plaintext decrypted ahead of the socket: with one stream, decryption (main thread) and
 * sending overlap only if the decryptor may run ahead of a socket that is still busy.
 */
const DECRYPT_AHEAD = 1024 * 1024;

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

export function readPlain(blobs: BlobStore, segments: readonly ObjectSegment[], start: number, end: number): Readable | Buffer {
  if (segments.every((s) => s.blob.kind === 'inline')) {
    const parts = [...overlapping(segments, start, end)].map(({ seg, from, to }) => (seg.blob.kind === 'inline' ? seg.blob.data.subarray(from, to + 1) : Buffer.alloc(0)));
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
  async function* plaintext(): AsyncGenerator<Buffer> {
    for (const { seg, from, to } of overlapping(segments, start, end)) yield* blobs.read(seg.blob, from, to);
  }
  return Readable.from(plaintext(), { objectMode: false, highWaterMark: 64 * 1024 });
}

export async function readEncrypted(
  blobs: BlobStore,
  keyed: DataKeyed,
  segments: readonly ObjectSegment[],
  start: number,
  end: number,
): Promise<Readable | Buffer> {
  const format = keyed.packageFormat;
  if (segments.every((s) => s.blob.kind === 'inline')) {
    try {
      const parts = [...overlapping(segments, start, end)].map(({ seg, from, to }) => {
        const key = keyed.segmentKey(seg.encryption);
        try {
          return decryptRangeSync(key, seg.size, from, to, seg.blob.kind === 'inline' ? seg.blob.data : Buffer.alloc(0), format);
        } finally {
          key.fill(0);
        }
      });
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    } finally {
      keyed.dispose();
    }
  }
  async function* plaintext(): AsyncGenerator<Buffer> {
    for (const { seg, from, to } of overlapping(segments, start, end)) {
      const key = keyed.segmentKey(seg.encryption);
      try {
        const r = storedRange(seg.size, from, to, format);
        // Whole packages per chunk: each is opened where it lies, without a copy.
        const stored = blobs.read(seg.blob, r.start, r.end, READ_PACKAGES * storedPackageSize(format));
        try {
          yield* decryptRange(key, seg.size, from, to, stored, format);
        } catch (err) {
          // A blob shorter than its record is damage, not an I/O fault.
          if (err instanceof BlobStoreError && err.code === 'STRONGBOX_BLOB_SHORT') throw new DataCorruptionError(err.message);
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
    keyed.dispose();
    throw err;
  }
  async function* all(): AsyncGenerator<Buffer> {
    if (first.done === true) return;
    yield first.value;
    yield* it;
  }
  const out = Readable.from(all(), { objectMode: false, highWaterMark: DECRYPT_AHEAD });
  out.once('close', () => {
    void it.return(undefined);
    keyed.dispose();
  });
  return out;
}
