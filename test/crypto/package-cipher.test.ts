import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DataCorruptionError,
  PACKAGE_SIZE,
  SegmentEncryptor,
  TAG_SIZE,
  decryptRange,
  decryptRangeSync,
  encryptedSize,
  segmentKey,
  storedRange,
} from '../../src/crypto/package-cipher.js';

/** Encrypts `plain` fed in chunks of the given sizes (cycled). */
async function encrypt(key: Buffer, plain: Buffer, chunkSizes: readonly number[] = [7919]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let off = 0, i = 0; off < plain.length; i++) {
    const n = chunkSizes[i % chunkSizes.length]!;
    chunks.push(plain.subarray(off, off + n));
    off += n;
  }
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), new SegmentEncryptor(key), async (src: AsyncIterable<Buffer>) => {
    for await (const c of src) out.push(c);
  });
  return Buffer.concat(out);
}

/** Decrypts [start, end] by streaming the stored range in chunks of `chunk` bytes. */
async function decrypt(key: Buffer, size: number, stored: Buffer, start: number, end: number, chunk = 10007): Promise<Buffer> {
  const r = storedRange(size, start, end);
  const slice = stored.subarray(r.start, r.end + 1);
  const pieces: Buffer[] = [];
  for (let off = 0; off < slice.length; off += chunk) pieces.push(slice.subarray(off, off + chunk));
  const out: Buffer[] = [];
  for await (const b of decryptRange(key, size, start, end, Readable.from(pieces))) out.push(b);
  return Buffer.concat(out);
}

const key = segmentKey(randomBytes(32), randomBytes(32));

describe('package cipher', () => {
  it('stored size is n + 16 per started 64 KiB package, 16 for an empty segment', () => {
    assert.equal(encryptedSize(0), TAG_SIZE);
    assert.equal(encryptedSize(1), 1 + TAG_SIZE);
    assert.equal(encryptedSize(PACKAGE_SIZE), PACKAGE_SIZE + TAG_SIZE);
    assert.equal(encryptedSize(PACKAGE_SIZE + 1), PACKAGE_SIZE + 1 + 2 * TAG_SIZE);
  });

  for (const size of [0, 1, PACKAGE_SIZE - 1, PACKAGE_SIZE, PACKAGE_SIZE + 1, 3 * PACKAGE_SIZE, 300_001]) {
    it(`round-trips ${size} bytes fed in odd chunks, with the size the formula gives`, async () => {
      const plain = randomBytes(size);
      for (const chunks of [[1], [7919], [PACKAGE_SIZE], [PACKAGE_SIZE * 2 + 3], [100, 200_000]]) {
        if (size > 100_000 && chunks[0] === 1) continue;
        const stored = await encrypt(key, plain, chunks);
        assert.equal(stored.length, encryptedSize(size));
        if (size > 0) assert.deepEqual(await decrypt(key, size, stored, 0, size - 1), plain);
      }
    });
  }

  it('decrypts random ranges, reading only the packages they cover', async () => {
    const size = 5 * PACKAGE_SIZE + 12345;
    const plain = randomBytes(size);
    const stored = await encrypt(key, plain);
    for (let i = 0; i < 300; i++) {
      const start = randomInt(size);
      const end = Math.min(size - 1, start + randomInt(i % 3 === 0 ? 3 : 2 * PACKAGE_SIZE));
      const r = storedRange(size, start, end);
      assert.ok(r.end - r.start + 1 <= (r.lastPackage - r.firstPackage + 1) * (PACKAGE_SIZE + TAG_SIZE));
      assert.deepEqual(await decrypt(key, size, stored, start, end, 1 + randomInt(100_000)), plain.subarray(start, end + 1), `${start}-${end}`);
      assert.deepEqual(decryptRangeSync(key, size, start, end, stored), plain.subarray(start, end + 1));
    }
  });

  it('refuses a flipped byte, a truncated segment, reordered packages and a wrong key', async () => {
    const size = 3 * PACKAGE_SIZE + 10;
    const plain = randomBytes(size);
    const stored = await encrypt(key, plain);
    const flipped = Buffer.from(stored);
    flipped[PACKAGE_SIZE + 100]! ^= 1;
    await assert.rejects(decrypt(key, size, flipped, 0, size - 1), DataCorruptionError);
    // Truncated by whole packages: the last remaining package is not marked final.
    const cut = stored.subarray(0, 2 * (PACKAGE_SIZE + TAG_SIZE));
    await assert.rejects(decrypt(key, 2 * PACKAGE_SIZE, cut, 0, 2 * PACKAGE_SIZE - 1), DataCorruptionError);
    await assert.rejects(decrypt(key, size, stored.subarray(0, stored.length - 1), 0, size - 1), DataCorruptionError);
    const p = PACKAGE_SIZE + TAG_SIZE;
    const swapped = Buffer.concat([stored.subarray(p, 2 * p), stored.subarray(0, p), stored.subarray(2 * p)]);
    await assert.rejects(decrypt(key, size, swapped, 0, size - 1), DataCorruptionError);
    const other = segmentKey(randomBytes(32), randomBytes(32));
    await assert.rejects(decrypt(other, size, stored, 0, 0), DataCorruptionError);
    assert.throws(() => decryptRangeSync(key, size, 0, 5, flipped.subarray(0, 100)), DataCorruptionError);
  });

  it('a range in an undamaged package still reads when another package is damaged', async () => {
    const size = 2 * PACKAGE_SIZE;
    const plain = randomBytes(size);
    const stored = await encrypt(key, plain);
    stored[stored.length - 1]! ^= 1;
    assert.deepEqual(await decrypt(key, size, stored, 10, 20), plain.subarray(10, 21));
    await assert.rejects(decrypt(key, size, stored, PACKAGE_SIZE, PACKAGE_SIZE), DataCorruptionError);
  });
});
