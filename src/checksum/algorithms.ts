/**
 * Incremental hashers for the flexible-checksum algorithms (../shared/spec/aws-sse.md §9.4),
 * CRC combination for FULL_OBJECT multipart checksums and the COMPOSITE format.
 *
 * CRC32C and CRC64NVME are table-driven in plain JS (slicing-by-16 over 32-bit words); the
 * 64-bit CRC is kept as two 32-bit halves so the inner loop never touches BigInt.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import { crc32 as zlibCrc32 } from 'node:zlib';
import type { ChecksumAlgorithm } from './types.js';

/** An incremental digest. `digest()` may be called once, after the last `update()`. */
export interface Hasher {
  update(buf: Uint8Array): void;
  digest(): Buffer;
}

/** Digest length in bytes of each algorithm. */
export const DIGEST_LENGTH: Readonly<Record<ChecksumAlgorithm, number>> = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
};

export type CrcAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME';

export const isCrcAlgorithm = (alg: ChecksumAlgorithm): alg is CrcAlgorithm =>
  alg === 'CRC32' || alg === 'CRC32C' || alg === 'CRC64NVME';

// ---- tables ---------------------------------------------------------------------

const SLICES = 16;
const LITTLE_ENDIAN = endianness() === 'LE';

/** Slicing tables for a reflected 32-bit CRC: table k maps a byte followed by k zero bytes. */
function crc32Tables(poly: number): Int32Array {
  const t = new Int32Array(256 * SLICES);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < SLICES; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

/** The same for a reflected 64-bit CRC, as separate low and high 32-bit halves. */
function crc64Tables(polyLo: number, polyHi: number): { lo: Int32Array; hi: Int32Array } {
  const lo = new Int32Array(256 * SLICES);
  const hi = new Int32Array(256 * SLICES);
  for (let n = 0; n < 256; n++) {
    let l = n;
    let h = 0;
    for (let k = 0; k < 8; k++) {
      const bit = l & 1;
      l = (l >>> 1) | ((h & 1) << 31);
      h = h >>> 1;
      if (bit) {
        l ^= polyLo;
        h ^= polyHi;
      }
    }
    lo[n] = l;
    hi[n] = h;
  }
  for (let n = 0; n < 256; n++) {
    let l = lo[n]!;
    let h = hi[n]!;
    for (let k = 1; k < SLICES; k++) {
      const i = l & 0xff;
      // (crc >> 8) ^ T[crc & 0xff]
      l = ((l >>> 8) | (h << 24)) ^ lo[i]!;
      h = (h >>> 8) ^ hi[i]!;
      lo[k * 256 + n] = l;
      hi[k * 256 + n] = h;
    }
  }
  return { lo, hi };
}

const CRC32C_POLY = 0x82f63b78;
const CRC64NVME_POLY = 0x9a6c9329ac4bc9b5n;
const CRC64NVME_POLY_LO = Number(CRC64NVME_POLY & 0xffffffffn) | 0;
const CRC64NVME_POLY_HI = Number(CRC64NVME_POLY >> 32n) | 0;

let crc32cTable: Int32Array | undefined;
let crc64Table: { lo: Int32Array; hi: Int32Array } | undefined;

/** 32-bit words of `buf` starting at byte `start` (which must make the address 4-aligned). */
const words = (buf: Uint8Array, start: number, count: number): Int32Array =>
  new Int32Array(buf.buffer, buf.byteOffset + start, count);

/** Bytes to skip so that `buf.byteOffset + n` is a multiple of 4. */
const alignHead = (buf: Uint8Array): number => (4 - (buf.byteOffset & 3)) & 3;

// ---- CRC32C ---------------------------------------------------------------------

/** Updates a raw (pre-conditioned) CRC32C register with `buf`. */
export function crc32cUpdate(crc: number, buf: Uint8Array): number {
  const t = (crc32cTable ??= crc32Tables(CRC32C_POLY));
  const len = buf.length;
  let c = crc | 0;
  let i = 0;
  if (LITTLE_ENDIAN && len >= 64) {
    const head = alignHead(buf);
    for (; i < head; i++) c = t[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
    const n = ((len - i) >>> 4) << 2; // whole 16-byte blocks, counted in words
    const w = words(buf, i, n);
    for (let j = 0; j < n; j += 4) {
      const a = w[j]! ^ c;
      const b = w[j + 1]!;
      const d = w[j + 2]!;
      const e = w[j + 3]!;
      c =
        t[0xf00 + (a & 0xff)]! ^
        t[0xe00 + ((a >>> 8) & 0xff)]! ^
        t[0xd00 + ((a >>> 16) & 0xff)]! ^
        t[0xc00 + (a >>> 24)]! ^
        t[0xb00 + (b & 0xff)]! ^
        t[0xa00 + ((b >>> 8) & 0xff)]! ^
        t[0x900 + ((b >>> 16) & 0xff)]! ^
        t[0x800 + (b >>> 24)]! ^
        t[0x700 + (d & 0xff)]! ^
        t[0x600 + ((d >>> 8) & 0xff)]! ^
        t[0x500 + ((d >>> 16) & 0xff)]! ^
        t[0x400 + (d >>> 24)]! ^
        t[0x300 + (e & 0xff)]! ^
        t[0x200 + ((e >>> 8) & 0xff)]! ^
        t[0x100 + ((e >>> 16) & 0xff)]! ^
        t[e >>> 24]!;
    }
    i += n << 2;
  }
  for (; i < len; i++) c = t[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

// ---- CRC64NVME ------------------------------------------------------------------

/** Updates a raw CRC64NVME register (two signed 32-bit halves) with `buf`. */
export function crc64nvmeUpdate(lo0: number, hi0: number, buf: Uint8Array): [number, number] {
  const { lo: tl, hi: th } = (crc64Table ??= crc64Tables(CRC64NVME_POLY_LO, CRC64NVME_POLY_HI));
  const len = buf.length;
  let l = lo0 | 0;
  let h = hi0 | 0;
  let i = 0;
  if (LITTLE_ENDIAN && len >= 64) {
    const head = alignHead(buf);
    for (; i < head; i++) {
      const x = (l ^ buf[i]!) & 0xff;
      l = ((l >>> 8) | (h << 24)) ^ tl[x]!;
      h = (h >>> 8) ^ th[x]!;
    }
    const n = ((len - i) >>> 4) << 2;
    const w = words(buf, i, n);
    for (let j = 0; j < n; j += 4) {
      const a = w[j]! ^ l;
      const b = w[j + 1]! ^ h;
      const d = w[j + 2]!;
      const e = w[j + 3]!;
      let i0 = 0xf00 + (a & 0xff);
      let i1 = 0xe00 + ((a >>> 8) & 0xff);
      let i2 = 0xd00 + ((a >>> 16) & 0xff);
      let i3 = 0xc00 + (a >>> 24);
      let i4 = 0xb00 + (b & 0xff);
      let i5 = 0xa00 + ((b >>> 8) & 0xff);
      let i6 = 0x900 + ((b >>> 16) & 0xff);
      let i7 = 0x800 + (b >>> 24);
      l = tl[i0]! ^ tl[i1]! ^ tl[i2]! ^ tl[i3]! ^ tl[i4]! ^ tl[i5]! ^ tl[i6]! ^ tl[i7]!;
      h = th[i0]! ^ th[i1]! ^ th[i2]! ^ th[i3]! ^ th[i4]! ^ th[i5]! ^ th[i6]! ^ th[i7]!;
      i0 = 0x700 + (d & 0xff);
      i1 = 0x600 + ((d >>> 8) & 0xff);
      i2 = 0x500 + ((d >>> 16) & 0xff);
      i3 = 0x400 + (d >>> 24);
      i4 = 0x300 + (e & 0xff);
      i5 = 0x200 + ((e >>> 8) & 0xff);
      i6 = 0x100 + ((e >>> 16) & 0xff);
      i7 = e >>> 24;
      l ^= tl[i0]! ^ tl[i1]! ^ tl[i2]! ^ tl[i3]! ^ tl[i4]! ^ tl[i5]! ^ tl[i6]! ^ tl[i7]!;
      h ^= th[i0]! ^ th[i1]! ^ th[i2]! ^ th[i3]! ^ th[i4]! ^ th[i5]! ^ th[i6]! ^ th[i7]!;
    }
    i += n << 2;
  }
  for (; i < len; i++) {
    const x = (l ^ buf[i]!) & 0xff;
    l = ((l >>> 8) | (h << 24)) ^ tl[x]!;
    h = (h >>> 8) ^ th[x]!;
  }
  return [l, h];
}

// ---- hashers --------------------------------------------------------------------

class Crc32Hasher implements Hasher {
  private crc = 0;
  update(buf: Uint8Array): void {
    this.crc = zlibCrc32(buf, this.crc);
  }
  digest(): Buffer {
    const out = Buffer.allocUnsafe(4);
    out.writeUInt32BE(this.crc >>> 0);
    return out;
  }
}

class Crc32cHasher implements Hasher {
  private crc = -1;
  update(buf: Uint8Array): void {
    this.crc = crc32cUpdate(this.crc, buf);
  }
  digest(): Buffer {
    const out = Buffer.allocUnsafe(4);
    out.writeUInt32BE(~this.crc >>> 0);
    return out;
  }
}

/**
 * The optional Node-API addon (native/checksums.c, built by `npm run build:native`): CRC64NVME
 * about 2-3x faster than the JavaScript below, which stays the fallback and the reference.
 */
interface NativeChecksums {
  crc64nvmeUpdate(state: Uint8Array, data: Uint8Array): void;
}
function loadNative(): NativeChecksums | undefined {
  if (!LITTLE_ENDIAN) return undefined;
  const require = createRequire(import.meta.url);
  // From src/checksum/ (tests of the sources) or dist/src/checksum/ (the build).
  for (const path of ['../../build/Release/strongbox_native.node', '../../../build/Release/strongbox_native.node']) {
    try {
      return require(path) as NativeChecksums;
    } catch {
      // not built here: try the next place, then fall back to JavaScript
    }
  }
  return undefined;
}
const native = loadNative();
/** Whether CRC64NVME runs in the native addon (reported by benchmarks). */
export const nativeChecksums = native !== undefined;

/** CRC64NVME in the addon: the raw register lives in 8 little-endian bytes. */
class NativeCrc64NvmeHasher implements Hasher {
  private readonly state = Buffer.alloc(8, 0xff);
  constructor(private readonly addon: NativeChecksums) {}
  update(buf: Uint8Array): void {
    this.addon.crc64nvmeUpdate(this.state, buf);
  }
  digest(): Buffer {
    const out = Buffer.allocUnsafe(8);
    out.writeUInt32BE(~this.state.readUInt32LE(4) >>> 0, 0);
    out.writeUInt32BE(~this.state.readUInt32LE(0) >>> 0, 4);
    return out;
  }
}

/** The JavaScript CRC64NVME, whatever the addon: tests compare the two. @internal */
export const createJsCrc64NvmeHasher = (): Hasher => new Crc64NvmeHasher();

class Crc64NvmeHasher implements Hasher {
  private lo = -1;
  private hi = -1;
  update(buf: Uint8Array): void {
    [this.lo, this.hi] = crc64nvmeUpdate(this.lo, this.hi, buf);
  }
  digest(): Buffer {
    const out = Buffer.allocUnsafe(8);
    out.writeUInt32BE(~this.hi >>> 0, 0);
    out.writeUInt32BE(~this.lo >>> 0, 4);
    return out;
  }
}

/** Names understood by {@link createHasher}: the checksum algorithms plus MD5 (for ETags). */
export type HashName = ChecksumAlgorithm | 'MD5';

/** A fresh incremental hasher for `name`. */
export function createHasher(name: HashName): Hasher {
  switch (name) {
    case 'CRC32':
      return new Crc32Hasher();
    case 'CRC32C':
      return new Crc32cHasher();
    case 'CRC64NVME':
      return native === undefined ? new Crc64NvmeHasher() : new NativeCrc64NvmeHasher(native);
    case 'SHA1':
      return createHash('sha1');
    case 'SHA256':
      return createHash('sha256');
    case 'MD5':
      return createHash('md5');
  }
}

/** One-shot digest of `data`. */
export function hashOf(name: HashName, ...data: Uint8Array[]): Buffer {
  const h = createHasher(name);
  for (const d of data) h.update(d);
  return h.digest();
}

// ---- combination (FULL_OBJECT multipart) ------------------------------------------

interface CrcSpec {
  readonly width: bigint;
  /** Reflected polynomial. */
  readonly poly: bigint;
  /** x^(2^k) mod P for k = 0..63, in reflected form. */
  x2n?: bigint[];
}

const CRC_SPECS: Record<CrcAlgorithm, CrcSpec> = {
  CRC32: { width: 32n, poly: 0xedb88320n },
  CRC32C: { width: 32n, poly: BigInt(CRC32C_POLY) },
  CRC64NVME: { width: 64n, poly: CRC64NVME_POLY },
};

/** a·b mod P in the reflected representation (zlib's multmodp). */
function multModP(spec: CrcSpec, a: bigint, b: bigint): bigint {
  let m = 1n << (spec.width - 1n);
  let p = 0n;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1n)) === 0n) break;
    }
    m >>= 1n;
    b = b & 1n ? (b >> 1n) ^ spec.poly : b >> 1n;
  }
  return p;
}

