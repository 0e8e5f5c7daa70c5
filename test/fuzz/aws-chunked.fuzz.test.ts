/**
 * The aws-chunked decoder (src/auth/aws-chunked.ts), a Transform fed the way a socket feeds
 * it: bodies framed with random chunk sizes, trailers and spellings, cut at random points,
 * decode to the original bytes and trailers in all four modes; corrupted or arbitrary bodies
 * end in IncompleteBody or SignatureDoesNotMatch only, always settle, and in the signed modes
 * never let out a byte that was not signed.
 */
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AwsChunkedDecoder, type ChunkSigning } from '../../src/auth/aws-chunked.js';
import { EMPTY, hmac, sha256, signingKey } from '../auth/chunked-body.js';
import { assertS3Error, cuts, fc, fuzzAsync, splitAt } from './harness.js';

const CODES = ['IncompleteBody', 'SignatureDoesNotMatch'];
const AMZ_DATE = '20130524T000000Z';
const SCOPE = '20130524/us-east-1/s3/aws4_request';
const SEED = 'a'.repeat(64);
const KEY = signingKey('secret', '20130524');
const SIGNING: ChunkSigning = { accessKeyId: 'AK', signingKey: KEY, amzDate: AMZ_DATE, scope: SCOPE, seedSignature: SEED };
const TRAILER_NAMES = ['x-amz-checksum-crc32', 'x-amz-checksum-crc32c', 'x-amz-checksum-crc64nvme', 'x-amz-checksum-sha1', 'x-amz-checksum-sha256'];

interface Framing {
  readonly signed: boolean;
  readonly trailer: boolean;
  readonly data: Uint8Array;
  /** Cut points splitting `data` into chunks (empty chunks are dropped: a 0 chunk ends the body). */
  readonly chunkCuts: number[];
  /** Chunk-size spellings: leading zeros, upper-case hex. */
  readonly zeros: number;
  readonly upper: boolean;
  /** An unknown chunk extension (ignored by the decoder). */
  readonly extension: boolean;
  readonly trailers: [string, string][];
  /** Whitespace around the trailer colon. */
  readonly trailerSpace: boolean;
  /** Leave out the closing CRLF (tolerated, §9.3). */
  readonly omitFinalCrlf: boolean;
  readonly announceLength: boolean;
}

const framing: fc.Arbitrary<Framing> = fc
  .record({
    signed: fc.boolean(),
    trailer: fc.boolean(),
    data: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 3000 })),
    zeros: fc.nat({ max: 3 }),
    upper: fc.boolean(),
    extension: fc.boolean(),
    trailers: fc.uniqueArray(
      fc.tuple(fc.constantFrom(...TRAILER_NAMES), fc.base64String({ minLength: 4, maxLength: 44 })),
      { maxLength: 3, selector: ([n]) => n },
    ),
    trailerSpace: fc.boolean(),
    omitFinalCrlf: fc.boolean(),
    announceLength: fc.boolean(),
  })
  .chain((f) => cuts(f.data.length).map((chunkCuts) => ({ ...f, chunkCuts })));

/** Frames `f.data` as aws-chunked (§9.3), the signatures computed independently of src/auth. */
function frame(f: Framing): Buffer {
  const data = Buffer.from(f.data);
  const chunks = splitAt(data, f.chunkCuts).filter((c) => c.length > 0);
  chunks.push(Buffer.alloc(0));
  const out: Buffer[] = [];
  let prev = SEED;
  for (const chunk of chunks) {
    let size = chunk.length.toString(16);
    size = '0'.repeat(f.zeros) + (f.upper ? size.toUpperCase() : size);
    let header = size;
    if (f.extension) header += ';x-ext=1';
    if (f.signed) {
      const sts = ['AWS4-HMAC-SHA256-PAYLOAD', AMZ_DATE, SCOPE, prev, EMPTY, sha256(chunk)].join('\n');
      prev = hmac(KEY, sts).toString('hex');
      header += `;chunk-signature=${prev}`;
    }
    out.push(Buffer.from(`${header}\r\n`));
    if (chunk.length > 0) out.push(chunk, Buffer.from('\r\n'));
  }
  const trailers = f.trailer ? f.trailers : [];
  for (const [n, v] of trailers) out.push(Buffer.from(f.trailerSpace ? `${n} : ${v} \r\n` : `${n}:${v}\r\n`));
  if (f.signed && f.trailer) {
    const canonical = trailers.map(([n, v]) => `${n}:${v}\n`).join('');
    const sig = hmac(KEY, ['AWS4-HMAC-SHA256-TRAILER', AMZ_DATE, SCOPE, prev, sha256(canonical)].join('\n')).toString('hex');
    out.push(Buffer.from(`x-amz-trailer-signature:${sig}\r\n`));
  }
  if (!f.omitFinalCrlf) out.push(Buffer.from('\r\n'));
  return Buffer.concat(out);
}

