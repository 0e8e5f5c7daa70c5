import type Database from 'better-sqlite3';
import {
  Reader,
  blobColumns,
  bucketMetaJson,
  keyBytes,
  objectMetaJson,
  partMetaJson,
  segmentMetaJson,
  uploadMetaJson,
} from './sqlite-records.js';
import { MetaStoreError, type FileBlob, type ReclaimReason } from './types.js';
import { STORAGE_FULL, isNoSpace } from '../free-space.js';
import type { BlobSegment } from '../blob/types.js';
import type { BucketChange, BucketRecord, EncryptionRecord, ObjectRecord, PartRecord, ReadPart, UploadRecord, WriteCondition } from './types.js';
import { checkWriteCondition } from './write-condition.js';

/** One queued write. Plain data, so it can cross to the writer thread. */
export type WriteOp =
  | { readonly op: 'createBucket'; readonly bucket: BucketRecord }
  | { readonly op: 'deleteBucket'; readonly name: string }
  | { readonly op: 'updateBucket'; readonly name: string; readonly change: BucketChange }
  | { readonly op: 'putObject'; readonly object: ObjectRecord; readonly condition?: WriteCondition }
  | { readonly op: 'deleteObject'; readonly bucket: string; readonly key: string }
  | { readonly op: 'resealObject'; readonly bucket: string; readonly key: string; readonly from: EncryptionRecord; readonly to: EncryptionRecord }
  | { readonly op: 'resealUpload'; readonly uploadId: string; readonly from: EncryptionRecord; readonly to: EncryptionRecord }
  | { readonly op: 'createUpload'; readonly upload: UploadRecord }
  | { readonly op: 'putPart'; readonly part: PartRecord }
  | { readonly op: 'abortUpload'; readonly uploadId: string }
  | {
      readonly op: 'completeUpload';
      readonly uploadId: string;
      readonly object: ObjectRecord;
      readonly readParts?: readonly ReadPart[];
      readonly condition?: WriteCondition;
    }
  | { readonly op: 'registerBlobIntents'; readonly blobs: readonly FileBlob[] }
  | { readonly op: 'takeReclaimLease'; readonly holder: string; readonly ttlMs: number }
  | { readonly op: 'releaseReclaimLease'; readonly holder: string }
  | { readonly op: 'finishReclaims'; readonly entryIds: readonly number[] }
  | { readonly op: 'journalOrphans'; readonly blobs: readonly FileBlob[]; readonly done: boolean }
  | { readonly op: 'addRootKeyIds'; readonly ids: readonly string[] };

/** The one drain lease's row name. */
export const RECLAIM_LEASE = 'reclaim';

interface MetaRow {
  id: number | string;
  meta: string;
}

/** The outcome of one op; errors are plain data for the same reason. */
export type OpResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly code: string; readonly message: string };

const isConstraint = (err: unknown, code: string): boolean =>
  (err as { code?: unknown }).code === code;

/**
 * Applies batches of writes, one transaction per batch and one savepoint per op, so that a
 * failing op is rolled back alone and the rest of the batch still commits.
 */
export class BatchWriter {
  private readonly reader: Reader;
  private readonly s;

  private readonly tx: Record<'begin' | 'savepoint' | 'release' | 'rollbackTo' | 'commit' | 'rollback', Database.Statement>;

