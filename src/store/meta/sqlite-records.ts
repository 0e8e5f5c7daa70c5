import type Database from 'better-sqlite3';
import type { BlobSegment } from '../blob/types.js';
import type { ChecksumAlgorithm, ChecksumType, StoredChecksum } from '../../checksum/types.js';
import type {
  BucketRecord,
  BucketEncryptionConfig,
  KmsAliasRecord,
  KmsKeyRecord,
  EncryptionRecord,
  ListObjectsQuery,
  ListUploadsQuery,
  ObjectRecord,
  ObjectSegment,
  ObjectSummary,
  PartRecord,
  ReclaimEntry,
  ReclaimReason,
  FileBlob,
  UploadRecord,
  UserRecord,
} from './types.js';

/** A journal entry's blob, checked: the journal only ever names file blobs by their id. */
function fileBlobFromJson(text: string): FileBlob {
  const b = JSON.parse(text) as { kind?: unknown; id?: unknown; size?: unknown };
  if (b.kind !== 'file' || typeof b.id !== 'string' || typeof b.size !== 'number') throw new Error(`malformed reclaim entry ${text}`);
  return { kind: 'file', id: b.id, size: b.size };
}

/** Keys are stored as their UTF-8 bytes so SQLite orders them with memcmp, as S3 does. */
export const keyBytes = (key: string): Buffer => Buffer.from(key, 'utf8');

/**
 * The smallest byte string greater than every string starting with `prefix`, or undefined
 * if there is none (empty prefix, or only 0xFF bytes, which valid UTF-8 never contains).
 */
export function prefixUpperBound(prefix: Buffer): Buffer | undefined {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return undefined;
  const bound = Buffer.from(prefix.subarray(0, end));
  bound[end - 1] = (bound[end - 1] ?? 0) + 1;
  return bound;
}

/** Inclusive lower bound equivalent to `key > after`: the next byte string is after || 0x00. */
const successor = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc(1)]);

const maxBuf = (a: Buffer, b: Buffer): Buffer => (Buffer.compare(a, b) >= 0 ? a : b);

/**
 * The key range [lower, upper) a listing covers, or undefined if it is empty.
 * Exported for tests.
 */
export function listRange(
  query: Pick<ListObjectsQuery, 'prefix' | 'after' | 'afterPrefix'>,
): { lower: Buffer; upper: Buffer | undefined } | undefined {
  const prefix = keyBytes(query.prefix);
  let lower = prefix;
  if (query.after !== undefined) lower = maxBuf(lower, successor(keyBytes(query.after)));
  if (query.afterPrefix !== undefined) {
    const skip = prefixUpperBound(keyBytes(query.afterPrefix));
    if (skip === undefined) return undefined;
    lower = maxBuf(lower, skip);
  }
  const upper = prefixUpperBound(prefix);
  if (upper !== undefined && Buffer.compare(lower, upper) >= 0) return undefined;
  return { lower, upper };
}

// ---- rows ----

export interface UserRow {
  name: string;
  access_key_id: string;
  secret_access_key: string;
  is_root: number;
  created_at: number;
}
export interface BucketRow {
  name: string;
  owner: string;
  created_at: number;
  region: string;
  /** JSON of BucketMeta. */
  meta: string;
}

/** Bucket settings kept as JSON: never queried, only read with the bucket. */
interface BucketMeta {
  encryption?: BucketEncryptionConfig;
  policy?: string;
}

export function bucketMetaJson(b: Pick<BucketRecord, 'encryption' | 'policy'>): string {
  const meta: BucketMeta = {};
  if (b.encryption !== undefined) meta.encryption = b.encryption;
  if (b.policy !== undefined) meta.policy = b.policy;
  return JSON.stringify(meta);
}

