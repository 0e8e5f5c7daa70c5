import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buffer } from 'node:stream/consumers';
import { openFsBlobStore } from '../../src/store/blob/fs.js';
import { BlobStoreError } from '../../src/store/blob/types.js';
import { openStores, closeStores } from '../../src/store/open-stores.js';
import { tempDir } from './helpers.js';
import { writeBlob } from './blob-contract.js';

async function open(t: TestContext, inlineMax = 1024) {
  const dir = await tempDir(t);
  const blobs = openFsBlobStore(dir, { inlineMax });
  t.after(() => blobs.close());
  return { dir, blobs };
}

/** Every regular file below `dir`, relative. */
async function files(dir: string): Promise<string[]> {
  const out = await readdir(dir, { recursive: true, withFileTypes: true });
  return out.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name));
}


test('inline up to inlineMax, file above; no file I/O for inline', async (t) => {
  const { dir, blobs } = await open(t);
  const small = randomBytes(1024);
  const s = await writeBlob(blobs, small, 100);
  assert.equal(s.kind, 'inline');
  assert.ok(s.kind === 'inline' && s.data.equals(small));
  assert.deepEqual(await files(dir), []);
  const empty = await writeBlob(blobs, Buffer.alloc(0));
  assert.deepEqual(empty, { kind: 'inline', data: Buffer.alloc(0) });

  const big = randomBytes(1025);
  const f = await writeBlob(blobs, big, 100);
  assert.equal(f.kind, 'file');
  assert.ok(f.kind === 'file' && f.size === 1025 && /^[0-9a-f]{32}$/.test(f.id));
  const all = await files(dir);
  assert.equal(all.length, 1);
  assert.ok(f.kind === 'file' && all[0]?.endsWith(join('blobs', f.id.slice(0, 2), f.id.slice(2, 4), f.id)));
  assert.ok((await readFile(all[0] ?? '')).equals(big));
});

test('a size hint above inlineMax goes straight to a file; multi-MiB bodies round trip', async (t) => {
  const { blobs } = await open(t);
  const data = randomBytes(3 * 1024 * 1024 + 17);
  const seg = await writeBlob(blobs, data, 65536, data.length);
  assert.equal(seg.kind, 'file');
  assert.ok((await buffer(blobs.read(seg, 0, data.length - 1))).equals(data));
  // a lying hint with a tiny body still needs no file
  assert.equal((await writeBlob(blobs, Buffer.from('x'), 1, 1 << 20)).kind, 'inline');
});

test('byte-range reads: first, last, middle, empty, clamped', async (t) => {
  const { blobs } = await open(t);
  const data = randomBytes(600_000);
  const segs = [await writeBlob(blobs, data, 70_000), { kind: 'inline' as const, data }];
  for (const seg of segs) {
    const r = async (a: number, b: number) => buffer(blobs.read(seg, a, b));
    assert.ok((await r(0, 0)).equals(data.subarray(0, 1)));
    assert.ok((await r(599_999, 599_999)).equals(data.subarray(599_999)));
    assert.ok((await r(1000, 300_000)).equals(data.subarray(1000, 300_001)));
    assert.equal((await r(0, -1)).length, 0);
    assert.equal((await r(10, 9)).length, 0);
    assert.ok((await r(599_000, 10_000_000)).equals(data.subarray(599_000)));
  }
});

test('reading a missing blob fails with STRONGBOX_BLOB_MISSING as a stream error', async (t) => {
  const { blobs } = await open(t);
  const seg = await writeBlob(blobs, randomBytes(5000));
  await blobs.delete([seg]);
  await blobs.delete([seg, { kind: 'inline', data: Buffer.from('x') }]); // missing = fine
  await assert.rejects(buffer(blobs.read(seg, 0, 10)), (err: unknown) =>
    err instanceof BlobStoreError && err.code === 'STRONGBOX_BLOB_MISSING');
});

test('a blob file shorter than its record fails with its own code, STRONGBOX_BLOB_SHORT, not BLOB_IO', async (t) => {
  const { dir, blobs } = await open(t);
  const seg = await writeBlob(blobs, randomBytes(5000));
  const [path] = await files(dir);
  await writeFile(path!, (await readFile(path!)).subarray(0, 3000));
  await assert.rejects(buffer(blobs.read(seg, 0, 4999)), (err: unknown) =>
    err instanceof BlobStoreError && err.code === 'STRONGBOX_BLOB_SHORT');
});

test('nothing appears in blobs/ before finish; then it does', async (t) => {
  const { dir, blobs } = await open(t);
  const w = blobs.createWriter();
  w.write(randomBytes(4000));
  w.write(randomBytes(4000));
  await new Promise((r) => setImmediate(r));
  const before = await files(dir);
  assert.equal(before.length, 1);
  assert.match(before[0] ?? '', /\/tmp\/[0-9a-f]{32}\.tmp$/);
  const seg = await w.finish();
  const after = await files(dir);
  assert.equal(after.length, 1);
  assert.ok(seg.kind === 'file' && after[0]?.endsWith(seg.id));
  assert.deepEqual(await readdir(join(dir, 'tmp')), []);
});

test('abort and destroy remove temporary files; abort after finish removes the blob', async (t) => {
  const { dir, blobs } = await open(t);
  const w1 = blobs.createWriter();
  w1.write(randomBytes(5000));
  await new Promise((r) => setImmediate(r));
  assert.equal((await files(dir)).length, 1);
  await w1.abort();
  await w1.abort();
  assert.deepEqual(await files(dir), []);

  const w2 = blobs.createWriter(1 << 20);
  w2.write(randomBytes(2 << 20)); // a real write in flight
  w2.destroy(new Error('client went away'));
  await assert.rejects(w2.finish());
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(await files(dir), []);

  const w3 = blobs.createWriter();
  await assert.rejects(
    pipeline(
      Readable.from((async function* () {
        yield randomBytes(3000);
        throw new Error('upstream failed');
      })()),
      w3,
    ),
  );
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(await files(dir), []);

  const w4 = blobs.createWriter();
  w4.end(randomBytes(3000));
  await w4.finish();
  assert.equal((await files(dir)).length, 1);
  await w4.abort();
  assert.deepEqual(await files(dir), []);
});

test('concurrent writers', async (t) => {
  const { blobs } = await open(t);
  const bodies = Array.from({ length: 24 }, (_, i) => randomBytes(500 + i * 7000));
  const segs = await Promise.all(bodies.map((b) => writeBlob(blobs, b, 4096)));
  const ids = new Set(segs.flatMap((s) => (s.kind === 'file' ? [s.id] : [])));
  assert.equal(ids.size, segs.filter((s) => s.kind === 'file').length);
  for (const [i, s] of segs.entries()) {
    assert.ok((await buffer(blobs.read(s, 0, (bodies[i]?.length ?? 0) - 1))).equals(bodies[i] ?? Buffer.alloc(0)));
  }
});

test('openStores leaves in-flight files alone (the CLI beside a server): nothing is scrubbed at open', async (t) => {
  const dir = join(await tempDir(t), 'data');
  const server = await openStores(dir);
  t.after(() => closeStores(server));
  const w = server.blobs.createWriter(1 << 20);
  w.write(randomBytes(1_200_000));
  await new Promise((r) => setTimeout(r, 20));
  const cli = await openStores(dir, { meta: { writer: 'inline' } });
  await closeStores(cli);
  w.end();
  const seg = await w.finish();
  assert.equal(seg.kind, 'file');
});
