/**
 * The reclaim journal (src/store/reclaim.ts) on the real stores: entries written in the
 * transaction that frees a blob, due after the grace period, drained under a lease that one
 * process holds at a time; writers' intents; leftovers of crashed writes; the one-time sweep
 * after an upgrade. Durations are never asserted, only the order of effects.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { openStores, closeStores, type Stores } from '../../src/store/open-stores.js';
import { openSqliteMetaStore } from '../../src/store/meta/sqlite.js';
import type { BlobSegment } from '../../src/store/blob/types.js';
import type { FileBlob, MetaStore } from '../../src/store/meta/types.js';
import { Reclaimer } from '../../src/store/reclaim.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { T0, journalOf, objectRecord, partRecord, tempDir, uploadRecord } from './helpers.js';

const LEASE_FIXTURE = fileURLToPath(new URL('./fixtures/reclaim-lease.js', import.meta.url));
const run = promisify(execFile);

async function open(t: TestContext, reclaimGraceMs: number, dir?: string): Promise<Stores & { dir: string }> {
  const d = dir ?? (await tempDir(t));
  const stores = await openStores(d, { meta: { reclaimGraceMs } });
  t.after(() => closeStores(stores));
  if (dir === undefined) await stores.meta.createBucket({ name: 'b', owner: 'alice', createdAt: T0, region: 'us-east-1' });
  return { ...stores, dir: d };
}

async function fileBlob(s: Stores, size = 100_000): Promise<FileBlob> {
  const w = s.blobs.createWriter(size);
  w.end(randomBytes(size));
  const seg = await w.finish();
  assert.equal(seg.kind, 'file');
  return seg;
}

const blobFile = (s: { dir: string }, b: FileBlob) => join(s.dir, 'data', 'blobs', b.id.slice(0, 2), b.id.slice(2, 4), b.id);
const withBlob = (key: string, blob: BlobSegment) => objectRecord('b', key, { segments: [{ blob, size: 3 }] });

/** Polls the journal (never a duration) until something is due. */
async function untilDue(meta: MetaStore): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await meta.dueReclaims(1)).length > 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail('nothing became due');
}

test('an overwrite journals the blob it frees in its own transaction; a refused commit journals and removes nothing', async (t) => {
  const s = await open(t, 10 * 60_000);
  const a = await fileBlob(s);
  const b = await fileBlob(s);
  assert.deepEqual(journalOf(s.dir), [`${a.id}: intent`, `${b.id}: intent`].sort());
  await s.meta.putObject(withBlob('k', a));
  assert.deepEqual(journalOf(s.dir), [`${b.id}: intent`], 'the commit that references a blob drops its intent');
  // Refused inside the store: the expected version is not the current one; nothing is journaled.
  await assert.rejects(s.meta.putObject(withBlob('k', b), { expectBlobIds: ['f'.repeat(32)] }), { code: 'STRONGBOX_OBJECT_CHANGED' });
  await assert.rejects(s.meta.putObject(objectRecord('nobucket', 'k', { segments: [{ blob: b, size: 3 }] })), { code: 'STRONGBOX_BUCKET_MISSING' });
  assert.deepEqual(journalOf(s.dir), [`${b.id}: intent`]);
  assert.ok(existsSync(blobFile(s, a)) && existsSync(blobFile(s, b)));
  // The overwrite itself.
  await s.meta.putObject(withBlob('k', b));
  assert.deepEqual(journalOf(s.dir), [`${a.id}: replaced`]);
  assert.ok(existsSync(blobFile(s, a)), 'nothing is removed by the commit');
  assert.deepEqual(await s.meta.dueReclaims(10), [], 'not due before the grace period');
  await s.meta.deleteObject('b', 'k');
  assert.deepEqual(journalOf(s.dir), [`${a.id}: replaced`, `${b.id}: deleted`].sort());
  // Inline segments need no entries.
  await s.meta.putObject(objectRecord('b', 'inline'));
  await s.meta.deleteObject('b', 'inline');
  assert.equal(journalOf(s.dir).length, 2);
});

