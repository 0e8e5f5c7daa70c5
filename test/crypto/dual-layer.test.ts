import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, randomInt } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DUAL_LAYER,
  DataCorruptionError,
  PACKAGE_SIZE,
  type PackageFormat,
  SINGLE_LAYER,
  SegmentEncryptor,
  TAG_SIZE,
  decryptRange,
  decryptRangeSync,
  dualSegmentKey,
  encryptedSize,
  segmentKey,
  storedPackageSize,
  storedRange,
} from '../../src/crypto/package-cipher.js';

const DUAL_PACKAGE = PACKAGE_SIZE + 32;

/** Frozen dual-layer bytes (see the golden test); the key's first half is the single-layer golden key. */
const GOLDEN_KEY = '73e520c0ecfae33ccebf61bb19bb02bf432318f3064c67d7328edb65804790484ee9ac780f18b851aa4b147ca79dcffeed78ecb107c3453619d2fa314fe2fbb1';
const GOLDEN: ReadonlyArray<readonly [number, string]> = [
  [0, '8e078d738ede3de15a0b44fa52802a156c6c0233a3d57d130d363d3ec2967bec'],
  [1, 'ae94ab85803689413034dcafefd1a5e146b01b1c95be7d1d723526a1c4506a46'],
  [PACKAGE_SIZE - 1, 'e99fd93b80f9b59e8a95198592e5ad392ae21eed3e799ae7c2190e6207ec3187'],
  [PACKAGE_SIZE, '486f422874bc95a0a9a305206889201a872479b0bc969ff23fe2dc548aaafd7b'],
  [PACKAGE_SIZE + 1, '0fe197536b51374cde5324974e17180159b66355559c1fb77ac5c5d39a66bfaf'],
  [200_000, '64108ee35d3c82a16f68535e2c02afe7a3f00dc6d8fa6319da8c778d306b278a'],
];

/** Encrypts `plain` fed in chunks of the given sizes (cycled). */
async function encrypt(key: Buffer, plain: Buffer, chunkSizes: readonly number[] = [7919], format: PackageFormat = DUAL_LAYER): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let off = 0, i = 0; off < plain.length; i++) {
    const n = chunkSizes[i % chunkSizes.length]!;
    chunks.push(plain.subarray(off, off + n));
    off += n;
  }
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), new SegmentEncryptor(key, format), async (src: AsyncIterable<Buffer>) => {
    for await (const c of src) out.push(c);
  });
  return Buffer.concat(out);
}

/** Decrypts [start, end] by streaming the stored range in chunks of `chunk` bytes. */
async function decrypt(
  key: Buffer,
  size: number,
  stored: Buffer,
  start: number,
  end: number,
  chunk = 10007,
  format: PackageFormat = DUAL_LAYER,
): Promise<Buffer> {
  const r = storedRange(size, start, end, format);
  const slice = stored.subarray(r.start, r.end + 1);
  const pieces: Buffer[] = [];
  for (let off = 0; off < slice.length; off += chunk) pieces.push(slice.subarray(off, off + chunk));
  const out: Buffer[] = [];
  for await (const b of decryptRange(key, size, start, end, Readable.from(pieces), format)) out.push(b);
  return Buffer.concat(out);
}

/** The frozen nonce, written out independently of the implementation. */
function nonce(seq: number, final: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeUIntBE(seq, 0, 6);
  n[11] = final ? 1 : 0;
  return n;
}

/** Stored package boundaries of a dual-layer segment of `size` bytes. */
function packages(size: number): Array<{ at: number; len: number; final: boolean }> {
  const count = Math.max(1, Math.ceil(size / PACKAGE_SIZE));
  return Array.from({ length: count }, (_, i) => ({
    at: i * DUAL_PACKAGE,
    len: (i === count - 1 ? size - i * PACKAGE_SIZE : PACKAGE_SIZE) + 32,
    final: i === count - 1,
  }));
}

