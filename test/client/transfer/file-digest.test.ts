import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compositeChecksum, hashOf } from '../../../src/checksum/algorithms.js';
import { digestFile, digestRange } from '../../../src/client/transfer/file-digest.js';

// Deterministic bytes larger than one 64 KiB read, so parts straddle read boundaries.
const DATA = Buffer.from(Array.from({ length: 300_001 }, (_, i) => (i * 7919) & 0xff));

describe('file digests', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-digest-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'data.bin');
  writeFileSync(path, DATA);

  it('digests a range as the one-shot hash of those bytes', async () => {
    assert.deepEqual(await digestRange(path, 70_000, 100_000, 'CRC64NVME'), hashOf('CRC64NVME', DATA.subarray(70_000, 170_000)));
    assert.deepEqual(await digestRange(path, 0, 0, 'CRC32'), hashOf('CRC32'));
    await assert.rejects(digestRange(path, 300_000, 10, 'CRC32'), /ended after 300001 bytes/);
  });

  it('digests a whole file', async () => {
    const d = await digestFile(path, 'SHA256');
    assert.equal(d.size, DATA.length);
    assert.deepEqual(d.whole, hashOf('SHA256', DATA));
  });

  it('digests each part of a file, as a COMPOSITE checksum needs', async () => {
    const sizes = [65_536, 100_000, 1, 134_464];
    const d = await digestFile(path, 'CRC32C', sizes);
    let start = 0;
    const expected = sizes.map((s) => hashOf('CRC32C', DATA.subarray(start, (start += s))));
    assert.deepEqual(d.parts, expected);
    assert.equal(d.whole, undefined);
    assert.equal(compositeChecksum('CRC32C', d.parts), compositeChecksum('CRC32C', expected));
    // A file shorter than its parts leaves the missing ones out (the size check catches it).
    assert.equal((await digestFile(path, 'CRC32C', [300_000, 10])).parts.length, 1);
  });
});
