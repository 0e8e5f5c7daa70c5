import type { IncomingHttpHeaders } from 'node:http';
import {
  accessDenied,
  authorizationHeaderMalformed,
  invalidAccessKeyId,
  invalidRequest,
  requestTimeTooSkewed,
} from '../errors/s3-error.js';
import type { RawQueryParam } from './canonical-query.js';
import { headerString } from './canonical-headers.js';
import { checkSignature, signedHeaderNames, type SigningContext } from './check-signature.js';
import {
  ALGORITHM,
  AMZ_HEADER_PREFIX,
  H_AMZ_DATE,
  H_CONTENT_SHA256,
  H_DATE,
  MAX_CLOCK_SKEW_MS,
  UNSIGNED_AMZ_HEADERS_ALLOWED,
} from './constants.js';
import { formatAmzDate, formatServerTime, parseAmzDate, parseCredential } from './credential.js';
import { payloadModeOf } from './payload-mode.js';
import type { SigningKeyCache } from './signing-key.js';
import type { PayloadMode, SecretLookup } from './types.js';

const MALFORMED = 'The authorization header is malformed; ';

export interface AuthorizationParts {
  readonly credential: string;
  readonly signedHeaders: string;
  readonly signature: string;
}

/**
 * Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` (the caller has
 * checked the algorithm). Separators may come with or without spaces.
 */
export function parseAuthorization(value: string): AuthorizationParts {
  const rest = value.slice(ALGORITHM.length);
  const fields = new Map<string, string>();
  for (const part of rest.split(',')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq === -1) throw authorizationHeaderMalformed(`${MALFORMED}the authorization component "${p}" is malformed.`);
    fields.set(p.slice(0, eq).trim(), p.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw authorizationHeaderMalformed(
      `${MALFORMED}the authorization header requires three components: Credential, SignedHeaders, and Signature.`,
    );
  }
  if (signedHeaders === '') {
    throw authorizationHeaderMalformed(`${MALFORMED}the authorization component "SignedHeaders=" is malformed.`);
  }
  return { credential, signedHeaders, signature };
}

export interface HeaderAuthInput {
  readonly method: string;
  readonly rawPath: string;
  readonly query: readonly RawQueryParam[];
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[] | undefined;
  readonly authorization: string;
}

export interface HeaderAuthOptions {
  readonly lookup: SecretLookup;
  readonly now: () => Date;
  readonly services: readonly string[];
  readonly keys: SigningKeyCache;
  /** The body's hex SHA-256 when the client sends no x-amz-content-sha256 (KMS). */
  readonly payloadSha256?: string | undefined;
}

export interface VerifiedSignature extends SigningContext {
  readonly mode: PayloadMode;
  /** The literal x-amz-content-sha256 value (the payload-hash line). */
  readonly contentSha256: string;
}

/** Request time from x-amz-date, else from Date (RFC 1123), in x-amz-date format. */
function requestTime(headers: IncomingHttpHeaders): { amzDate: string; time: Date; raw: string } {
  const amz = headerString(headers, H_AMZ_DATE);
  if (amz !== undefined) {
    const time = parseAmzDate(amz);
    if (time !== undefined) return { amzDate: amz, time, raw: amz };
  } else {
    const date = headerString(headers, H_DATE);
    const t = date === undefined ? NaN : Date.parse(date);
    if (date !== undefined && !Number.isNaN(t)) {
      const time = new Date(t);
      return { amzDate: formatAmzDate(time), time, raw: date };
    }
  }
  throw accessDenied('AWS authentication requires a valid Date or x-amz-date header');
}

/** `x-amz-*` headers present but not listed in SignedHeaders (and not exempt). */
export function unsignedAmzHeaders(headers: IncomingHttpHeaders, signed: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const name of Object.keys(headers)) {
    const n = name.toLowerCase();
    if (n.startsWith(AMZ_HEADER_PREFIX) && !signed.has(n) && !UNSIGNED_AMZ_HEADERS_ALLOWED.has(n)) out.push(n);
  }
  return out.sort();
}

/**
 * Verifies Signature V4 carried in the Authorization header.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html
 */
export function verifyHeaderAuth(input: HeaderAuthInput, opts: HeaderAuthOptions): VerifiedSignature {
  const auth = parseAuthorization(input.authorization);
  const cred = parseCredential(auth.credential, opts.services, MALFORMED, authorizationHeaderMalformed);
  const { amzDate, time, raw } = requestTime(input.headers);
  if (cred.date !== amzDate.slice(0, 8)) {
    throw authorizationHeaderMalformed(
      `${MALFORMED}Invalid credential date "${cred.date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`,
    );
  }
  const now = opts.now();
  if (Math.abs(now.getTime() - time.getTime()) > MAX_CLOCK_SKEW_MS) {
    throw requestTimeTooSkewed(raw, formatServerTime(now));
  }
  const secret = opts.lookup(cred.accessKeyId);
  if (secret === undefined) throw invalidAccessKeyId(cred.accessKeyId);

  const contentSha256 = headerString(input.headers, H_CONTENT_SHA256) ?? opts.payloadSha256;
  if (contentSha256 === undefined) {
    throw invalidRequest(`Missing required header for this request: ${H_CONTENT_SHA256}`);
  }
  const mode = payloadModeOf(contentSha256);

  const signed = new Set(signedHeaderNames(auth.signedHeaders, 'SignedHeaders'));
  const notSigned = unsignedAmzHeaders(input.headers, signed);
  if (notSigned.length > 0) {
    throw accessDenied('There were headers present in the request which were not signed', {
      HeadersNotSigned: notSigned.join(', '),
    });
  }

  const signingKey = opts.keys.get(secret, cred.date, cred.region, cred.service);
  checkSignature({
    method: input.method,
    rawPath: input.rawPath,
    query: input.query,
    signedHeaders: auth.signedHeaders,
    headers: input.headers,
    rawHeaders: input.rawHeaders,
    payloadHash: contentSha256,
    accessKeyId: cred.accessKeyId,
    signingKey,
    amzDate,
    scope: cred.scope,
    signature: auth.signature,
  });
  return { accessKeyId: cred.accessKeyId, signingKey, amzDate, scope: cred.scope, signature: auth.signature, mode, contentSha256 };
}
