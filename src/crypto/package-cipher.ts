/**
 * The package stream cipher of DESIGN.md ("Encryption at rest"): a segment's plaintext is cut
 * into 64 KiB packages, each sealed under the segment's key. The 96-bit nonce is the package's
 * sequence number plus a flag on the last package, so a package moved to another position, a
 * segment cut short or one extended with packages of its own all fail authentication. Stored
 * size is a function of plaintext size, so a byte range maps to whole packages and only those
 * are read and decrypted.
 *
 * Two package formats (`PackageFormat`), chosen by the object's mode, never guessed from bytes:
 * - SINGLE_LAYER: AES-256-GCM under a 32-byte segment key (every mode but DSSE-KMS).
 * - DUAL_LAYER (DSSE-KMS): the single-layer package (ciphertext ‖ tag) sealed again with
 *   ChaCha20-Poly1305 under a second, independent 32-byte key with the same nonce; the
 *   64-byte segment key is `dualSegmentKey(dataKey1, dataKey2, salt)`.
 */
import { createCipheriv, createDecipheriv, timingSafeEqual } from 'node:crypto';
import { hkdfSha256 } from './hkdf.js';
import { Transform, type TransformCallback } from 'node:stream';

// Frozen format (docs/adr/0002-encryption-envelope.md): changing the package size, the tag
// size, the nonce layout or the key label breaks every stored object.
export const PACKAGE_SIZE = 64 * 1024;
export const TAG_SIZE = 16;
/** Stored size of a full single-layer package; see storedPackageSize for any format. */
export const STORED_PACKAGE_SIZE = PACKAGE_SIZE + TAG_SIZE;
const CIPHER = 'aes-256-gcm';
/** Binds derived segment keys to this format; a new format gets a new label. */
const SEGMENT_KEY_INFO = Buffer.from('strongbox/v1/segment-key');
// Frozen too (DUAL_LAYER): the outer layer's cipher, tag size and key label.
const OUTER_CIPHER = 'chacha20-poly1305';
const OUTER_TAG_SIZE = 16;
const OUTER_SEGMENT_KEY_INFO = Buffer.from('strongbox/v1/dsse-outer-segment-key');
const KEY_SIZE = 32;

/** Thrown when stored bytes fail authentication or are missing: never served as plaintext. */
export class DataCorruptionError extends Error {
  readonly code = 'STRONGBOX_DATA_CORRUPT';
  constructor(message: string) {
    super(message);
    this.name = 'DataCorruptionError';
  }
}

/**
 * How one package is sealed and opened. A format's stored package is its plaintext plus
 * `overhead` bytes, so sizes and ranges follow from the plaintext size alone.
 */
export interface PackageFormat {
  /** For messages only (never stored: the object's mode says which format it uses). */
  readonly name: string;
  /** Stored bytes per package beyond its plaintext. */
  readonly overhead: number;
  /** Length in bytes of the segment key this format takes. */
  readonly keySize: number;
  /** Seals package `seq`; the pieces, in order, are its stored bytes. */
  seal(key: Buffer, seq: number, final: boolean, plain: Buffer): Buffer[];
  /** Opens stored package `seq`; throws DataCorruptionError if any layer fails authentication. */
  open(key: Buffer, seq: number, final: boolean, stored: Buffer): Buffer;
}

/** Frozen: the package number in bytes 0–5 (big-endian), 1 in byte 11 on a segment's last package. */
function nonce(seq: number, final: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeUIntBE(seq, 0, 6);
  n[11] = final ? 1 : 0;
  return n;
}

function gcmSeal(key: Buffer, iv: Buffer, plain: Buffer): [Buffer, Buffer] {
  const c = createCipheriv(CIPHER, key, iv);
  const out = c.update(plain);
  c.final();
  return [out, c.getAuthTag()];
}

