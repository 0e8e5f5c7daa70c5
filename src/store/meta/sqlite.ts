import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { BlobSegment } from '../blob/types.js';
import { META_DB_FILE, openDatabase } from './sqlite-schema.js';
import { Reader, asBuffer, type UserRow } from './sqlite-records.js';
import type { OpResult, WriteOp } from './sqlite-writer.js';
import { InlineExecutor, ThreadExecutor, WalSyncExecutor, type BatchExecutor } from './sqlite-executors.js';
import { FreeSpace, STORAGE_FULL, StorageFullError, isNoSpace, type FreeSpaceOptions } from '../free-space.js';
import { RESERVE_PIECES, SpaceReserve } from './space-reserve.js';
import { DEFAULT_RECLAIM_GRACE_MS } from '../reclaim.js';
import {
  MetaStoreError,
  isMetaStoreErrorCode,
  type BucketChange,
  type BucketRecord,
  type EncryptionRecord,
  type KmsAliasRecord,
  type KmsKeyRecord,
  type ListObjectsQuery,
  type ListUploadsQuery,
  type MetaStore,
  type MetaStoreErrorCode,
  type ObjectRecord,
  type ObjectSummary,
  type FileBlob,
  type ReclaimEntry,
  type PartRecord,
  type ReadPart,
  type UploadRecord,
  type UserRecord,
  type WriteCondition,
} from './types.js';

export interface SqliteMetaStoreOptions {
  /**
   * Where batches commit.
   * `wal-sync` (default): on the main connection without an fsync inside SQLite, then the WAL
   * is made durable by an fdatasync on the libuv pool before the batch is acknowledged; the
   * next batches commit meanwhile and share the next fdatasync. Nothing blocks the event loop
   * on the disk and no record crosses a thread boundary.
   * `thread`: a worker thread with its own connection commits with synchronous=FULL.
   * `inline`: the main connection commits with synchronous=FULL (short-lived tools, the CLI).
   */
  readonly writer?: 'wal-sync' | 'thread' | 'inline';
  /** Most ops in one transaction. */
  readonly maxBatch?: number;
  /** The free-space floor of the database's volume (see FreeSpace). */
  readonly freeSpace?: FreeSpaceOptions;
  /**
   * Bytes kept in reserve for commits that free space (space-reserve.ts); 0 (the default
   * here): none. openStores, which the server uses, keeps DEFAULT_RESERVE_BYTES.
   */
  readonly reserveBytes?: number;
  /**
   * How long a blob freed by a commit (or written and never referenced) stays before the drain
   * may remove it: a GET that read the old record meanwhile streams it to the end. Default
   * DEFAULT_RECLAIM_GRACE_MS (10 minutes).
   */
  readonly reclaimGraceMs?: number;
}

/**
 * Ops that free space or keep it level (a Complete copies no data: its parts' rows become
 * the object's segments). At a full volume they may use the reserve; everything else is
 * refused there with StorageFullError.
 */
const RESERVE_OPS: ReadonlySet<WriteOp['op']> = new Set<WriteOp['op']>([
  'deleteObject',
  'deleteBucket',
  'abortUpload',
  'completeUpload',
  'updateBucket',
  // Draining the journal is what gives blob space back.
  'takeReclaimLease',
  'releaseReclaimLease',
  'finishReclaims',
]);
/** How often such an op is retried on a full volume (each time with a piece of the reserve and a checkpoint). */
const MAX_FULL_RETRIES = RESERVE_PIECES;

const DEFAULT_MAX_BATCH = 512;
const USER_CACHE_MAX = 10_000;
const KMS_CACHE_MAX = 10_000;
const BUCKET_CACHE_MAX = 100_000;
const OBJECT_CACHE_MAX = 50_000;
const OBJECT_CACHE_MAX_BYTES = 64 * 1024 * 1024;

interface Pending {
  readonly op: WriteOp;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: MetaStoreError | StorageFullError) => void;
  /** Times retried after the volume was found full. */
  readonly retries?: number;
}

