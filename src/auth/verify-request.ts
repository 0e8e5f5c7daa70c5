import type { IncomingHttpHeaders } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import {
  invalidArgument,
  invalidRequest,
  missingContentLength,
  notImplemented,
  onlyOneAuthMechanism,
  unsupportedTrailer,
} from '../errors/s3-error.js';
import { AwsChunkedDecoder } from './aws-chunked.js';
import { headerString } from './canonical-headers.js';
import { decodeQuery, splitQuery, type RawQueryParam } from './canonical-query.js';
import {
  ALGORITHM,
  ALGORITHM_V4A,
  AMZ_HEADER_PREFIX,
  DEFAULT_SERVICES,
  EMPTY_SHA256,
  H_AUTHORIZATION,
  H_CONTENT_LENGTH,
  H_CONTENT_SHA256,
  H_DECODED_LENGTH,
  H_TRAILER,
  H_TRANSFER_ENCODING,
  Q_AUTH_PARAMS_LOWER,
  Q_CREDENTIAL,
  Q_V2_ACCESS_KEY,
  Q_V2_SIGNATURE,
  SIGV2_SCHEME,
  STREAMING_UNSIGNED_TRAILER,
  SUPPORTED_TRAILERS,
} from './constants.js';
import { PayloadHashVerifier } from './payload-hash.js';
import { isStreaming } from './payload-mode.js';
import { SigningKeyCache } from './signing-key.js';
import type { Payload, PayloadMode, SecretLookup, VerifiedRequest } from './types.js';
import { verifyHeaderAuth, type HeaderAuthOptions, type VerifiedSignature } from './verify-header.js';
import { isPresigned, verifyPresigned } from './verify-presigned.js';
import { percentDecode } from './uri-encode.js';

export interface AuthInput {
  method: string;
  /** The path exactly as received, percent-encoded, no query. */
  rawPath: string;
  /** The query string as received, without '?'. */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  /**
   * node's `req.rawHeaders`, optional. With it, repeated headers are canonicalised exactly
   * (values joined by ","), as node's merged `headers` joins them with ", ".
   */
  rawHeaders?: readonly string[];
}

export interface AuthOptions {
  lookup: SecretLookup;
  now: () => Date;
  /** Services accepted in the credential scope; default ['s3']. */
  services?: readonly string[];
  /** Signing-key cache; default one shared per process. */
  keyCache?: SigningKeyCache;
  /**
   * Hex SHA-256 of the body, computed by the caller, for services whose clients send no
   * x-amz-content-sha256 (KMS: the body is small and read before authentication).
   */
  payloadSha256?: string | undefined;
}

/**
 * The access key id a request claims (header or presigned credential), found without checking
 * anything, so that the caller can look its secret up (asynchronously) before verifyRequest,
 * whose lookup is synchronous; undefined when there is none to find. verifyRequest still
 * parses and judges the credential itself.
 */
export function claimedAccessKeyId(input: Pick<AuthInput, 'headers' | 'rawQuery'>): string | undefined {
  const authorization = headerString(input.headers, H_AUTHORIZATION);
  if (authorization !== undefined && authorization.trim() !== '') {
    return /Credential=([^/,\s]+)\//.exec(authorization)?.[1];
  }
  if (!input.rawQuery.includes(Q_CREDENTIAL)) return undefined;
  const credential = decodeQuery(splitQuery(input.rawQuery)).get(Q_CREDENTIAL);
  const accessKeyId = credential?.split('/', 1)[0];
  return accessKeyId === '' ? undefined : accessKeyId;
}

const SIGV2_UNSUPPORTED = 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.';

const sharedKeyCache = new SigningKeyCache();

/**
 * Authenticates a request (presigned query, else the Authorization header, else anonymous)
 * and wraps its body so that framing is removed and every signature and hash is checked
 * while it streams. Synchronous problems throw an S3Error; body problems make
 * `payload.body` emit one.
 */
