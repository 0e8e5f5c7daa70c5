/**
 * HKDF-SHA256 (RFC 5869) for one 32-byte output block, on HMAC: the same bytes as
 * crypto.hkdfSync, without the KeyObjects it creates on every call (derivations run several
 * times per encrypted request).
 */
import { createHmac } from 'node:crypto';

const HASH_LEN = 32;
const ZERO_SALT = Buffer.alloc(HASH_LEN);
const BLOCK_1 = Buffer.from([1]);

export function hkdfSha256(ikm: Buffer, salt: Buffer, info: Buffer): Buffer {
  const prk = createHmac('sha256', salt.length === 0 ? ZERO_SALT : salt).update(ikm).digest();
  const okm = createHmac('sha256', prk).update(info).update(BLOCK_1).digest();
  prk.fill(0);
  return okm;
}
