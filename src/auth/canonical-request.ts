import { createHash } from 'node:crypto';
import { ALGORITHM } from './constants.js';
import { canonicalizeEncoded } from './uri-encode.js';

/**
 * The canonical URI the S3 way: no double encoding and no `.`/`..` normalisation. Each
 * segment is decoded and re-encoded (RFC 3986), and the `/` separators stay as they are.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 */
export function canonicalUri(rawPath: string): string {
  if (rawPath === '') return '/';
  return rawPath.split('/').map(canonicalizeEncoded).join('/');
}

export interface CanonicalRequestParts {
  readonly method: string;
  readonly uri: string;
  readonly query: string;
  /** Output of canonicalHeaders(): one `name:value\n` line per signed header. */
  readonly headers: string;
  /** The SignedHeaders list exactly as the client sent it. */
  readonly signedHeaders: string;
  /** The literal payload-hash line (the x-amz-content-sha256 value). */
  readonly payloadHash: string;
}

export function buildCanonicalRequest(p: CanonicalRequestParts): string {
  return `${p.method}\n${p.uri}\n${p.query}\n${p.headers}\n${p.signedHeaders}\n${p.payloadHash}`;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function buildStringToSign(amzDate: string, scope: string, canonicalRequest: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
}