export interface KmsKeyRow {
  key_id: string;
  created_at: number;
  meta: string;
  revision: number;
}
export interface KmsAliasRow {
  name: string;
  key_id: string;
  created_at: number;
}
export const kmsKeyFromRow = (r: KmsKeyRow): KmsKeyRecord => ({
  keyId: r.key_id,
  createdAt: new Date(r.created_at),
  meta: JSON.parse(r.meta) as Record<string, unknown>,
  revision: r.revision,
});
export const kmsAliasFromRow = (r: KmsAliasRow): KmsAliasRecord => ({
  name: r.name,
  keyId: r.key_id,
  createdAt: new Date(r.created_at),
});
export interface ObjectRow {
  id: number;
  bucket: string;
  key: Buffer;
  size: number;
  etag: string;
  last_modified: number;
  storage_class: string;
  owner: string;
  checksum_algorithm: string | null;
  checksum_type: string | null;
  meta: string;
}
interface SegmentRow {
  blob_id: string | null;
  blob_size: number | null;
  data: Buffer | null;
  meta: string;
}
export interface UploadRow {
  upload_id: string;
  bucket: string;
  key: Buffer;
  initiated: number;
  owner: string;
  meta: string;
}
export interface PartRow extends SegmentRow {
  upload_id: string;
  part_number: number;
  size: number;
  etag: string;
  last_modified: number;
}

interface ObjectMeta {
  contentHeaders: Record<string, string>;
  userMetadata: Record<string, string>;
  checksum?: StoredChecksum;
  partsCount?: number;
  uploadId?: string;
  encryption: EncryptionRecord;
}
interface SegmentMeta {
  size: number;
  partNumber?: number;
  etag?: string;
  checksum?: StoredChecksum;
  encryption?: Record<string, unknown>;
}
interface UploadMeta {
  contentHeaders: Record<string, string>;
  userMetadata: Record<string, string>;
  checksumAlgorithm?: ChecksumAlgorithm;
  checksumType?: ChecksumType;
  encryption: EncryptionRecord;
  storageClass: string;
}
interface PartMeta {
  checksum?: StoredChecksum;
  serverChecksum?: StoredChecksum;
  encryption?: Record<string, unknown>;
}

/** A Buffer view of bytes that may arrive as a plain Uint8Array (structured clone). */
export const asBuffer = (u: Uint8Array): Buffer =>
  Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** Columns for a blob segment: file id and size, or inline bytes. */
export function blobColumns(blob: BlobSegment): {
  blob_id: string | null;
  blob_size: number | null;
  data: Buffer | null;
} {
  return blob.kind === 'file'
    ? { blob_id: blob.id, blob_size: blob.size, data: null }
    : { blob_id: null, blob_size: null, data: asBuffer(blob.data) };
}

function blobFromRow(row: SegmentRow): BlobSegment {
  if (row.blob_id !== null) return { kind: 'file', id: row.blob_id, size: row.blob_size ?? 0 };
  return { kind: 'inline', data: row.data ?? Buffer.alloc(0) };
}

export const userFromRow = (r: UserRow): UserRecord => ({
  name: r.name,
  accessKeyId: r.access_key_id,
  secretAccessKey: r.secret_access_key,
  isRoot: r.is_root !== 0,
  createdAt: new Date(r.created_at),
});

export function bucketFromRow(r: BucketRow): BucketRecord {
  const meta = JSON.parse(r.meta) as BucketMeta;
  return {
    name: r.name,
    owner: r.owner,
    createdAt: new Date(r.created_at),
    region: r.region,
    ...(meta.encryption === undefined ? {} : { encryption: meta.encryption }),
    ...(meta.policy === undefined ? {} : { policy: meta.policy }),
  };
}

export function objectMetaJson(o: ObjectRecord): string {
  const meta: ObjectMeta = {
    contentHeaders: { ...o.contentHeaders },
    userMetadata: { ...o.userMetadata },
    encryption: o.encryption,
    ...(o.checksum !== undefined && { checksum: o.checksum }),
    ...(o.partsCount !== undefined && { partsCount: o.partsCount }),
    ...(o.uploadId !== undefined && { uploadId: o.uploadId }),
  };
  return JSON.stringify(meta);
}

export function segmentMetaJson(s: ObjectSegment): string {
  const meta: SegmentMeta = {
    size: s.size,
    ...(s.partNumber !== undefined && { partNumber: s.partNumber }),
    ...(s.etag !== undefined && { etag: s.etag }),
    ...(s.checksum !== undefined && { checksum: s.checksum }),
    ...(s.encryption !== undefined && { encryption: { ...s.encryption } }),
  };
  return JSON.stringify(meta);
}

