/**
 * SSE-KMS (`aws:kms`) and DSSE-KMS (`aws:kms:dsse`), ../shared/spec/aws-sse.md §5: the data key
 * comes from the KMS (one GenerateDataKey per object or upload), which alone can open it again
 * (one Decrypt per read). The record keeps the KMS ciphertext, the key's ARN and the encryption
 * context, to which S3 adds `aws:s3:arn` (the object's ARN, or the bucket's with a bucket key).
 * Metadata and checksums are sealed under the data key as for SSE-C, so a disabled KMS key
 * hides them too. DSSE-KMS takes two independent data keys from the same call and seals every
 * package twice (the dual-layer package format).
 */
import type { EncryptionRecord } from '../store/meta/types.js';
import type { EncryptionContext, KeyManagementService, KmsCaller } from '../kms/types.js';
import { DUAL_LAYER, DataCorruptionError, dualSegmentKey } from './package-cipher.js';
import type { SegmentParams } from './types.js';
import { b64, unb64 } from './base64.js';
import { MetadataSealing } from './metadata-sealing.js';
import { KEY_SIZE } from './envelope.js';
import { SSE_HEADER } from './sse-c.js';
import { BUCKET_KEY_HEADER, KMS_CONTEXT_HEADER, KMS_KEY_ID_HEADER, type WriteChoice } from './write-choice.js';

/** Record format id; frozen (changing it breaks stored objects). */
const FORMAT = 1;

/** What a write asked of the KMS modes (chooseWriteEncryption). */
type KmsWrite = Extract<WriteChoice, { kind: 'kms' }>;

export const isKmsMode = (mode: string): boolean => mode === 'sse-kms' || mode === 'dsse-kms';

/** The SSE headers of an SSE-KMS or DSSE-KMS object (GET, HEAD, UploadPart, Complete). */
export function kmsResponseHeaders(record: EncryptionRecord): Record<string, string> {
  const headers: Record<string, string> = {
    [SSE_HEADER]: record.mode === 'dsse-kms' ? 'aws:kms:dsse' : 'aws:kms',
    [KMS_KEY_ID_HEADER]: String(record.keyArn),
  };
  if (record.bucketKeyEnabled === true) headers[BUCKET_KEY_HEADER] = 'true';
  return headers;
}

export class KmsKeyed extends MetadataSealing {
  protected constructor(
    dataKey: Buffer,
    readonly record: EncryptionRecord,
    /** Only a new object's answer echoes the client's context. */
    private readonly echoContext: boolean,
  ) {
    super(dataKey);
  }

  /**
   * A new data key from the KMS for an object or upload at `bucket`/`key`, asked for on behalf
   * of `requester`. KMS errors (KmsError) go up as they are: the pipeline answers them as
   * Amazon S3 passes them on (src/server/error-response.ts, §5.3).
   */
  static async create(kms: KeyManagementService, requester: KmsCaller, w: KmsWrite, bucket: string, key: string): Promise<KmsKeyed> {
    const context: EncryptionContext = { ...w.context, 'aws:s3:arn': w.bucketKeyEnabled ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${key}` };
    const generated = await kms.generateDataKey(w.keyId, context, w.dsse ? 2 * KEY_SIZE : KEY_SIZE, requester);
    const record: EncryptionRecord = {
      mode: w.dsse ? 'dsse-kms' : 'sse-kms',
      format: FORMAT,
      keyArn: generated.keyArn,
      context,
      ...(w.bucketKeyEnabled ? { bucketKeyEnabled: true } : {}),
      sealedKey: b64(generated.ciphertext),
    };
    return KmsKeyed.of(generated.plaintext, record, w.contextSent);
  }

  /** SSE-KMS keeps the data key whole; DSSE-KMS splits it into its two independent layer keys. */
  private static of(plaintext: Buffer, record: EncryptionRecord, echoContext: boolean): KmsKeyed {
    if (record.mode !== 'dsse-kms') return new KmsKeyed(plaintext, record, echoContext);
    const keyed = new DualKmsKeyed(Buffer.from(plaintext.subarray(0, KEY_SIZE)), Buffer.from(plaintext.subarray(KEY_SIZE)), record, echoContext);
    plaintext.fill(0);
    return keyed;
  }

  /**
   * Opens a stored record's data key through the KMS on behalf of `requester` (a disabled key
   * refuses: KMS.DisabledException; a key the requester may not use: AccessDenied).
   */
  static async open(kms: KeyManagementService, requester: KmsCaller, record: EncryptionRecord): Promise<KmsKeyed> {
    const { plaintext } = await kms.decrypt(unb64(record.sealedKey), record.context as EncryptionContext, requester);
    if (plaintext.length !== (record.mode === 'dsse-kms' ? 2 * KEY_SIZE : KEY_SIZE)) {
      plaintext.fill(0);
      throw new DataCorruptionError('the KMS returned a data key of the wrong size');
    }
    return KmsKeyed.of(plaintext, record, false);
  }

  responseHeaders(): Record<string, string> {
    const headers = kmsResponseHeaders(this.record);
    if (this.echoContext) headers[KMS_CONTEXT_HEADER] = Buffer.from(JSON.stringify(this.record.context)).toString('base64');
    return headers;
  }
}

/** DSSE-KMS: every package sealed twice, each layer under a key from its own data key. */
class DualKmsKeyed extends KmsKeyed {
  override readonly packageFormat = DUAL_LAYER;

  constructor(
    innerKey: Buffer,
    private readonly outerKey: Buffer,
    record: EncryptionRecord,
    echoContext: boolean,
  ) {
    super(innerKey, record, echoContext);
  }
  override segmentKey(params: SegmentParams | undefined): Buffer {
    return dualSegmentKey(this.dataKey, this.outerKey, unb64(params?.salt));
  }
  override dispose(): void {
    this.outerKey.fill(0);
    super.dispose();
  }
}
