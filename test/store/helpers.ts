import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import Database from 'better-sqlite3';
import type { ObjectRecord, PartRecord, UploadRecord } from '../../src/store/meta/types.js';

/** A fresh directory removed when the test ends. */
export async function tempDir(t: TestContext, name = 'strongbox-store-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), name));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export const T0 = new Date('2024-05-01T12:00:00.000Z');

export function objectRecord(bucket: string, key: string, extra: Partial<ObjectRecord> = {}): ObjectRecord {
  return {
    bucket,
    key,
    size: 3,
    etag: '"abc"',
    lastModified: T0,
    contentHeaders: { 'content-type': 'text/plain' },
    userMetadata: {},
    segments: [{ blob: { kind: 'inline', data: Buffer.from('abc') }, size: 3 }],
    encryption: { mode: 'none' },
    storageClass: 'STANDARD',
    owner: 'alice',
    ...extra,
  };
}

export function uploadRecord(uploadId: string, bucket: string, key: string, initiated = T0): UploadRecord {
  return {
    uploadId,
    bucket,
    key,
    initiated,
    owner: 'alice',
    contentHeaders: {},
    userMetadata: { m: 'v' },
    encryption: { mode: 'sse-s3', sealed: 'xyz' },
    storageClass: 'STANDARD',
  };
}

export function partRecord(uploadId: string, partNumber: number, fileId?: string): PartRecord {
  return {
    uploadId,
    partNumber,
    size: 10,
    etag: `"p${partNumber}"`,
    lastModified: T0,
    blob:
      fileId === undefined
        ? { kind: 'inline', data: Buffer.from(`part-${partNumber}`) }
        : { kind: 'file', id: fileId, size: 26 },
    encryption: { salt: `s${partNumber}` },
  };
}

/** Every file blob id that an object segment or a part names, read straight from `dir/meta.db`. */
export function referencedBlobIds(dir: string): Set<string> {
  const db = new Database(join(dir, 'meta.db'), { readonly: true, fileMustExist: true });
  try {
    const ids = db
      .prepare('SELECT blob_id FROM object_segments WHERE blob_id IS NOT NULL UNION ALL SELECT blob_id FROM parts WHERE blob_id IS NOT NULL')
      .pluck()
      .all() as string[];
    return new Set(ids);
  } finally {
    db.close();
  }
}

/** The reclaim journal as `blob id: reason` lines, sorted, read straight from `dir/meta.db`. */
export function journalOf(dir: string): string[] {
  const db = new Database(join(dir, 'meta.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT blob_id, reason FROM reclaim').all() as { blob_id: string; reason: string }[];
    return rows.map((r) => `${r.blob_id}: ${r.reason}`).sort();
  } finally {
    db.close();
  }
}
