import type { BlobSegment } from '../blob/types.js';
import type { StoredChecksum, ChecksumAlgorithm, ChecksumType } from '../../checksum/types.js';

export interface UserRecord {
  readonly name: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly isRoot: boolean;
  readonly createdAt: Date;
}

export interface BucketRecord {
  readonly name: string;
  /** User name of the owner. */
  readonly owner: string;
  readonly createdAt: Date;
  readonly region: string;
  /** The bucket's default encryption and blocked types; undefined: Amazon's default (SSE-S3, nothing blocked). */
  readonly encryption?: BucketEncryptionConfig;
  /** The bucket policy, as the JSON text the owner put (GetBucketPolicy returns it unchanged). */
  readonly policy?: string;
}

/** PutBucketEncryption's one rule (../shared/spec/aws-sse.md §6), plus the SSE-C block (§3). */
export interface BucketEncryptionConfig {
  readonly sseAlgorithm: 'AES256' | 'aws:kms' | 'aws:kms:dsse';
  /** As the owner gave it (key id, ARN or alias): GetBucketEncryption echoes it unchanged. */
  readonly kmsMasterKeyId?: string;
  readonly bucketKeyEnabled: boolean;
  /** Encryption types refused for writes; today only 'SSE-C' exists. */
  readonly blockedEncryptionTypes: readonly string[];
  /** Set by PutBucketEncryption (false: the creation default), which matters for copies onto themselves (§8.2). */
  readonly explicit: boolean;
  /**
   * The types blocked when the bucket was created (`--block-sse-c-on-new-buckets`), kept
   * across PutBucketEncryption: DeleteBucketEncryption restores them (§3). Absent: none.
   */
  readonly blockedAtCreation?: readonly string[];
}

/** Changes to a bucket's settings; null removes a setting. */
export interface BucketChange {
  readonly encryption?: BucketEncryptionConfig | null;
  readonly policy?: string | null;
}

/** A key of the built-in KMS. The store keeps `meta` (state, sealed key material …) opaque. */
export interface KmsKeyRecord {
  /** The key id (a UUID). */
  readonly keyId: string;
  readonly createdAt: Date;
  /** JSON-serialisable; owned by src/kms. Key material in it is sealed under the root key. */
  readonly meta: Readonly<Record<string, unknown>>;
  /**
   * Bumped by every putKmsKey that replaces the record: the compare-and-set token of a
   * read-modify-write (0 for a new key). Ignored on write; the store sets it.
   */
  readonly revision: number;
}

export interface KmsAliasRecord {
  /** With its `alias/` prefix. */
  readonly name: string;
  readonly keyId: string;
  readonly createdAt: Date;
}

/**
 * Opaque to the stores: what the encryption layer needs to read the object back
 * (mode, sealed data key, salts …). JSON-serialisable.
 */
export type EncryptionRecord = { readonly mode: string } & Readonly<Record<string, unknown>>;

/** One stored part of an object: a multipart object has one per part, a PUT has one. */
export interface ObjectSegment {
  readonly blob: BlobSegment;
  /** Plaintext bytes in this segment. */
  readonly size: number;
  /** Multipart: part number, ETag and checksum of the part (GetObjectAttributes, partNumber GET). */
  readonly partNumber?: number;
  readonly etag?: string;
  readonly checksum?: StoredChecksum;
  /** Encryption parameters for this segment (for example a per-part salt). */
  readonly encryption?: Readonly<Record<string, unknown>>;
}

export interface ObjectRecord {
  readonly bucket: string;
  readonly key: string;
  /** Plaintext size. */
  readonly size: number;
  /** Quoted, as sent in the ETag header. */
  readonly etag: string;
  readonly lastModified: Date;
  /** Standard content headers, lower-case names: content-type, content-encoding, cache-control … */
  readonly contentHeaders: Readonly<Record<string, string>>;
  /** x-amz-meta-* without the prefix, lower-case names. */
  readonly userMetadata: Readonly<Record<string, string>>;
  readonly checksum?: StoredChecksum;
  /** Number of parts for multipart objects; absent for single PUT/copy. */
  readonly partsCount?: number;
  /** The multipart upload that produced this object (a repeated Complete answers from it). */
  readonly uploadId?: string;
  readonly segments: readonly ObjectSegment[];
  readonly encryption: EncryptionRecord;
  readonly storageClass: string;
  readonly owner: string;
}

/** What listings need, without segment data. */
export interface ObjectSummary {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date;
  readonly storageClass: string;
  readonly owner: string;
  readonly checksumAlgorithm?: ChecksumAlgorithm;
  readonly checksumType?: ChecksumType;
}