export function uploadMetaJson(u: UploadRecord): string {
  const meta: UploadMeta = {
    contentHeaders: { ...u.contentHeaders },
    userMetadata: { ...u.userMetadata },
    encryption: u.encryption,
    storageClass: u.storageClass,
    ...(u.checksumAlgorithm !== undefined && { checksumAlgorithm: u.checksumAlgorithm }),
    ...(u.checksumType !== undefined && { checksumType: u.checksumType }),
  };
  return JSON.stringify(meta);
}

export function partMetaJson(p: PartRecord): string {
  const meta: PartMeta = {
    ...(p.checksum !== undefined && { checksum: p.checksum }),
    ...(p.serverChecksum !== undefined && { serverChecksum: p.serverChecksum }),
    ...(p.encryption !== undefined && { encryption: { ...p.encryption } }),
  };
  return JSON.stringify(meta);
}

function segmentFromRow(row: SegmentRow): ObjectSegment {
  const m = JSON.parse(row.meta) as SegmentMeta;
  return {
    blob: blobFromRow(row),
    size: m.size,
    ...(m.partNumber !== undefined && { partNumber: m.partNumber }),
    ...(m.etag !== undefined && { etag: m.etag }),
    ...(m.checksum !== undefined && { checksum: m.checksum }),
    ...(m.encryption !== undefined && { encryption: m.encryption }),
  };
}

function objectFromRows(r: ObjectRow, segments: SegmentRow[]): ObjectRecord {
  const m = JSON.parse(r.meta) as ObjectMeta;
  return {
    bucket: r.bucket,
    key: r.key.toString('utf8'),
    size: r.size,
    etag: r.etag,
    lastModified: new Date(r.last_modified),
    contentHeaders: m.contentHeaders,
    userMetadata: m.userMetadata,
    ...(m.checksum !== undefined && { checksum: m.checksum }),
    ...(m.partsCount !== undefined && { partsCount: m.partsCount }),
    ...(m.uploadId !== undefined && { uploadId: m.uploadId }),
    segments: segments.map(segmentFromRow),
    encryption: m.encryption,
    storageClass: r.storage_class,
    owner: r.owner,
  };
}

const summaryFromRow = (r: ObjectRow): ObjectSummary => ({
  key: r.key.toString('utf8'),
  size: r.size,
  etag: r.etag,
  lastModified: new Date(r.last_modified),
  storageClass: r.storage_class,
  owner: r.owner,
  ...(r.checksum_algorithm !== null && {
    checksumAlgorithm: r.checksum_algorithm as ChecksumAlgorithm,
  }),
  ...(r.checksum_type !== null && { checksumType: r.checksum_type as ChecksumType }),
});

export function uploadFromRow(r: UploadRow): UploadRecord {
  const m = JSON.parse(r.meta) as UploadMeta;
  return {
    uploadId: r.upload_id,
    bucket: r.bucket,
    key: r.key.toString('utf8'),
    initiated: new Date(r.initiated),
    owner: r.owner,
    contentHeaders: m.contentHeaders,
    userMetadata: m.userMetadata,
    ...(m.checksumAlgorithm !== undefined && { checksumAlgorithm: m.checksumAlgorithm }),
    ...(m.checksumType !== undefined && { checksumType: m.checksumType }),
    encryption: m.encryption,
    storageClass: m.storageClass,
  };
}

export function partFromRow(r: PartRow): PartRecord {
  const m = JSON.parse(r.meta) as PartMeta;
  return {
    uploadId: r.upload_id,
    partNumber: r.part_number,
    size: r.size,
    etag: r.etag,
    lastModified: new Date(r.last_modified),
    blob: blobFromRow(r),
    ...(m.checksum !== undefined && { checksum: m.checksum }),
    ...(m.serverChecksum !== undefined && { serverChecksum: m.serverChecksum }),
    ...(m.encryption !== undefined && { encryption: m.encryption }),
  };
}

const SUMMARY_COLUMNS =
  'key, size, etag, last_modified, storage_class, owner, checksum_algorithm, checksum_type';

/** Prepared read statements over one connection; used by the store and by the writer. */
export class Reader {
  private readonly s;

