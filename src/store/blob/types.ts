import type { Readable, Writable } from 'node:stream';

/**
 * Where the stored (opaque, possibly encrypted) bytes of one object part live.
 * Small bodies are kept inline in the metadata record, so that a small durable PUT costs
 * one group-committed database write instead of several fsyncs; larger ones are files.
 */
export type BlobSegment =
  | { readonly kind: 'file'; readonly id: string; readonly size: number }
  | { readonly kind: 'inline'; readonly data: Buffer };

export const segmentSize = (s: BlobSegment): number => (s.kind === 'file' ? s.size : s.data.length);

/** A writable stream of stored bytes; nothing becomes visible until `finish()` resolves. */
export interface BlobWriter extends Writable {
  /** Flush, fsync, rename into place and fsync the directory; resolves when durable. */
  finish(): Promise<BlobSegment>;
  /** Remove whatever was written so far. Safe to call more than once, and after finish(). */
  abort(): Promise<void>;
}

export interface BlobStore {
  /**
   * A new writer. `sizeHint` (the expected stored size, if known) lets the store choose
   * inline storage without buffering large bodies.
   */
  createWriter(sizeHint?: number): BlobWriter;
  /**
   * Throws StorageFullError (src/store/free-space.ts) when the store's volume is below its
   * free-space floor, or would be after `incoming` more bytes: new data is refused there,
   * so that deletes always find room. A write that runs out of space mid-way fails with
   * StorageFullError too, and leaves nothing behind.
   */
  requireRoom(incoming?: number): void;
  /**
   * Stream bytes [start, end] (inclusive) of one segment; an empty range yields nothing.
   * `chunkSize` (a hint) lets a reader get whole units, such as whole encrypted packages.
   */
  read(segment: BlobSegment, start: number, end: number, chunkSize?: number): Readable;
  /**
   * Marks segments as being read: a `remove()` meanwhile waits until the returned release
   * function has been called, so a reader that found a record streams it to the end even
   * if a concurrent write replaces or deletes it.
   */
  lease(segments: readonly BlobSegment[]): () => void;
  /** Reclaim file segments no longer referenced (or, if leased, once released). Missing files are not an error. */
  remove(segments: readonly BlobSegment[]): Promise<void>;
  /**
   * Remove leftovers of interrupted writes (temporary files) and file blobs that no
   * metadata references. Returns how many files it removed.
   */
  scrub(isReferenced: (id: string) => boolean): Promise<number>;
  close(): Promise<void>;
}

/**
 * Stable codes for errors thrown by blob stores (documented in docs/errors.md); the pipeline
 * maps them to S3 errors. Callers classify by code, never by message text.
 */
export const BLOB_STORE_ERROR_CODES = [
  /** A blob the metadata names is gone. */
  'STRONGBOX_BLOB_MISSING',
  /** A blob ends before the range its record promises: damage, not an I/O fault. */
  'STRONGBOX_BLOB_SHORT',
  'STRONGBOX_BLOB_IO',
] as const;

export type BlobStoreErrorCode = (typeof BLOB_STORE_ERROR_CODES)[number];

export class BlobStoreError extends Error {
  constructor(
    readonly code: BlobStoreErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'BlobStoreError';
  }
}
