import { Readable, type Transform } from 'node:stream';
import { secureRandomBytes } from '../crypto/random.js';
import { pipeline } from 'node:stream/promises';
import type { BlobSegment } from '../store/blob/types.js';
import type { ObjectRecord, ObjectSegment, WriteCondition } from '../store/meta/types.js';
import { MetaStoreError } from '../store/meta/types.js';
import { writeCondition, writeConditionError } from './conditions.js';
import { StorageFullError } from '../store/free-space.js';
import { operationAborted } from '../errors/s3-error.js';
import type { WriteEncryption } from '../crypto/encryption.js';
import type { ObjectContext, RequestContext } from '../server/context.js';
import type { StoredChecksum } from '../checksum/types.js';
import { crashPoint } from '../testing/crash-point.js';

/** Amazon's limits: a single PUT or part up to 5 GiB, an object up to 5 TiB (50 TB since 2025). */
export const MAX_PUT_SIZE = 5 * 1024 ** 3;
export const MAX_OBJECT_SIZE = 5 * 1024 ** 4;

/**
 * The entry check of every operation that brings new data: PutObject, CopyObject, UploadPart,
 * UploadPartCopy and CreateMultipartUpload (which only leads to parts). Below a store's
 * free-space floor, or if a body of `incoming` stored bytes would take the blobs' volume
 * there, it throws StorageFullError (507 InsufficientStorage) before a byte is read.
 * Deliberately not checked: everything that frees space (deletes, AbortMultipartUpload,
 * DeleteBucket*), CompleteMultipartUpload (it copies no data, and refusing it would strand
 * parts that already take space), and the bucket settings (a policy that stops a runaway
 * writer may be just what a full store needs; they rewrite one small row).
 * CreateBucket checks the metadata store only (src/s3/bucket.ts).
 */
export async function requireRoomForData(ctx: RequestContext, incoming?: number): Promise<void> {
  await ctx.stores.meta.requireRoom();
  ctx.stores.blobs.requireRoom(incoming);
}

/**
 * Streams `source` through `checks` (hashing, verification) and the encryptor into a new
 * blob. `verify` runs after the last byte and before the blob is made durable, so a body
 * that fails a check is never committed; on any failure nothing is left behind.
 */
export async function storeBody<T>(
  ctx: RequestContext,
  source: Readable,
  checks: readonly Transform[],
  enc: WriteEncryption,
  segmentParams: Readonly<Record<string, unknown>> | undefined,
  plainSizeHint: number | undefined,
  verify: () => Promise<T>,
): Promise<{ segment: BlobSegment; verified: T }> {
  const writer = ctx.stores.blobs.createWriter(plainSizeHint === undefined ? undefined : enc.storedSize(plainSizeHint));
  const encryptor = enc.encryptor(segmentParams);
  try {
    const stages: NodeJS.ReadWriteStream[] = [...checks];
    if (encryptor !== undefined) stages.push(encryptor);
    await runPipeline(source, ...stages, writer);
    const verified = await verify();
    const segment = await writer.finish();
    crashPoint(ctx.config, 'blob-synced');
    return { segment, verified };
  } catch (err) {
    await writer.abort();
    // Leave the request stream consumed or destroyed, never half-read.
    if (!source.destroyed && !source.readableEnded) source.resume();
    throw err;
  }
}

/** A body that may be in memory (small objects are read whole) as a stream for storeBody. */
export const asStream = (body: Readable | Buffer): Readable => (Buffer.isBuffer(body) ? Readable.from([body]) : body);

// pipeline()'s typings have no overload for a variable number of stages.
const runPipeline = pipeline as unknown as (...streams: (NodeJS.ReadableStream | NodeJS.WritableStream)[]) => Promise<void>;

/**
 * Commits an object record (sealed by its encryption). The store journals the blobs of the
 * version it replaced, except those the new version still uses (a copy onto itself keeps its
 * blobs), and drops the intents of the new version's blobs, in the same transaction. The
 * request's If-None-Match / If-Match are checked by the store in that transaction
 * (conditions.ts). `expectBlobs` makes the commit conditional on the current version still
 * having exactly these blobs: a copy that keeps blobs must not revive ones a concurrent write freed.
 */
