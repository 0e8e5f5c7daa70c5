/**
 * The one thing operations use for uploaded bodies: a pass-through Transform that computes
 * the MD5 (ETag) and the flexible checksum of the plaintext, then verifies what the request
 * announced (Content-MD5, `x-amz-checksum-*` header or trailer; ../shared/spec/aws-sse.md §9.4).
 *
 * Small bodies are hashed inline. Larger ones go to the worker pool (hash-pool.ts) so the
 * event loop stays free for the socket and the disk; at most {@link MAX_IN_FLIGHT} bytes per
 * stream wait for a worker, after which the Transform stops accepting input (backpressure).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import type { Payload } from '../auth/types.js';
import {
  badDigestChecksum,
  badDigestMd5,
  invalidRequest,
  malformedTrailer,
} from '../errors/s3-error.js';
import { createHasher, type HashName, type Hasher } from './algorithms.js';
import { RemoteHash } from './hash-pool.js';
import {
  CHECKSUM_HEADER_PREFIX,
  checksumHeaderName,
  decodeChecksum,
  parseRequestDigests,
  type RequestDigests,
} from './request-checksum.js';
import type { ChecksumAlgorithm, StoredChecksum } from './types.js';

/** Bodies up to this size are hashed on the main thread: a worker round trip costs more. */
export const INLINE_LIMIT = 256 * 1024;
/** Bytes per stream handed to workers and not yet hashed, before input is paused. */
export const MAX_IN_FLIGHT = 8 * 1024 * 1024;

export interface BodyCheckOptions {
  /** Compute the MD5 (for an ETag). It is computed anyway when Content-MD5 is sent. */
  md5: boolean;
  /** Checksum to compute when the request names none (Amazon: CRC64NVME, §9.5). */
  defaultAlgorithm?: ChecksumAlgorithm;
  /** A checksum to compute in addition to the announced one (reported as `extra`). */
  alsoCompute?: ChecksumAlgorithm;
  /**
   * Bodies larger than this are hashed in worker threads; default {@link INLINE_LIMIT}.
   * 0 forces workers, Infinity forces inline. @internal (tests, benchmarks)
   */
  inlineLimit?: number;
}

export interface BodyDigests {
  /** Bytes that went through the stream. */
  size: number;
  md5?: Buffer;
  /** The verified or computed checksum, type FULL_OBJECT. */
  checksum?: StoredChecksum;
  /** The same checksum as raw digest bytes. */
  checksumDigest?: Buffer;
  /** The `alsoCompute` checksum, type FULL_OBJECT. */
  extra?: StoredChecksum;
}

export interface BodyCheck {
  /** Pass-through that hashes; put it in the body pipeline. */
  readonly stream: Transform;
  /** After the pipeline has finished: the digests, verified (throws BadDigest & co). */
  result(): Promise<BodyDigests>;
}

type Outcome = { ok: true; digests: Map<HashName, Buffer> } | { ok: false; error: Error };

/** Hashes a stream inline, in worker threads, or first inline-staged and then in workers. */
class HashingStream extends Transform {
  size = 0;
  /** Settles once the digests are known or the stream failed; never rejects. */
  readonly outcome: Promise<Outcome>;
  private settle!: (o: Outcome) => void;
  private settled = false;
  private inline: Hasher[] | undefined;
  private remote: RemoteHash | undefined;
  /** Copies of the first chunks while the size is unknown and still under the limit. */
  private staged: Buffer[] | undefined;

  constructor(
    private readonly names: readonly HashName[],
    expectedLength: number | undefined,
    private readonly inlineLimit: number,
  ) {
    super({ highWaterMark: 64 * 1024 });
    this.outcome = new Promise((resolve) => (this.settle = resolve));
    if (names.length === 0) return;
    if (expectedLength !== undefined && expectedLength <= inlineLimit) {
      this.inline = names.map(createHasher);
    } else if (expectedLength !== undefined || inlineLimit === 0) {
      this.startRemote();
    } else {
      this.staged = [];
    }
  }

  /** Bytes handed to workers and not yet hashed (bounded by MAX_IN_FLIGHT). @internal */
  get pendingHashBytes(): number {
    return this.remote?.pendingBytes ?? 0;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    this.push(chunk);
    if (this.inline !== undefined) {
      for (const h of this.inline) h.update(chunk);
      return cb();
    }
    if (this.staged !== undefined) {
      if (this.size <= this.inlineLimit) {
        this.staged.push(Buffer.from(chunk)); // a copy: upstream may reuse its buffer
        return cb();
      }
      const remote = this.startRemote();
      for (const b of this.staged) remote.write(b);
      this.staged = undefined;
    }
    if (this.remote === undefined) return cb();
    this.remote.write(chunk);
    this.remote.whenBelow(MAX_IN_FLIGHT, (err) => cb(err));
  }

  override _flush(cb: TransformCallback): void {
    if (this.staged !== undefined) {
      this.inline = this.names.map(createHasher);
      for (const b of this.staged) for (const h of this.inline) h.update(b);
      this.staged = undefined;
    }
    if (this.remote !== undefined) {
      const remote = this.remote;
      // Not awaited here: the rest of the pipeline (the blob writer's fsync) overlaps with
      // the workers' last slab; result() waits for the digests.
      remote.end().then(
        (digests) => this.done({ ok: true, digests }),
        (error: Error) => this.done({ ok: false, error }),
      );
      return cb();
    }
    const digests = new Map<HashName, Buffer>();
    this.inline?.forEach((h, i) => digests.set(this.names[i]!, h.digest()));
    this.done({ ok: true, digests });
    cb();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    if (!this.settled && !this.writableFinished) {
      this.remote?.abort();
      this.done({ ok: false, error: err ?? new Error('checksum stream closed before the body ended') });
    }
    cb(err);
  }