export function verifyRequest(input: AuthInput, body: Readable, opts: AuthOptions): VerifiedRequest {
  const query = splitQuery(input.rawQuery);
  refuseRepeatedAmzParams(query);
  const params = decodeQuery(query);
  const authOpts: HeaderAuthOptions = {
    lookup: opts.lookup,
    now: opts.now,
    services: opts.services ?? DEFAULT_SERVICES,
    keys: opts.keyCache ?? sharedKeyCache,
    payloadSha256: opts.payloadSha256,
  };
  const rawHeaders = input.rawHeaders;
  const authorization = headerString(input.headers, H_AUTHORIZATION)?.trim() ?? '';
  refuseSecondAuthorization(authorization, rawHeaders);

  let verified: VerifiedSignature | undefined;
  if (isPresigned(params)) {
    // Amazon refuses a presigned URL sent with an Authorization header, even an unrelated one
    // a browser or proxy added: which of the two would be the requester is ambiguous.
    if (authorization !== '') throw onlyOneAuthMechanism('Authorization', authorization);
    verified = verifyPresigned({ method: input.method, rawPath: input.rawPath, query, params, headers: input.headers, rawHeaders }, authOpts);
  } else if (authorization !== '') {
    if (params.has(Q_V2_ACCESS_KEY) && params.has(Q_V2_SIGNATURE)) throw onlyOneAuthMechanism('Authorization', authorization);
    const scheme = authorization.split(' ', 1)[0] ?? '';
    if (scheme === ALGORITHM) {
      verified = verifyHeaderAuth(
        { method: input.method, rawPath: input.rawPath, query, headers: input.headers, rawHeaders, authorization },
        authOpts,
      );
    } else if (scheme === SIGV2_SCHEME) {
      throw invalidRequest(SIGV2_UNSUPPORTED);
    } else if (scheme === ALGORITHM_V4A) {
      throw notImplemented('Signature Version 4A is not implemented');
    } else {
      throw invalidArgument('Unsupported Authorization Type', 'Authorization', scheme);
    }
  } else if (params.has(Q_V2_ACCESS_KEY) && params.has(Q_V2_SIGNATURE)) {
    throw invalidRequest(SIGV2_UNSUPPORTED);
  }

  if (verified === undefined) return { accessKeyId: undefined, payload: anonymousPayload(input.headers, body) };
  return { accessKeyId: verified.accessKeyId, payload: signedPayload(verified, input.headers, body) };
}

/**
 * An X-Amz-* query parameter may come once (names compared without case): two X-Amz-Signature
 * values would let one be checked and the other ignored, and a proxy or cache could act on the
 * one we did not check. The query-authentication parameters get Amazon's "only one auth
 * mechanism" answer; any other X-Amz-* parameter (a hoisted header) a plainer message.
 */
function refuseRepeatedAmzParams(query: readonly RawQueryParam[]): void {
  const seen = new Set<string>();
  for (const p of query) {
    const name = percentDecode(p.rawName);
    const lower = name.toLowerCase();
    if (!lower.startsWith(AMZ_HEADER_PREFIX)) continue;
    if (seen.has(lower)) {
      const value = percentDecode(p.rawValue);
      if (Q_AUTH_PARAMS_LOWER.has(lower)) throw onlyOneAuthMechanism(name, value);
      throw invalidArgument(`The query parameter ${name} may be given only once`, name, value);
    }
    seen.add(lower);
  }
}

/** Two Authorization header lines are two authentications (node keeps only the first in `headers`). */
function refuseSecondAuthorization(authorization: string, rawHeaders: readonly string[] | undefined): void {
  if (rawHeaders === undefined) return;
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === H_AUTHORIZATION && ++count > 1) throw onlyOneAuthMechanism('Authorization', authorization);
  }
}

function parseLength(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,16}$/.test(value.trim())) throw invalidArgument(`Invalid ${name}`, name, value);
  return Number(value.trim());
}

