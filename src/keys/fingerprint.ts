import { createHash } from 'node:crypto';

export interface KeyFingerprint {
  /** base64 MD5 of the raw key: what S3 echoes in x-amz-server-side-encryption-customer-key-MD5. */
  readonly md5: string;
  /**
   * The first 8 bytes of the key's SHA-256 as four groups of 4 hex digits (`ab12-cd34-ef56-7890`),
   * for reading aloud and comparing by eye; `head -c 32 key.bin | sha256sum` shows the same digits.
   */
  readonly short: string;
}

/** Public fingerprints of a 32-byte key; neither reveals the key. */
export function fingerprintOf(key: Buffer): KeyFingerprint {
  const md5 = createHash('md5').update(key).digest('base64');
  const hex = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return { md5, short: hex.match(/.{4}/g)!.join('-') };
}