async function decode(pieces: Buffer[], f: Pick<Framing, 'signed' | 'trailer'>, decodedLength: number | undefined) {
  const trailers = new Map<string, string>();
  const decoder = new AwsChunkedDecoder({ signing: f.signed ? SIGNING : undefined, trailer: f.trailer, decodedLength, trailers });
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      parts.push(chunk);
      callback();
    },
  });
  let error: unknown;
  try {
    await pipeline(Readable.from(pieces), decoder, sink);
  } catch (err) {
    error = err;
  }
  return { data: Buffer.concat(parts), error, trailers };
}

fuzzAsync(
  'aws-chunked: random chunk sizes, trailers and cut points decode to the original bytes (all four modes)',
  framing.chain((f) => cuts(frame(f).length).map((pieceCuts) => ({ f, pieceCuts }))),
  async ({ f, pieceCuts }) => {
    const body = frame(f);
    const r = await decode(splitAt(body, pieceCuts), f, f.announceLength ? f.data.length : undefined);
    assert.equal(r.error, undefined, `${String(r.error)}\n${JSON.stringify(body.toString('latin1'))}`);
    assert.deepEqual(r.data, Buffer.from(f.data));
    assert.deepEqual(r.trailers, new Map(f.trailer ? f.trailers : []));
  },
);

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'truncate'; at: number }
  | { kind: 'length'; delta: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 6 }), fc.constantFrom(...['\r\n', '0\r\n', ';', ' ', '\r', 'x-amz-checksum-crc32:AAAA\r\n'].map((s) => new Uint8Array(Buffer.from(s))))),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('length' as const), delta: fc.integer({ min: -3, max: 3 }).filter((d) => d !== 0) }),
);

function mutate(body: Buffer, m: Mutation): Buffer {
  if (m.kind === 'length' || body.length === 0) return body;
  const at = m.at % (body.length + (m.kind === 'insert' ? 1 : 0));
  switch (m.kind) {
    case 'flip': {
      const copy = Buffer.from(body);
      copy[at] = copy[at]! ^ (1 << m.bit);
      return copy;
    }
    case 'delete':
      return Buffer.concat([body.subarray(0, at), body.subarray(at + m.length)]);
    case 'insert':
      return Buffer.concat([body.subarray(0, at), m.bytes, body.subarray(at)]);
    case 'truncate':
      return body.subarray(0, at);
  }
}

fuzzAsync(
  'aws-chunked: corrupted framings end in IncompleteBody or SignatureDoesNotMatch; signed modes pass on only signed bytes',
  framing.chain((f) =>
    fc.tuple(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.nat()).chain(([ms, seed]) => {
      let body = frame(f);
      for (const m of ms) body = mutate(body, m);
      return cuts(body.length).map((pieceCuts) => ({ f, ms, seed, body, pieceCuts }));
    }),
  ),
  async ({ f, ms, body, pieceCuts }) => {
    const delta = ms.reduce((d, m) => (m.kind === 'length' ? d + m.delta : d), 0);
    const declared = f.announceLength || delta !== 0 ? Math.max(0, f.data.length + delta) : undefined;
    const r = await decode(splitAt(body, pieceCuts), f, declared);
    const original = Buffer.from(f.data);
    if (r.error !== undefined) assertS3Error(r.error, CODES);
    if (declared !== undefined && r.error === undefined) assert.equal(r.data.length, declared);
    if (f.signed) {
      // Nothing unverified leaves the decoder: what came out is a prefix of what was signed.
      assert.deepEqual(r.data, original.subarray(0, r.data.length));
      if (r.error === undefined) {
        assert.deepEqual(r.data, original);
        if (f.trailer) assert.deepEqual(r.trailers, new Map(f.trailers));
      }
    }
  },
);

const junkTokens = ['0', '1', 'a', 'F', 'ffffffffffffffff', '1fffffffffffff', ';', 'chunk-signature=', '\r\n', '\r', '\n', ':', ' ', 'x-amz-trailer-signature', 'x-amz-checksum-crc32', 'é'];

fuzzAsync(
  'aws-chunked: arbitrary bytes in any mode end in IncompleteBody or SignatureDoesNotMatch, and always settle',
  fc.record({
    signed: fc.boolean(),
    trailer: fc.boolean(),
    body: fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.array(fc.constantFrom(...junkTokens), { maxLength: 40 }).map((t) => Buffer.from(t.join(''))),
      // Lines past MAX_LINE_BYTES (4 KiB) and trailer sections past 16 KiB.
      fc.integer({ min: 4000, max: 5000 }).map((n) => Buffer.from(`1;${'x'.repeat(n)}\r\n`)),
      fc.integer({ min: 100, max: 400 }).map((n) => Buffer.from(`0\r\n${'x-amz-checksum-crc32:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n'.repeat(n)}\r\n`)),
    ),
    length: fc.option(fc.nat({ max: 300 }), { nil: undefined }),
  }).chain((c) => cuts(c.body.length).map((pieceCuts) => ({ ...c, pieceCuts }))),
  async ({ signed, trailer, body, length, pieceCuts }) => {
    const r = await decode(splitAt(body, pieceCuts), { signed, trailer }, length);
    if (r.error !== undefined) assertS3Error(r.error, CODES);
    if (signed) {
      // No random chunk signature verifies, so a signed body never completes or lets data out.
      assert.notEqual(r.error, undefined);
      assert.equal(r.data.length, 0);
    }
  },
);