export interface UploadRecord {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  readonly initiated: Date;
  readonly owner: string;
  readonly contentHeaders: Readonly<Record<string, string>>;
  readonly userMetadata: Readonly<Record<string, string>>;
  readonly checksumAlgorithm?: ChecksumAlgorithm;
  readonly checksumType?: ChecksumType;
  readonly encryption: EncryptionRecord;
  readonly storageClass: string;
}

export interface PartRecord {
  readonly uploadId: string;
  readonly partNumber: number;
  /** Plaintext size. */
  readonly size: number;
  /** Quoted. */
  readonly etag: string;
  readonly lastModified: Date;
  readonly blob: BlobSegment;
  readonly checksum?: StoredChecksum;
  /**
   * The CRC64NVME the server computes for a part of an upload created without a checksum
   * algorithm, so that Complete can give the object Amazon's full-object CRC64NVME.
   */
  readonly serverChecksum?: StoredChecksum;
  readonly encryption?: Readonly<Record<string, unknown>>;
}

export interface ListObjectsQuery {
  readonly prefix: string;
  /** Only keys strictly greater than this (UTF-8 binary order). */
  readonly after?: string;
  /** Only keys that do not start with this prefix and sort after it (skips a common prefix). */
  readonly afterPrefix?: string;
  readonly limit: number;
}

export interface ListUploadsQuery {
  readonly prefix: string;
  readonly keyMarker?: string;
  readonly uploadIdMarker?: string;
  readonly limit: number;
}

/**
 * Conditions of a write, checked by the store inside the transaction that writes, against the
 * current record of the key: two writers (two processes) can never both pass.
 */
export interface WriteCondition {
  /**
   * Fail with STRONGBOX_IF_NONE_MATCH_FAILED when the key exists and its ETag is one of
   * these (bare, without quotes), or exists at all if one is '*'.
   */
  readonly ifNoneMatch?: readonly string[];
  /**
   * Fail with STRONGBOX_OBJECT_MISSING when the key does not exist, and with
   * STRONGBOX_IF_MATCH_FAILED when its ETag is none of these (bare; '*' matches any).
   */
  readonly ifMatch?: readonly string[];
  /**
   * Only if the current record exists and its file blobs are exactly these (else
   * STRONGBOX_OBJECT_CHANGED): a copy that keeps blobs never revives ones a concurrent write freed.
   */
  readonly expectBlobIds?: readonly string[];
}

/** A part as CompleteMultipartUpload read it: the commit fails (STRONGBOX_PART_CHANGED) if the part's row no longer holds this blob. */
export interface ReadPart {
  readonly partNumber: number;
  /** The part's file blob id, or its ETag for a part stored inline. */
  readonly blobId?: string;
  readonly etag: string;
}

/**
 * The metadata store. Every method returns a promise, so that a store on the network
 * (PostgreSQL) fits the same seam; an embedded store may answer at once (a resolved promise).
 * Writes resolve once durable. Keys compare as UTF-8 bytes, as in S3. A change acknowledged
 * by any store instance on the same data is seen by every call that starts after it.
 */
export interface MetaStore {
  // users
  getUserByAccessKey(accessKeyId: string): Promise<UserRecord | undefined>;
  getUser(name: string): Promise<UserRecord | undefined>;
  listUsers(): Promise<UserRecord[]>;
  /** Throws MetaStoreError STRONGBOX_USER_EXISTS if the name or access key is taken. */
  addUser(user: UserRecord): Promise<void>;
  /** Replaces the credentials of an existing user (root credentials from the environment). */
  upsertUser(user: UserRecord): Promise<void>;
  removeUser(name: string): Promise<boolean>;

  // buckets
  getBucket(name: string): Promise<BucketRecord | undefined>;
  listBuckets(owner?: string): Promise<BucketRecord[]>;
  /** Throws MetaStoreError STRONGBOX_BUCKET_EXISTS if taken. */
  createBucket(bucket: BucketRecord): Promise<void>;
  /** Throws STRONGBOX_BUCKET_NOT_EMPTY if it holds objects or uploads. Returns false if absent. */
  deleteBucket(name: string): Promise<boolean>;
  /** Changes settings (encryption, policy); resolves false if the bucket does not exist. */
  updateBucket(name: string, change: BucketChange): Promise<boolean>;

