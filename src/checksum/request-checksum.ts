/**
 * What a request announces about its body's integrity: an `x-amz-checksum-<alg>` header, a
 * checksum trailer named in `x-amz-trailer`, `x-amz-sdk-checksum-algorithm` and `Content-MD5`.
 * Error codes and messages follow ../shared/spec/aws-sse.md §9.3–§9.4.
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  invalidDigest,
  invalidRequest,
  notImplemented,
  unsupportedTrailer,
} from '../errors/s3-error.js';
import { DIGEST_LENGTH } from './algorithms.js';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from './types.js';

export const CHECKSUM_HEADER_PREFIX = 'x-amz-checksum-';
export const SDK_CHECKSUM_ALGORITHM_HEADER = 'x-amz-sdk-checksum-algorithm';
export const TRAILER_HEADER = 'x-amz-trailer';
export const CONTENT_MD5_HEADER = 'content-md5';

/** `x-amz-checksum-*` headers that carry something other than a body checksum. */
const NOT_A_CHECKSUM = new Set(['x-amz-checksum-type', 'x-amz-checksum-mode', 'x-amz-checksum-algorithm']);

/** Algorithms in Amazon's 2026 model that Strongbox cannot verify: refused, never ignored. */
const UNSUPPORTED = new Set(['sha512', 'md5', 'xxhash64', 'xxhash3', 'xxhash128']);

/** The checksum a request announces for its body. */
export interface RequestChecksum {
  readonly algorithm: ChecksumAlgorithm;
  /** Where the expected value comes from: a request header, or a trailer after the body. */
  readonly source: 'header' | 'trailer';
  /** The decoded header value (source `header`); trailers are read once the body has ended. */
  readonly expected?: Buffer;
}

export interface RequestDigests {
  readonly checksum: RequestChecksum | undefined;
  /** The decoded Content-MD5, if the request has one. */
  readonly md5: Buffer | undefined;
}

/** `x-amz-checksum-crc32` for CRC32, … */
export const checksumHeaderName = (alg: ChecksumAlgorithm): string =>
  CHECKSUM_HEADER_PREFIX + alg.toLowerCase();

const ALGORITHM_BY_HEADER: ReadonlyMap<string, ChecksumAlgorithm> = new Map(
  CHECKSUM_ALGORITHMS.map((alg) => [checksumHeaderName(alg), alg]),
);

/** The algorithm a lower-case `x-amz-checksum-<alg>` name stands for. */
export const algorithmOfHeader = (name: string): ChecksumAlgorithm | undefined =>
  ALGORITHM_BY_HEADER.get(name);

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes standard padded base64 of exactly `length` bytes; undefined if it is anything else. */
export function decodeBase64Digest(value: string, length: number): Buffer | undefined {
  if (value.length !== Math.ceil(length / 3) * 4 || !BASE64.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === length ? bytes : undefined;
}

/** Decodes a checksum value sent for `alg`; undefined if it is not base64 of the right length. */
export const decodeChecksum = (alg: ChecksumAlgorithm, value: string): Buffer | undefined =>
  decodeBase64Digest(value.trim(), DIGEST_LENGTH[alg]);

const single = (v: string | string[] | undefined): string | undefined =>
  Array.isArray(v) ? v.join(',') : v;

const invalidChecksumHeader = (alg: ChecksumAlgorithm) =>
  invalidRequest(`Value for ${checksumHeaderName(alg)} header is invalid.`);
const invalidSdkAlgorithm = () =>
  invalidRequest(`Value for ${SDK_CHECKSUM_ALGORITHM_HEADER} header is invalid.`);
const multipleChecksums = () =>
  invalidRequest('Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
/** Header and trailer together: Amazon's shorter wording (versity/versitygw#1657). */
const headerAndTrailer = () => invalidRequest('Expecting a single x-amz-checksum- header');

/** Trailer names from an `x-amz-trailer` header value (comma separated, lower-cased). */
export function parseTrailerHeader(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
}

/**
 * Reads the checksum and Content-MD5 a request announces and validates them against each
 * other. Throws the S3Error Amazon answers with (InvalidRequest, InvalidDigest, …).
 *
 * @param declaredTrailers the `x-amz-trailer` names (lower case); read from `headers` if omitted.
 */
export function parseRequestDigests(
  headers: IncomingHttpHeaders,
  declaredTrailers: readonly string[] = parseTrailerHeader(single(headers[TRAILER_HEADER])),
): RequestDigests {
  // Checksum headers.
  let fromHeader: { algorithm: ChecksumAlgorithm; expected: Buffer } | undefined;
  for (const [name, raw] of Object.entries(headers)) {
    if (!name.startsWith(CHECKSUM_HEADER_PREFIX) || NOT_A_CHECKSUM.has(name) || raw === undefined) continue;
    const algorithm = algorithmOfHeader(name);
    if (algorithm === undefined) {
      if (UNSUPPORTED.has(name.slice(CHECKSUM_HEADER_PREFIX.length))) {
        throw notImplemented(`The ${name} header is not supported.`);
      }
      continue; // unknown x-amz-* headers are ignored, as elsewhere
    }
    if (fromHeader !== undefined && fromHeader.algorithm !== algorithm) throw multipleChecksums();
    const expected = decodeChecksum(algorithm, single(raw) ?? '');
    if (expected === undefined) throw invalidChecksumHeader(algorithm);
    fromHeader = { algorithm, expected };
  }

  // Checksum trailer. The auth layer has already refused trailers that are not checksums;
  // here we only care which algorithm the trailer carries.
  let fromTrailer: ChecksumAlgorithm | undefined;
  for (const name of declaredTrailers) {
    const algorithm = algorithmOfHeader(name);
    if (algorithm === undefined || (fromTrailer !== undefined && fromTrailer !== algorithm)) {
      throw unsupportedTrailer();
    }
    fromTrailer = algorithm;
  }
  if (fromHeader !== undefined && fromTrailer !== undefined) throw headerAndTrailer();

  // x-amz-sdk-checksum-algorithm must agree with what is actually sent.
  const sdkRaw = single(headers[SDK_CHECKSUM_ALGORITHM_HEADER]);
  if (sdkRaw !== undefined) {
    const sent = fromHeader?.algorithm ?? fromTrailer;
    if (sent === undefined) {
      throw invalidRequest(
        'x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.',
      );
    }
    if (sdkRaw.trim().toUpperCase() !== sent) throw invalidSdkAlgorithm();
  }

  // Content-MD5.
  const md5Raw = single(headers[CONTENT_MD5_HEADER]);
  let md5: Buffer | undefined;
  if (md5Raw !== undefined) {
    md5 = decodeBase64Digest(md5Raw.trim(), 16);
    if (md5 === undefined) throw invalidDigest(md5Raw);
  }

  const checksum: RequestChecksum | undefined =
    fromHeader !== undefined
      ? { algorithm: fromHeader.algorithm, source: 'header', expected: fromHeader.expected }
      : fromTrailer !== undefined
        ? { algorithm: fromTrailer, source: 'trailer' }
        : undefined;
  return { checksum, md5 };
}
