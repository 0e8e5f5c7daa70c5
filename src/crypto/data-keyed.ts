/**
 * What every mode of the envelope shares (docs/adr/0002): the object's data key, fresh salts for
 * segments, and the package cipher under per-segment keys derived from the data key. The modes
 * differ only in how the data key is sealed and what else they seal.
 */
import type { Transform } from 'node:stream';
import type { EncryptionRecord, ObjectRecord, PartRecord, UploadRecord } from '../store/meta/types.js';
import type { SegmentParams, WriteEncryption } from './encryption.js';
import { newSalt } from './envelope.js';
import { SegmentEncryptor, encryptedSize, segmentKey } from './package-cipher.js';

export const b64 = (b: Buffer): string => b.toString('base64');
export const unb64 = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : '', 'base64');

export abstract class DataKeyed implements WriteEncryption {
  abstract readonly record: EncryptionRecord;
  abstract readonly etagIsMd5: boolean;

  /** @param dataKey owned from now on (wiped by dispose) */
  constructor(readonly dataKey: Buffer) {}

  abstract responseHeaders(): Record<string, string>;
  abstract opaqueEtag(partNumber: number, size: number, fingerprint: string): string;
  abstract sealObject(rec: ObjectRecord): ObjectRecord;
  /** The stored record with its sealed fields opened. */
  abstract openObject(rec: ObjectRecord): ObjectRecord;
  abstract sealUpload(upload: UploadRecord): UploadRecord;
  abstract openUpload(upload: UploadRecord): UploadRecord;
  abstract sealPart(part: PartRecord): PartRecord;
  abstract openPart(part: PartRecord): PartRecord;

  segmentParams(): SegmentParams {
    return { salt: b64(newSalt()) };
  }
  storedSize(n: number): number {
    return encryptedSize(n);
  }
  encryptor(params: SegmentParams | undefined): Transform {
    const key = this.segmentKey(params);
    const enc = new SegmentEncryptor(key);
    enc.once('close', () => key.fill(0));
    return enc;
  }
  /** The key of one segment, from its stored parameters; the caller wipes it. */
  segmentKey(params: SegmentParams | undefined): Buffer {
    return segmentKey(this.dataKey, unb64(params?.salt));
  }
  dispose(): void {
    this.dataKey.fill(0);
  }
}