function gcmOpen(key: Buffer, iv: Buffer, seq: number, stored: Buffer): Buffer {
  if (stored.length < TAG_SIZE) throw new DataCorruptionError(`package ${seq} is shorter than its tag`);
  const d = createDecipheriv(CIPHER, key, iv);
  d.setAuthTag(stored.subarray(stored.length - TAG_SIZE));
  const out = d.update(stored.subarray(0, stored.length - TAG_SIZE));
  try {
    d.final();
  } catch {
    throw new DataCorruptionError(`package ${seq} failed authentication`);
  }
  return out;
}

/** Today's format, frozen: stored package = AES-256-GCM ciphertext ‖ 16-byte tag. */
export const SINGLE_LAYER: PackageFormat = Object.freeze({
  name: 'single-layer (AES-256-GCM)',
  overhead: TAG_SIZE,
  keySize: KEY_SIZE,
  seal: (key: Buffer, seq: number, final: boolean, plain: Buffer): Buffer[] => gcmSeal(key, nonce(seq, final), plain),
  open: (key: Buffer, seq: number, final: boolean, stored: Buffer): Buffer => gcmOpen(key, nonce(seq, final), seq, stored),
});

/**
 * DSSE-KMS, frozen once objects exist: stored package = ChaCha20-Poly1305(outer key, nonce,
 * AES-256-GCM(inner key, nonce, plain) ‖ its tag) ‖ 16-byte outer tag; overhead 32 bytes. The
 * 64-byte key is inner key (bytes 0–31) ‖ outer key (bytes 32–63), see dualSegmentKey; the
 * nonce is the single-layer nonce (the keys differ, so no key ever sees a nonce twice).
 */
export const DUAL_LAYER: PackageFormat = Object.freeze({
  name: 'dual-layer (AES-256-GCM inside ChaCha20-Poly1305)',
  overhead: TAG_SIZE + OUTER_TAG_SIZE,
  keySize: 2 * KEY_SIZE,
  seal(key: Buffer, seq: number, final: boolean, plain: Buffer): Buffer[] {
    const iv = nonce(seq, final);
    const [ct, tag] = gcmSeal(key.subarray(0, KEY_SIZE), iv, plain);
    const c = createCipheriv(OUTER_CIPHER, key.subarray(KEY_SIZE), iv, { authTagLength: OUTER_TAG_SIZE });
    // Two updates instead of one over ct ‖ tag: the same bytes, without copying the package.
    const outCt = c.update(ct);
    const outTag = c.update(tag);
    c.final();
    return [outCt, outTag, c.getAuthTag()];
  },
  open(key: Buffer, seq: number, final: boolean, stored: Buffer): Buffer {
    if (stored.length < TAG_SIZE + OUTER_TAG_SIZE) throw new DataCorruptionError(`package ${seq} is shorter than its tags`);
    const iv = nonce(seq, final);
    const d = createDecipheriv(OUTER_CIPHER, key.subarray(KEY_SIZE), iv, { authTagLength: OUTER_TAG_SIZE });
    d.setAuthTag(stored.subarray(stored.length - OUTER_TAG_SIZE));
    const inner = d.update(stored.subarray(0, stored.length - OUTER_TAG_SIZE));
    try {
      d.final();
    } catch {
      throw new DataCorruptionError(`package ${seq} failed authentication (outer layer)`);
    }
    return gcmOpen(key.subarray(0, KEY_SIZE), iv, seq, inner);
  },
});

/** Stored bytes of a full package in `format`. */
export const storedPackageSize = (format: PackageFormat = SINGLE_LAYER): number => PACKAGE_SIZE + format.overhead;

/** Packages in a segment of `plainSize` bytes: an empty segment still has one (empty) package. */
const packageCount = (plainSize: number): number => Math.max(1, Math.ceil(plainSize / PACKAGE_SIZE));

/**
 * Stored bytes for `plainSize` plaintext bytes: n + overhead · max(1, ceil(n / 64 KiB)), i.e.
 * n + 16 per package for SINGLE_LAYER and n + 32 per package for DUAL_LAYER.
 */
