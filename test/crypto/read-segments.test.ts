import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { unb64 } from '../../src/crypto/base64.js';
import { DataKeyed } from '../../src/crypto/data-keyed.js';
import type { SegmentParams } from '../../src/crypto/encryption.js';
import { DUAL_LAYER, DataCorruptionError, PACKAGE_SIZE, dualSegmentKey, encryptedSize } from '../../src/crypto/package-cipher.js';
import { readEncrypted } from '../../src/crypto/read-segments.js';
import { BlobStoreError, type BlobSegment, type BlobStore } from '../../src/store/blob/types.js';
import type { EncryptionRecord, ObjectRecord, ObjectSegment, PartRecord, UploadRecord } from '../../src/store/meta/types.js';

/** A mode with one data key: only the package cipher matters here. */
class OneKey extends DataKeyed {
  readonly record: EncryptionRecord = { mode: 'test' };
  readonly etagIsMd5 = false;
  responseHeaders(): Record<string, string> {
    return {};
  }
  opaqueEtag(): string {
    return '"x"';
  }
  sealObject(r: ObjectRecord): ObjectRecord {
    return r;
  }
  openObject(r: ObjectRecord): ObjectRecord {
    return r;
  }
  sealUpload(r: UploadRecord): UploadRecord {
    return r;
  }
  openUpload(r: UploadRecord): UploadRecord {
    return r;
  }
  sealPart(r: PartRecord): PartRecord {
    return r;
  }
  openPart(r: PartRecord): PartRecord {
    return r;
  }
}

/** Two data keys, opting into DUAL_LAYER exactly as the comment in data-keyed.ts shows. */
class TwoKeys extends OneKey {
  override readonly packageFormat = DUAL_LAYER;
  constructor(
    dataKey: Buffer,
    readonly outerDataKey: Buffer,
  ) {
    super(dataKey);
  }
  override segmentKey(params: SegmentParams | undefined): Buffer {
    return dualSegmentKey(this.dataKey, this.outerDataKey, unb64(params?.salt));
  }
  override dispose(): void {
    this.outerDataKey.fill(0);
    super.dispose();
  }
}

/** File blobs in memory; records the chunk size readers ask for. */
class MemoryBlobs implements Pick<BlobStore, 'read'> {
  readonly files = new Map<string, Buffer>();
  readonly chunkSizes: Array<number | undefined> = [];
  read(segment: BlobSegment, start: number, end: number, chunkSize?: number): Readable {
    this.chunkSizes.push(chunkSize);
    const data = segment.kind === 'file' ? this.files.get(segment.id)! : segment.data;
    const bytes = data.subarray(start, Math.min(end, data.length - 1) + 1);
    const step = chunkSize ?? 65536;
    const pieces: Buffer[] = [];
    for (let o = 0; o < bytes.length; o += step) pieces.push(bytes.subarray(o, o + step));
    return Readable.from(pieces, { objectMode: false });
  }
}

async function writeSegment(keyed: DataKeyed, plain: Buffer, blobs: MemoryBlobs | undefined): Promise<ObjectSegment> {
  const params = keyed.segmentParams();
  const out: Buffer[] = [];
  await pipeline(Readable.from([plain.subarray(0, 1000), plain.subarray(1000)]), keyed.encryptor(params), async (src: AsyncIterable<Buffer>) => {
    for await (const c of src) out.push(c);
  });
  const stored = Buffer.concat(out);
  assert.equal(stored.length, keyed.storedSize(plain.length));
  if (blobs === undefined) return { blob: { kind: 'inline', data: stored }, size: plain.length, encryption: params };
  const id = `b${blobs.files.size}`;
  blobs.files.set(id, stored);
  return { blob: { kind: 'file', id, size: stored.length }, size: plain.length, encryption: params };
}

async function readAll(result: Readable | Buffer): Promise<Buffer> {
  if (Buffer.isBuffer(result)) return result;
  const out: Buffer[] = [];
  for await (const c of result) out.push(c as Buffer);
  return Buffer.concat(out);
}

