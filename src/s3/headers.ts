import type { IncomingHttpHeaders } from 'node:http';
import type { ObjectRecord } from '../store/meta/types.js';
import type { ResponseHeaders } from '../server/context.js';
import { invalidArgument, invalidStorageClass, metadataTooLarge } from '../errors/s3-error.js';

/** Standard content headers stored with an object and returned on GET/HEAD. */
export const CONTENT_HEADERS = [
  'content-type',
  'content-encoding',
  'content-disposition',
  'content-language',
  'cache-control',
  'expires',
] as const;

/** Amazon's limit on user metadata: names and values of x-amz-meta-* together. */
const MAX_USER_METADATA_BYTES = 2048;
const META_PREFIX = 'x-amz-meta-';
export const STORAGE_CLASSES = new Set([
  'STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING',
  'GLACIER', 'DEEP_ARCHIVE', 'OUTPOSTS', 'GLACIER_IR', 'SNOW', 'EXPRESS_ONEZONE',
]);

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Content headers of a write request; the aws-chunked coding is framing, not content. */
export function contentHeadersFrom(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of CONTENT_HEADERS) {
    let v = header(headers, name);
    if (v === undefined) continue;
    if (name === 'content-encoding') {
      // Drop the aws-chunked framing token, keep the rest as the client wrote it.
      v = v
        .split(',')
        .filter((s) => s.trim().toLowerCase() !== 'aws-chunked')
        .join(',')
        .trim();
      if (v === '') continue;
    }
    out[name] = v;
  }
  return out;
}

/** x-amz-meta-* headers (names lower case, without the prefix), with Amazon's size limit. */
export function userMetadataFrom(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  let size = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(META_PREFIX) || value === undefined) continue;
    const key = name.slice(META_PREFIX.length);
    const v = Array.isArray(value) ? value.join(',') : value;
    out[key] = v;
    size += Buffer.byteLength(key) + Buffer.byteLength(v);
  }
  if (size > MAX_USER_METADATA_BYTES) throw metadataTooLarge(size);
  return out;
}

export function storageClassFrom(headers: IncomingHttpHeaders): string {
  const v = header(headers, 'x-amz-storage-class');
  if (v === undefined || v === '') return 'STANDARD';
  if (!STORAGE_CLASSES.has(v)) throw invalidStorageClass(v);
  return v;
}

/** RFC 7231 date, as S3 sends Last-Modified. */
export const httpDate = (d: Date): string => d.toUTCString();

/** Headers that describe a stored object on GET, HEAD and the like. */
export function objectHeaders(rec: ObjectRecord): ResponseHeaders {
  const h: ResponseHeaders = {
    etag: rec.etag,
    'last-modified': httpDate(rec.lastModified),
    'accept-ranges': 'bytes',
    'content-type': 'binary/octet-stream',
  };
  for (const [name, value] of Object.entries(rec.contentHeaders)) h[name] = value;
  for (const [name, value] of Object.entries(rec.userMetadata)) h[META_PREFIX + name] = value;
  if (rec.storageClass !== 'STANDARD') h['x-amz-storage-class'] = rec.storageClass;
  return h;
}

/** Integer query parameter within bounds, else InvalidArgument naming it. */
export function intParam(query: URLSearchParams, name: string, min: number, max: number, message?: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const n = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw invalidArgument(message ?? `Argument ${name} must be an integer between ${min} and ${max}`, name, raw);
  }
  return n;
}
