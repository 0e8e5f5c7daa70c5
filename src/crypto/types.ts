/**
 * The interfaces of the encryption seam that its parts share: what a request must offer
 * (SseRequest), what a write gets (WriteEncryption) and the per-segment parameters. They live
 * here, in a leaf module, so that the modes (data-keyed.ts, sse-kms.ts, …) and the facade
 * (encryption.ts) import them from below instead of from each other; encryption.ts re-exports
 * them for the operations.
 */
import type { Transform } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import type { BucketRecord, EncryptionRecord, ObjectRecord, PartRecord, UploadRecord } from '../store/meta/types.js';
import type { KeyManagementService, KmsCaller } from '../kms/types.js';
import type { RootKeyring } from './root-key.js';

/** What the seam needs of a request (an ObjectContext has it). */
export interface SseRequest {
  readonly headers: IncomingHttpHeaders;
  /** Reached over TLS (directly or through a trusted proxy). */
  readonly secure: boolean;
  /** `defaultEncryption` undefined: AES256 (SSE-S3 for writes without headers, as Amazon). */
  readonly config: { readonly allowInsecureSseC: boolean; readonly defaultEncryption?: 'none' | 'AES256' };
  readonly bucketName: string;
  readonly key: string;
  /** The server's root key (SSE-S3). */
  readonly rootKey: RootKeyring;
  /** The KMS (SSE-KMS, DSSE-KMS). */
  readonly kms: KeyManagementService;
  /** Who sent the request: the KMS lets S3 use a key on their behalf only if they may use it. */
  readonly requester: KmsCaller;
  /** The bucket written to (its default encryption and blocked encryption types apply). */
  readonly bucket: BucketRecord;
}

export type SegmentParams = Readonly<Record<string, unknown>>;

export interface WriteEncryption {
  /** Stored with the object or upload (sealed metadata is added by `sealObject`/`sealUpload`). */
  readonly record: EncryptionRecord;
  /** Fresh per-segment parameters (a new salt for every write attempt of a part). */
  segmentParams(): SegmentParams | undefined;
  /** Stored bytes for `plainSize` plaintext bytes. */
  storedSize(plainSize: number): number;
  /** A transform from plaintext to stored bytes, or undefined when stored as is. */
  encryptor(params: SegmentParams | undefined): Transform | undefined;
  /** Whether Amazon's ETag for a single PUT in this mode is the MD5 of the plaintext. */
  readonly etagIsMd5: boolean;
  /** x-amz-server-side-encryption* response headers. */
  responseHeaders(): Record<string, string>;
  /**
   * The ETag of a part where it must not be the plaintext MD5 (!etagIsMd5): keyed by the
   * data key, so it reveals nothing of the plaintext, differs between uploads and part
   * numbers, and is the same for a part sent again with the same bytes (`fingerprint`: a
   * checksum of them), so a client that keeps the first answer of a retried part completes.
   */
  opaqueEtag(partNumber: number, size: number, fingerprint: string): string;
  /** The record as stored: anything that could reveal plaintext is sealed. */
  sealObject(rec: ObjectRecord): ObjectRecord;
  sealUpload(upload: UploadRecord): UploadRecord;
  sealPart(part: PartRecord): PartRecord;
  /** A stored part (or upload) with its sealed fields opened. */
  openPart(part: PartRecord): PartRecord;
  openUpload(upload: UploadRecord): UploadRecord;
  /** Overwrites the data key; the encryption is unusable afterwards. */
  dispose(): void;
}
