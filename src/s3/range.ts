import { invalidRange } from '../errors/s3-error.js';

/** An inclusive byte range of an object. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Parses a Range header against an object of `size` bytes. Returns undefined when the
 * whole object is to be sent: no header, a syntax S3 ignores, or several ranges (S3
 * serves one range only). Unsatisfiable ranges are 416 InvalidRange.
 * https://www.rfc-editor.org/rfc/rfc9110#section-14.1.2
 */
export function parseRange(value: string | undefined, size: number): ByteRange | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(value);
  if (!m) return undefined;
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    // Suffix range: the last N bytes.
    const n = Number(last);
    if (n === 0 || size === 0) throw invalidRange(size, value);
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  // Compared as digit strings: past 2^53, Number() rounds 9007199254740993 and …992 alike.
  if (last !== '' && decimalLess(last, first)) return undefined;
  if (start >= size) throw invalidRange(size, value);
  return { start, end };
}

/** a < b for unsigned decimal digit strings of any length. */
function decimalLess(a: string, b: string): boolean {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  return x.length !== y.length ? x.length < y.length : x < y;
}

export const contentRange = (r: ByteRange, size: number): string => `bytes ${r.start}-${r.end}/${size}`;