  constructor(readonly db: Database.Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      userByKey: p('SELECT * FROM users WHERE access_key_id = ?'),
      user: p('SELECT * FROM users WHERE name = ?'),
      users: p('SELECT * FROM users ORDER BY name'),
      bucket: p('SELECT * FROM buckets WHERE name = ?'),
      buckets: p('SELECT * FROM buckets ORDER BY name'),
      bucketsOf: p('SELECT * FROM buckets WHERE owner = ? ORDER BY name'),
      object: p('SELECT * FROM objects WHERE bucket = ? AND key = ?'),
      segments: p('SELECT blob_id, blob_size, data, meta FROM object_segments WHERE object_id = ? ORDER BY seq'),
      listBounded: p(
        `SELECT ${SUMMARY_COLUMNS} FROM objects WHERE bucket = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?`,
      ),
      listOpen: p(
        `SELECT ${SUMMARY_COLUMNS} FROM objects WHERE bucket = ? AND key >= ? ORDER BY key LIMIT ?`,
      ),
      count: p('SELECT count(*) FROM objects WHERE bucket = ?').pluck(),
      upload: p('SELECT * FROM uploads WHERE upload_id = ?'),
      uploadsFrom: p(
        `SELECT * FROM uploads WHERE bucket = ? AND key >= ? AND key < ?
           AND (key, initiated, upload_id) > (?, ?, ?)
         ORDER BY key, initiated, upload_id LIMIT ?`,
      ),
      uploadsAfterId: p(
        `SELECT * FROM uploads WHERE bucket = ? AND key >= ? AND key < ?
           AND (key > ? OR (key = ? AND upload_id > ?))
         ORDER BY key, initiated, upload_id LIMIT ?`,
      ),
      uploadsAfterKey: p(
        `SELECT * FROM uploads WHERE bucket = ? AND key >= ? AND key < ? AND key > ?
         ORDER BY key, initiated, upload_id LIMIT ?`,
      ),
      parts: p('SELECT * FROM parts WHERE upload_id = ? ORDER BY part_number'),
      partsAfter: p(
        'SELECT * FROM parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?',
      ),
      part: p('SELECT * FROM parts WHERE upload_id = ? AND part_number = ?'),
      kmsKey: p('SELECT * FROM kms_keys WHERE key_id = ?'),
      kmsKeys: p('SELECT * FROM kms_keys ORDER BY created_at, key_id'),
      kmsAlias: p('SELECT * FROM kms_aliases WHERE name = ?'),
      kmsAliases: p('SELECT * FROM kms_aliases ORDER BY name'),
      dueReclaims: p('SELECT id, blob, due_at, reason FROM reclaim WHERE due_at <= ? ORDER BY due_at, id LIMIT ?'),
      sweepPending: p(`SELECT 1 FROM reclaim_sweep WHERE name = 'unreferenced'`).pluck(),
      rootKeyIds: p('SELECT id FROM root_key_ids ORDER BY recorded_at, id').pluck(),
    };
  }

  getUserByAccessKey(accessKeyId: string): UserRecord | undefined {
    const r = this.s.userByKey.get(accessKeyId) as UserRow | undefined;
    return r && userFromRow(r);
  }
  getUser(name: string): UserRecord | undefined {
    const r = this.s.user.get(name) as UserRow | undefined;
    return r && userFromRow(r);
  }
  listUsers(): UserRecord[] {
    return (this.s.users.all() as UserRow[]).map(userFromRow);
  }
  getKmsKey(keyId: string): KmsKeyRecord | undefined {
    const r = this.s.kmsKey.get(keyId) as KmsKeyRow | undefined;
    return r && kmsKeyFromRow(r);
  }
  listKmsKeys(): KmsKeyRecord[] {
    return (this.s.kmsKeys.all() as KmsKeyRow[]).map(kmsKeyFromRow);
  }
  getKmsAlias(name: string): KmsAliasRecord | undefined {
    const r = this.s.kmsAlias.get(name) as KmsAliasRow | undefined;
    return r && kmsAliasFromRow(r);
  }
  listKmsAliases(): KmsAliasRecord[] {
    return (this.s.kmsAliases.all() as KmsAliasRow[]).map(kmsAliasFromRow);
  }
  getBucket(name: string): BucketRecord | undefined {
    const r = this.s.bucket.get(name) as BucketRow | undefined;
    return r && bucketFromRow(r);
  }
  listBuckets(owner?: string): BucketRecord[] {
    const rows = owner === undefined ? this.s.buckets.all() : this.s.bucketsOf.all(owner);
    return (rows as BucketRow[]).map(bucketFromRow);
  }

  /** The object and its row id (the writer needs the id to replace it). */
  getObjectWithId(bucket: string, key: string): { id: number; record: ObjectRecord } | undefined {
    const r = this.s.object.get(bucket, keyBytes(key)) as ObjectRow | undefined;
    if (r === undefined) return undefined;
    return { id: r.id, record: objectFromRows(r, this.s.segments.all(r.id) as SegmentRow[]) };
  }
  getObject(bucket: string, key: string): ObjectRecord | undefined {
    return this.getObjectWithId(bucket, key)?.record;
  }

  listObjects(bucket: string, query: ListObjectsQuery): ObjectSummary[] {
    const limit = Math.max(0, Math.floor(query.limit));
    if (limit === 0) return [];
    const range = listRange(query);
    if (range === undefined) return [];
    const rows =
      range.upper === undefined
        ? this.s.listOpen.all(bucket, range.lower, limit)
        : this.s.listBounded.all(bucket, range.lower, range.upper, limit);
    return (rows as ObjectRow[]).map(summaryFromRow);
  }
  countObjects(bucket: string): number {
    return this.s.count.get(bucket) as number;
  }

  getUpload(uploadId: string): UploadRecord | undefined {
    const r = this.s.upload.get(uploadId) as UploadRow | undefined;
    return r && uploadFromRow(r);
  }

  /**
   * Ordered by key, initiation time, upload id. With a key marker only, uploads for keys after
   * it; with an upload-id marker too, the uploads for that key that come after the marker's
   * upload (or, if that upload is gone, whose id sorts after it), then later keys.
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html
   */
  listUploads(bucket: string, query: ListUploadsQuery): UploadRecord[] {
    const limit = Math.max(0, Math.floor(query.limit));
    if (limit === 0) return [];
    const prefix = keyBytes(query.prefix);
    // Uploads' keys are at most 1024 bytes of UTF-8, so 0xFF sorts after all of them.
    const upper = prefixUpperBound(prefix) ?? Buffer.from([0xff]);
    let rows: unknown[];
    if (query.keyMarker === undefined) {
      rows = this.s.uploadsAfterKey.all(bucket, prefix, upper, Buffer.alloc(0), limit);
      // key > '' excludes the empty key, which S3 does not allow anyway.
    } else {
      const marker = keyBytes(query.keyMarker);
      const at =
        query.uploadIdMarker === undefined
          ? undefined
          : (this.s.upload.get(query.uploadIdMarker) as UploadRow | undefined);
      if (query.uploadIdMarker === undefined) {
        rows = this.s.uploadsAfterKey.all(bucket, prefix, upper, marker, limit);
      } else if (at !== undefined && at.bucket === bucket && at.key.equals(marker)) {
        rows = this.s.uploadsFrom.all(
          bucket, prefix, upper, marker, at.initiated, at.upload_id, limit,
        );
      } else {
        rows = this.s.uploadsAfterId.all(
          bucket, prefix, upper, marker, marker, query.uploadIdMarker, limit,
        );
      }
    }
    return (rows as UploadRow[]).map(uploadFromRow);
  }

  getParts(uploadId: string): PartRecord[] {
    return (this.s.parts.all(uploadId) as PartRow[]).map(partFromRow);
  }
  listParts(uploadId: string, afterPartNumber: number, limit: number): PartRecord[] {
    const n = Math.max(0, Math.floor(limit));
    if (n === 0) return [];
    return (this.s.partsAfter.all(uploadId, afterPartNumber, n) as PartRow[]).map(partFromRow);
  }
  getPart(uploadId: string, partNumber: number): PartRecord | undefined {
    const r = this.s.part.get(uploadId, partNumber) as PartRow | undefined;
    return r && partFromRow(r);
  }

  /** Journal entries due at `now` (the store's clock), oldest first. */
  dueReclaims(now: number, limit: number): ReclaimEntry[] {
    const rows = this.s.dueReclaims.all(now, Math.max(0, Math.floor(limit))) as { id: number; blob: string; due_at: number; reason: string }[];
    return rows.map((r) => ({ id: r.id, blob: fileBlobFromJson(r.blob), dueAt: new Date(r.due_at), reason: r.reason as ReclaimReason }));
  }
  orphanSweepPending(): boolean {
    return this.s.sweepPending.get() !== undefined;
  }
  rootKeyIds(): string[] {
    return this.s.rootKeyIds.all() as string[];
  }
}