/** Structured clone turns Buffers into plain Uint8Arrays: make inline data Buffers again. */
function fixBlob(blob: BlobSegment): BlobSegment {
  return blob.kind === 'inline' ? { kind: 'inline', data: asBuffer(blob.data) } : blob;
}
function fixObject(o: ObjectRecord | undefined): ObjectRecord | undefined {
  if (o === undefined) return undefined;
  return { ...o, segments: o.segments.map((s) => ({ ...s, blob: fixBlob(s.blob) })) };
}
function fixPart(p: PartRecord): PartRecord {
  return { ...p, blob: fixBlob(p.blob) };
}

/**
 * The SQLite metadata store: reads answered at once (resolved promises), group-committed writes.
 *
 * Caches (users, buckets, objects, KMS keys and aliases) are coherent across connections:
 * before a cached answer is given, `PRAGMA data_version` is read, and every cache is dropped
 * when it moved, which it does whenever another connection commits (another process: a
 * second server, the CLI; or this store's own writer thread). Writes this connection commits
 * itself (wal-sync, inline, users, KMS) do not move it, so those drop their own entries.
 * The check is made per cached read rather than once per request so that it holds for every
 * caller (the CLI, the KMS, the maintenance tasks), not only the request pipeline; it is one
 * prepared statement with no I/O (SQLite reads a counter in its WAL index in shared memory),
 * about a microsecond, far less than the read it saves.
 */
export class SqliteMetaStore implements MetaStore {
  private readonly reader: Reader;
  private readonly executor: BatchExecutor;
  private readonly maxBatch: number;
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly s;

  /** @internal use openSqliteMetaStore */
  constructor(
    private readonly db: Database.Database,
    path: string,
    opts: SqliteMetaStoreOptions,
    /** Free space on the database's volume. */
    private readonly space: FreeSpace,
    private readonly reserve: SpaceReserve | undefined,
  ) {
    this.reader = new Reader(db);
    this.maxBatch = opts.maxBatch ?? DEFAULT_MAX_BATCH;
    const writer = opts.writer ?? 'wal-sync';
    const grace = opts.reclaimGraceMs ?? DEFAULT_RECLAIM_GRACE_MS;
    this.executor =
      writer === 'thread'
        ? new ThreadExecutor(path, grace)
        : writer === 'inline'
          ? new InlineExecutor(db, grace)
          : new WalSyncExecutor(db, `${path}-wal`, grace);
    this.s = {
      insertUser: db.prepare(
        `INSERT INTO users (name, access_key_id, secret_access_key, is_root, created_at)
         VALUES (@name, @access_key_id, @secret_access_key, @is_root, @created_at)`,
      ),
      upsertUser: db.prepare(
        `INSERT INTO users (name, access_key_id, secret_access_key, is_root, created_at)
         VALUES (@name, @access_key_id, @secret_access_key, @is_root, @created_at)
         ON CONFLICT (name) DO UPDATE SET access_key_id = excluded.access_key_id,
           secret_access_key = excluded.secret_access_key, is_root = excluded.is_root`,
      ),
      removeUser: db.prepare('DELETE FROM users WHERE name = ?'),
      insertKmsKey: db.prepare('INSERT INTO kms_keys (key_id, created_at, meta, revision) VALUES (?, ?, ?, 0)'),
      updateKmsKey: db.prepare('UPDATE kms_keys SET meta = ?, revision = revision + 1 WHERE key_id = ? AND revision = ?'),
      insertKmsAlias: db.prepare('INSERT INTO kms_aliases (name, key_id, created_at) VALUES (?, ?, ?)'),
      updateKmsAlias: db.prepare('UPDATE kms_aliases SET key_id = ? WHERE name = ?'),
      deleteKmsAlias: db.prepare('DELETE FROM kms_aliases WHERE name = ?'),
    };
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.seenVersion = this.dataVersion.get() as number;
  }

  // ---- cache coherence ----

  private readonly dataVersion: Database.Statement;
  private seenVersion: number;

