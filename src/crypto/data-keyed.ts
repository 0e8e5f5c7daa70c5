/**
 * What every mode of the envelope shares (docs/adr/0002): the object's data key, fresh salts for
 * segments, and the package cipher under per-segment keys derived from the data key. The modes
 * differ only in how the data key is sealed and what else they seal.
 *
 * Two layers (DSSE-KMS): a subclass holding a second, independent data key opts into the
 * dual-layer package format by overriding two members (and wiping its second key):
 *
 *   class DsseKeyed extends DataKeyed {
 *     override readonly packageFormat = DUAL_LAYER;          // from './package-cipher.js'
 *     constructor(dataKey: Buffer, readonly outerDataKey: Buffer) { super(dataKey); }
 *     override segmentKey(params: SegmentParams | undefined): Buffer {
 *       return dualSegmentKey(this.dataKey, this.outerDataKey, unb64(params?.salt));   // 64 bytes
 *     }
 *     override dispose(): void { this.outerDataKey.fill(0); super.dispose(); }
 *   }
 *
 * storedSize, encryptor and readEncrypted (read-segments.ts) then all follow `packageFormat`;
 * the salts and segment parameters are the same as for one layer. A format is chosen by the
 * object's mode when its record is opened, never guessed from the stored bytes. A key whose
 * length does not match `packageFormat.keySize` is refused (RangeError) before any byte moves.
 */
import type { Transform } from 'node:stream';
import type { EncryptionRecord, ObjectRecord, PartRecord, UploadRecord } from '../store/meta/types.js';
import type { SegmentParams, WriteEncryption } from './types.js';
import { b64, unb64 } from './base64.js';
import { newSalt } from './envelope.js';
import { type PackageFormat, SINGLE_LAYER, SegmentEncryptor, encryptedSize, segmentKey } from './package-cipher.js';

export abstract class DataKeyed implements WriteEncryption {
  abstract readonly record: EncryptionRecord;
  abstract readonly etagIsMd5: boolean;
  /** How packages are sealed: SINGLE_LAYER, or DUAL_LAYER for a subclass with two data keys. */
  readonly packageFormat: PackageFormat = SINGLE_LAYER;

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
    return encryptedSize(n, this.packageFormat);
  }
  encryptor(params: SegmentParams | undefined): Transform {
    const key = this.segmentKey(params);
    let enc: SegmentEncryptor;
    try {
      enc = new SegmentEncryptor(key, this.packageFormat);
    } catch (err) {
      key.fill(0);
      throw err;
    }
    enc.once('close', () => key.fill(0));
    return enc;
  }
  /**
   * The key of one segment, from its stored parameters, of `packageFormat.keySize` bytes (32 here;
   * a DUAL_LAYER subclass returns dualSegmentKey's 64). The caller wipes it.
   */
  segmentKey(params: SegmentParams | undefined): Buffer {
    return segmentKey(this.dataKey, unb64(params?.salt));
  }
  dispose(): void {
    this.dataKey.fill(0);
  }
}
