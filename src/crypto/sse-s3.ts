/**
 * SSE-S3 (`x-amz-server-side-encryption: AES256`): the data key is sealed under a key derived
 * from the server's root key (the newest version for new data; the record names its version).
 * Nothing else is sealed: Amazon returns MD5 ETags, metadata and checksums of SSE-S3 objects
 * to any reader (../shared/spec/aws-sse.md §4).
 */
import type { EncryptionRecord, ObjectRecord, PartRecord, UploadRecord } from '../store/meta/types.js';
import { bindingOf, deriveKek, newSalt, open, seal } from './envelope.js';
import { DataCorruptionError } from './package-cipher.js';
import { b64, unb64 } from './base64.js';
import { DataKeyed } from './data-keyed.js';
import type { RootKeyring } from './root-key.js';

/** Frozen with the record format: changing it breaks stored objects. */
const FORMAT = 1;
const binding = (bucket: string, key: string): Buffer => bindingOf('strongbox/v1/sse-s3', bucket, key);

export const SSE_S3_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'x-amz-server-side-encryption': 'AES256' });

export class RootKeyed extends DataKeyed {
  readonly etagIsMd5 = true;
  readonly record: EncryptionRecord;

  /** Seals `dataKey` (owned from now on) under the newest root key version, or keeps `sealed`. */
  constructor(dataKey: Buffer, ring: RootKeyring, bucket: string, key: string, sealed?: EncryptionRecord) {
    super(dataKey);
    if (sealed !== undefined) {
      this.record = sealed;
      return;
    }
    const root = ring.current;
    const kekSalt = newSalt();
    const kek = deriveKek(root.key, kekSalt, binding(bucket, key));
    const sealedKey = seal(kek, dataKey, binding(bucket, key));
    kek.fill(0);
    this.record = { mode: 'sse-s3', format: FORMAT, rootVersion: root.version, kekSalt: b64(kekSalt), sealedKey: b64(sealedKey) };
  }

  /** Opens a stored record; a record that does not open is damage (the start checked the keys). */
  static open(record: EncryptionRecord, ring: RootKeyring, bucket: string, key: string): RootKeyed {
    const root = ring.get(Number(record.rootVersion));
    if (root === undefined) throw new DataCorruptionError(`root key version ${String(record.rootVersion)} is not in the keyring`);
    const kek = deriveKek(root.key, unb64(record.kekSalt), binding(bucket, key));
    const dataKey = open(kek, unb64(record.sealedKey), binding(bucket, key));
    kek.fill(0);
    if (dataKey === undefined) throw new DataCorruptionError('the sealed data key of an SSE-S3 object failed authentication');
    return new RootKeyed(dataKey, ring, bucket, key, record);
  }

  responseHeaders(): Record<string, string> {
    return { ...SSE_S3_HEADERS };
  }
  opaqueEtag(): string {
    throw new Error('SSE-S3 parts have MD5 ETags');
  }
  sealObject(rec: ObjectRecord): ObjectRecord {
    return { ...rec, encryption: this.record };
  }
  openObject(rec: ObjectRecord): ObjectRecord {
    return rec;
  }
  sealUpload(upload: UploadRecord): UploadRecord {
    return { ...upload, encryption: this.record };
  }
  openUpload(upload: UploadRecord): UploadRecord {
    return upload;
  }
  sealPart(part: PartRecord): PartRecord {
    return part;
  }
  openPart(part: PartRecord): PartRecord {
    return part;
  }
}