/** x^(n·2^k) mod P. */
function x2nModP(spec: CrcSpec, n: number, k: number): bigint {
  const table = (spec.x2n ??= buildX2n(spec));
  let p = 1n << (spec.width - 1n); // x^0
  while (n > 0) {
    if (n % 2 === 1) p = multModP(spec, table[k % 64]!, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

function buildX2n(spec: CrcSpec): bigint[] {
  const t: bigint[] = [];
  let p = 1n << (spec.width - 2n); // x^1
  for (let k = 0; k < 64; k++) {
    t.push(p);
    p = multModP(spec, p, p);
  }
  return t;
}

const fromDigest = (d: Buffer): bigint => BigInt('0x' + (d.length ? d.toString('hex') : '0'));

/**
 * The CRC of A‖B from crc(A), crc(B) and the length of B in bytes (zlib's crc32_combine,
 * valid for CRC32, CRC32C and CRC64NVME, whose init and xorout are both all ones).
 * CRCs are passed and returned as big-endian digests, as in `x-amz-checksum-*`.
 */
export function combineCrc(alg: CrcAlgorithm, crcA: Buffer, crcB: Buffer, lenB: number): Buffer {
  const spec = CRC_SPECS[alg];
  const size = Number(spec.width / 8n);
  if (crcA.length !== size || crcB.length !== size) {
    throw new RangeError(`${alg} digests are ${size} bytes`);
  }
  if (!Number.isSafeInteger(lenB) || lenB < 0) throw new RangeError('lenB must be a byte count');
  const combined = multModP(spec, x2nModP(spec, lenB, 3), fromDigest(crcA)) ^ fromDigest(crcB);
  return Buffer.from(combined.toString(16).padStart(size * 2, '0'), 'hex');
}

/**
 * The COMPOSITE multipart checksum: the algorithm over the concatenated binary part
 * digests, written `<base64>-<number of parts>` (§9.5).
 */
export function compositeChecksum(alg: ChecksumAlgorithm, partDigests: readonly Buffer[]): string {
  const h = createHasher(alg);
  for (const d of partDigests) h.update(d);
  return `${h.digest().toString('base64')}-${partDigests.length}`;
}
