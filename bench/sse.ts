/**
 * The encrypted cases of `npm run bench`, run on Strongbox only (the references have no SSE)
 * and judged against Strongbox's own cases of the same run and protocol (see `Comparison` and
 * bench/cases.ts). The mode of a case (`def.sse`) decides its headers and the response check
 * (bench/sse-modes.ts):
 *
 *   <mode>-put-64MiB, <mode>-get-64MiB   throughput, against put-64MiB / get-64MiB at the same
 *                                        concurrency; mode = ssec, sses3, ssekms, dssekms
 *   ssekms-put-4KiB                      4 KiB PUTs (ops/s), against put-4KiB at the same concurrency
 *   ssec-rotate-<size>                   CopyObject of an SSE-C object onto itself under the other
 *                                        customer key (A→B, B→A, …: every operation re-keys), latency
 *   ssec-range-1B-<size>                 a 1-byte range GET at a pseudo-random offset, latency
 *
 * Every response must show the mode was applied (SSE-C: the algorithm and key MD5 echoed;
 * SSE-S3: AES256; KMS: aws:kms or aws:kms:dsse and a KMS key ARN), and a range GET must
 * return the byte that was written there, so a server that ignored the headers (or read the
 * wrong place) cannot look fast. After the warm-up rotations a HEAD with the previous key
 * must be refused, so a rotation that kept the old key cannot look fast either.
 */
import type { BenchClient } from './client.js';
import { runPool } from './pool.js';
import { COPY_SOURCE_HEADERS, KEY_HEADERS, SSE_MODES, expectSseC, type KeyIndex, type ModeSpec } from './sse-modes.js';
import type { CaseDef } from './types.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const BIG = 64 * MiB;

/** What each server remembers between cases and rounds. */
export interface SseServer {
  /** Key groups already written (shared with the plain cases' groups, distinct names). */
  seeded: Map<string, number>;
  /** Which customer key each rotated object is currently under. */
  ssecKey: Map<string, KeyIndex>;
}

/** The bytes written: `small` for objects up to its size, else `big` repeated. */
export interface Payload {
  big: Buffer;
  small: Buffer;
}

export const sizeLabel = (n: number): string =>
  n >= GiB && n % GiB === 0 ? `${n / GiB}GiB` : n >= MiB && n % MiB === 0 ? `${n / MiB}MiB` : n >= KiB && n % KiB === 0 ? `${n / KiB}KiB` : `${n}B`;

function modeOf(def: CaseDef): ModeSpec {
  if (def.sse === undefined) throw new Error(`${def.name} is not an encrypted case`);
  return SSE_MODES[def.sse];
}

/** Seed group of a mode's 64 MiB objects written at the case's concurrency. */
export const sseBigGroup = (def: CaseDef): string => `${modeOf(def).prefix}-big-c${def.concurrency}`;
const bigKey = (mode: ModeSpec, c: number, i: number): string => `${mode.prefix}/big/c${c}/${String(i).padStart(5, '0')}`;
const smallKey = (mode: ModeSpec, i: number): string => `${mode.prefix}/small/${String(i).padStart(6, '0')}`;
/** One object per size, shared by the rotate and range cases of that size. */
const objectKey = (size: number): string => `ssec/obj/${sizeLabel(size)}`;

function sizeOf(def: CaseDef): number {
  if (def.size === undefined) throw new Error(`${def.name}: no object size`);
  return def.size;
}

const bufferFor = (p: Payload, size: number): Buffer => (size <= p.small.length ? p.small : p.big);
/** The plaintext byte at `offset` of an object of `size` bytes written from `bufferFor` (repeated). */
const byteAt = (p: Payload, size: number, offset: number): number => {
  const buf = bufferFor(p, size);
  return buf[offset % buf.length] ?? -1;
};

/** xorshift32: pseudo-random range offsets, the same sequence in every run. */
let rngState = 0x9e3779b9;
function nextRandom(): number {
  rngState ^= rngState << 13;
  rngState >>>= 0;
  rngState ^= rngState >>> 17;
  rngState ^= rngState << 5;
  rngState >>>= 0;
  return rngState;
}

/** PUT `size` bytes under `mode`, checking the answer; returns the bytes sent. */
async function putAs(mode: ModeSpec, c: BenchClient, bucket: string, key: string, buf: Buffer, size: number): Promise<number> {
  mode.expect(await c.put(bucket, key, buf, size, mode.write), `PUT ${key}`);
  return size;
}

/** GET a whole object written under `mode`, checking the answer; returns the bytes received. */
async function getAs(mode: ModeSpec, c: BenchClient, bucket: string, key: string, size: number): Promise<number> {
  const res = await c.getResponse(bucket, key, size, mode.read);
  mode.expect(res, `GET ${key}`);
  return res.bytes;
}

