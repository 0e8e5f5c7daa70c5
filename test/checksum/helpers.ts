/** Shared helpers for the checksum tests: deterministic data and fake payloads. */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { Payload, PayloadMode } from '../../src/auth/types.js';
import { S3Error } from '../../src/errors/s3-error.js';

/** A seeded xorshift32 generator (tests never use Math.random). */
export function prng(seed: number): { next(): number; int(max: number): number; bytes(n: number): Buffer } {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return {
    next,
    int: (max) => next() % max,
    bytes(n) {
      const b = Buffer.allocUnsafe(n);
      let i = 0;
      for (; i + 4 <= n; i += 4) b.writeUInt32LE(next(), i);
      for (; i < n; i++) b[i] = next() & 0xff;
      return b;
    },
  };
}

/** Splits `data` at random points (seeded). */
export function randomSplit(data: Buffer, seed: number, maxPiece = 100_000): Buffer[] {
  const r = prng(seed);
  const out: Buffer[] = [];
  let off = 0;
  while (off < data.length) {
    const n = 1 + r.int(maxPiece);
    out.push(data.subarray(off, off + n));
    off += n;
  }
  return out;
}

export interface FakePayloadOptions {
  length?: number | undefined;
  declaredTrailers?: string[];
  trailers?: Record<string, string>;
  mode?: PayloadMode;
}

/** A Payload whose body yields `chunks`; trailers appear once the body has ended. */
export function fakePayload(chunks: Buffer[], opts: FakePayloadOptions = {}): Payload {
  const trailers = new Map<string, string>();
  const body = Readable.from(chunks, { objectMode: false });
  body.once('end', () => {
    for (const [k, v] of Object.entries(opts.trailers ?? {})) trailers.set(k, v);
  });
  return {
    body,
    mode: opts.mode ?? 'unsigned',
    length: 'length' in opts ? opts.length : chunks.reduce((n, c) => n + c.length, 0),
    declaredTrailers: opts.declaredTrailers ?? [],
    trailers,
  };
}

/** Asserts that `fn` throws (or rejects with) an S3Error with this code, status and message. */
export function isS3Error(code: string, message: string, status = 400): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof S3Error, `expected S3Error, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.message, message);
    assert.equal(e.status, status);
    return true;
  };
}
