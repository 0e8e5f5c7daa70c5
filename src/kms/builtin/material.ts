/**
 * KMS key material: 32 random bytes per version, sealed under the root key the way SSE-S3
 * seals data keys (src/crypto/sse-s3.ts): KEK = HKDF-SHA256(root key vN, random salt,
 * binding), AES-256-GCM with the same binding as associated data, so sealed material moved
 * onto another key or version fails to open. The record names the root key version.
 */
import { randomBytes } from 'node:crypto';
import { KEY_SIZE, bindingOf, deriveKek, newDataKey, newSalt, open, seal } from '../../crypto/envelope.js';
import { DataCorruptionError } from '../../crypto/package-cipher.js';
import type { RootKeyring } from '../../crypto/root-key.js';
import type { MaterialVersion, RotationType } from './key-record.js';

/** Frozen with the key record format: changing it makes stored material unopenable. */
const binding = (keyId: string, version: number): Buffer => bindingOf('strongbox/v1/kms-key-material', keyId, String(version));

/** A new material version, sealed; `key` is the plain material, owned by the caller. */
export function newMaterial(
  ring: RootKeyring,
  keyId: string,
  version: number,
  createdAt: Date,
  rotationType?: RotationType,
): { stored: MaterialVersion; key: Buffer } {
  const key = newDataKey();
  const root = ring.current;
  const salt = newSalt();
  const kek = deriveKek(root.key, salt, binding(keyId, version));
  const sealed = seal(kek, key, binding(keyId, version));
  kek.fill(0);
  const stored: MaterialVersion = {
    version,
    id: randomBytes(32).toString('hex'),
    createdAt,
    ...(rotationType === undefined ? {} : { rotationType }),
    rootVersion: root.version,
    salt: salt.toString('base64'),
    sealed: sealed.toString('base64'),
  };
  return { stored, key };
}

/** The plain material of a stored version; a version that does not open is damage. */
export function openMaterial(ring: RootKeyring, keyId: string, m: MaterialVersion): Buffer {
  const root = ring.get(m.rootVersion);
  if (root === undefined) throw new DataCorruptionError(`KMS key ${keyId} v${m.version} is sealed under root key version ${m.rootVersion}, which is not in the keyring`);
  const kek = deriveKek(root.key, Buffer.from(m.salt, 'base64'), binding(keyId, m.version));
  const key = open(kek, Buffer.from(m.sealed, 'base64'), binding(keyId, m.version));
  kek.fill(0);
  if (key === undefined || key.length !== KEY_SIZE) {
    key?.fill(0);
    throw new DataCorruptionError(`the sealed material of KMS key ${keyId} v${m.version} failed authentication`);
  }
  return key;
}

/** The same material sealed again under the newest root key version (after a root key rotation). */
export function resealMaterial(ring: RootKeyring, keyId: string, m: MaterialVersion): MaterialVersion {
  const key = openMaterial(ring, keyId, m);
  const root = ring.current;
  const salt = newSalt();
  const kek = deriveKek(root.key, salt, binding(keyId, m.version));
  const sealed = seal(kek, key, binding(keyId, m.version));
  kek.fill(0);
  key.fill(0);
  return { ...m, rootVersion: root.version, salt: salt.toString('base64'), sealed: sealed.toString('base64') };
}
