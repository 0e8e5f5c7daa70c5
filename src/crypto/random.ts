/**
 * Random bytes for keys, salts and nonces, drawn from the CSPRNG in 16 KiB refills: a call to
 * crypto.randomBytes costs several microseconds however few bytes it returns, and an encrypted
 * PUT needs half a dozen small values. Every byte is handed out once, then zeroed in the pool,
 * so no key material lingers there.
 */
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 16 * 1024;
/** Larger requests bypass the pool. */
const MAX_POOLED = 256;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

export function secureRandomBytes(size: number): Buffer {
  if (size > MAX_POOLED) return randomFillSync(Buffer.alloc(size));
  if (offset + size > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + size));
  pool.fill(0, offset, offset + size);
  offset += size;
  return out;
}
