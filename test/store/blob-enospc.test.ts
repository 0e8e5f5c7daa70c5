/**
 * ENOSPC at each step of a blob write, injected into the real store at one file system call:
 * the write fails with StorageFullError (507 at the pipeline), leaves no temporary or final
 * file, marks the volume full, and leaves every blob written before intact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buffer } from 'node:stream/consumers';
import { NODE_BLOB_FS, openFsBlobStore, type BlobFs, type FsBlobStore } from '../../src/store/blob/fs.js';
import type { BlobSegment } from '../../src/store/blob/types.js';
import { StorageFullError } from '../../src/store/free-space.js';
import { tempDir } from './helpers.js';

const enospc = (syscall: string) =>
  Object.assign(new Error(`ENOSPC: no space left on device, ${syscall}`), { code: 'ENOSPC', errno: -28, syscall });

async function files(dir: string): Promise<string[]> {
  const out = await readdir(dir, { recursive: true, withFileTypes: true });
  return out.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name)).sort();
}

async function write(blobs: FsBlobStore, data: Buffer): Promise<BlobSegment> {
  const w = blobs.createWriter(data.length);
  await pipeline(Readable.from([data.subarray(0, data.length >> 1), data.subarray(data.length >> 1)]), w);
  return w.finish();
}

/** Which call of a write each step is: a temporary-file open, a data write, … */
const STEPS: readonly { step: string; call: keyof BlobFs; when?: (args: unknown[]) => boolean }[] = [
  { step: 'creating the temporary file', call: 'open', when: (a) => a[1] === 'wx' },
  { step: 'writing the data', call: 'writev' },
  { step: 'fdatasync of the data', call: 'fdatasync' },
  { step: 'creating the shard directory', call: 'mkdir' },
  { step: 'renaming into place', call: 'rename' },
  { step: 'fsync of the directory', call: 'fsync' },
];

for (const { step, call, when } of STEPS) {
  test(`ENOSPC while ${step}: StorageFullError, nothing left behind, earlier blobs intact`, async (t) => {
    const dir = await tempDir(t);
    let armed = false;
    let injected = 0;
    // The real calls, with one fault at the first matching call once armed.
    const faults: Partial<BlobFs> = {};
    faults[call] = ((...args: unknown[]) => {
      if (armed && (when === undefined || when(args))) {
        armed = false;
        injected++;
        return Promise.reject(enospc(call));
      }
      return (NODE_BLOB_FS[call] as (...a: unknown[]) => Promise<unknown>)(...args);
    }) as never;
    const blobs = openFsBlobStore(join(dir, 'store'), { inlineMax: 1024, fs: faults, freeSpace: { minFree: 0 } });
    t.after(() => blobs.close());

    const kept = randomBytes(300_000);
    const keptSeg = await write(blobs, kept);
    const before = await files(join(dir, 'store'));

    armed = true;
    await assert.rejects(write(blobs, randomBytes(300_000)), (err: unknown) => {
      assert.ok(err instanceof StorageFullError, `expected StorageFullError, got ${String(err)}`);
      assert.equal(err.code, 'STRONGBOX_STORAGE_FULL');
      return true;
    });
    assert.equal(injected, 1, 'the fault was injected once');
    // Cleanup runs as the writer is destroyed; give it its turn.
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(await files(join(dir, 'store')), before, 'no temporary or half-made blob is left');
    assert.throws(() => blobs.requireRoom(), StorageFullError, 'the volume now counts as full');
    assert.ok((await buffer(blobs.read(keptSeg, 0, kept.length - 1))).equals(kept));
  });
}
