import type { Readable } from 'node:stream';

/** How the body of a request is protected (the `x-amz-content-sha256` value, §9.2). */
export type PayloadMode =
  | 'sha256' // hex SHA-256 in the header, verified as the body streams
  | 'unsigned' // UNSIGNED-PAYLOAD (also every presigned URL)
  | 'streaming-signed' // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
  | 'streaming-signed-trailer' // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
  | 'streaming-unsigned-trailer'; // STREAMING-UNSIGNED-PAYLOAD-TRAILER

/** Looks up the secret for an access key id; undefined if unknown. */
export type SecretLookup = (accessKeyId: string) => string | undefined;

/**
 * The decoded request body. Framing (aws-chunked) is removed and every signature and the
 * payload hash are checked while it flows; a failure makes the stream error with an
 * S3Error (SignatureDoesNotMatch, XAmzContentSHA256Mismatch, IncompleteBody …), so a
 * consumer that awaits `pipeline()` never commits an unverified body.
 */
export interface Payload {
  readonly body: Readable;
  readonly mode: PayloadMode;
  /** Decoded length when known in advance (Content-Length or x-amz-decoded-content-length). */
  readonly length: number | undefined;
  /** Trailer names announced in `x-amz-trailer` (lower case). */
  readonly declaredTrailers: readonly string[];
  /** Trailer values (lower-case names), complete once `body` has ended. */
  readonly trailers: ReadonlyMap<string, string>;
}

export interface VerifiedRequest {
  /** undefined for anonymous requests (no Authorization header, no presigned query). */
  readonly accessKeyId: string | undefined;
  readonly payload: Payload;
}
