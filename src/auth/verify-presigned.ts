import type { IncomingHttpHeaders } from 'node:http';
import {
  accessDenied,
  authorizationQueryParametersError,
  expiredPresignedRequest,
  invalidAccessKeyId,
  notImplemented,
} from '../errors/s3-error.js';
import type { RawQueryParam } from './canonical-query.js';
import { headerString } from './canonical-headers.js';
import { checkSignature, signedHeaderNames } from './check-signature.js';
import {
  ALGORITHM,
  ALGORITHM_V4A,
  H_CONTENT_SHA256,
  MAX_CLOCK_SKEW_MS,
  MAX_PRESIGNED_TTL_SECONDS,
  Q_ALGORITHM,
  Q_CONTENT_SHA256_LOWER,
  Q_CREDENTIAL,
  Q_DATE,
  Q_EXPIRES,
  Q_SIGNATURE,
  Q_SIGNED_HEADERS,
  UNSIGNED_PAYLOAD,
} from './constants.js';
import { parseAmzDate, parseCredential } from './credential.js';
import { payloadModeOf } from './payload-mode.js';
import type { HeaderAuthOptions, VerifiedSignature } from './verify-header.js';

const CREDENTIAL_PREFIX = 'Error parsing the X-Amz-Credential parameter; ';

/** True when the query carries SigV4 query authentication (even incompletely). */
export function isPresigned(query: ReadonlyMap<string, string>): boolean {
  return query.has(Q_ALGORITHM) || query.has(Q_CREDENTIAL) || query.has(Q_SIGNATURE);
}

export interface PresignedInput {
  readonly method: string;
  readonly rawPath: string;
  readonly query: readonly RawQueryParam[];
  /** Decoded query parameters (first value of each name). */
  readonly params: ReadonlyMap<string, string>;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[] | undefined;
}

/** The payload-hash line of a presigned request: a header, a hoisted query value, or UNSIGNED-PAYLOAD. */
function presignedPayloadHash(input: PresignedInput): string {
  const header = headerString(input.headers, H_CONTENT_SHA256);
  if (header !== undefined) return header;
  for (const [name, value] of input.params) {
    if (name.toLowerCase() === Q_CONTENT_SHA256_LOWER) return value;
  }
  return UNSIGNED_PAYLOAD;
}

/**
 * Verifies SigV4 query-string authentication (presigned URLs). Unsigned x-amz-* headers
 * are not refused here: browsers and proxies add headers the URL's creator never saw.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 */
export function verifyPresigned(input: PresignedInput, opts: HeaderAuthOptions): VerifiedSignature {
  const p = input.params;
  const algorithm = p.get(Q_ALGORITHM);
  const credential = p.get(Q_CREDENTIAL);
  const amzDate = p.get(Q_DATE);
  const expires = p.get(Q_EXPIRES);
  const signedHeaders = p.get(Q_SIGNED_HEADERS);
  const signature = p.get(Q_SIGNATURE);
  if (
    algorithm === undefined ||
    credential === undefined ||
    amzDate === undefined ||
    expires === undefined ||
    signedHeaders === undefined ||
    signature === undefined
  ) {
    throw authorizationQueryParametersError(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  if (algorithm === ALGORITHM_V4A) throw notImplemented('Signature Version 4A is not implemented');
  if (algorithm !== ALGORITHM) {
    throw authorizationQueryParametersError(`X-Amz-Algorithm only supports "${ALGORITHM}"`);
  }
  const cred = parseCredential(credential, opts.services, CREDENTIAL_PREFIX, authorizationQueryParametersError);
  const time = parseAmzDate(amzDate);
  if (time === undefined) {
    throw authorizationQueryParametersError(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`);
  }
  if (cred.date !== amzDate.slice(0, 8)) {
    throw authorizationQueryParametersError(
      `${CREDENTIAL_PREFIX}Invalid credential date "${cred.date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`,
    );
  }
  if (!/^-?\d+$/.test(expires)) throw authorizationQueryParametersError('X-Amz-Expires should be a number');
  const ttl = Number(expires);
  if (ttl < 0) throw authorizationQueryParametersError('X-Amz-Expires must be non-negative');
  if (ttl < 1) throw authorizationQueryParametersError('X-Amz-Expires must be at least 1 second');
  if (ttl > MAX_PRESIGNED_TTL_SECONDS) {
    throw authorizationQueryParametersError(
      `X-Amz-Expires must be less than a week (in seconds) that is ${MAX_PRESIGNED_TTL_SECONDS} seconds`,
    );
  }
  signedHeaderNames(signedHeaders, Q_SIGNED_HEADERS);
  const secret = opts.lookup(cred.accessKeyId);
  if (secret === undefined) throw invalidAccessKeyId(cred.accessKeyId);

  const now = opts.now().getTime();
  if (now + MAX_CLOCK_SKEW_MS < time.getTime()) throw accessDenied('Request is not valid yet');
  if (now > time.getTime() + ttl * 1000) throw expiredPresignedRequest();

  const contentSha256 = presignedPayloadHash(input);
  const mode = payloadModeOf(contentSha256);
  const signingKey = opts.keys.get(secret, cred.date, cred.region, cred.service);
  checkSignature({
    method: input.method,
    rawPath: input.rawPath,
    query: input.query,
    excludeParam: Q_SIGNATURE,
    signedHeaders,
    headers: input.headers,
    rawHeaders: input.rawHeaders,
    payloadHash: contentSha256,
    accessKeyId: cred.accessKeyId,
    signingKey,
    amzDate,
    scope: cred.scope,
    signature,
  });
  return { accessKeyId: cred.accessKeyId, signingKey, amzDate, scope: cred.scope, signature, mode, contentSha256 };
}
