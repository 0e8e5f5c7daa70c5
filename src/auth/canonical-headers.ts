import type { IncomingHttpHeaders } from 'node:http';

/** Trims and collapses runs of spaces and tabs, as SigV4 canonical headers require. */
function trimValue(value: string): string {
  return value.replace(/[ \t]+/g, ' ').trim();
}

/**
 * All values of one header, in arrival order. With `rawHeaders` (node's `req.rawHeaders`)
 * repeated headers are seen separately; node's merged `headers` object joins them with
 * ", " and drops repeats of some headers, which would not match what the client signed.
 */
function headerValues(
  name: string,
  headers: IncomingHttpHeaders,
  rawHeaders: readonly string[] | undefined,
): string[] {
  if (rawHeaders !== undefined) {
    const out: string[] = [];
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      if (rawHeaders[i]!.toLowerCase() === name) out.push(rawHeaders[i + 1]!);
    }
    return out;
  }
  const v = headers[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/**
 * The canonical headers block of SigV4 for the names in `signedHeaders` (lower case, in the
 * order given): `name:value\n` per header, repeated values joined by `,`.
 */
export function canonicalHeaders(
  signedHeaders: readonly string[],
  headers: IncomingHttpHeaders,
  rawHeaders?: readonly string[],
): string {
  let out = '';
  for (const name of signedHeaders) {
    out += `${name}:${headerValues(name, headers, rawHeaders).map(trimValue).join(',')}\n`;
  }
  return out;
}

/** One header as a single string (repeats joined by `,`), or undefined when absent. */
export function headerString(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : v;
}
