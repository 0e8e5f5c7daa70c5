import type { IncomingHttpHeaders } from 'node:http';
import { invalidArgument, signatureDoesNotMatch } from '../errors/s3-error.js';
import { canonicalHeaders } from './canonical-headers.js';
import { canonicalQuery, type RawQueryParam } from './canonical-query.js';
import { buildCanonicalRequest, buildStringToSign, canonicalUri } from './canonical-request.js';
import { hmacSha256, signatureMatches } from './signing-key.js';

/** What a verified signature lets the body decoders check later (chunk and trailer chain). */
export interface SigningContext {
  readonly accessKeyId: string;
  readonly signingKey: Buffer;
  /** x-amz-date (or X-Amz-Date) in ISO 8601 basic format. */
  readonly amzDate: string;
  readonly scope: string;
  /** The request signature: the seed of the aws-chunked chain. */
  readonly signature: string;
}

export interface SignatureCheck extends SigningContext {
  readonly method: string;
  readonly rawPath: string;
  readonly query: readonly RawQueryParam[];
  /** Query parameter left out of the canonical query (X-Amz-Signature when presigned). */
  readonly excludeParam?: string;
  /** SignedHeaders exactly as sent. */
  readonly signedHeaders: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[] | undefined;
  /** The literal payload-hash line. */
  readonly payloadHash: string;
}

/**
 * The lower-case names of SignedHeaders (`argumentName` is how the request carried it). A
 * name listed twice is refused: repeated header *lines* are legal and join with commas in
 * one canonical line, but a name listed twice would put that line into the canonical request
 * twice, a request shape no SigV4 signer produces.
 */
export function signedHeaderNames(signedHeaders: string, argumentName: string): string[] {
  const names = signedHeaders.split(';').map((n) => n.toLowerCase());
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw invalidArgument(`SignedHeaders may list each header only once; ${n} is listed twice`, argumentName, signedHeaders);
    seen.add(n);
  }
  return names;
}

/** Signed headers whose values are secrets: blanked in the CanonicalRequest we echo back. */
const SECRET_HEADERS = [
  'x-amz-server-side-encryption-customer-key',
  'x-amz-copy-source-server-side-encryption-customer-key',
  'x-amz-security-token',
];

/** The canonical request with secret header values replaced, for the error document. */
function redactCanonicalRequest(canonical: string): string {
  return canonical
    .split('\n')
    .map((line) => {
      const colon = line.indexOf(':');
      return colon > 0 && SECRET_HEADERS.includes(line.slice(0, colon)) ? `${line.slice(0, colon)}:[redacted]` : line;
    })
    .join('\n');
}

/** Space-separated hex bytes, as Amazon's StringToSignBytes / CanonicalRequestBytes. */
function spacedHex(s: string): string {
  return Buffer.from(s, 'utf8').toString('hex').replace(/(..)(?!$)/g, '$1 ');
}

/**
 * Rebuilds the canonical request and string to sign and compares signatures in constant
 * time. Throws SignatureDoesNotMatch carrying the debugging fields of §10 (never a key).
 */
export function checkSignature(c: SignatureCheck): void {
  const names = c.signedHeaders.split(';').map((n) => n.toLowerCase());
  const canonicalRequest = buildCanonicalRequest({
    method: c.method,
    uri: canonicalUri(c.rawPath),
    query: canonicalQuery(c.query, c.excludeParam),
    headers: canonicalHeaders(names, c.headers, c.rawHeaders),
    signedHeaders: c.signedHeaders,
    payloadHash: c.payloadHash,
  });
  const stringToSign = buildStringToSign(c.amzDate, c.scope, canonicalRequest);
  const computed = hmacSha256(c.signingKey, stringToSign);
  if (!signatureMatches(computed, c.signature)) {
    throw signatureDoesNotMatch({
      AWSAccessKeyId: c.accessKeyId,
      StringToSign: stringToSign,
      SignatureProvided: c.signature,
      StringToSignBytes: spacedHex(stringToSign),
      // Secret header values (an SSE-C key) never go into an error, even back to their sender.
      CanonicalRequest: redactCanonicalRequest(canonicalRequest),
      CanonicalRequestBytes: spacedHex(redactCanonicalRequest(canonicalRequest)),
    });
  }
}