export const encryptedSize = (plainSize: number, format: PackageFormat = SINGLE_LAYER): number =>
  plainSize + format.overhead * packageCount(plainSize);

/** The key of one segment: HKDF-SHA256 of the object's data key and the segment's salt. */
export function segmentKey(dataKey: Buffer, salt: Buffer): Buffer {
  return hkdfSha256(dataKey, salt, SEGMENT_KEY_INFO);
}

/**
 * The 64-byte DUAL_LAYER key of one segment: segmentKey(dataKey1, salt) (the inner AES-256-GCM
 * key, exactly the single-layer key) ‖ HKDF-SHA256(dataKey2, salt, "strongbox/v1/dsse-outer-
 * segment-key") (the outer ChaCha20-Poly1305 key). Each half depends on one data key only, so
 * the layers are independent. The caller wipes the result.
 */
export function dualSegmentKey(dataKey1: Buffer, dataKey2: Buffer, salt: Buffer): Buffer {
  if (dataKey1.length === dataKey2.length && timingSafeEqual(dataKey1, dataKey2)) {
    throw new RangeError('a dual-layer segment key needs two independent data keys');
  }
  const inner = segmentKey(dataKey1, salt);
  const outer = hkdfSha256(dataKey2, salt, OUTER_SEGMENT_KEY_INFO);
  const key = Buffer.alloc(2 * KEY_SIZE);
  inner.copy(key, 0);
  outer.copy(key, KEY_SIZE);
  inner.fill(0);
  outer.fill(0);
  return key;
}

/** A key of the wrong length for its format is a programming error (never data corruption). */
function checkKey(key: Buffer, format: PackageFormat): void {
  if (key.length !== format.keySize) {
    throw new RangeError(`a ${format.name} segment key has ${format.keySize} bytes, not ${key.length}`);
  }
}

/**
 * Encrypts one segment. A package is sealed once the next byte (or the end) shows whether it
 * is the last; large input chunks are sealed in place, only the tail of a chunk is copied.
 * The key stays the caller's: it wipes it once the stream closes.
 */
export class SegmentEncryptor extends Transform {
  private readonly pending = Buffer.allocUnsafe(PACKAGE_SIZE);
  private filled = 0;
  private seq = 0;

  /** @param key a segment key of `format.keySize` bytes (owned by the caller) */
  constructor(
    private readonly key: Buffer,
    private readonly format: PackageFormat = SINGLE_LAYER,
  ) {
    super({ highWaterMark: 1024 * 1024 });
    checkKey(key, format);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.filled === PACKAGE_SIZE) {
        // More bytes follow, so the buffered package is not the last.
        this.sealNext(this.pending, false);
        this.filled = 0;
      }
      if (this.filled === 0 && chunk.length - off > PACKAGE_SIZE) {
        this.sealNext(chunk.subarray(off, off + PACKAGE_SIZE), false);
        off += PACKAGE_SIZE;
        continue;
      }
      const n = Math.min(PACKAGE_SIZE - this.filled, chunk.length - off);
      chunk.copy(this.pending, this.filled, off, off + n);
      this.filled += n;
      off += n;
    }
    cb();
  }

  override _flush(cb: TransformCallback): void {
    this.sealNext(this.pending.subarray(0, this.filled), true);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.pending.fill(0);
    cb(err);
  }

  private sealNext(plain: Buffer, final: boolean): void {
    for (const piece of this.format.seal(this.key, this.seq++, final, plain)) this.push(piece);
  }
}

/** Where the plaintext range [start, end] of a segment lies in its stored bytes. */
export interface StoredRange {
  readonly firstPackage: number;
  readonly lastPackage: number;
  /** Inclusive byte offsets into the stored segment. */
  readonly start: number;
  readonly end: number;
}

