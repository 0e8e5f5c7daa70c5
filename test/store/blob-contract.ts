/**
 * What the BlobStore interface (src/store/blob/types.ts) promises, as one suite that every
 * implementation runs (STYLE rule 16): today the file store (blob-contract-fs.test.ts), later
 * an S3-backed one. Only the interface is used: no paths, no file counts.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buffer } from 'node:stream/consumers';
import { BlobStoreError, type BlobIntentHook, type BlobSegment, type BlobStore } from '../../src/store/blob/types.js';
import { StorageFullError } from '../../src/store/free-space.js';

export interface ContractStoreOptions {
  /** Bodies of at most this many stored bytes are kept inline. */
  readonly inlineMax: number;
  /** The store's intent hook (MetaStore.registerBlobIntents in the server). */
  readonly registerIntent?: BlobIntentHook;
}

/** Opens a fresh, empty store; closes it when `t` ends. */
export type OpenContractStore = (t: TestContext, opts: ContractStoreOptions) => Promise<BlobStore>;

const INLINE_MAX = 1024;

/** Writes `data` to a new blob in `chunk`-sized pieces (the way a request body arrives). */
export async function writeBlob(blobs: BlobStore, data: Buffer, chunk = 1000, hint?: number): Promise<BlobSegment> {
  const w = blobs.createWriter(hint);
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) pieces.push(data.subarray(i, i + chunk));
  await pipeline(Readable.from(pieces), w);
  return w.finish();
}

const isCode = (code: string) => (err: unknown) => err instanceof BlobStoreError && err.code === code;

export function blobStoreContract(name: string, open: OpenContractStore): void {
  const fresh = (t: TestContext, registerIntent?: BlobIntentHook) =>
    open(t, { inlineMax: INLINE_MAX, ...(registerIntent === undefined ? {} : { registerIntent }) });

  test(`${name}: small bodies come back inline, larger ones stored; both read back whole`, async (t) => {
    const blobs = await fresh(t);
    const small = randomBytes(INLINE_MAX);
    const s = await writeBlob(blobs, small, 100);
    assert.ok(s.kind === 'inline' && s.data.equals(small));
    const large = randomBytes(300_000);
    const l = await writeBlob(blobs, large, 7000);
    assert.ok(l.kind === 'file' && l.size === large.length);
    assert.ok((await buffer(blobs.read(l, 0, large.length - 1))).equals(large));
    assert.ok((await buffer(blobs.read(s, 0, small.length - 1))).equals(small));
    // A large size hint with a small body still ends inline; an empty body is inline and empty.
    const hinted = await writeBlob(blobs, randomBytes(10), 10, 1 << 20);
    assert.equal(hinted.kind, 'inline');
    const empty = await writeBlob(blobs, Buffer.alloc(0));
    assert.ok(empty.kind === 'inline' && empty.data.length === 0);
  });

  test(`${name}: ranges: inclusive, clipped past the end, empty when reversed or past the end`, async (t) => {
    const blobs = await fresh(t);
    for (const data of [randomBytes(600), randomBytes(200_000)]) {
      const seg = await writeBlob(blobs, data, 4096);
      const r = (a: number, b: number, chunk?: number) => buffer(blobs.read(seg, a, b, chunk));
      assert.ok((await r(0, 0)).equals(data.subarray(0, 1)));
      assert.ok((await r(data.length - 1, data.length - 1)).equals(data.subarray(-1)));
      assert.ok((await r(100, 499, 64)).equals(data.subarray(100, 500)));
      assert.ok((await r(50, 10 * data.length)).equals(data.subarray(50)), 'clipped at the end');
      assert.equal((await r(10, 9)).length, 0, 'reversed: empty');
      assert.equal((await r(0, -1)).length, 0);
      assert.equal((await r(data.length, data.length + 10)).length, 0, 'past the end: empty');
    }
  });

  test(`${name}: a missing blob is a stream error STRONGBOX_BLOB_MISSING; delete is idempotent`, async (t) => {
    const blobs = await fresh(t);
    const seg = await writeBlob(blobs, randomBytes(5000));
    const inline = await writeBlob(blobs, Buffer.from('abc'));
    await blobs.delete([seg, inline]);
    await blobs.delete([seg]);
    await blobs.delete([]);
    await assert.rejects(buffer(blobs.read(seg, 0, 10)), isCode('STRONGBOX_BLOB_MISSING'));
    await assert.rejects(buffer(blobs.read(seg, 10, 9)), isCode('STRONGBOX_BLOB_MISSING'), 'even for an empty range');
    assert.ok((await buffer(blobs.read(inline, 0, 2))).equals(Buffer.from('abc')), 'inline bytes live in the record');
  });

  test(`${name}: abort leaves nothing; safe twice and after finish (which it undoes)`, async (t) => {
    const blobs = await fresh(t);
    const w = blobs.createWriter(1 << 20);
    w.write(randomBytes(300_000));
    await w.abort();
    await w.abort();
    await assert.rejects(w.finish());
    const done = blobs.createWriter();
    done.end(randomBytes(100_000));
    const seg = await done.finish();
    await done.abort();
    await assert.rejects(buffer(blobs.read(seg, 0, 0)), isCode('STRONGBOX_BLOB_MISSING'));
  });

  test(`${name}: a stored blob's intent is registered before finish resolves; inline bodies need none`, async (t) => {
    const intents: string[] = [];
    const blobs = await fresh(t, (b) => {
      intents.push(b.id);
      return Promise.resolve();
    });
    const inline = await writeBlob(blobs, randomBytes(100));
    assert.equal(inline.kind, 'inline');
    assert.deepEqual(intents, []);
    const seg = await writeBlob(blobs, randomBytes(100_000));
    assert.ok(seg.kind === 'file');
    assert.deepEqual(intents, [seg.id]);
  });

  test(`${name}: a failed intent fails the write, and the blob never becomes readable`, async (t) => {
    let id: string | undefined;
    const blobs = await fresh(t, (b) => {
      id = b.id;
      return Promise.reject(new Error('journal down'));
    });
    await assert.rejects(writeBlob(blobs, randomBytes(100_000)));
    assert.ok(id !== undefined);
    await assert.rejects(buffer(blobs.read({ kind: 'file', id, size: 100_000 }, 0, 0)), isCode('STRONGBOX_BLOB_MISSING'));
  });

  test(`${name}: room checks refuse what would cross the free-space floor`, async (t) => {
    const blobs = await fresh(t);
    blobs.requireRoom();
    blobs.requireRoom(1000);
    assert.throws(() => blobs.requireRoom(Number.MAX_SAFE_INTEGER), StorageFullError);
  });

  test(`${name}: sweeping unfinished writes leaves finished blobs and fresh writes alone`, async (t) => {
    const blobs = await fresh(t);
    const seg = await writeBlob(blobs, randomBytes(100_000));
    const w = blobs.createWriter(1 << 20);
    w.write(randomBytes(1_200_000));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await blobs.sweepUnfinished(60_000), 0);
    w.end();
    const late = await w.finish();
    assert.equal((await buffer(blobs.read(late, 0, 1_199_999))).length, 1_200_000);
    assert.equal((await buffer(blobs.read(seg, 0, 99_999))).length, 100_000);
  });
}
