/**
 * The envelope of DESIGN.md: every object version has a random data key; only the data key is
 * sealed, under a key-encryption key that depends on the mode. Sealed values are
 * nonce ‖ AES-256-GCM ciphertext ‖ tag, with associated data naming what they belong to, so a
 * sealed key or metadata block copied onto another object fails to open.
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { hkdfSha256 } from './hkdf.js';
import { secureRandomBytes } from './random.js';

const CIPHER = 'aes-256-gcm';
const NONCE_SIZE = 12;
const TAG_SIZE = 16;
export const KEY_SIZE = 32;

export const newDataKey = (): Buffer => secureRandomBytes(KEY_SIZE);
export const newSalt = (): Buffer => secureRandomBytes(32);

/** Seals `plain` under `key`, bound to `aad`. */
export function seal(key: Buffer, plain: Buffer, aad: Buffer): Buffer {
  const iv = secureRandomBytes(NONCE_SIZE);
  const c = createCipheriv(CIPHER, key, iv);
  c.setAAD(aad);
  const body = c.update(plain);
  c.final();
  return Buffer.concat([iv, body, c.getAuthTag()]);
}

/** Opens a sealed value; undefined when the key is wrong or the value was altered or moved. */
export function open(key: Buffer, sealed: Buffer, aad: Buffer): Buffer | undefined {
  if (sealed.length < NONCE_SIZE + TAG_SIZE) return undefined;
  const d = createDecipheriv(CIPHER, key, sealed.subarray(0, NONCE_SIZE));
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  const plain = d.update(sealed.subarray(NONCE_SIZE, sealed.length - TAG_SIZE));
  try {
    d.final();
    return plain;
  } catch {
    plain.fill(0);
    return undefined;
  }
}

/** The most info OpenSSL's HKDF accepts. */
const MAX_HKDF_INFO = 1024;

/**
 * A key-encryption key: HKDF-SHA256 of a secret (the customer's key, later the root key) with
 * a random salt stored beside the sealed data key, and `info` binding the mode and the object.
 */
export function deriveKek(secret: Buffer, salt: Buffer, info: Buffer): Buffer {
  // OpenSSL's HKDF takes at most 1,024 bytes of info, which a bucket name plus an object key
  // near S3's 1,024-byte limit exceeds: such info is replaced by its SHA-256. Objects with info
  // that long could never be written before, so no stored key derives differently.
  const bound = info.length <= MAX_HKDF_INFO ? info : createHash('sha256').update(info).digest();
  return hkdfSha256(secret, salt, bound);
}

/** Length-prefixed concatenation, so that no two different tuples give the same bytes. */
export function bindingOf(...fields: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of fields) {
    const b = Buffer.from(f, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    parts.push(len, b);
  }
  return Buffer.concat(parts);
}
