import { canonicalizeEncoded, percentDecode } from './uri-encode.js';

/** One `name=value` pair of a query string, both still percent-encoded as received. */
export interface RawQueryParam {
  readonly rawName: string;
  readonly rawValue: string;
}

/** Splits a raw query string (no leading `?`) into pairs, keeping the wire encoding. */
export function splitQuery(rawQuery: string): RawQueryParam[] {
  const out: RawQueryParam[] = [];
  if (rawQuery === '') return out;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    out.push(eq === -1 ? { rawName: part, rawValue: '' } : { rawName: part.slice(0, eq), rawValue: part.slice(eq + 1) });
  }
  return out;
}

/**
 * Decoded query parameters: the first value wins for each name. `+` is kept literally;
 * SDKs send spaces as %20.
 */
export function decodeQuery(params: readonly RawQueryParam[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of params) {
    const name = percentDecode(p.rawName);
    if (!out.has(name)) out.set(name, percentDecode(p.rawValue));
  }
  return out;
}

/**
 * The canonical query string of SigV4: every name and value decoded and re-encoded with
 * RFC 3986, sorted by name then value (byte order), `name=` for a value-less parameter.
 * `exclude` names a parameter to leave out (X-Amz-Signature for presigned URLs).
 */
export function canonicalQuery(params: readonly RawQueryParam[], exclude?: string): string {
  const pairs: [string, string][] = [];
  for (const p of params) {
    const name = canonicalizeEncoded(p.rawName);
    if (exclude !== undefined && name === exclude) continue;
    pairs.push([name, canonicalizeEncoded(p.rawValue)]);
  }
  // Encoded names and values are ASCII, so UTF-16 order is byte order.
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}
