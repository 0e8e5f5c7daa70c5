/**
 * The ciphertext blobs of the built-in KMS (Encrypt, GenerateDataKey). Self-describing, so
 * Decrypt needs no KeyId:
 *
 *   format (1 byte) ‖ key id (16 bytes, the UUID) ‖ material version (uint32 BE)
 *   ‖ salt (32 bytes) ‖ nonce (12) ‖ AES-256-GCM ciphertext ‖ tag (16)
 *
 * Each blob is sealed under its own key, HKDF-SHA256(material, salt, key id ‖ version), so the
 * random 96-bit nonces never meet the birthday bound of one key. The associated data is the
 * header (format, key id, version, salt) followed by the canonical encryption context: a blob
 * whose header was edited, or opened with other context pairs, fails authentication.
 *
 * Frozen format: FORMAT 1 (docs/adr/0004-built-in-kms.md). Changing the layout, the HKDF info
 * or the context canonicalisation breaks every stored SSE-KMS object.
 */
import { bindingOf, deriveKek, newSalt, open, seal } from '../../crypto/envelope.js';
import type { EncryptionContext } from '../types.js';

export const CIPHERTEXT_FORMAT = 1;
const KEY_ID_BYTES = 16;
const SALT_BYTES = 32;
const HEADER_BYTES = 1 + KEY_ID_BYTES + 4 + SALT_BYTES;
/** Bytes a blob adds to its plaintext: header, nonce and tag. */
export const CIPHERTEXT_OVERHEAD = HEADER_BYTES + 12 + 16;

export interface BlobHeader {
  readonly keyId: string;
  readonly version: number;
}

const uuidBytes = (keyId: string): Buffer => Buffer.from(keyId.replace(/-/g, ''), 'hex');
function uuidString(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The context as bytes: pairs sorted by key (UTF-16 code units, as JavaScript sorts), each
 * key and value length-prefixed, so no two different contexts give the same bytes.
 */
export function canonicalContext(context: EncryptionContext): Buffer {
  const keys = Object.keys(context).sort();
  return bindingOf('strongbox/v1/kms-context', ...keys.flatMap((k) => [k, context[k] ?? '']));
}

const blobKeyInfo = (h: BlobHeader): Buffer => bindingOf('strongbox/v1/kms-ciphertext', h.keyId, String(h.version));

/** Seals `plaintext` under one version of a key's material, bound to `context`. */
export function encryptBlob(material: Buffer, header: BlobHeader, plaintext: Buffer, context: EncryptionContext): Buffer {
  const head = Buffer.alloc(HEADER_BYTES);
  head.writeUInt8(CIPHERTEXT_FORMAT, 0);
  uuidBytes(header.keyId).copy(head, 1);
  head.writeUInt32BE(header.version, 1 + KEY_ID_BYTES);
  const salt = newSalt();
  salt.copy(head, 1 + KEY_ID_BYTES + 4);
  const key = deriveKek(material, salt, blobKeyInfo(header));
  const body = seal(key, plaintext, Buffer.concat([head, canonicalContext(context)]));
  key.fill(0);
  return Buffer.concat([head, body]);
}

/** The key and version a blob names; undefined if it is not one of ours. */
export function parseBlob(blob: Buffer): BlobHeader | undefined {
  if (blob.length < CIPHERTEXT_OVERHEAD || blob.readUInt8(0) !== CIPHERTEXT_FORMAT) return undefined;
  return { keyId: uuidString(blob.subarray(1, 1 + KEY_ID_BYTES)), version: blob.readUInt32BE(1 + KEY_ID_BYTES) };
}

/** Opens a blob with the material of the version it names; undefined if it fails authentication. */
export function decryptBlob(material: Buffer, blob: Buffer, context: EncryptionContext): Buffer | undefined {
  const header = parseBlob(blob);
  if (header === undefined) return undefined;
  const head = blob.subarray(0, HEADER_BYTES);
  const key = deriveKek(material, blob.subarray(1 + KEY_ID_BYTES + 4, HEADER_BYTES), blobKeyInfo(header));
  const plain = open(key, blob.subarray(HEADER_BYTES), Buffer.concat([head, canonicalContext(context)]));
  key.fill(0);
  return plain;
}