export async function commitObject(
  ctx: RequestContext,
  rec: ObjectRecord,
  enc: WriteEncryption,
  expectBlobs?: readonly ObjectSegment[],
): Promise<void> {
  const stored = enc.sealObject(rec);
  const condition: WriteCondition = {
    ...writeCondition(ctx.headers),
    ...(expectBlobs === undefined ? {} : { expectBlobIds: fileBlobIds(expectBlobs) }),
  };
  try {
    await ctx.stores.meta.putObject(stored, Object.keys(condition).length === 0 ? undefined : condition);
  } catch (err) {
    // The new blobs go at once if nothing was written (the kept ones stay).
    const kept = new Set(fileBlobIds(expectBlobs ?? []));
    await discardUncommitted(ctx, rec.segments.filter((s) => s.blob.kind !== 'file' || !kept.has(s.blob.id)).map((s) => s.blob), err);
    if (err instanceof MetaStoreError && err.code === 'STRONGBOX_OBJECT_CHANGED') throw operationAborted();
    throw writeConditionError(err, ctx.key ?? rec.key);
  }
  crashPoint(ctx.config, 'object-committed');
}

const fileBlobIds = (segments: readonly ObjectSegment[]): string[] => segments.flatMap((s) => (s.blob.kind === 'file' ? [s.blob.id] : []));

/**
 * Removes new blobs of this request that no commit references, at once, when `commitError`
 * (if any) shows that nothing was written: an error with a store code, or storage full before
 * the commit. Otherwise (an fdatasync that failed after the commit …) they are left to their
 * intent entries, which a commit that did happen has deleted. A failure here only means the
 * journal reclaims them after the grace period.
 */
export async function discardUncommitted(ctx: RequestContext, blobs: readonly BlobSegment[], commitError?: unknown): Promise<void> {
  if (!blobs.some((b) => b.kind === 'file')) return;
  if (commitError !== undefined && !neverStored(commitError)) return;
  try {
    await ctx.stores.blobs.delete(blobs);
  } catch (err) {
    ctx.log.warn({ err }, 'could not remove an uncommitted blob; the reclaim journal will');
  }
}

const neverStored = (err: unknown): boolean =>
  (err instanceof StorageFullError && !err.mayBeStored) || (err instanceof MetaStoreError && err.code !== 'STRONGBOX_META_IO');

/** What a body stored in one piece (PutObject, CopyObject) becomes. */
export interface SinglePartWrite {
  readonly enc: WriteEncryption;
  readonly params: Readonly<Record<string, unknown>> | undefined;
  readonly segment: BlobSegment;
  readonly digests: { readonly size: number; readonly md5?: Buffer; readonly checksum?: StoredChecksum };
  readonly contentHeaders: Readonly<Record<string, string>>;
  readonly userMetadata: Readonly<Record<string, string>>;
  readonly storageClass: string;
}

/** The record of an object stored in one piece, owned by the caller. */
export function singlePartRecord(ctx: ObjectContext, w: SinglePartWrite): ObjectRecord {
  return {
    bucket: ctx.bucketName,
    key: ctx.key,
    size: w.digests.size,
    etag: w.enc.etagIsMd5 && w.digests.md5 !== undefined ? quoteEtag(w.digests.md5) : randomEtag(),
    lastModified: ctx.now(),
    contentHeaders: w.contentHeaders,
    userMetadata: w.userMetadata,
    ...(w.digests.checksum === undefined ? {} : { checksum: w.digests.checksum }),
    segments: [{ blob: w.segment, size: w.digests.size, ...(w.params === undefined ? {} : { encryption: w.params }) }],
    encryption: w.enc.record,
    storageClass: w.storageClass,
    // Amazon's default object ownership (BucketOwnerEnforced): the bucket owner owns every object,
    // whoever wrote it (another user or, through a bucket policy, an anonymous one).
    owner: ctx.bucket.owner,
  };
}

/** An opaque ETag for objects whose ETag must not be the plaintext MD5 (random per upload). */
export const randomEtag = (): string => `"${secureRandomBytes(16).toString('hex')}"`;
export const quoteEtag = (md5: Buffer): string => `"${md5.toString('hex')}"`;
