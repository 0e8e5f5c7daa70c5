import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DataCorruptionError,
  PACKAGE_SIZE,
  SINGLE_LAYER,
  STORED_PACKAGE_SIZE,
  SegmentEncryptor,
  TAG_SIZE,
  decryptRange,
  decryptRangeSync,
  encryptedSize,
  segmentKey,
  storedPackageSize,
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

  // Stored objects exist: these bytes must never change. The expected values were computed with
  // the code as it was before package formats existed (commit 4239985).
  it('single layer: the stored bytes are exactly those of the frozen format (golden)', async () => {
    const dataKey = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    const salt = Buffer.from(Array.from({ length: 32 }, (_, i) => 0xa0 + i));
    const k = segmentKey(dataKey, salt);
    assert.equal(k.toString('hex'), '73e520c0ecfae33ccebf61bb19bb02bf432318f3064c67d7328edb6580479048');
    const golden: ReadonlyArray<readonly [number, string]> = [
      [0, '207d5fc9e0cb5378923ebaeec6e9909cb70dcf91e399882c55d5cd8f969c3f4a'],
      [1, '9e5cfcf8521615d20ea13d9069eb4d69fabeba3618108b0632ec5f012f085b2c'],
      [PACKAGE_SIZE - 1, 'cc76b91f51ef2cdf0c2dc8101655379bc06751cd6cf7e4c68fbd3d088885782c'],
      [PACKAGE_SIZE, '09af2ed1e6a0f91d033e500c0b0fbd4a2557858fa8ccac822efcb85e73fbe74c'],
      [PACKAGE_SIZE + 1, '299eb1bfbf15181def834200698f985a9f6b7897e1b9ba26909bcfb795e234a5'],
      [200_000, '70d267704b3f9e438022206b3d11bfd10600c27343ef26b56b2b0ca1b02560a5'],
    ];
    for (const [size, sha256] of golden) {
      const plain = Buffer.alloc(size);
      for (let i = 0; i < size; i++) plain[i] = (i * 31 + 7) & 0xff;
      for (const chunks of [[7919], [size + 1], [1, PACKAGE_SIZE * 2]]) {
        const stored = await encrypt(k, plain, chunks);
        assert.equal(stored.length, encryptedSize(size), `${size}`);
        assert.equal(createHash('sha256').update(stored).digest('hex'), sha256, `${size} bytes in chunks of ${chunks.join(',')}`);
      }
      if (size > 0) assert.deepEqual(decryptRangeSync(k, size, 0, size - 1, await encrypt(k, plain), SINGLE_LAYER), plain);
    }
  });

  it('SINGLE_LAYER is the default everywhere, with today\'s sizes', async () => {
    assert.equal(SINGLE_LAYER.overhead, TAG_SIZE);
    assert.equal(SINGLE_LAYER.keySize, 32);
    assert.equal(storedPackageSize(), STORED_PACKAGE_SIZE);
    assert.equal(storedPackageSize(SINGLE_LAYER), STORED_PACKAGE_SIZE);
    for (const n of [0, 1, PACKAGE_SIZE, 5 * PACKAGE_SIZE + 3]) assert.equal(encryptedSize(n, SINGLE_LAYER), encryptedSize(n));
    assert.deepEqual(storedRange(300_001, 70_000, 200_000, SINGLE_LAYER), storedRange(300_001, 70_000, 200_000));
    const plain = randomBytes(3 * PACKAGE_SIZE + 5);
    const implicit = await encrypt(key, plain);
    const chunks: Buffer[] = [];
    await pipeline(Readable.from([plain]), new SegmentEncryptor(key, SINGLE_LAYER), async (src: AsyncIterable<Buffer>) => {
      for await (const c of src) chunks.push(c);
    });
    assert.deepEqual(Buffer.concat(chunks), implicit);
  });

  it('refuses a key of the wrong length before touching any byte', async () => {
    assert.throws(() => new SegmentEncryptor(randomBytes(64)), RangeError);
    assert.throws(() => decryptRangeSync(randomBytes(16), 1, 0, 0, Buffer.alloc(17)), RangeError);
    await assert.rejects(decrypt(randomBytes(64), 1, Buffer.alloc(17), 0, 0), RangeError);
  });
});
