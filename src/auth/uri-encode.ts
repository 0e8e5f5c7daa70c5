/**
 * RFC 3986 percent-encoding as SigV4 wants it: unreserved characters (A-Z a-z 0-9 - . _ ~)
 * stay, every other byte becomes %XX with upper-case hex.
 */

const HEX = '0123456789ABCDEF';

/** 1 for bytes that stay literal. */
const UNRESERVED = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9\-._~]/.test(ch)) UNRESERVED[c] = 1;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Decodes %XX escapes into raw bytes. Everything else is taken as UTF-8; a `%` not followed
 * by two hex digits stays a literal `%`, and `+` stays `+` (S3 does not use form encoding).
 */
export function percentDecodeBytes(raw: string): Buffer {
  const src = Buffer.from(raw, 'utf8');
  if (!src.includes(0x25)) return src;
  const out = Buffer.allocUnsafe(src.length);
  let o = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x25 && i + 2 < src.length) {
      const hi = hexValue(src[i + 1] ?? 0);
      const lo = hexValue(src[i + 2] ?? 0);
      if (hi >= 0 && lo >= 0) {
        out[o++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    out[o++] = c;
  }
  return out.subarray(0, o);
}

/** Percent-decodes to a string (invalid UTF-8 becomes U+FFFD). */
export function percentDecode(raw: string): string {
  return percentDecodeBytes(raw).toString('utf8');
}

/** Encodes raw bytes with the SigV4 rules. */
export function uriEncodeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    out += UNRESERVED[b] === 1 ? String.fromCharCode(b) : '%' + HEX[b >> 4]! + HEX[b & 15]!;
  }
  return out;
}

/** Encodes a string (as UTF-8) with the SigV4 rules. */
export function uriEncode(value: string): string {
  return uriEncodeBytes(Buffer.from(value, 'utf8'));
}

/**
 * Brings a percent-encoded component to its canonical SigV4 spelling: decode once, encode
 * once. Over-encoded input (`%7E`) and under-encoded input (`!`) both come out right.
 */
export function canonicalizeEncoded(raw: string): string {
  return uriEncodeBytes(percentDecodeBytes(raw));
}