function isChunkedTransfer(headers: IncomingHttpHeaders): boolean {
  return /(^|,)\s*chunked\s*$/i.test(headerString(headers, H_TRANSFER_ENCODING) ?? '');
}

/** x-amz-trailer names, lower case; only the flexible-checksum trailers are allowed. */
function declaredTrailers(headers: IncomingHttpHeaders): string[] {
  const raw = headerString(headers, H_TRAILER);
  if (raw === undefined) return [];
  const names = raw.split(',').map((n) => n.trim().toLowerCase()).filter((n) => n !== '');
  for (const n of names) if (!SUPPORTED_TRAILERS.has(n)) throw unsupportedTrailer();
  return names;
}

/**
 * Feeds `body` into `t`. Not stream.pipeline(): that would destroy the request, and with it
 * the socket, when a signature check fails, and the client would never see the S3 error.
 * Source errors are forwarded to `t`; when `t` fails or closes it is only detached, and
 * the server decides what to do with the rest of the request.
 */
function wrap(body: Readable, t: Transform): Readable {
  // The error stays on `t` (t.errored) and reaches every consumer, including a pipeline()
  // attached after the failure; this listener only keeps a body that nobody reads (a
  // handler that failed first) from crashing the process with an unhandled 'error'.
  t.on('error', () => undefined);
  body.on('error', (err) => t.destroy(err));
  t.on('close', () => body.unpipe(t));
  body.pipe(t);
  return t;
}

function signedPayload(v: VerifiedSignature, headers: IncomingHttpHeaders, body: Readable): Payload {
  return buildPayload(v.mode, v.contentSha256, v, headers, body);
}

function anonymousPayload(headers: IncomingHttpHeaders, body: Readable): Payload {
  // Anonymous bodies pass through raw, except that an unsigned aws-chunked body (which needs
  // no key) is still decoded so that its framing never ends up in an object.
  const sha = headerString(headers, H_CONTENT_SHA256);
  if (sha === STREAMING_UNSIGNED_TRAILER) return buildPayload('streaming-unsigned-trailer', sha, undefined, headers, body);
  return buildPayload('unsigned', sha ?? '', undefined, headers, body);
}

function buildPayload(
  mode: PayloadMode,
  contentSha256: string,
  signing: VerifiedSignature | undefined,
  headers: IncomingHttpHeaders,
  body: Readable,
): Payload {
  const declared = declaredTrailers(headers);
  const trailers = new Map<string, string>();
  const contentLength = parseLength(headerString(headers, H_CONTENT_LENGTH), 'Content-Length');
  const chunked = isChunkedTransfer(headers);

  if (isStreaming(mode)) {
    if (contentLength === undefined && !chunked) throw missingContentLength();
    const decodedLength = parseLength(headerString(headers, H_DECODED_LENGTH), H_DECODED_LENGTH);
    const signed = mode === 'streaming-signed' || mode === 'streaming-signed-trailer';
    const decoder = new AwsChunkedDecoder({
      signing:
        signed && signing !== undefined
          ? {
              accessKeyId: signing.accessKeyId,
              signingKey: signing.signingKey,
              amzDate: signing.amzDate,
              scope: signing.scope,
              seedSignature: signing.signature,
            }
          : undefined,
      trailer: mode !== 'streaming-signed',
      decodedLength,
      trailers,
    });
    return { body: wrap(body, decoder), mode, length: decodedLength, declaredTrailers: declared, trailers };
  }

  if (mode === 'sha256') {
    // An empty body needs no hashing: nothing to verify if the hash is the empty hash.
    const empty = contentLength === 0 || (contentLength === undefined && !chunked);
    const passThrough = empty && contentSha256 === EMPTY_SHA256;
    return {
      body: passThrough ? body : wrap(body, new PayloadHashVerifier(contentSha256, contentLength)),
      mode,
      length: contentLength,
      declaredTrailers: declared,
      trailers,
    };
  }
  return { body, mode, length: contentLength, declaredTrailers: declared, trailers };
}
