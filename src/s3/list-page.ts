/**
 * The paging engine behind ListObjects, ListObjectsV2, ListObjectVersions and
 * ListMultipartUploads: delimiter grouping, markers, continuation tokens and the
 * `encoding-type=url` encoding. Pure apart from the `fetch` callback given to it.
 */
import { invalidArgument } from '../errors/s3-error.js';

/** The store pages objects in batches of at most this many keys. */
export const LIST_BATCH = 1000;
/** S3 returns at most 1,000 entries per page, whatever max-keys asks for. */
export const MAX_LIST_KEYS = 1000;

/**
 * The common prefix `key` rolls up into: everything up to and including the first
 * `delimiter` after `prefix`. Undefined when there is no delimiter or the key has none.
 */
export function commonPrefixOf(key: string, prefix: string, delimiter: string | undefined): string | undefined {
  if (delimiter === undefined || delimiter === '' || !key.startsWith(prefix)) return undefined;
  const i = key.indexOf(delimiter, prefix.length);
  return i === -1 ? undefined : key.slice(0, i + delimiter.length);
}

/** A store query position: strictly after a key, or past every key under a common prefix. */
export interface Cursor {
  readonly after?: string;
  readonly afterPrefix?: string;
}

/**
 * Where a listing resumes from a marker (V1 marker, V2 start-after or continuation token,
 * key-marker). A marker that is itself a common prefix (what NextMarker holds when a page
 * ended on one) skips the whole group, so the prefix is not listed twice.
 */
export function cursorFromMarker(marker: string | undefined, prefix: string, delimiter: string | undefined): Cursor {
  if (marker === undefined || marker === '') return {};
  return commonPrefixOf(marker, prefix, delimiter) === marker ? { afterPrefix: marker } : { after: marker };
}

export interface PageRequest {
  readonly prefix: string;
  readonly delimiter: string | undefined;
  readonly marker: string | undefined;
  /** 0..1000 (callers cap it). */
  readonly maxKeys: number;
}

export interface Page<T> {
  readonly items: T[];
  readonly prefixes: string[];
  readonly truncated: boolean;
  /** The last key or common prefix returned (NextMarker, continuation token). */
  readonly last: string | undefined;
}

export type Fetch<T> = (query: { after?: string; afterPrefix?: string; limit: number }) => Promise<readonly T[]>;

/**
 * One page of a listing. Common prefixes count toward `maxKeys`; every key under a prefix
 * already reported is skipped with one store query (`afterPrefix`), not walked key by key.
 */
export async function listPage<T extends { readonly key: string }>(fetch: Fetch<T>, req: PageRequest): Promise<Page<T>> {
  const items: T[] = [];
  const prefixes: string[] = [];
  let last: string | undefined;
  if (req.maxKeys <= 0) return { items, prefixes, truncated: false, last };
  let cursor = cursorFromMarker(req.marker, req.prefix, req.delimiter);
  let count = 0;
  for (;;) {
    const limit = Math.min(LIST_BATCH, req.maxKeys - count + 1);
    const batch = await fetch({ ...cursor, limit });
    for (const entry of batch) {
      if (cursor.afterPrefix !== undefined && entry.key.startsWith(cursor.afterPrefix)) continue;
      const cp = commonPrefixOf(entry.key, req.prefix, req.delimiter);
      if (count === req.maxKeys) return { items, prefixes, truncated: true, last };
      count++;
      if (cp !== undefined) {
        prefixes.push(cp);
        last = cp;
        cursor = { afterPrefix: cp };
      } else {
        items.push(entry);
        last = entry.key;
        cursor = { after: entry.key };
      }
    }
    // A short batch means the store has nothing more after it.
    if (batch.length < limit) return { items, prefixes, truncated: false, last };
    // A full batch: query again from the cursor, which skips the rest of a common prefix.
  }
}

/**
 * Amazon's `encoding-type=url`: percent-encode every byte except RFC 3986 unreserved
 * characters and `/` (ceph s3-tests `test_bucket_listv2_encoding_basic`: `quux ab/` →
 * `quux%20ab/`, `foo+1/` → `foo%2B1/`).
 */
export function urlEncodeKey(s: string): string {
  return encodeURIComponent(s)
    .replace(/%2F/g, '/')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The `encoding-type` parameter: absent, or `url` (anything else is InvalidArgument). */
export function encodingTypeParam(query: URLSearchParams): 'url' | undefined {
  const v = query.get('encoding-type');
  if (v === null) return undefined;
  if (v.toLowerCase() !== 'url') throw invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', v);
  return 'url';
}

/** An encoder for names in a response: identity, or {@link urlEncodeKey} with encoding-type=url. */
export const nameEncoder = (encoding: 'url' | undefined) => (s: string | undefined): string | undefined =>
  s === undefined || encoding === undefined ? s : urlEncodeKey(s);

/** ListObjectsV2 continuation tokens: opaque to clients, base64 of the last key or prefix. */
export const encodeContinuationToken = (last: string): string => Buffer.from(last, 'utf8').toString('base64');

export function decodeContinuationToken(token: string): string {
  const bytes = Buffer.from(token, 'base64');
  const key = bytes.toString('utf8');
  if (token === '' || bytes.toString('base64') !== token || Buffer.from(key, 'utf8').compare(bytes) !== 0) {
    throw invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
  }
  return key;
}

/** max-keys / max-uploads / max-parts: a non-negative integer, served capped at 1,000. */
export function maxParam(query: URLSearchParams, name: string, argName: string): { requested: number; effective: number } {
  const raw = query.get(name);
  if (raw === null || raw === '') return { requested: MAX_LIST_KEYS, effective: MAX_LIST_KEYS };
  const n = /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n > 2147483647) {
    throw invalidArgument(`Provided ${name} not an integer or within integer range`, name, raw);
  }
  if (n < 0) throw invalidArgument(`Argument ${argName} must be an integer between 0 and 2147483647`, name, raw);
  return { requested: n, effective: Math.min(n, MAX_LIST_KEYS) };
}

/** The delimiter parameter; an empty one means none. */
export function delimiterParam(query: URLSearchParams): string | undefined {
  const d = query.get('delimiter');
  return d === null || d === '' ? undefined : d;
}

/** Listing timestamps: S3 keeps seconds, shown as ISO 8601 with `.000Z`. */
export const listTimestamp = (d: Date): Date => new Date(Math.floor(d.getTime() / 1000) * 1000);