test('a copy onto itself that keeps its blob journals nothing', async (t) => {
  const s = await open(t, 10 * 60_000);
  const a = await fileBlob(s);
  await s.meta.putObject(withBlob('k', a));
  await s.meta.putObject({ ...withBlob('k', a), etag: '"new"' }, { expectBlobIds: [a.id] });
  assert.deepEqual(journalOf(s.dir), []);
});

test('after the grace period a drain removes the freed blob files, then their entries', async (t) => {
  const s = await open(t, 200);
  const a = await fileBlob(s);
  const b = await fileBlob(s);
  await s.meta.putObject(withBlob('k', a));
  await s.meta.putObject(withBlob('k', b));
  await untilDue(s.meta);
  const due = await s.meta.dueReclaims(10);
  assert.deepEqual(due.map((e) => [e.blob.id, e.reason]), [[a.id, 'replaced']]);
  const pass = await s.reclaimer.runOnce();
  assert.deepEqual(pass, { leased: true, drained: 1, unfinished: 0 });
  assert.equal(existsSync(blobFile(s, a)), false, 'the replaced blob is gone');
  assert.equal(existsSync(blobFile(s, b)), true, 'the current one stays');
  assert.deepEqual(journalOf(s.dir), []);
  // Draining a blob that is already gone is not an error (a crash between delete and finish).
  await s.meta.putObject(withBlob('k', { kind: 'inline', data: Buffer.from('x') }));
  await s.blobs.delete([b]);
  await untilDue(s.meta);
  assert.equal((await s.reclaimer.runOnce()).drained, 1);
  assert.deepEqual(journalOf(s.dir), []);
});

test('parts: a replaced part, an abort and the parts a Complete leaves out are journaled', async (t) => {
  const s = await open(t, 10 * 60_000);
  await s.meta.createUpload(uploadRecord('u', 'b', 'k'));
  const [p1, p1b, p2, p3] = [await fileBlob(s), await fileBlob(s), await fileBlob(s), await fileBlob(s)];
  const part = (n: number, blob: FileBlob) => ({ ...partRecord('u', n), blob });
  await s.meta.putPart(part(1, p1));
  await s.meta.putPart(part(1, p1b));
  await s.meta.putPart(part(2, p2));
  await s.meta.putPart(part(3, p3));
  assert.deepEqual(journalOf(s.dir), [`${p1.id}: part-replaced`]);
  await s.meta.completeUpload('u', objectRecord('b', 'k', { segments: [{ blob: p1b, size: 3, partNumber: 1 }, { blob: p3, size: 3, partNumber: 3 }] }));
  assert.deepEqual(journalOf(s.dir), [`${p1.id}: part-replaced`, `${p2.id}: part-unused`].sort());
  await s.meta.createUpload(uploadRecord('v', 'b', 'k'));
  const q = await fileBlob(s);
  await s.meta.putPart({ ...partRecord('v', 1), blob: q });
  await s.meta.abortUpload('v');
  assert.ok(journalOf(s.dir).includes(`${q.id}: part-aborted`));
});

test('a blob written and never committed (a crash between rename and commit) is reclaimed after the grace period', async (t) => {
  const s = await open(t, 200);
  const leftover = await fileBlob(s);
  assert.deepEqual(journalOf(s.dir), [`${leftover.id}: intent`], 'the intent is durable before the blob is visible');
  await untilDue(s.meta);
  assert.equal((await s.reclaimer.runOnce()).drained, 1);
  assert.equal(existsSync(blobFile(s, leftover)), false);
  // A committed blob is never due: its commit dropped the intent.
  const kept = await fileBlob(s);
  await s.meta.putObject(withBlob('k', kept));
  assert.deepEqual(journalOf(s.dir), []);
});

