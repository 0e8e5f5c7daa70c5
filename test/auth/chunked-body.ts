import { createHash, createHmac } from 'node:crypto';

/** Test-side SigV4 helpers, written independently of src/auth. */
export const sha256 = (d: string | Buffer): string => createHash('sha256').update(d).digest('hex');
export const hmac = (k: string | Buffer, d: string): Buffer => createHmac('sha256', k).update(d).digest();
export const EMPTY = sha256('');

export function signingKey(secret: string, date: string, region = 'us-east-1', service = 's3'): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

export interface ChainSigning {
  key: Buffer;
  amzDate: string;
  scope: string;
  seed: string;
}

export interface ChunkedSpec {
  data: Buffer;
  chunkSize: number;
  signing?: ChainSigning;
  /** Trailer lines `[name, value]`; written as `name:value` unless `rawTrailerLines` is used. */
  trailers?: [string, string][];
  /** Literal trailer lines to write instead (to test whitespace tolerance). */
  rawTrailerLines?: string[];
  /** Add x-amz-trailer-signature (signed-trailer mode). */
  trailerSignature?: boolean;
  /** Leave out the whole trailer section (just end after the 0 chunk). */
  omitTrailerSection?: boolean;
}

/** Builds an aws-chunked body per aws-sse.md §9.3; returns it with the chunk signatures. */
export function buildChunked(spec: ChunkedSpec): { body: Buffer; signatures: string[] } {
  const out: Buffer[] = [];
  const signatures: string[] = [];
  let prev = spec.signing?.seed ?? '';
  const sizes: number[] = [];
  for (let i = 0; i < spec.data.length; i += spec.chunkSize) sizes.push(Math.min(spec.chunkSize, spec.data.length - i));
  sizes.push(0);
  let offset = 0;
  for (const size of sizes) {
    const chunk = spec.data.subarray(offset, offset + size);
    offset += size;
    let header = size.toString(16);
    if (spec.signing !== undefined) {
      const s = spec.signing;
      const sts = ['AWS4-HMAC-SHA256-PAYLOAD', s.amzDate, s.scope, prev, EMPTY, sha256(chunk)].join('\n');
      prev = hmac(s.key, sts).toString('hex');
      signatures.push(prev);
      header += `;chunk-signature=${prev}`;
    }
    out.push(Buffer.from(`${header}\r\n`));
    if (size > 0) out.push(chunk, Buffer.from('\r\n'));
  }
  if (spec.omitTrailerSection === true) return { body: Buffer.concat(out), signatures };
  const lines = spec.rawTrailerLines ?? (spec.trailers ?? []).map(([n, v]) => `${n}:${v}`);
  for (const l of lines) out.push(Buffer.from(`${l}\r\n`));
  if (spec.trailerSignature === true && spec.signing !== undefined) {
    const s = spec.signing;
    const canonical = (spec.trailers ?? []).map(([n, v]) => `${n}:${v}\n`).join('');
    const sts = ['AWS4-HMAC-SHA256-TRAILER', s.amzDate, s.scope, prev, sha256(canonical)].join('\n');
    const sig = hmac(s.key, sts).toString('hex');
    signatures.push(sig);
    out.push(Buffer.from(`x-amz-trailer-signature:${sig}\r\n`));
  }
  out.push(Buffer.from('\r\n'));
  return { body: Buffer.concat(out), signatures };
}