  // built-in KMS (rare writes, durable when they resolve)
  getKmsKey(keyId: string): Promise<KmsKeyRecord | undefined>;
  listKmsKeys(): Promise<KmsKeyRecord[]>;
  /**
   * Compare-and-set. With `expectRevision` undefined: insert a new key (STRONGBOX_KMS_KEY_CHANGED
   * if the id exists). Otherwise replace it only if its stored revision still is
   * `expectRevision` (else STRONGBOX_KMS_KEY_CHANGED: re-read and retry), bumping the revision.
   * Resolves with the new revision.
   */
  putKmsKey(key: KmsKeyRecord, expectRevision?: number): Promise<number>;
  getKmsAlias(name: string): Promise<KmsAliasRecord | undefined>;
  listKmsAliases(): Promise<KmsAliasRecord[]>;
  /** Throws STRONGBOX_ALIAS_EXISTS if the name is taken. */
  createKmsAlias(alias: KmsAliasRecord): Promise<void>;
  /** Points an existing alias at another key; false if the alias does not exist. */
  updateKmsAlias(name: string, keyId: string): Promise<boolean>;
  deleteKmsAlias(name: string): Promise<boolean>;

  // objects
  getObject(bucket: string, key: string): Promise<ObjectRecord | undefined>;
  /**
   * Insert or replace; resolves with the replaced record (whose blobs the caller reclaims).
   * Only if `condition` holds for the current record, in the same transaction.
   */
  putObject(object: ObjectRecord, condition?: WriteCondition): Promise<ObjectRecord | undefined>;
  /**
   * Replaces the encryption record of an object (or upload) only if it still is `from`
   * (compared as JSON): re-sealing a data key never revives a version written meanwhile.
   * Resolves whether it was replaced.
   */
  resealObject(bucket: string, key: string, from: EncryptionRecord, to: EncryptionRecord): Promise<boolean>;
  resealUpload(uploadId: string, from: EncryptionRecord, to: EncryptionRecord): Promise<boolean>;
  /** Resolves with the deleted record, or undefined if there was none. */
  deleteObject(bucket: string, key: string): Promise<ObjectRecord | undefined>;
  listObjects(bucket: string, query: ListObjectsQuery): Promise<ObjectSummary[]>;
  countObjects(bucket: string): Promise<number>;

  // multipart uploads
  createUpload(upload: UploadRecord): Promise<void>;
  getUpload(uploadId: string): Promise<UploadRecord | undefined>;
  listUploads(bucket: string, query: ListUploadsQuery): Promise<UploadRecord[]>;
  /** Insert or replace a part; resolves with the replaced part. */
  putPart(part: PartRecord): Promise<PartRecord | undefined>;
  getParts(uploadId: string): Promise<PartRecord[]>;
  listParts(uploadId: string, afterPartNumber: number, limit: number): Promise<PartRecord[]>;
  /** Delete the upload and its parts; resolves with the parts (to reclaim). */
  abortUpload(uploadId: string): Promise<PartRecord[] | undefined>;
  /**
   * Atomically: write the object, delete the upload and all its parts. Resolves with the
   * replaced object and the parts not used by the object (to reclaim). Only if `condition`
   * holds for the current object and every part in `readParts` still holds the blob it was
   * read with (else STRONGBOX_PART_CHANGED: an UploadPart replaced it meanwhile).
   */
  completeUpload(
    uploadId: string,
    object: ObjectRecord,
    readParts?: readonly ReadPart[],
    condition?: WriteCondition,
  ): Promise<{ replaced: ObjectRecord | undefined; unusedParts: PartRecord[] }>;

  /**
   * Throws StorageFullError (src/store/free-space.ts) when the database's volume is below its
   * free-space floor. Deletes, aborts, Complete and bucket settings still commit there, even
   * at 0 bytes free (a reserve is given back for them); other writes that find the volume
   * full fail with StorageFullError.
   */
  requireRoom(): Promise<void>;

  // the reclaim journal (docs/adr/0001-embedded-storage.md): blobs are never removed by the
  // request that frees them, but through entries written in the same transaction, due after the
  // store's grace period (measured by the store's clock), drained by one process at a time.
  // putObject, deleteObject, putPart, abortUpload and completeUpload write entries for the file
  // blobs they stop referencing; every commit that references a file blob deletes its entries.