test('temporary files untouched for longer than asked are swept; fresh ones stay', async (t) => {
  const s = await open(t, 200);
  const tmp = join(s.dir, 'data', 'tmp');
  await writeFile(join(tmp, 'old.tmp'), 'x');
  await writeFile(join(tmp, 'fresh.tmp'), 'x');
  const hourAgo = new Date(Date.now() - 3600_000);
  await utimes(join(tmp, 'old.tmp'), hourAgo, hourAgo);
  const reclaimer = new Reclaimer(s.meta, s.blobs, { unfinishedAfterMs: 60_000 });
  assert.deepEqual(await reclaimer.runOnce(), { leased: true, drained: 0, unfinished: 1 });
  assert.deepEqual(await readdir(tmp), ['fresh.tmp']);
});

test('the drain lease is exclusive across processes and taken over once it expires', async (t) => {
  const s = await open(t, 200);
  const other = async (holder: string, ttlMs: number): Promise<boolean> => {
    const { stdout } = await run(process.execPath, [LEASE_FIXTURE, s.dir, holder, String(ttlMs)]);
    return (JSON.parse(stdout) as { taken: boolean }).taken;
  };
  // Another process holds it for a minute and dies without giving it up.
  assert.equal(await other('other-process', 60_000), true);
  assert.equal(await s.meta.takeReclaimLease('me', 60_000), false);
  const leftover = await fileBlob(s);
  await untilDue(s.meta);
  assert.deepEqual(await s.reclaimer.runOnce(), { leased: false, drained: 0, unfinished: 0 });
  assert.ok(existsSync(blobFile(s, leftover)), 'nothing is drained without the lease');
  // A second store instance in this process is another holder too.
  const second = openSqliteMetaStore(s.dir, { writer: 'inline' });
  t.after(() => second.close());
  assert.equal(await second.takeReclaimLease('second', 60_000), false);
  // The holder renews its own lease; a short one expires and is taken over.
  assert.equal(await other('other-process', 100), true);
  let taken = false;
  for (let i = 0; i < 400 && !taken; i++) {
    taken = await s.meta.takeReclaimLease(s.reclaimer.holder, 60_000);
    if (!taken) await new Promise((r) => setTimeout(r, 25));
  }
  assert.ok(taken, 'taken over after expiry');
  assert.equal(await other('other-process', 60_000), false, 'and now refused to the other process');
  await s.meta.releaseReclaimLease(s.reclaimer.holder);
  assert.equal((await s.reclaimer.runOnce()).drained, 1);
  assert.equal(existsSync(blobFile(s, leftover)), false);
});

test('after an upgrade from a version without the journal, unreferenced blobs are journaled once', async (t) => {
  const dir = await tempDir(t);
  let s: Stores | undefined = await openStores(dir, { meta: { reclaimGraceMs: 10 * 60_000 } });
  await s.meta.createBucket({ name: 'b', owner: 'alice', createdAt: T0, region: 'us-east-1' });
  const kept = await fileBlob(s);
  await s.meta.putObject(withBlob('k', kept));
  const orphan = await fileBlob(s);
  await closeStores(s);
  s = undefined;
  // What an older version leaves: no intent for its orphan, and the sweep pending (migration 3
  // sets it on a database that has served).
  const db = new Database(join(dir, 'meta.db'));
  db.exec(`DELETE FROM reclaim; INSERT INTO reclaim_sweep (name) VALUES ('unreferenced')`);
  db.close();
  const again = await open(t, 10 * 60_000, dir);
  assert.deepEqual(journalOf(dir), [`${orphan.id}: orphan`]);
  assert.equal(await again.meta.orphanSweepPending(), false);
  assert.ok(existsSync(blobFile(again, kept)) && existsSync(blobFile(again, orphan)), 'nothing is removed before the grace period');
});

test('the grace period comes from serve --reclaim-grace (seconds), default 10 minutes', () => {
  assert.equal(loadConfig({}, {}).reclaimGraceMs, 10 * 60_000);
  assert.equal(loadConfig({ reclaimGrace: '0.2' }, {}).reclaimGraceMs, 200);
  assert.throws(() => loadConfig({ reclaimGrace: 'soon' }, {}), (err: unknown) => err instanceof ConfigError && err.field === '--reclaim-grace');
});