  /**
   * `reclaimGraceMs`: how long after its entry is written a journaled blob may be removed.
   * The clock is this host's (`Date.now()` here, never a caller's): one host holds the database.
   */
  constructor(
    private readonly db: Database.Database,
    private readonly reclaimGraceMs: number,
  ) {
    this.reader = new Reader(db);
    const p = (sql: string) => db.prepare(sql);
    // Prepared once: exec() would parse these statements again for every op of every batch.
    this.tx = {
      begin: p('BEGIN IMMEDIATE'),
      savepoint: p('SAVEPOINT op'),
      release: p('RELEASE op'),
      rollbackTo: p('ROLLBACK TO op'),
      commit: p('COMMIT'),
      rollback: p('ROLLBACK'),
    };
    this.s = {
      insertBucket: p('INSERT INTO buckets (name, owner, created_at, region, meta) VALUES (?, ?, ?, ?, ?)'),
      updateBucketMeta: p('UPDATE buckets SET meta = ? WHERE name = ?'),
      deleteBucket: p('DELETE FROM buckets WHERE name = ?'),
      bucketExists: p('SELECT 1 FROM buckets WHERE name = ?').pluck(),
      bucketHasObjects: p('SELECT 1 FROM objects WHERE bucket = ? LIMIT 1').pluck(),
      bucketHasUploads: p('SELECT 1 FROM uploads WHERE bucket = ? LIMIT 1').pluck(),
      insertObject: p(
        `INSERT INTO objects (bucket, key, size, etag, last_modified, storage_class, owner,
           checksum_algorithm, checksum_type, meta)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      deleteObject: p('DELETE FROM objects WHERE id = ?'),
      objectMeta: p('SELECT id, meta FROM objects WHERE bucket = ? AND key = ?'),
      updateObjectMeta: p('UPDATE objects SET meta = ? WHERE id = ?'),
      uploadMeta: p('SELECT upload_id AS id, meta FROM uploads WHERE upload_id = ?'),
      updateUploadMeta: p('UPDATE uploads SET meta = ? WHERE upload_id = ?'),
      insertSegment: p(
        `INSERT INTO object_segments (object_id, seq, blob_id, blob_size, data, meta)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      insertUpload: p(
        `INSERT INTO uploads (upload_id, bucket, key, initiated, owner, meta)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      deleteUpload: p('DELETE FROM uploads WHERE upload_id = ?'),
      uploadExists: p('SELECT 1 FROM uploads WHERE upload_id = ?').pluck(),
      upsertPart: p(
        `INSERT OR REPLACE INTO parts (upload_id, part_number, size, etag, last_modified,
           blob_id, blob_size, data, meta)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      journal: p('INSERT INTO reclaim (blob_id, blob, due_at, reason) VALUES (?, ?, ?, ?)'),
      unjournal: p('DELETE FROM reclaim WHERE blob_id = ?'),
      finishReclaim: p('DELETE FROM reclaim WHERE id = ?'),
      addRootKeyId: p('INSERT OR IGNORE INTO root_key_ids (id, recorded_at) VALUES (?, ?)'),
      journaled: p('SELECT 1 FROM reclaim WHERE blob_id = ? LIMIT 1').pluck(),
      referencedBySegment: p('SELECT 1 FROM object_segments WHERE blob_id = ? LIMIT 1').pluck(),
      referencedByPart: p('SELECT 1 FROM parts WHERE blob_id = ? LIMIT 1').pluck(),
      sweepDone: p(`DELETE FROM reclaim_sweep WHERE name = 'unreferenced'`),
      takeLease: p(
        `INSERT INTO reclaim_lease (name, holder, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE reclaim_lease.holder = excluded.holder OR reclaim_lease.expires_at <= ?`,
      ),
      releaseLease: p('DELETE FROM reclaim_lease WHERE name = ? AND holder = ?'),
    };
  }

  applyBatch(ops: readonly WriteOp[]): OpResult[] {
    try {
      this.tx.begin.run();
    } catch (err) {
      return ops.map(() => failure(err));
    }
    const results: OpResult[] = [];
    try {
      for (const op of ops) {
        this.tx.savepoint.run();
        try {
          const value = this.apply(op);
          this.tx.release.run();
          results.push({ ok: true, value });
        } catch (err) {
          this.tx.rollbackTo.run();
          this.tx.release.run();
          results.push(failure(err));
        }
      }
      this.tx.commit.run();
    } catch (err) {
      // The savepoint machinery or the commit itself failed: nothing of the batch is durable.
      if (this.db.inTransaction) this.tx.rollback.run();
      return ops.map(() => failure(err));
    }
    return results;
  }

  private apply(op: WriteOp): unknown {
    switch (op.op) {
      case 'createBucket':
        return this.createBucket(op.bucket);
      case 'deleteBucket':
        return this.deleteBucket(op.name);
      case 'updateBucket':
        return this.updateBucket(op.name, op.change);
      case 'putObject':
        return this.putObject(op.object, op.condition);
      case 'deleteObject':
        return this.deleteObject(op.bucket, op.key);
      case 'resealObject':
        return this.reseal(this.s.objectMeta.get(op.bucket, keyBytes(op.key)) as MetaRow | undefined, this.s.updateObjectMeta, op.from, op.to);
      case 'resealUpload':
        return this.reseal(this.s.uploadMeta.get(op.uploadId) as MetaRow | undefined, this.s.updateUploadMeta, op.from, op.to);
      case 'createUpload':
        return this.createUpload(op.upload);
      case 'putPart':
        return this.putPart(op.part);
      case 'abortUpload':
        return this.abortUpload(op.uploadId);
      case 'completeUpload':
        return this.completeUpload(op.uploadId, op.object, op.readParts, op.condition);
      case 'registerBlobIntents':
        for (const b of op.blobs) this.journal(b, 'intent');
        return undefined;
      case 'takeReclaimLease': {
        const now = Date.now();
        return this.s.takeLease.run(RECLAIM_LEASE, op.holder, now + op.ttlMs, now).changes > 0;
      }
      case 'releaseReclaimLease':
        this.s.releaseLease.run(RECLAIM_LEASE, op.holder);
        return undefined;
      case 'finishReclaims':
        for (const id of op.entryIds) this.s.finishReclaim.run(id);
        return undefined;
      case 'journalOrphans':
        return this.journalOrphans(op.blobs, op.done);
      case 'addRootKeyIds': {
        const now = Date.now();
        for (const id of op.ids) this.s.addRootKeyId.run(id, now);
        return undefined;
      }
    }
  }

  /** One journal entry, due after the grace period. */
  private journal(blob: BlobSegment, reason: ReclaimReason): void {
    if (blob.kind !== 'file') return; // inline bytes go with their row
    const entry: FileBlob = { kind: 'file', id: blob.id, size: blob.size };
    this.s.journal.run(blob.id, JSON.stringify(entry), Date.now() + this.reclaimGraceMs, reason);
  }

  /** A commit that references `blob` keeps it: its intent (or any other entry) goes. */
  private keep(blob: BlobSegment): void {
    if (blob.kind === 'file') this.s.unjournal.run(blob.id);
  }

  private journalOrphans(blobs: readonly FileBlob[], done: boolean): number {
    let n = 0;
    for (const b of blobs) {
      if (this.s.journaled.get(b.id) !== undefined || this.s.referencedBySegment.get(b.id) !== undefined || this.s.referencedByPart.get(b.id) !== undefined) continue;
      this.journal(b, 'orphan');
      n++;
    }
    if (done) this.s.sweepDone.run();
    return n;
  }

  private createBucket(b: BucketRecord): void {
    try {
      this.s.insertBucket.run(b.name, b.owner, b.createdAt.getTime(), b.region, bucketMetaJson(b));
    } catch (err) {
      if (isConstraint(err, 'SQLITE_CONSTRAINT_PRIMARYKEY')) {
        throw new MetaStoreError('STRONGBOX_BUCKET_EXISTS', `bucket ${b.name} exists`);
      }
      throw err;
    }
  }

  private deleteBucket(name: string): boolean {
    if (this.s.bucketExists.get(name) === undefined) return false;
    if (
      this.s.bucketHasObjects.get(name) !== undefined ||
      this.s.bucketHasUploads.get(name) !== undefined
    ) {
      throw new MetaStoreError('STRONGBOX_BUCKET_NOT_EMPTY', `bucket ${name} is not empty`);
    }
    this.s.deleteBucket.run(name);
    return true;
  }

  private updateBucket(name: string, change: BucketChange): boolean {
    const current = this.reader.getBucket(name);
    if (current === undefined) return false;
    const pick = <T>(next: T | null | undefined, old: T | undefined): T | undefined => (next === undefined ? old : (next ?? undefined));
    const encryption = pick(change.encryption, current.encryption);
    const policy = pick(change.policy, current.policy);
    this.s.updateBucketMeta.run(bucketMetaJson({ ...(encryption && { encryption }), ...(policy !== undefined && { policy }) }), name);
    return true;
  }

  private reseal(row: MetaRow | undefined, update: Database.Statement, from: EncryptionRecord, to: EncryptionRecord): boolean {
    if (row === undefined) return false;
    const meta = JSON.parse(row.meta) as { encryption?: EncryptionRecord };
    if (JSON.stringify(meta.encryption) !== JSON.stringify(from)) return false;
    update.run(JSON.stringify({ ...meta, encryption: to }), row.id);
    return true;
  }

  private requireBucket(name: string): void {
    if (this.s.bucketExists.get(name) === undefined) {
      throw new MetaStoreError('STRONGBOX_BUCKET_MISSING', `bucket ${name} does not exist`);
    }
  }

  private putObject(o: ObjectRecord, condition?: WriteCondition): ObjectRecord | undefined {
    this.requireBucket(o.bucket);
    const old = this.reader.getObjectWithId(o.bucket, o.key);
    // Inside the batch's transaction (BEGIN IMMEDIATE): no other writer can commit in between.
    if (condition !== undefined) checkWriteCondition(condition, old?.record, `${o.bucket}/${o.key}`);
    if (old !== undefined) {
      this.s.deleteObject.run(old.id);
      // What the new version still uses (a copy onto itself keeps its blobs) stays.
      const kept = new Set(o.segments.flatMap((s) => (s.blob.kind === 'file' ? [s.blob.id] : [])));
      for (const seg of old.record.segments) if (seg.blob.kind === 'file' && !kept.has(seg.blob.id)) this.journal(seg.blob, 'replaced');
    }
    for (const seg of o.segments) this.keep(seg.blob);
    const info = this.s.insertObject.run(
      o.bucket,
      keyBytes(o.key),
      o.size,
      o.etag,
      o.lastModified.getTime(),
      o.storageClass,
      o.owner,
      o.checksum?.algorithm ?? null,
      o.checksum?.type ?? null,
      objectMetaJson(o),
    );
    const id = info.lastInsertRowid;
    o.segments.forEach((seg, seq) => {
      const c = blobColumns(seg.blob);
      this.s.insertSegment.run(id, seq, c.blob_id, c.blob_size, c.data, segmentMetaJson(seg));
    });
    return old?.record;
  }

  private deleteObject(bucket: string, key: string): ObjectRecord | undefined {
    const old = this.reader.getObjectWithId(bucket, key);
    if (old === undefined) return undefined;
    this.s.deleteObject.run(old.id);
    for (const seg of old.record.segments) this.journal(seg.blob, 'deleted');
    return old.record;
  }

  private createUpload(u: UploadRecord): void {
    this.requireBucket(u.bucket);
    this.s.insertUpload.run(
      u.uploadId,
      u.bucket,
      keyBytes(u.key),
      u.initiated.getTime(),
      u.owner,
      uploadMetaJson(u),
    );
  }

  private putPart(p: PartRecord): PartRecord | undefined {
    if (this.s.uploadExists.get(p.uploadId) === undefined) {
      throw new MetaStoreError('STRONGBOX_UPLOAD_MISSING', `upload ${p.uploadId} does not exist`);
    }
    const old = this.reader.getPart(p.uploadId, p.partNumber);
    const c = blobColumns(p.blob);
    this.s.upsertPart.run(
      p.uploadId,
      p.partNumber,
      p.size,
      p.etag,
      p.lastModified.getTime(),
      c.blob_id,
      c.blob_size,
      c.data,
      partMetaJson(p),
    );
    if (old !== undefined && !(old.blob.kind === 'file' && p.blob.kind === 'file' && old.blob.id === p.blob.id)) this.journal(old.blob, 'part-replaced');
    this.keep(p.blob);
    return old;
  }

  private abortUpload(uploadId: string): PartRecord[] | undefined {
    if (this.s.uploadExists.get(uploadId) === undefined) return undefined;
    const parts = this.reader.getParts(uploadId);
    this.s.deleteUpload.run(uploadId); // parts go with it (ON DELETE CASCADE)
    for (const p of parts) this.journal(p.blob, 'part-aborted');
    return parts;
  }

  private completeUpload(
    uploadId: string,
    object: ObjectRecord,
    readParts: readonly ReadPart[] | undefined,
    condition: WriteCondition | undefined,
  ): { replaced: ObjectRecord | undefined; unusedParts: PartRecord[] } {
    if (this.s.uploadExists.get(uploadId) === undefined) {
      throw new MetaStoreError('STRONGBOX_UPLOAD_MISSING', `upload ${uploadId} does not exist`);
    }
    const parts = this.reader.getParts(uploadId);
    if (readParts !== undefined) {
      const now = new Map(parts.map((p) => [p.partNumber, p]));
      for (const read of readParts) {
        const p = now.get(read.partNumber);
        const same = p !== undefined && p.etag === read.etag && (p.blob.kind === 'file' ? p.blob.id === read.blobId : read.blobId === undefined);
        if (!same) throw new MetaStoreError('STRONGBOX_PART_CHANGED', `part ${read.partNumber} of upload ${uploadId} changed meanwhile`);
      }
    }
    const usedFiles = new Set<string>();
    const usedNumbers = new Set<number>();
    for (const seg of object.segments) {
      if (seg.blob.kind === 'file') usedFiles.add(seg.blob.id);
      else if (seg.partNumber !== undefined) usedNumbers.add(seg.partNumber);
    }
    const unusedParts = parts.filter((p) =>
      p.blob.kind === 'file' ? !usedFiles.has(p.blob.id) : !usedNumbers.has(p.partNumber),
    );
    this.s.deleteUpload.run(uploadId);
    for (const p of unusedParts) this.journal(p.blob, 'part-unused');
    const replaced = this.putObject(object, condition);
    return { replaced, unusedParts };
  }
}

function failure(err: unknown): OpResult {
  if (err instanceof MetaStoreError) return { ok: false, code: err.code, message: err.message };
  if (isNoSpace(err)) return { ok: false, code: STORAGE_FULL, message: 'the metadata volume is full' };
  const message = err instanceof Error ? err.message : String(err);
  return { ok: false, code: 'STRONGBOX_META_IO', message: `metadata write failed: ${message}` };
}