  /**
   * Durably records that these file blobs are about to become visible without a record naming
   * them yet (a writer, before its rename): if no commit references them within the grace
   * period, they are reclaimed. Called in parallel with the blob's own sync.
   */
  registerBlobIntents(blobs: readonly FileBlob[]): Promise<void>;
  /**
   * Takes (or renews) the drain lease for `holder` until `ttlMs` from now, by the store's clock,
   * if it is free, expired or already held by `holder`: a compare-and-set in one transaction.
   * Resolves whether `holder` now holds it.
   */
  takeReclaimLease(holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `holder` holds it, so the next pass (of any process) need not wait. */
  releaseReclaimLease(holder: string): Promise<void>;
  /** At most `limit` entries that are due now, oldest first. */
  dueReclaims(limit: number): Promise<ReclaimEntry[]>;
  /** Deletes drained entries (after their blobs are gone; a repeat only repeats a harmless delete). */
  finishReclaims(entryIds: readonly number[]): Promise<void>;
  /**
   * Whether a one-time sweep of unreferenced blobs is pending (a database first written by a
   * version without the journal, whose orphans only its start-up scrub knew about).
   */
  orphanSweepPending(): Promise<boolean>;
  /**
   * Journals those of `blobs` that nothing references and no entry names yet (reason
   * `orphan`, due after the grace period); with `done`, marks the sweep finished in the same
   * transaction. Resolves how many were journaled.
   */
  journalOrphans(blobs: readonly FileBlob[], done: boolean): Promise<number>;

  // root key versions (src/crypto/root-key.ts): the public ids of every version the data was
  // written under, so that a server started with a missing or different root key refuses to start.
  /** In the order they were recorded. */
  listRootKeyIds(): Promise<string[]>;
  /** Records ids (those already recorded are kept as they are). */
  addRootKeyIds(ids: readonly string[]): Promise<void>;

  /** Stop accepting writes; resolves once every queued write has settled and the store is closed. */
  close(): Promise<void>;
}

/** A blob stored apart from the metadata (what the reclaim journal names). */
export type FileBlob = Extract<BlobSegment, { kind: 'file' }>;

/** Why a blob was journaled. */
export const RECLAIM_REASONS = [
  /** Written, not yet referenced: removed by the commit that references it. */
  'intent',
  /** An object version overwritten (putObject, completeUpload) or deleted. */
  'replaced',
  'deleted',
  /** A part overwritten, aborted, or left out of a completed upload. */
  'part-replaced',
  'part-aborted',
  'part-unused',
  /** Found unreferenced by the one-time sweep after an upgrade. */
  'orphan',
] as const;
export type ReclaimReason = (typeof RECLAIM_REASONS)[number];

export interface ReclaimEntry {
  readonly id: number;
  readonly blob: FileBlob;
  /** By the store's clock. */
  readonly dueAt: Date;
  readonly reason: ReclaimReason;
}

/**
 * Every code a metadata store throws, the one list: the type is derived from it, and the
 * SQLite store carries codes across its batch boundary by it, so a code cannot be missed
 * (a hand-kept copy once lacked STRONGBOX_OBJECT_CHANGED, and a conflict answered 500).
 * Each is documented in docs/errors.md.
 */
export const META_STORE_ERROR_CODES = [
  'STRONGBOX_BUCKET_EXISTS',
  'STRONGBOX_BUCKET_NOT_EMPTY',
  'STRONGBOX_USER_EXISTS',
  'STRONGBOX_ALIAS_EXISTS',
  'STRONGBOX_UPLOAD_MISSING',
  /** putObject/createUpload/completeUpload into a bucket that does not exist (lost a race with deleteBucket). */
  'STRONGBOX_BUCKET_MISSING',
  /** A conditional putObject found another version than expected. */
  'STRONGBOX_OBJECT_CHANGED',
  /** WriteCondition.ifNoneMatch failed: the key exists (with a listed ETag). */
  'STRONGBOX_IF_NONE_MATCH_FAILED',
  /** WriteCondition.ifMatch failed: the key's ETag is not listed. */
  'STRONGBOX_IF_MATCH_FAILED',
  /** WriteCondition.ifMatch on a key that does not exist. */
  'STRONGBOX_OBJECT_MISSING',
  /** completeUpload: a part it read was replaced or removed before the commit. */
  'STRONGBOX_PART_CHANGED',
  /** putKmsKey: the key's revision is not the expected one (or it exists, for an insert). */
  'STRONGBOX_KMS_KEY_CHANGED',
  'STRONGBOX_META_IO',
] as const;

export type MetaStoreErrorCode = (typeof META_STORE_ERROR_CODES)[number];

const META_CODE_SET: ReadonlySet<string> = new Set(META_STORE_ERROR_CODES);

/** Whether `code` is a metadata store code (for codes that crossed a thread or batch boundary as strings). */
export const isMetaStoreErrorCode = (code: string): code is MetaStoreErrorCode => META_CODE_SET.has(code);

export class MetaStoreError extends Error {
  constructor(
    readonly code: MetaStoreErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'MetaStoreError';
  }
}
