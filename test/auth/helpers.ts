import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readFileSync } from 'node:fs';
import { SignatureV4 } from '@smithy/signature-v4';
import { S3Error } from '../../src/errors/s3-error.js';
import { SigningKeyCache } from '../../src/auth/signing-key.js';
import { verifyRequest, type AuthInput } from '../../src/auth/verify-request.js';
import type { VerifiedRequest } from '../../src/auth/types.js';

export const AK = 'AKIAIOSFODNN7EXAMPLE';
export const SK = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const NOW = new Date('2013-05-24T00:00:00Z');
export const lookup = (ak: string): string | undefined => (ak === AK ? SK : undefined);

/** Reads a fixture from test/vectors/sigv4 (tests run from dist/test/auth). */
export function vector<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../../test/vectors/sigv4/${name}`, import.meta.url), 'utf8')) as T;
}

/** The hash constructor @smithy/signature-v4 wants, on node:crypto. */
class Sha256 {
  readonly #h: Hash | Hmac;
  constructor(secret?: string | Uint8Array) {
    this.#h = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data: string | Uint8Array): void {
    this.#h.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#h.digest()));
  }
  reset(): void {}
}

export function signer(region = 'us-east-1', secret = SK, accessKeyId = AK): SignatureV4 {
  return new SignatureV4({
    service: 's3',
    region,
    credentials: { accessKeyId, secretAccessKey: secret },
    sha256: Sha256 as never,
    uriEscapePath: false,
  });
}

export interface SmithyRequest {
  method: string;
  protocol: string;
  hostname: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
}

export function request(method: string, path: string, query: Record<string, string> = {}, headers: Record<string, string> = {}): SmithyRequest {
  return { method, protocol: 'http:', hostname: 'localhost', path, query, headers: { host: 'localhost', ...headers } };
}

/** Percent-encodes like the S3 SDK does on the wire (RFC 3986). */
export function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Turns a signed smithy request into what node:http would hand the server. */
export function toAuthInput(r: SmithyRequest): AuthInput {
  const headers: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(r.headers)) headers[k.toLowerCase()] = v;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(r.query)) {
    for (const one of Array.isArray(v) ? v : [v]) parts.push(`${rfc3986(k)}=${rfc3986(one)}`);
  }
  return { method: r.method, rawPath: r.path, rawQuery: parts.join('&'), headers };
}

export function opts(now: Date = NOW) {
  return { lookup, now: () => now, keyCache: new SigningKeyCache() };
}

export function verify(input: AuthInput, body: Readable = Readable.from([]), now: Date = NOW): VerifiedRequest {
  return verifyRequest(input, body, opts(now));
}

/** Asserts `fn` throws an S3Error with this code and returns it. */
export function s3Throws(fn: () => unknown, code: string): S3Error {
  try {
    fn();
  } catch (err) {
    if (err instanceof S3Error && err.code === code) return err;
    throw new Error(`expected S3Error ${code}, got ${err instanceof S3Error ? err.code + ': ' + err.message : String(err)}`);
  }
  throw new Error(`expected S3Error ${code}, nothing thrown`);
}

/** Drains a stream with pipeline(); returns the bytes or the error it failed with. */
export async function drain(body: Readable): Promise<{ data: Buffer; error: unknown }> {
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      parts.push(chunk);
      cb();
    },
  });
  try {
    await pipeline(body, sink);
    return { data: Buffer.concat(parts), error: undefined };
  } catch (error) {
    return { data: Buffer.concat(parts), error };
  }
}

export function errorCode(err: unknown): string | undefined {
  return err instanceof S3Error ? err.code : err === undefined ? undefined : `not an S3Error: ${err instanceof Error ? err.message : JSON.stringify(err)}`;
}

/** Splits a buffer into pieces of `size` bytes (to exercise state carried across reads). */
export function pieces(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}