/** Removes the outer (ChaCha20-Poly1305) layer with its key alone, checking its tags. */
function stripOuter(outerKey: Buffer, size: number, stored: Buffer): Buffer {
  return Buffer.concat(
    packages(size).map(({ at, len, final }, seq) => {
      const d = createDecipheriv('chacha20-poly1305', outerKey, nonce(seq, final), { authTagLength: 16 });
      d.setAuthTag(stored.subarray(at + len - 16, at + len));
      const inner = d.update(stored.subarray(at, at + len - 16));
      d.final();
      return inner;
    }),
  );
}

/** Puts an outer layer on single-layer packages with the outer key alone (as an attacker holding it could). */
function addOuter(outerKey: Buffer, size: number, inner: Buffer): Buffer {
  const innerPackage = PACKAGE_SIZE + TAG_SIZE;
  return Buffer.concat(
    packages(size).flatMap(({ len, final }, seq) => {
      const c = createCipheriv('chacha20-poly1305', outerKey, nonce(seq, final), { authTagLength: 16 });
      const body = c.update(inner.subarray(seq * innerPackage, seq * innerPackage + len - 16));
      c.final();
      return [body, c.getAuthTag()];
    }),
  );
}

const dataKey1 = randomBytes(32);
const dataKey2 = randomBytes(32);
const salt = randomBytes(32);
const key = dualSegmentKey(dataKey1, dataKey2, salt);