export function storedRange(plainSize: number, start: number, end: number, format: PackageFormat = SINGLE_LAYER): StoredRange {
  const count = packageCount(plainSize);
  const storedPackage = PACKAGE_SIZE + format.overhead;
  const firstPackage = Math.floor(start / PACKAGE_SIZE);
  const lastPackage = Math.min(count - 1, Math.floor(end / PACKAGE_SIZE));
  const lastPlain = lastPackage === count - 1 ? plainSize - lastPackage * PACKAGE_SIZE : PACKAGE_SIZE;
  return {
    firstPackage,
    lastPackage,
    start: firstPackage * storedPackage,
    end: lastPackage * storedPackage + lastPlain + format.overhead - 1,
  };
}

/**
 * Decrypts the plaintext range [start, end] of a segment of `plainSize` bytes from `stored`,
 * the stored bytes of `storedRange(plainSize, start, end, format)` in order. A package is
 * released only after its tags check; missing or extra bytes are corruption.
 */
export async function* decryptRange(
  key: Buffer,
  plainSize: number,
  start: number,
  end: number,
  stored: AsyncIterable<Buffer>,
  format: PackageFormat = SINGLE_LAYER,
): AsyncGenerator<Buffer> {
  checkKey(key, format);
  const range = storedRange(plainSize, start, end, format);
  const count = packageCount(plainSize);
  const overhead = format.overhead;
  let seq = range.firstPackage;
  let pos = seq * PACKAGE_SIZE;
  const sizeOf = (s: number): number => (s === count - 1 ? plainSize - s * PACKAGE_SIZE : PACKAGE_SIZE) + overhead;
  let parts: Buffer[] = [];
  let have = 0;
  const take = function* (pkg: Buffer): Generator<Buffer> {
    const plain = format.open(key, seq, seq === count - 1, pkg);
    const from = Math.max(start, pos) - pos;
    const to = Math.min(end, pos + plain.length - 1) - pos + 1;
    seq++;
    pos += PACKAGE_SIZE;
    if (to > from) yield from === 0 && to === plain.length ? plain : plain.subarray(from, to);
  };
  for await (const chunk of stored) {
    let off = 0;
    while (off < chunk.length) {
      if (seq > range.lastPackage) throw new DataCorruptionError('segment has more bytes than its record');
      const need = sizeOf(seq) - have;
      if (have === 0 && chunk.length - off >= need) {
        // The whole package is in this chunk: no copy.
        yield* take(chunk.subarray(off, off + need));
        off += need;
        continue;
      }
      const n = Math.min(need, chunk.length - off);
      parts.push(chunk.subarray(off, off + n));
      have += n;
      off += n;
      if (have === sizeOf(seq)) {
        const pkg = Buffer.concat(parts, have);
        parts = [];
        have = 0;
        yield* take(pkg);
      }
    }
  }
  if (seq <= range.lastPackage) throw new DataCorruptionError('segment is shorter than its record');
}

/** decryptRange for stored bytes already in memory (inline segments). */
export function decryptRangeSync(
  key: Buffer,
  plainSize: number,
  start: number,
  end: number,
  stored: Buffer,
  format: PackageFormat = SINGLE_LAYER,
): Buffer {
  checkKey(key, format);
  const range = storedRange(plainSize, start, end, format);
  const count = packageCount(plainSize);
  if (stored.length !== encryptedSize(plainSize, format)) throw new DataCorruptionError('segment size does not match its record');
  const storedPackage = PACKAGE_SIZE + format.overhead;
  const out: Buffer[] = [];
  for (let seq = range.firstPackage; seq <= range.lastPackage; seq++) {
    const at = seq * storedPackage;
    const len = (seq === count - 1 ? plainSize - seq * PACKAGE_SIZE : PACKAGE_SIZE) + format.overhead;
    const plain = format.open(key, seq, seq === count - 1, stored.subarray(at, at + len));
    const pos = seq * PACKAGE_SIZE;
    out.push(plain.subarray(Math.max(start, pos) - pos, Math.min(end, pos + plain.length - 1) - pos + 1));
  }
  return out.length === 1 ? out[0]! : Buffer.concat(out);
}