/** The operation an encrypted case measures, as fn(i) → bytes moved. */
export function sseOperation(def: CaseDef, c: BenchClient, s: SseServer, bucket: string, p: Payload): (i: number) => Promise<number> {
  const mode = modeOf(def);
  switch (def.kind) {
    case 'sse-put-big':
      return (i) => putAs(mode, c, bucket, bigKey(mode, def.concurrency, i), p.big, BIG);
    case 'sse-get-big':
      return (i) => getAs(mode, c, bucket, bigKey(mode, def.concurrency, i), BIG);
    case 'sse-put-small':
      return (i) => putAs(mode, c, bucket, smallKey(mode, i), p.small, p.small.length);
    case 'ssec-rotate': {
      const key = objectKey(sizeOf(def));
      return async () => {
        const from = s.ssecKey.get(key);
        if (from === undefined) throw new Error(`${key} was not written`);
        const to: KeyIndex = from === 0 ? 1 : 0;
        const res = await c.copy(bucket, key, `${bucket}/${key}`, { ...COPY_SOURCE_HEADERS[from], ...KEY_HEADERS[to] });
        expectSseC(res, to, `CopyObject ${key}`);
        s.ssecKey.set(key, to);
        return 0;
      };
    }
    case 'ssec-range': {
      const size = sizeOf(def);
      const key = objectKey(size);
      return async () => {
        const k = s.ssecKey.get(key);
        if (k === undefined) throw new Error(`${key} was not written`);
        const offset = nextRandom() % size;
        const res = await c.getRange(bucket, key, offset, offset, KEY_HEADERS[k]);
        expectSseC(res, k, `GET ${key} bytes=${offset}-${offset}`);
        if (res.prefix[0] !== byteAt(p, size, offset)) throw new Error(`GET ${key} bytes=${offset}-${offset}: wrong byte ${res.prefix[0]}`);
        return res.bytes;
      };
    }
    case 'put-big':
    case 'get-big':
    case 'put-small':
    case 'get-small':
    case 'head-small':
    case 'list':
      throw new Error(`${def.name} is not an encrypted case`);
  }
}

/** Write whatever an encrypted case reads (unmeasured, streamed) unless an earlier case did. */
export async function sseSeed(def: CaseDef, c: BenchClient, s: SseServer, bucket: string, p: Payload): Promise<void> {
  const mode = modeOf(def);
  if (def.kind === 'sse-get-big') {
    const group = sseBigGroup(def);
    if ((s.seeded.get(group) ?? 0) >= def.ops) return;
    await runPool(def.concurrency, def.ops, (i) => putAs(mode, c, bucket, bigKey(mode, def.concurrency, i), p.big, BIG));
    s.seeded.set(group, def.ops);
  } else if (def.kind === 'ssec-rotate' || def.kind === 'ssec-range') {
    const size = sizeOf(def);
    const key = objectKey(size);
    if (s.ssecKey.has(key)) return;
    expectSseC(await c.put(bucket, key, bufferFor(p, size), size, KEY_HEADERS[0]), 0, `PUT ${key}`);
    s.ssecKey.set(key, 0);
  }
}

/**
 * A few unmeasured operations of the case's kind (for SSE-KMS the first creates the `aws/s3`
 * key); after rotations, checks the old key is refused.
 */
export async function sseWarmUp(def: CaseDef, c: BenchClient, s: SseServer, bucket: string, p: Payload): Promise<void> {
  const mode = modeOf(def);
  switch (def.kind) {
    case 'sse-put-big':
    case 'sse-get-big': {
      const key = `warm/${mode.prefix}-big`;
      await putAs(mode, c, bucket, key, p.big, BIG);
      await getAs(mode, c, bucket, key, BIG);
      break;
    }
    case 'sse-put-small': {
      // As the plain small cases warm up: on a few keys of their own, every socket busy.
      const keys = def.concurrency * 4;
      const warmKey = (i: number): string => `warm/${mode.prefix}-s${String(i % keys).padStart(4, '0')}`;
      await runPool(def.concurrency, Math.max(50, def.concurrency * 8), (i) => putAs(mode, c, bucket, warmKey(i), p.small, p.small.length));
      break;
    }
    case 'ssec-rotate': {
      await runPool(1, 2, sseOperation(def, c, s, bucket, p));
      const key = objectKey(sizeOf(def));
      const current = s.ssecKey.get(key) ?? 0;
      const stale: KeyIndex = current === 0 ? 1 : 0;
      const res = await c.request('HEAD', `/${bucket}/${key}`, {}, undefined, { headers: KEY_HEADERS[stale] });
      if (res.status < 400 || res.status >= 500) throw new Error(`HEAD ${key} with the key it was rotated away from answered ${res.status}, not 4xx`);
      expectSseC(await c.head(bucket, key, sizeOf(def), KEY_HEADERS[current]), current, `HEAD ${key}`);
      break;
    }
    case 'ssec-range':
      await runPool(1, 5, sseOperation(def, c, s, bucket, p));
      break;
    case 'put-big':
    case 'get-big':
    case 'put-small':
    case 'get-small':
    case 'head-small':
    case 'list':
      throw new Error(`${def.name} is not an encrypted case`);
  }
}
