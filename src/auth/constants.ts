/**
 * Every literal of the SigV4 wire format, named once.
 * References: https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
 * and ../shared/spec/aws-sse.md §9.
 */

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const ALGORITHM_V4A = 'AWS4-ECDSA-P256-SHA256';
/** Scheme of a Signature V2 Authorization header (`AWS <key>:<signature>`), refused. */
export const SIGV2_SCHEME = 'AWS';
export const CHUNK_ALGORITHM = 'AWS4-HMAC-SHA256-PAYLOAD';
export const TRAILER_ALGORITHM = 'AWS4-HMAC-SHA256-TRAILER';
export const KEY_TYPE = 'aws4_request';
/** Prefix of the secret in the first HMAC of the signing-key chain. */
export const KEY_PREFIX = 'AWS4';
/** Services whose credential scope S3 requests may name; KMS requests pass `['kms']` (src/kms/api/authenticate.ts). */
export const DEFAULT_SERVICES: readonly string[] = ['s3'];

// ---- query parameters (presigned URLs) -------------------------------------------------
export const Q_ALGORITHM = 'X-Amz-Algorithm';
export const Q_CREDENTIAL = 'X-Amz-Credential';
export const Q_DATE = 'X-Amz-Date';
export const Q_EXPIRES = 'X-Amz-Expires';
export const Q_SIGNED_HEADERS = 'X-Amz-SignedHeaders';
export const Q_SIGNATURE = 'X-Amz-Signature';
/** The query-authentication parameters, lower case: any of them twice is a second authentication. */
export const Q_AUTH_PARAMS_LOWER: ReadonlySet<string> = new Set(
  [Q_ALGORITHM, Q_CREDENTIAL, Q_DATE, Q_EXPIRES, Q_SIGNED_HEADERS, Q_SIGNATURE, 'X-Amz-Security-Token'].map((n) => n.toLowerCase()),
);
/** Hoisted by @aws-sdk/s3-request-presigner; compared case-insensitively. */
export const Q_CONTENT_SHA256_LOWER = 'x-amz-content-sha256';
/** SigV2 query authentication, which we refuse. */
export const Q_V2_ACCESS_KEY = 'AWSAccessKeyId';
export const Q_V2_SIGNATURE = 'Signature';

// ---- headers (lower case, as node:http delivers them) --------------------------------
export const H_AUTHORIZATION = 'authorization';
export const H_DATE = 'date';
export const H_AMZ_DATE = 'x-amz-date';
export const H_CONTENT_SHA256 = 'x-amz-content-sha256';
export const H_DECODED_LENGTH = 'x-amz-decoded-content-length';
export const H_TRAILER = 'x-amz-trailer';
export const H_CONTENT_LENGTH = 'content-length';
export const H_TRANSFER_ENCODING = 'transfer-encoding';
export const AMZ_HEADER_PREFIX = 'x-amz-';

/**
 * `x-amz-*` headers that may arrive unsigned with header auth. Real SDKs sign every x-amz-*
 * header they send (botocore leaves only expect, transfer-encoding, user-agent and
 * x-amzn-trace-id unsigned; @smithy/signature-v4 skips authorization, user-agent, expect,
 * x-amzn-trace-id, proxy-*, sec-* and hop-by-hop headers — none of them x-amz-*), but
 * browser builds of the JS SDK and proxies may append to `x-amz-user-agent`, which carries
 * no meaning for us. `x-amzn-*` (note the n) is not an x-amz- header at all.
 */
export const UNSIGNED_AMZ_HEADERS_ALLOWED: ReadonlySet<string> = new Set(['x-amz-user-agent']);

// ---- x-amz-content-sha256 values (§9.2) ------------------------------------------------
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_ECDSA = 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD';
export const STREAMING_ECDSA_TRAILER = 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER';
export const STREAMING_EVENTS = 'STREAMING-AWS4-HMAC-SHA256-EVENTS';
/** Hex SHA-256 of the empty string. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

// ---- aws-chunked -----------------------------------------------------------------------
export const CHUNK_SIGNATURE_EXT = 'chunk-signature=';
export const TRAILER_SIGNATURE = 'x-amz-trailer-signature';
/** Trailers we accept in `x-amz-trailer` (§9.3). */
export const SUPPORTED_TRAILERS: ReadonlySet<string> = new Set([
  'x-amz-checksum-crc32',
  'x-amz-checksum-crc32c',
  'x-amz-checksum-crc64nvme',
  'x-amz-checksum-sha1',
  'x-amz-checksum-sha256',
]);
/** Longest chunk-header or trailer line we buffer before calling the framing broken. */
export const MAX_LINE_BYTES = 4096;
/** Largest trailer section (all lines together). */
export const MAX_TRAILER_BYTES = 16 * 1024;
/**
 * A signed chunk is held until its signature is checked, so its size bounds memory per
 * request. SDKs use 64 KiB–1 MiB chunks.
 */
export const MAX_SIGNED_CHUNK_BYTES = 16 * 1024 * 1024;

// ---- limits ----------------------------------------------------------------------------
/** Longest lifetime of a presigned URL: 7 days. */
export const MAX_PRESIGNED_TTL_SECONDS = 604800;
/** Header auth: the request time may differ from ours by at most 15 minutes. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** Signing keys cached (one per secret, date, region and service). */
export const SIGNING_KEY_CACHE_SIZE = 50;