  /** Drops every cache if another connection committed since the last look (see the class comment). */
  private revalidate(): void {
    const v = this.dataVersion.get() as number;
    if (v === this.seenVersion) return;
    this.seenVersion = v;
    this.userCache.clear();
    this.bucketCache.clear();
    this.kmsCache.clear();
    this.objectCache.clear();
    this.objectCacheBytes = 0;
  }

  // ---- users (rare writes on the main connection, durable when they resolve) ----

  /**
   * Every request looks its signer up, so users are cached until the table changes (another
   * process's change, such as the `strongbox user` CLI's, through data_version).
   */
  async getUserByAccessKey(accessKeyId: string): Promise<UserRecord | undefined> {
    this.revalidate();
    if (this.userCache.has(accessKeyId)) return this.userCache.get(accessKeyId);
    const user = this.reader.getUserByAccessKey(accessKeyId);
    if (this.userCache.size >= USER_CACHE_MAX) this.userCache.clear();
    this.userCache.set(accessKeyId, user);
    return user;
  }
  private readonly userCache = new Map<string, UserRecord | undefined>();
  async getUser(name: string): Promise<UserRecord | undefined> {
    return this.reader.getUser(name);
  }
  async listUsers(): Promise<UserRecord[]> {
    return this.reader.listUsers();
  }
  async addUser(user: UserRecord): Promise<void> {
    this.userCache.clear();
    this.writeUser(this.s.insertUser, user);
  }
  async upsertUser(user: UserRecord): Promise<void> {
    this.userCache.clear();
    this.writeUser(this.s.upsertUser, user);
  }
  async removeUser(name: string): Promise<boolean> {
    this.userCache.clear();
    const removed = this.s.removeUser.run(name).changes > 0;
    this.executor.syncNow();
    return removed;
  }