describe('readEncrypted with the package format of the keyed mode', () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  const dual = (): TwoKeys => new TwoKeys(Buffer.from(k1), Buffer.from(k2));

  it('a two-key subclass stores dual-layer segments: 32 bytes per package', () => {
    const keyed = dual();
    assert.equal(keyed.packageFormat, DUAL_LAYER);
    for (const n of [0, 1, PACKAGE_SIZE, 3 * PACKAGE_SIZE + 1]) assert.equal(keyed.storedSize(n), encryptedSize(n, DUAL_LAYER));
    assert.equal(keyed.storedSize(PACKAGE_SIZE + 1), PACKAGE_SIZE + 1 + 64);
    assert.equal(new OneKey(Buffer.from(k1)).storedSize(PACKAGE_SIZE + 1), PACKAGE_SIZE + 1 + 32);
  });

  for (const where of ['file', 'inline'] as const) {
    it(`reads ranges across ${where} dual-layer segments`, async () => {
      const blobs = new MemoryBlobs();
      const sizes = where === 'file' ? [5 * PACKAGE_SIZE + 3, 1, 2 * PACKAGE_SIZE] : [1000, PACKAGE_SIZE, 7];
      const plains = sizes.map((n) => randomBytes(n));
      const plain = Buffer.concat(plains);
      const segments: ObjectSegment[] = [];
      for (const p of plains) segments.push(await writeSegment(dual(), p, where === 'file' ? blobs : undefined));
      const ranges: Array<[number, number]> = [
        [0, plain.length - 1],
        [0, 0],
        [plain.length - 1, plain.length - 1],
        [sizes[0]! - 2, sizes[0]! + 1],
      ];
      for (let i = 0; i < 40; i++) {
        const s = randomInt(plain.length);
        ranges.push([s, Math.min(plain.length - 1, s + randomInt(3 * PACKAGE_SIZE))]);
      }
      for (const [s, e] of ranges) {
        const got = await readAll(await readEncrypted(blobs as unknown as BlobStore, dual(), segments, s, e));
        assert.ok(got.equals(plain.subarray(s, e + 1)), `${s}-${e}`);
      }
      // Blob reads come in whole dual-layer packages (four per read).
      if (where === 'file') assert.ok(blobs.chunkSizes.every((c) => c === 4 * (PACKAGE_SIZE + 32)));
    });
  }

  it('a single-layer reader of dual-layer segments refuses them', async () => {
    const blobs = new MemoryBlobs();
    const plain = randomBytes(2 * PACKAGE_SIZE + 5);
    const file = await writeSegment(dual(), plain, blobs);
    const inline = await writeSegment(dual(), plain.subarray(0, 100), undefined);
    const single = (): OneKey => new OneKey(Buffer.from(k1));
    await assert.rejects(async () => readAll(await readEncrypted(blobs as unknown as BlobStore, single(), [file], 0, plain.length - 1)), DataCorruptionError);
    await assert.rejects(async () => readAll(await readEncrypted(blobs as unknown as BlobStore, single(), [inline], 0, 99)), DataCorruptionError);
    // And a damaged outer tag is found by the dual-layer reader.
    blobs.files.get('b0')![PACKAGE_SIZE + 31]! ^= 1;
    await assert.rejects(async () => readAll(await readEncrypted(blobs as unknown as BlobStore, dual(), [file], 0, 10)), DataCorruptionError);
  });

  it('a blob that ends early is data corruption, recognised by its code whatever its message says', async () => {
    const plain = randomBytes(3 * PACKAGE_SIZE);
    const blobs = new MemoryBlobs();
    const file = await writeSegment(dual(), plain, blobs);
    /** Serves the first package, then fails as a blob store does when the file ends early. */
    class Truncated extends MemoryBlobs {
      override read(segment: BlobSegment, start: number, end: number, chunkSize?: number): Readable {
        const whole = super.read(segment, start, end, chunkSize);
        const cut = new Readable({ read() {} });
        whole.once('data', (c: Buffer) => {
          cut.push(c.subarray(0, PACKAGE_SIZE + 32));
          cut.destroy(new BlobStoreError('STRONGBOX_BLOB_SHORT', 'end of file at byte 65568'));
        });
        return cut;
      }
    }
    const cut = new Truncated();
    cut.files.set('b0', blobs.files.get('b0')!);
    await assert.rejects(async () => readAll(await readEncrypted(cut as unknown as BlobStore, dual(), [file], 0, plain.length - 1)), DataCorruptionError);
  });

  it('dispose wipes both data keys; a mismatched key is refused and wiped', () => {
    const keyed = dual();
    keyed.dispose();
    assert.ok(keyed.dataKey.every((b) => b === 0));
    assert.ok(keyed.outerDataKey.every((b) => b === 0));
    // A subclass that forgets segmentKey: 32-byte keys with DUAL_LAYER never encrypt anything.
    class Forgetful extends OneKey {
      override readonly packageFormat = DUAL_LAYER;
    }
    assert.throws(() => new Forgetful(randomBytes(32)).encryptor(new OneKey(randomBytes(32)).segmentParams()), RangeError);
  });
});
