/**
 * The stores on a real, full volume (a small tmpfs; needs root, see tmpfs.ts): at 0 bytes free
 * new data is refused with StorageFullError, while deletes and aborts commit and a blob write
 * that runs out of space leaves nothing behind — also after a restart at 0 bytes free.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { closeStores, openStores, type Stores } from '../../src/store/open-stores.js';
import { FREE_SPACE_CACHE_MS, StorageFullError } from '../../src/store/free-space.js';
import type { BlobSegment } from '../../src/store/blob/types.js';
import type { ObjectRecord } from '../../src/store/meta/types.js';
import { objectRecord, partRecord, uploadRecord, T0 } from './helpers.js';
import { bytesFree, fillToZero, mountTmpfs } from './tmpfs.js';

const MiB = 1024 * 1024;
const RESERVE = 2 * MiB;

const open = (dir: string, reserveBytes = RESERVE) => openStores(dir, { minFreeSpace: MiB, meta: { reserveBytes } });

async function writeBlob(s: Stores, data: Buffer): Promise<BlobSegment> {
  const w = s.blobs.createWriter(data.length);
  await pipeline(Readable.from([data]), w);
  return w.finish();
}

async function waitFor(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(ok(), what);
}

const reservePieces = (dir: string) => readdirSync(dir).filter((f) => /^space-reserve\.\d$/.test(f)).length;

test('at 0 bytes free: writes refused, deletes and aborts commit and free their blobs, also after a restart', async (t) => {
  const m = mountTmpfs(12);
  if ('skip' in m) {
    console.log(`# full-disk store test skipped: ${m.skip}`);
    t.skip(m.skip);
    return;
  }
  const dir = join(m.dir, 'data');
  const filler = join(m.dir, 'filler');
  let stores: Stores | undefined;
  try {
    stores = await open(dir);
    await waitFor('the reserve is made at start', () => reservePieces(dir) === 4);
    const s = stores;
    await s.meta.createBucket({ name: 'b', owner: 'alice', createdAt: T0, region: 'us-east-1' });
    const kept = new Map<string, ObjectRecord>();
    for (let i = 0; i < 40; i++) {
      const rec = objectRecord('b', `inline-${i}`, { segments: [{ blob: { kind: 'inline', data: randomBytes(3000) }, size: 3000 }], size: 3000 });
      await s.meta.putObject(rec);
      kept.set(rec.key, rec);
    }
    const files = new Map<string, Buffer>();
    for (let i = 0; i < 4; i++) {
      const data = randomBytes(400_000);
      const seg = await writeBlob(s, data);
      const rec = objectRecord('b', `file-${i}`, { segments: [{ blob: seg, size: data.length }], size: data.length });
      await s.meta.putObject(rec);
      kept.set(rec.key, rec);
      files.set(rec.key, data);
    }
    await s.meta.createUpload(uploadRecord('u1', 'b', 'mp'));
    await s.meta.putPart(partRecord('u1', 1));

    fillToZero(filler);
    assert.equal(bytesFree(m.dir), 0);
    // Filled from outside: the stores see it at their next look at the volume.
    await new Promise((r) => setTimeout(r, FREE_SPACE_CACHE_MS));
    await assert.rejects(s.meta.requireRoom(), StorageFullError);
    assert.throws(() => s.blobs.requireRoom(), StorageFullError);
    // A blob write that runs out of space: StorageFullError, and no temporary file is left.
    const w = s.blobs.createWriter(MiB);
    await assert.rejects(pipeline(Readable.from([randomBytes(MiB)]), w), StorageFullError);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(readdirSync(join(dir, 'data', 'tmp')), []);

    // Deletes at 0 bytes free.
    for (const key of ['inline-0', 'inline-1', 'file-0']) {
      fillToZero(filler);
      const removed = await s.meta.deleteObject('b', key);
      assert.equal(removed?.key, key);
      kept.delete(key);
      // What the drain of the reclaim journal does, without waiting for the grace period.
      await s.blobs.delete(removed.segments.map((g) => g.blob));
    }
    assert.ok(bytesFree(m.dir) > 0, 'deleting a file object gave its space back');
    fillToZero(filler);
    assert.equal((await s.meta.abortUpload('u1'))?.length, 1);

    // Restart at 0 bytes free: the store opens, reads, and deletes.
    await closeStores(s);
    stores = undefined;
    fillToZero(filler);
    assert.equal(bytesFree(m.dir), 0);
    stores = await open(dir);
    fillToZero(filler);
    const again = stores;
    assert.equal((await again.meta.deleteObject('b', 'inline-2'))?.key, 'inline-2');
    kept.delete('inline-2');
    fillToZero(filler);
    const removed = await again.meta.deleteObject('b', 'file-1');
    kept.delete('file-1');
    await again.blobs.delete(removed?.segments.map((g) => g.blob) ?? []);

    // Everything else is intact.
    for (const [key, rec] of kept) {
      const got = (await again.meta.getObject('b', key));
      assert.deepEqual(got?.segments.map((g) => g.blob), rec.segments.map((g) => g.blob), key);
    }
    assert.equal((await again.meta.countObjects('b')), kept.size);
    await closeStores(again);
    stores = undefined;
  } finally {
    if (stores !== undefined) await closeStores(stores);
    m.unmount();
  }
});

test('without the reserve, a restart at 0 bytes free cannot even read the database (why the reserve exists)', async (t) => {
  const m = mountTmpfs(4);
  if ('skip' in m) {
    console.log(`# full-disk store test skipped: ${m.skip}`);
    t.skip(m.skip);
    return;
  }
  const dir = join(m.dir, 'data');
  try {
    const s = await open(dir, 0);
    await s.meta.createBucket({ name: 'b', owner: 'alice', createdAt: T0, region: 'us-east-1' });
    await s.meta.putObject(objectRecord('b', 'k'));
    await closeStores(s);
    assert.ok(!existsSync(join(dir, 'space-reserve.0')));
    fillToZero(join(m.dir, 'filler'));
    await assert.rejects(open(dir, 0), /metadata database/);
  } finally {
    m.unmount();
  }
});
