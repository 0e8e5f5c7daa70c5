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
  /**
   * Make the blob durable and visible; resolves when it is. Before a stored (non-inline) blob
   * becomes visible, the store registers a reclaim intent for it (BlobIntentHook), so that a
   * blob no commit ever references is reclaimed after the grace period.
   */
  finish(): Promise<BlobSegment>;
  /** Remove whatever was written so far. Safe to call more than once, and after finish(). */
  abort(): Promise<void>;
}

/**
 * Durably journals a blob about to become visible (MetaStore.registerBlobIntents). Given to a
 * blob store when it is opened (src/store/open-stores.ts), so that blob stores never import
 * the metadata store.
 */
export type BlobIntentHook = (blob: Extract<BlobSegment, { kind: 'file' }>) => Promise<void>;

/** An active writer's unfinished leftovers are touched at least this often while bytes arrive. */
export const BLOB_WRITER_REFRESH_MS = 5000;

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
   * Remove stored blobs now; inline segments are ignored and a missing blob is not an error
   * (idempotent). Blobs are reclaimed through the metadata store's journal after a grace
   * period (src/store/reclaim.ts), never by the request that freed them: its drain calls
   * this, and so may a writer discarding a blob of its own that no commit referenced.
   */
  delete(segments: readonly BlobSegment[]): Promise<void>;
  /**
   * Remove leftovers of writes that never finished (a process killed mid-body: temporary
   * files, staging uploads) untouched for at least `olderThanMs`. An active writer touches its
   * leftovers at least every BLOB_WRITER_REFRESH_MS while bytes arrive. Returns how many went.
   */
  sweepUnfinished(olderThanMs: number): Promise<number>;
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
