/**
 * The package stream cipher of DESIGN.md ("Encryption at rest"): a segment's plaintext is cut
 * into 64 KiB packages, each sealed with AES-256-GCM under the segment's key. The 96-bit nonce
 * is the package's sequence number plus a flag on the last package, so a package moved to
 * another position, a segment cut short or one extended with packages of its own all fail
 * authentication. Ciphertext size is a function of plaintext size, so a byte range maps to
 * whole packages and only those are read and decrypted.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

// Frozen format (docs/adr/0002-encryption-envelope.md): changing the package size, the tag
// size, the nonce layout or the key label breaks every stored object.
export const PACKAGE_SIZE = 64 * 1024;
export const TAG_SIZE = 16;
export const STORED_PACKAGE_SIZE = PACKAGE_SIZE + TAG_SIZE;
const CIPHER = 'aes-256-gcm';
/** Binds derived segment keys to this format; a new format gets a new label. */
const SEGMENT_KEY_INFO = Buffer.from('strongbox/v1/segment-key');

/** Thrown when stored bytes fail authentication or are missing: never served as plaintext. */
export class DataCorruptionError extends Error {
  readonly code = 'STRONGBOX_DATA_CORRUPT';
  constructor(message: string) {
    super(message);
    this.name = 'DataCorruptionError';
  }
}

/** Packages in a segment of `plainSize` bytes: an empty segment still has one (empty) package. */
const packageCount = (plainSize: number): number => Math.max(1, Math.ceil(plainSize / PACKAGE_SIZE));

/** Stored bytes for `plainSize` plaintext bytes: n + 16 · ceil(n / 64 KiB), at least 16. */
export const encryptedSize = (plainSize: number): number => plainSize + TAG_SIZE * packageCount(plainSize);

/** The key of one segment: HKDF-SHA256 of the object's data key and the segment's salt. */
export function segmentKey(dataKey: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', dataKey, salt, SEGMENT_KEY_INFO, 32));
}

/** Frozen: the package number in bytes 0–5 (big-endian), 1 in byte 11 on a segment's last package. */
function nonce(seq: number, final: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeUIntBE(seq, 0, 6);
  n[11] = final ? 1 : 0;
  return n;
}

function sealPackage(key: Buffer, seq: number, final: boolean, plain: Buffer): [Buffer, Buffer] {
  const c = createCipheriv(CIPHER, key, nonce(seq, final));
  const out = c.update(plain);
  c.final();
  return [out, c.getAuthTag()];
}

function openPackage(key: Buffer, seq: number, final: boolean, stored: Buffer): Buffer {
  const d = createDecipheriv(CIPHER, key, nonce(seq, final));
  d.setAuthTag(stored.subarray(stored.length - TAG_SIZE));
  const out = d.update(stored.subarray(0, stored.length - TAG_SIZE));
  try {
    d.final();
  } catch {
    throw new DataCorruptionError(`package ${seq} failed authentication`);
  }
  return out;
}

/**
 * Encrypts one segment. A package is sealed once the next byte (or the end) shows whether it
 * is the last; large input chunks are sealed in place, only the tail of a chunk is copied.
 * `onEnd` runs when the stream ends or is destroyed (the caller wipes the key there).
 */
export class SegmentEncryptor extends Transform {
  private readonly pending = Buffer.allocUnsafe(PACKAGE_SIZE);
  private filled = 0;
  private seq = 0;

  constructor(private readonly key: Buffer) {
    super({ highWaterMark: 1024 * 1024 });
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
    const [ct, tag] = sealPackage(this.key, this.seq++, final, plain);
    this.push(ct);
    this.push(tag);
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

export function storedRange(plainSize: number, start: number, end: number): StoredRange {
  const count = packageCount(plainSize);
  const firstPackage = Math.floor(start / PACKAGE_SIZE);
  const lastPackage = Math.min(count - 1, Math.floor(end / PACKAGE_SIZE));
  const lastPlain = lastPackage === count - 1 ? plainSize - lastPackage * PACKAGE_SIZE : PACKAGE_SIZE;
  return {
    firstPackage,
    lastPackage,
    start: firstPackage * STORED_PACKAGE_SIZE,
    end: lastPackage * STORED_PACKAGE_SIZE + lastPlain + TAG_SIZE - 1,
  };
}

/**
 * Decrypts the plaintext range [start, end] of a segment of `plainSize` bytes from `stored`,
 * the stored bytes of `storedRange(plainSize, start, end)` in order. A package is released only
 * after its tag checks; missing or extra bytes are corruption.
 */
export async function* decryptRange(
  key: Buffer,
  plainSize: number,
  start: number,
  end: number,
  stored: AsyncIterable<Buffer>,
): AsyncGenerator<Buffer> {
  const range = storedRange(plainSize, start, end);
  const count = packageCount(plainSize);
  let seq = range.firstPackage;
  let pos = seq * PACKAGE_SIZE;
  const sizeOf = (s: number): number => (s === count - 1 ? plainSize - s * PACKAGE_SIZE : PACKAGE_SIZE) + TAG_SIZE;
  let parts: Buffer[] = [];
  let have = 0;
  const take = function* (pkg: Buffer): Generator<Buffer> {
    const plain = openPackage(key, seq, seq === count - 1, pkg);
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
export function decryptRangeSync(key: Buffer, plainSize: number, start: number, end: number, stored: Buffer): Buffer {
  const range = storedRange(plainSize, start, end);
  const count = packageCount(plainSize);
  if (stored.length !== encryptedSize(plainSize)) throw new DataCorruptionError('segment size does not match its record');
  const out: Buffer[] = [];
  for (let seq = range.firstPackage; seq <= range.lastPackage; seq++) {
    const at = seq * STORED_PACKAGE_SIZE;
    const len = (seq === count - 1 ? plainSize - seq * PACKAGE_SIZE : PACKAGE_SIZE) + TAG_SIZE;
    const plain = openPackage(key, seq, seq === count - 1, stored.subarray(at, at + len));
    const pos = seq * PACKAGE_SIZE;
    out.push(plain.subarray(Math.max(start, pos) - pos, Math.min(end, pos + plain.length - 1) - pos + 1));
  }
  return out.length === 1 ? out[0]! : Buffer.concat(out);
}