  private startRemote(): RemoteHash {
    this.remote = new RemoteHash(this.names);
    return this.remote;
  }

  private done(o: Outcome): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(o);
  }
}

const b64 = (d: Buffer): string => d.toString('base64');

/**
 * Reads what the request announces (throwing header errors synchronously), and returns the
 * hashing stream and a `result()` that verifies it once the body has been consumed.
 */
export function checkBody(headers: IncomingHttpHeaders, payload: Payload, opts: BodyCheckOptions): BodyCheck {
  const announced = parseRequestDigests(headers, payload.declaredTrailers);
  const algorithm = announced.checksum?.algorithm ?? opts.defaultAlgorithm;
  const wantMd5 = opts.md5 || announced.md5 !== undefined;
  const names: HashName[] = [];
  if (wantMd5) names.push('MD5');
  if (algorithm !== undefined) names.push(algorithm);
  const extra = opts.alsoCompute;
  if (extra !== undefined && !names.includes(extra)) names.push(extra);
  const stream = new HashingStream(names, payload.length, opts.inlineLimit ?? INLINE_LIMIT);

  return {
    stream,
    async result(): Promise<BodyDigests> {
      const outcome = await stream.outcome;
      if (!outcome.ok) throw outcome.error;
      const digests = verify(announced, payload, outcome.digests, stream.size, algorithm);
      const extraDigest = extra === undefined ? undefined : outcome.digests.get(extra);
      if (extra !== undefined && extraDigest !== undefined) {
        digests.extra = { algorithm: extra, type: 'FULL_OBJECT', value: b64(extraDigest) };
      }
      return digests;
    },
  };
}

/** Options of {@link digestBody}. */
export interface DigestOptions {
  md5: boolean;
  algorithm?: ChecksumAlgorithm | undefined;
  /** Body length if known: decides inline vs worker hashing up front. */
  length?: number | undefined;
  /** @internal see {@link BodyCheckOptions.inlineLimit} */
  inlineLimit?: number;
}

/**
 * Digests for a body that has nothing to verify (CopyObject, UploadPartCopy): the same
 * stream as {@link checkBody}, without reading request headers.
 */
export function digestBody(opts: DigestOptions): BodyCheck {
  const names: HashName[] = [];
  if (opts.md5) names.push('MD5');
  if (opts.algorithm !== undefined) names.push(opts.algorithm);
  const { algorithm } = opts;
  const stream = new HashingStream(names, opts.length, opts.inlineLimit ?? INLINE_LIMIT);
  return {
    stream,
    async result(): Promise<BodyDigests> {
      const outcome = await stream.outcome;
      if (!outcome.ok) throw outcome.error;
      const result: BodyDigests = { size: stream.size };
      const md5 = outcome.digests.get('MD5');
      if (md5 !== undefined) result.md5 = md5;
      const digest = algorithm === undefined ? undefined : outcome.digests.get(algorithm);
      if (algorithm !== undefined && digest !== undefined) {
        result.checksum = { algorithm, type: 'FULL_OBJECT', value: b64(digest) };
        result.checksumDigest = digest;
      }
      return result;
    },
  };
}

function verify(
  announced: RequestDigests,
  payload: Payload,
  digests: ReadonlyMap<HashName, Buffer>,
  size: number,
  algorithm: ChecksumAlgorithm | undefined,
): BodyDigests {
  const md5 = digests.get('MD5');
  if (announced.md5 !== undefined && md5 !== undefined && !announced.md5.equals(md5)) {
    throw badDigestMd5(b64(announced.md5), b64(md5));
  }
  checkUndeclaredTrailers(payload, announced);

  const result: BodyDigests = { size };
  if (md5 !== undefined) result.md5 = md5;
  const digest = algorithm === undefined ? undefined : digests.get(algorithm);
  if (algorithm === undefined || digest === undefined) return result;

  const c = announced.checksum;
  if (c?.source === 'header' && c.expected !== undefined && !c.expected.equals(digest)) {
    throw badDigestChecksum(algorithm);
  }
  if (c?.source === 'trailer') {
    const name = checksumHeaderName(algorithm);
    const value = payload.trailers.get(name);
    // x-amz-trailer promised a checksum that never came: Amazon answers MalformedTrailerError
    // (versity/versitygw#1600). A body that announces no trailer needs none (#1632).
    if (value === undefined) throw malformedTrailer();
    const expected = decodeChecksum(algorithm, value);
    if (expected === undefined) throw invalidRequest(`Value for ${name} trailing header is invalid.`);
    if (!expected.equals(digest)) throw badDigestChecksum(algorithm);
  }
  result.checksum = { algorithm, type: 'FULL_OBJECT', value: b64(digest) };
  result.checksumDigest = digest;
  return result;
}

/** A checksum trailer that x-amz-trailer did not announce (scality/Arsenal#2596). */
function checkUndeclaredTrailers(payload: Payload, announced: RequestDigests): void {
  const declared = announced.checksum?.source === 'trailer' ? checksumHeaderName(announced.checksum.algorithm) : '';
  for (const name of payload.trailers.keys()) {
    if (name.startsWith(CHECKSUM_HEADER_PREFIX) && name !== declared) throw malformedTrailer();
  }
}