describe('dual-layer package format (DSSE-KMS)', () => {
  it('has 32 bytes of overhead per package and a 64-byte key', () => {
    assert.equal(DUAL_LAYER.overhead, 32);
    assert.equal(DUAL_LAYER.keySize, 64);
    assert.equal(storedPackageSize(DUAL_LAYER), DUAL_PACKAGE);
    for (const n of [0, 1, PACKAGE_SIZE - 1, PACKAGE_SIZE, PACKAGE_SIZE + 1, 7 * PACKAGE_SIZE, 7 * PACKAGE_SIZE + 9]) {
      assert.equal(encryptedSize(n, DUAL_LAYER), n + 32 * Math.max(1, Math.ceil(n / PACKAGE_SIZE)), `${n}`);
    }
  });

  it('derives each half of the segment key from its own data key', () => {
    assert.equal(key.length, 64);
    assert.deepEqual(key.subarray(0, 32), segmentKey(dataKey1, salt));
    const outer = Buffer.from(hkdfSync('sha256', dataKey2, salt, 'strongbox/v1/dsse-outer-segment-key', 32));
    assert.deepEqual(key.subarray(32), outer);
    // Changing one data key changes its half only.
    const other1 = dualSegmentKey(randomBytes(32), dataKey2, salt);
    assert.deepEqual(other1.subarray(32), key.subarray(32));
    assert.notDeepEqual(other1.subarray(0, 32), key.subarray(0, 32));
    const other2 = dualSegmentKey(dataKey1, randomBytes(32), salt);
    assert.deepEqual(other2.subarray(0, 32), key.subarray(0, 32));
    assert.notDeepEqual(other2.subarray(32), key.subarray(32));
    // A new salt changes both halves.
    const resalted = dualSegmentKey(dataKey1, dataKey2, randomBytes(32));
    assert.notDeepEqual(resalted.subarray(0, 32), key.subarray(0, 32));
    assert.notDeepEqual(resalted.subarray(32), key.subarray(32));
    // The same key twice is not two layers.
    assert.throws(() => dualSegmentKey(dataKey1, Buffer.from(dataKey1), salt), RangeError);
  });

  const MiB = 1024 * 1024;
  for (const size of [0, 1, PACKAGE_SIZE - 1, PACKAGE_SIZE, PACKAGE_SIZE + 1, 3 * PACKAGE_SIZE, 300_001, 5 * MiB + 777]) {
    it(`round-trips ${size} bytes fed in odd chunks, with the size the formula gives`, async () => {
      const plain = randomBytes(size);
      const chunkings = size > MiB ? [[7919], [MiB + 13], [100, 200_000, 1]] : [[1], [7919], [PACKAGE_SIZE], [PACKAGE_SIZE * 2 + 3], [100, 200_000]];
      let first: Buffer | undefined;
      for (const chunks of chunkings) {
        if (size > 100_000 && chunks[0] === 1) continue;
        const stored = await encrypt(key, plain, chunks);
        assert.equal(stored.length, encryptedSize(size, DUAL_LAYER));
        assert.equal(stored.length, size + 32 * Math.max(1, Math.ceil(size / PACKAGE_SIZE)));
        // Chunking never changes the stored bytes.
        first ??= stored;
        assert.ok(stored.equals(first));
        if (size > 0) {
          assert.ok((await decrypt(key, size, stored, 0, size - 1, 1 + randomInt(3 * PACKAGE_SIZE))).equals(plain));
          assert.ok(decryptRangeSync(key, size, 0, size - 1, stored, DUAL_LAYER).equals(plain));
        } else {
          // The one empty package is still sealed and checked.
          assert.equal(decryptRangeSync(key, 0, 0, 0, stored, DUAL_LAYER).length, 0);
          const bad = Buffer.from(stored);
          bad[5]! ^= 1;
          assert.throws(() => decryptRangeSync(key, 0, 0, 0, bad, DUAL_LAYER), DataCorruptionError);
        }
      }
    });
  }

  it('is the single-layer format sealed again with ChaCha20-Poly1305 under the outer key', async () => {
    for (const size of [0, 1, PACKAGE_SIZE, 3 * PACKAGE_SIZE + 17]) {
      const plain = randomBytes(size);
      const dual = await encrypt(key, plain);
      const single = await encrypt(key.subarray(0, 32), plain, [7919], SINGLE_LAYER);
      assert.ok(stripOuter(key.subarray(32), size, dual).equals(single), `${size}`);
      assert.ok(addOuter(key.subarray(32), size, single).equals(dual), `${size}`);
    }
  });

  it('decrypts every class of range, reading only the packages it covers', async () => {
    const size = 5 * PACKAGE_SIZE + 12345;
    const plain = randomBytes(size);
    const stored = await encrypt(key, plain);
    const P = PACKAGE_SIZE;
    const ranges: Array<[number, number]> = [
      [0, 0], // first byte
      [10, 20], // inside the first package
      [P - 1, P - 1], // last byte of a package
      [P, P], // first byte of the next
      [2 * P + 5, 3 * P - 2], // inside a middle package
      [P - 1, P], // across one boundary
      [100, 3 * P + 7], // across several packages
      [0, P - 1], // exactly one package
      [P, 3 * P - 1], // exactly whole packages
      [5 * P, size - 1], // the short last package
      [5 * P + 100, 5 * P + 200], // inside the last package
      [size - 1, size - 1], // last byte
      [4 * P + 3, size - 1], // into the last package
      [0, size - 1], // everything
    ];
    for (let i = 0; i < 200; i++) {
      const start = randomInt(size);
      ranges.push([start, Math.min(size - 1, start + randomInt(i % 3 === 0 ? 3 : 2 * P))]);
    }
    for (const [start, end] of ranges) {
      const r = storedRange(size, start, end, DUAL_LAYER);
      assert.equal(r.firstPackage, Math.floor(start / P));
      assert.equal(r.lastPackage, Math.floor(end / P));
      assert.equal(r.start, r.firstPackage * DUAL_PACKAGE);
      assert.ok(r.end < stored.length && r.end - r.start + 1 <= (r.lastPackage - r.firstPackage + 1) * DUAL_PACKAGE);
      const want = plain.subarray(start, end + 1);
      assert.ok((await decrypt(key, size, stored, start, end, 1 + randomInt(100_000))).equals(want), `${start}-${end}`);
      assert.ok((await decrypt(key, size, stored, start, end, 4 * DUAL_PACKAGE)).equals(want), `${start}-${end} in read-sized chunks`);
      assert.ok(decryptRangeSync(key, size, start, end, stored, DUAL_LAYER).equals(want), `${start}-${end} sync`);
    }
    // A range beyond the end still ends at the last package.
    assert.equal(storedRange(size, 5 * P, 10 * P, DUAL_LAYER).end, stored.length - 1);
  });

  describe('damage', () => {
    const size = 3 * PACKAGE_SIZE + 10;
    const plain = randomBytes(size);
    const storedP = encrypt(key, plain);

    async function refused(stored: Buffer, plainSize = size, start = 0, end = plainSize - 1): Promise<void> {
      await assert.rejects(decrypt(key, plainSize, stored, start, end), DataCorruptionError);
      await assert.rejects(decrypt(key, plainSize, stored, start, end, 4 * DUAL_PACKAGE), DataCorruptionError);
      assert.throws(() => decryptRangeSync(key, plainSize, start, end, stored, DUAL_LAYER), DataCorruptionError);
    }
    const flip = (stored: Buffer, at: number): Buffer => {
      const b = Buffer.from(stored);
      b[at]! ^= 0x40;
      return b;
    };

    it('refuses a flipped byte anywhere in a package: inner ciphertext, inner tag, outer tag', async () => {
      const stored = await storedP;
      const p1 = DUAL_PACKAGE; // package 1 starts here
      await refused(flip(stored, p1 + 100)); // inner ciphertext region
      await refused(flip(stored, p1 + 100), size, PACKAGE_SIZE + 100, PACKAGE_SIZE + 100);
      await refused(flip(stored, p1)); // its first byte
      await refused(flip(stored, p1 + PACKAGE_SIZE + 3)); // inner tag region
      await refused(flip(stored, p1 + DUAL_PACKAGE - 1)); // outer tag, last byte
      await refused(flip(stored, p1 + DUAL_PACKAGE - 16), size, PACKAGE_SIZE, PACKAGE_SIZE); // outer tag, first byte
      await refused(flip(stored, stored.length - 1)); // outer tag of the short final package
      await refused(flip(stored, stored.length - 20)); // inner tag of the short final package
      // Other packages still read.
      assert.ok((await decrypt(key, size, flip(stored, p1 + 100), 10, 20)).equals(plain.subarray(10, 21)));
    });

    it('refuses a package whose outer layer was redone by someone holding only the outer key', async () => {
      const stored = await storedP;
      const inner = stripOuter(key.subarray(32), size, stored);
      inner[PACKAGE_SIZE + TAG_SIZE + 7]! ^= 1; // the inner ciphertext of package 1
      const forged = addOuter(key.subarray(32), size, inner);
      await assert.rejects(decrypt(key, size, forged, PACKAGE_SIZE, PACKAGE_SIZE + 10), /package 1 failed authentication$/);
      await refused(forged);
    });

    it('refuses truncation, extension and reordering', async () => {
      const stored = await storedP;
      // Cut at a package boundary and presented as a shorter segment: the new last package
      // was not sealed as final.
      await refused(stored.subarray(0, 2 * DUAL_PACKAGE), 2 * PACKAGE_SIZE);
      await refused(stored.subarray(0, DUAL_PACKAGE), PACKAGE_SIZE);
      // Cut by a byte, or by a whole tag.
      await refused(stored.subarray(0, stored.length - 1));
      await refused(stored.subarray(0, stored.length - 16));
      // Extra bytes after the last package (fed as stored, not cut to the range first).
      const longer = Buffer.concat([stored, Buffer.alloc(1)]);
      const all = async (chunks: Buffer[]): Promise<void> => {
        for await (const _ of decryptRange(key, size, 0, size - 1, Readable.from(chunks), DUAL_LAYER));
      };
      await assert.rejects(all([longer]), /more bytes than its record/);
      await assert.rejects(all([stored, Buffer.alloc(1)]), /more bytes than its record/);
      assert.throws(() => decryptRangeSync(key, size, 0, size - 1, longer, DUAL_LAYER), DataCorruptionError);
      // Swapped packages, and a package repeated in place of another.
      const p = DUAL_PACKAGE;
      await refused(Buffer.concat([stored.subarray(p, 2 * p), stored.subarray(0, p), stored.subarray(2 * p)]));
      await refused(Buffer.concat([stored.subarray(0, p), stored.subarray(0, p), stored.subarray(2 * p)]));
      // The final package of another segment under the same key appended in place of ours.
      const other = await encrypt(key, randomBytes(10));
      await refused(Buffer.concat([stored.subarray(0, 3 * p), other]));
    });

    it('refuses wrong keys and the wrong format', async () => {
      const stored = await storedP;
      // Either half wrong.
      for (const wrong of [dualSegmentKey(randomBytes(32), dataKey2, salt), dualSegmentKey(dataKey1, randomBytes(32), salt)]) {
        await assert.rejects(decrypt(wrong, size, stored, 0, 0), DataCorruptionError);
      }
      // Both layers' keys swapped.
      const swapped = Buffer.concat([key.subarray(32), key.subarray(0, 32)]);
      await assert.rejects(decrypt(swapped, size, stored, 0, 0), DataCorruptionError);
      // A dual-layer segment opened as single-layer, with the inner key: sizes and tags do not match.
      const inner = key.subarray(0, 32);
      await assert.rejects(decrypt(inner, size, stored, 0, size - 1, 10007, SINGLE_LAYER), DataCorruptionError);
      await assert.rejects(decrypt(inner, size, stored, 0, 0, 10007, SINGLE_LAYER), DataCorruptionError);
      assert.throws(() => decryptRangeSync(inner, size, 0, size - 1, stored, SINGLE_LAYER), DataCorruptionError);
      // ... and with the whole key, which single-layer refuses as a key.
      assert.throws(() => decryptRangeSync(key, size, 0, size - 1, stored, SINGLE_LAYER), RangeError);
      // A single-layer segment opened as dual-layer.
      const single = await encrypt(inner, plain, [7919], SINGLE_LAYER);
      await assert.rejects(decrypt(key, size, single, 0, size - 1), DataCorruptionError);
      await assert.rejects(decrypt(key, size, single, 0, 0), DataCorruptionError);
      assert.throws(() => decryptRangeSync(key, size, 0, size - 1, single, DUAL_LAYER), DataCorruptionError);
      // Keys of the wrong length never reach the cipher.
      assert.throws(() => new SegmentEncryptor(inner, DUAL_LAYER), RangeError);
      await assert.rejects(decrypt(inner, size, stored, 0, 0), RangeError);
    });
  });

  // Frozen once DSSE objects exist: a change here is a new format, not a fix.
  it('stores exactly the frozen dual-layer bytes (golden)', async () => {
    const k = dualSegmentKey(
      Buffer.from(Array.from({ length: 32 }, (_, i) => i)),
      Buffer.from(Array.from({ length: 32 }, (_, i) => 0x40 + i)),
      Buffer.from(Array.from({ length: 32 }, (_, i) => 0xa0 + i)),
    );
    assert.equal(k.toString('hex'), GOLDEN_KEY);
    for (const [size, sha256] of GOLDEN) {
      const plain = Buffer.alloc(size);
      for (let i = 0; i < size; i++) plain[i] = (i * 31 + 7) & 0xff;
      const stored = await encrypt(k, plain);
      assert.equal(stored.length, encryptedSize(size, DUAL_LAYER));
      assert.equal(createHash('sha256').update(stored).digest('hex'), sha256, `${size}`);
    }
  });
});