  private writeUser(stmt: Database.Statement, user: UserRecord): void {
    const row: UserRow = {
      name: user.name,
      access_key_id: user.accessKeyId,
      secret_access_key: user.secretAccessKey,
      is_root: user.isRoot ? 1 : 0,
      created_at: user.createdAt.getTime(),
    };
    try {
      stmt.run(row);
      this.executor.syncNow();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
        // Never echo the secret; the name and access key are not secret.
        throw new MetaStoreError(
          'STRONGBOX_USER_EXISTS',
          `user ${user.name} or access key ${user.accessKeyId} exists`,
        );
      }
      throw new MetaStoreError('STRONGBOX_META_IO', 'user write failed', { cause: err });
    }
  }

  // ---- buckets ----

  /** Cached until this store's writer changes the bucket, or another connection commits. */
  async getBucket(name: string): Promise<BucketRecord | undefined> {
    this.revalidate();
    if (this.bucketCache.has(name)) return this.bucketCache.get(name);
    const bucket = this.reader.getBucket(name);
    if (this.bucketCache.size >= BUCKET_CACHE_MAX) this.bucketCache.clear();
    this.bucketCache.set(name, bucket);
    return bucket;
  }
  private readonly bucketCache = new Map<string, BucketRecord | undefined>();
  async listBuckets(owner?: string): Promise<BucketRecord[]> {
    return this.reader.listBuckets(owner);
  }
  createBucket(bucket: BucketRecord): Promise<void> {
    return this.enqueue<void>({ op: 'createBucket', bucket }).finally(() => this.bucketCache.delete(bucket.name));
  }
  deleteBucket(name: string): Promise<boolean> {
    return this.enqueue<boolean>({ op: 'deleteBucket', name }).finally(() => this.bucketCache.delete(name));
  }
  updateBucket(name: string, change: BucketChange): Promise<boolean> {
    return this.enqueue<boolean>({ op: 'updateBucket', name, change }).finally(() => this.bucketCache.delete(name));
  }

  // ---- built-in KMS (rare writes on the main connection, durable when they resolve) ----

  /**
   * Every encrypted request under a KMS key looks the key (and often an alias) up, so both are
   * cached: this store's own writes clear the cache at once, another connection's through data_version.
   */
  async getKmsKey(keyId: string): Promise<KmsKeyRecord | undefined> {
    return this.kmsCached(`key:${keyId}`, () => this.reader.getKmsKey(keyId));
  }
  private readonly kmsCache = new Map<string, KmsKeyRecord | KmsAliasRecord | undefined>();
  private kmsCached<T extends KmsKeyRecord | KmsAliasRecord>(id: string, read: () => T | undefined): T | undefined {
    this.revalidate();
    if (this.kmsCache.has(id)) return this.kmsCache.get(id) as T | undefined;
    const value = read();
    if (this.kmsCache.size >= KMS_CACHE_MAX) this.kmsCache.clear();
    this.kmsCache.set(id, value);
    return value;
  }
  async listKmsKeys(): Promise<KmsKeyRecord[]> {
    return this.reader.listKmsKeys();
  }
  /** One statement each way, so the compare and the set are one atomic step in SQLite. */
  async putKmsKey(key: KmsKeyRecord, expectRevision?: number): Promise<number> {
    const meta = JSON.stringify(key.meta);
    let changed: boolean;
    try {
      changed = this.writeNow(() => {
        if (expectRevision === undefined) return this.s.insertKmsKey.run(key.keyId, key.createdAt.getTime(), meta).changes > 0;
        return this.s.updateKmsKey.run(meta, key.keyId, expectRevision).changes > 0;
      });
    } catch (err) {
      const code = ((err as MetaStoreError).cause as { code?: unknown } | undefined)?.code;
      if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new MetaStoreError('STRONGBOX_KMS_KEY_CHANGED', `KMS key ${key.keyId} exists`);
      throw err;
    }
    if (!changed) throw new MetaStoreError('STRONGBOX_KMS_KEY_CHANGED', `KMS key ${key.keyId} changed meanwhile`);
    return expectRevision === undefined ? 0 : expectRevision + 1;
  }
  async getKmsAlias(name: string): Promise<KmsAliasRecord | undefined> {
    return this.kmsCached(`alias:${name}`, () => this.reader.getKmsAlias(name));
  }
  async listKmsAliases(): Promise<KmsAliasRecord[]> {
    return this.reader.listKmsAliases();
  }
  async createKmsAlias(alias: KmsAliasRecord): Promise<void> {
    try {
      this.writeNow(() => this.s.insertKmsAlias.run(alias.name, alias.keyId, alias.createdAt.getTime()));
    } catch (err) {
      const code = ((err as MetaStoreError).cause as { code?: unknown } | undefined)?.code;
      if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new MetaStoreError('STRONGBOX_ALIAS_EXISTS', `alias ${alias.name} exists`);
      throw err;
    }
  }
  async updateKmsAlias(name: string, keyId: string): Promise<boolean> {
    return this.writeNow(() => this.s.updateKmsAlias.run(keyId, name).changes > 0);
  }
  async deleteKmsAlias(name: string): Promise<boolean> {
    return this.writeNow(() => this.s.deleteKmsAlias.run(name).changes > 0);
  }

  /** A write on the main connection, made durable before it returns. */
  private writeNow<T>(write: () => T): T {
    this.kmsCache.clear();
    let result: T;
    try {
      result = write();
    } catch (err) {
      throw new MetaStoreError('STRONGBOX_META_IO', 'metadata write failed', { cause: err });
    }
    this.executor.syncNow();
    return result;
  }

  // ---- objects ----

  /**
   * Lookups are cached (bounded by entries and by inline bytes): an entry is dropped when a
   * write through this store to its key settles, before the writer's caller sees the result,
   * and every entry when another connection commits (revalidate). A lookup costs a SQLite
   * read transaction (two, with the segments) otherwise, the largest part of a small GET or HEAD.
   */
  async getObject(bucket: string, key: string): Promise<ObjectRecord | undefined> {
    this.revalidate();
    const id = `${bucket}/${key}`;
    const hit = this.objectCache.get(id);
    if (hit !== undefined) {
      // Most recently used last (Map order).
      this.objectCache.delete(id);
      this.objectCache.set(id, hit);
      return hit.record;
    }
    const record = this.reader.getObject(bucket, key);
    const bytes = record?.segments.reduce((n, s) => n + (s.blob.kind === 'inline' ? s.blob.data.length : 0), 0) ?? 0;
    if (bytes <= OBJECT_CACHE_MAX_BYTES / 64) {
      this.objectCache.set(id, { record, bytes });
      this.objectCacheBytes += bytes;
      for (const [oldest, entry] of this.objectCache) {
        if (this.objectCache.size <= OBJECT_CACHE_MAX && this.objectCacheBytes <= OBJECT_CACHE_MAX_BYTES) break;
        this.objectCache.delete(oldest);
        this.objectCacheBytes -= entry.bytes;
      }
    }
    return record;
  }
  private readonly objectCache = new Map<string, { record: ObjectRecord | undefined; bytes: number }>();
  private objectCacheBytes = 0;
  private forgetObject(bucket: string, key: string): void {
    const id = `${bucket}/${key}`;
    const entry = this.objectCache.get(id);
    if (entry === undefined) return;
    this.objectCache.delete(id);
    this.objectCacheBytes -= entry.bytes;
  }
  async putObject(object: ObjectRecord, condition?: WriteCondition): Promise<ObjectRecord | undefined> {
    try {
      const op: WriteOp = condition === undefined ? { op: 'putObject', object } : { op: 'putObject', object, condition };
      return fixObject(await this.enqueue<ObjectRecord | undefined>(op));
    } finally {
      this.forgetObject(object.bucket, object.key);
    }
  }
  async resealObject(bucket: string, key: string, from: EncryptionRecord, to: EncryptionRecord): Promise<boolean> {
    try {
      return await this.enqueue<boolean>({ op: 'resealObject', bucket, key, from, to });
    } finally {
      this.forgetObject(bucket, key);
    }
  }
  resealUpload(uploadId: string, from: EncryptionRecord, to: EncryptionRecord): Promise<boolean> {
    return this.enqueue<boolean>({ op: 'resealUpload', uploadId, from, to });
  }
  async deleteObject(bucket: string, key: string): Promise<ObjectRecord | undefined> {
    try {
      return fixObject(await this.enqueue<ObjectRecord | undefined>({ op: 'deleteObject', bucket, key }));
    } finally {
      this.forgetObject(bucket, key);
    }
  }
  async listObjects(bucket: string, query: ListObjectsQuery): Promise<ObjectSummary[]> {
    return this.reader.listObjects(bucket, query);
  }
  async countObjects(bucket: string): Promise<number> {
    return this.reader.countObjects(bucket);
  }

  // ---- multipart uploads ----

  createUpload(upload: UploadRecord): Promise<void> {
    return this.enqueue<void>({ op: 'createUpload', upload });
  }
  async getUpload(uploadId: string): Promise<UploadRecord | undefined> {
    return this.reader.getUpload(uploadId);
  }
  async listUploads(bucket: string, query: ListUploadsQuery): Promise<UploadRecord[]> {
    return this.reader.listUploads(bucket, query);
  }
  async putPart(part: PartRecord): Promise<PartRecord | undefined> {
    const old = await this.enqueue<PartRecord | undefined>({ op: 'putPart', part });
    return old && fixPart(old);
  }
  async getParts(uploadId: string): Promise<PartRecord[]> {
    return this.reader.getParts(uploadId);
  }
  async listParts(uploadId: string, afterPartNumber: number, limit: number): Promise<PartRecord[]> {
    return this.reader.listParts(uploadId, afterPartNumber, limit);
  }
  async abortUpload(uploadId: string): Promise<PartRecord[] | undefined> {
    const parts = await this.enqueue<PartRecord[] | undefined>({ op: 'abortUpload', uploadId });
    return parts?.map(fixPart);
  }
  async completeUpload(
    uploadId: string,
    object: ObjectRecord,
    readParts?: readonly ReadPart[],
    condition?: WriteCondition,
  ): Promise<{ replaced: ObjectRecord | undefined; unusedParts: PartRecord[] }> {
    let r: { replaced: ObjectRecord | undefined; unusedParts: PartRecord[] };
    try {
      r = await this.enqueue<{ replaced: ObjectRecord | undefined; unusedParts: PartRecord[] }>({
        op: 'completeUpload',
        uploadId,
        object,
        ...(readParts === undefined ? {} : { readParts }),
        ...(condition === undefined ? {} : { condition }),
      });
    } finally {
      this.forgetObject(object.bucket, object.key);
    }
    return { replaced: fixObject(r.replaced), unusedParts: r.unusedParts.map(fixPart) };
  }

  // ---- the reclaim journal ----

  registerBlobIntents(blobs: readonly FileBlob[]): Promise<void> {
    if (blobs.length === 0) return Promise.resolve();
    return this.enqueue<void>({ op: 'registerBlobIntents', blobs: blobs.map((b) => ({ kind: 'file', id: b.id, size: b.size })) });
  }
  takeReclaimLease(holder: string, ttlMs: number): Promise<boolean> {
    return this.enqueue<boolean>({ op: 'takeReclaimLease', holder, ttlMs });
  }
  releaseReclaimLease(holder: string): Promise<void> {
    return this.enqueue<void>({ op: 'releaseReclaimLease', holder });
  }
  dueReclaims(limit: number): Promise<ReclaimEntry[]> {
    try {
      return Promise.resolve(this.reader.dueReclaims(Date.now(), limit));
    } catch (err) {
      return Promise.reject(new MetaStoreError('STRONGBOX_META_IO', 'cannot read the reclaim journal', { cause: err }));
    }
  }
  finishReclaims(entryIds: readonly number[]): Promise<void> {
    if (entryIds.length === 0) return Promise.resolve();
    return this.enqueue<void>({ op: 'finishReclaims', entryIds: [...entryIds] });
  }
  orphanSweepPending(): Promise<boolean> {
    return Promise.resolve(this.reader.orphanSweepPending());
  }

  // ---- root key versions ----

  listRootKeyIds(): Promise<string[]> {
    return Promise.resolve(this.reader.rootKeyIds());
  }
  addRootKeyIds(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return this.enqueue<void>({ op: 'addRootKeyIds', ids: [...ids] });
  }
  journalOrphans(blobs: readonly FileBlob[], done: boolean): Promise<number> {
    return this.enqueue<number>({ op: 'journalOrphans', blobs: blobs.map((b) => ({ kind: 'file', id: b.id, size: b.size })), done });
  }

  /** Stop accepting writes and close, resolving once every queued write has settled and the writer thread is gone. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    while (this.inFlight || this.queue.length > 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.flush();
    }
    await this.executor.close();
    await this.reserve?.idle();
    this.db.close();
  }

  // ---- free space ----

  /** Throws StorageFullError when the database's volume is below its free-space floor. */
  async requireRoom(): Promise<void> {
    this.keepReserve();
    this.space.requireRoom();
  }

  private reserveMissing = false;

  /** Make the reserve again once the volume has room for it twice over. */
  private keepReserve(): void {
    const reserve = this.reserve;
    if (reserve === undefined || !this.reserveMissing || this.closed) return;
    if (this.space.bytesFree() < 2 * reserve.size) return;
    this.reserveMissing = false;
    reserve.restore().then(
      (made) => {
        if (!made) this.reserveMissing = true;
        else this.space.consumed(reserve.size);
      },
      () => (this.reserveMissing = true),
    );
  }

  /** @internal whether the reserve must be made again (start-up, after a release) */
  noteReserveMissing(): void {
    this.reserveMissing = true;
    this.keepReserve();
  }

  /**
   * A commit found the volume full. An op that frees space is retried (makeRoom runs first);
   * anything else is refused.
   */
  private onFull(p: Pending, retry: Pending[]): void {
    this.space.noteFull();
    const retries = p.retries ?? 0;
    if (!RESERVE_OPS.has(p.op.op) || retries >= MAX_FULL_RETRIES) {
      p.reject(new StorageFullError('the metadata volume is full'));
      return;
    }
    retry.push({ ...p, retries: retries + 1 });
  }

  /**
   * Before retrying deletes on a full volume: give one piece of the reserve back, and
   * checkpoint, so that the WAL, once copied into the database, restarts from its beginning
   * and reuses its own space instead of growing (space-reserve.ts).
   */
  private makeRoom(): void {
    if (this.reserve?.releaseOne() === true) this.reserveMissing = true;
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Best effort (SQLITE_FULL, or SQLITE_BUSY while the CLI writes): the retried commit
      // reports whether there was room after all, with its own error.
    }
  }

  // ---- group commit ----

  private enqueue<T>(op: WriteOp): Promise<T> {
    if (this.closed) {
      return Promise.reject(new MetaStoreError('STRONGBOX_META_IO', 'metadata store is closed'));
    }
    this.keepReserve();
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Send the queued ops as one batch; the next batch collects while this one commits. */
  private flush(): void {
    if (this.inFlight || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.inFlight = true;
    if (this.executor.pipelined) {
      // The batch is committed once run() returns; only its durability is still pending.
      const done = this.executor.run(batch.map((p) => p.op));
      this.inFlight = false;
      if (this.queue.length > 0) this.schedule();
      this.settle(batch, done, () => undefined);
      return;
    }
    this.settle(batch, this.executor.run(batch.map((p) => p.op)), () => this.afterBatch());
  }

  private settle(batch: readonly Pending[], done: Promise<OpResult[]>, after: () => void): void {
    done.then(
      (results) => {
        const retry: Pending[] = [];
        batch.forEach((p, i) => {
          const r = results[i];
          if (r === undefined) p.reject(new MetaStoreError('STRONGBOX_META_IO', 'no result'));
          else if (r.ok) p.resolve(r.value);
          else if (r.code === STORAGE_FULL) this.onFull(p, retry);
          else p.reject(new MetaStoreError(toCode(r.code), r.message));
        });
        if (retry.length > 0) {
          this.makeRoom();
          // First in line: they were asked for before anything queued meanwhile.
          this.queue.unshift(...retry);
          this.schedule();
        }
        after();
      },
      (err: unknown) => {
        // The commit went through but its fdatasync failed: never acknowledged, never retried.
        const full = isNoSpace(err);
        if (full) this.space.noteFull();
        for (const p of batch) {
          p.reject(full ? new StorageFullError('the metadata volume is full', { cause: err, mayBeStored: true }) : new MetaStoreError('STRONGBOX_META_IO', 'metadata write failed', { cause: err }));
        }
        after();
      },
    );
  }

  private afterBatch(): void {
    this.inFlight = false;
    if (this.queue.length > 0) this.schedule();
  }
}

/** A code that came back from the writer as a string; anything unknown is an I/O fault. @internal */
export const toCode = (code: string): MetaStoreErrorCode => (isMetaStoreErrorCode(code) ? code : 'STRONGBOX_META_IO');

/**
 * Open (creating if needed, mode 0600) `dir/meta.db`. The directory must exist.
 * Several processes may open the same database (the CLI while the server runs).
 */
export function openSqliteMetaStore(dir: string, opts: SqliteMetaStoreOptions = {}): SqliteMetaStore {
  const path = join(dir, META_DB_FILE);
  const space = new FreeSpace(dir, opts.freeSpace);
  const reserveBytes = opts.reserveBytes ?? 0;
  const reserve = reserveBytes > 0 ? new SpaceReserve(dir, reserveBytes) : undefined;
  // On a volume this full even the first read may fail (the WAL index cannot be created):
  // give a piece of the reserve back before opening, so that the deletes that make room can commit.
  if (reserve !== undefined && space.bytesFree() < reserve.pieceSize) reserve.releaseOne();
  const db = openDatabase(path, true);
  let store: SqliteMetaStore;
  try {
    store = new SqliteMetaStore(db, path, opts, space, reserve);
  } catch (err) {
    db.close();
    throw err;
  }
  // Made (again) before anything is served, when the volume has room for it twice over.
  if (reserve !== undefined && reserve.pieces() < RESERVE_PIECES) {
    if (space.bytesFree() < 2 * reserve.size || !reserve.restoreNow()) store.noteReserveMissing();
    else space.refresh();
  }
  return store;
}
