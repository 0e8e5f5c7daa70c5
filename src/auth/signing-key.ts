import { createHmac, timingSafeEqual } from 'node:crypto';
import { KEY_PREFIX, KEY_TYPE, SIGNING_KEY_CACHE_SIZE } from './constants.js';

export function hmacSha256(key: Uint8Array | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** Constant-time comparison of a computed HMAC with the hex signature a client sent. */
export function signatureMatches(computed: Buffer, providedHex: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(providedHex)) return false;
  const provided = Buffer.from(providedHex, 'hex');
  return provided.length === computed.length && timingSafeEqual(provided, computed);
}

/**
 * SigV4 signing keys, HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
 * "aws4_request"), with a bounded cache: a key is valid for a whole day, and deriving it
 * costs four HMACs per request otherwise. The oldest entry is evicted first.
 */
export class SigningKeyCache {
  readonly #entries = new Map<string, Buffer>();
  constructor(readonly maxEntries: number = SIGNING_KEY_CACHE_SIZE) {}

  get(secret: string, date: string, region: string, service: string): Buffer {
    // The secret is part of the key so that a rotated secret never hits a stale entry.
    const cacheKey = `${date}\n${region}\n${service}\n${secret}`;
    const hit = this.#entries.get(cacheKey);
    if (hit !== undefined) return hit;
    const key = deriveSigningKey(secret, date, region, service);
    this.#entries.set(cacheKey, key);
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    return key;
  }

  get size(): number {
    return this.#entries.size;
  }
}

export function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = hmacSha256(KEY_PREFIX + secret, date);
  const kRegion = hmacSha256(kDate, region);
  const kService = hmacSha256(kRegion, service);
  return hmacSha256(kService, KEY_TYPE);
}
