/**
 * Uploads a file from the page: one PutObject up to MULTIPART_THRESHOLD, else a multipart upload
 * of PART_SIZE parts, PART_CONCURRENCY at a time, each with its CRC32 (the SDK computes it as it
 * reads the part; the server checks it, and checks the combined one at Complete). The file is read
 * a part at a time, so memory holds at most PART_CONCURRENCY parts whatever the file's size
 * (bodies are bytes, not Blobs: the SDK's checksum code in browsers reads only bytes or streams,
 * and a browser cannot stream a request body over HTTP/1.1). Any failure or a cancel
 * aborts the multipart upload, so nothing is left behind.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { sseCParams, type CustomerKey } from './customer-keys.js';

const PART_SIZE = 8 * 1024 * 1024;
const MULTIPART_THRESHOLD = 16 * 1024 * 1024;
const PART_CONCURRENCY = 4;

/** The protection asked for: the bucket's default, or an explicit mode. */
export type UploadEncryption =
  | { readonly mode: 'default' }
  | { readonly mode: 'sse-s3' }
  | { readonly mode: 'sse-kms' | 'dsse-kms'; readonly keyId: string | undefined }
  | { readonly mode: 'sse-c'; readonly key: CustomerKey };

function encryptionParams(encryption: UploadEncryption) {
  switch (encryption.mode) {
    case 'default':
      return {};
    case 'sse-s3':
      return { ServerSideEncryption: 'AES256' as ServerSideEncryption };
    case 'sse-kms':
    case 'dsse-kms':
      return {
        ServerSideEncryption: (encryption.mode === 'sse-kms' ? 'aws:kms' : 'aws:kms:dsse') as ServerSideEncryption,
        ...(encryption.keyId === undefined ? {} : { SSEKMSKeyId: encryption.keyId }),
      };
    case 'sse-c':
      return sseCParams(encryption.key);
  }
}

export interface UploadRequest {
  readonly bucket: string;
  readonly key: string;
  readonly file: File;
  readonly encryption: UploadEncryption;
  readonly signal: AbortSignal;
  /** Bytes stored so far (whole parts; a single PUT reports at its end). */
  readonly onProgress: (sent: number) => void;
}

const bytesOf = async (blob: Blob): Promise<Uint8Array> => new Uint8Array(await blob.arrayBuffer());

/** Uploads and returns the new object's ETag. */
export async function uploadFile(s3: S3Client, request: UploadRequest): Promise<string | undefined> {
  const { bucket, key, file, signal } = request;
  const common = { Bucket: bucket, Key: key, ...(file.type === '' ? {} : { ContentType: file.type }), ...encryptionParams(request.encryption) };
  if (file.size <= MULTIPART_THRESHOLD) {
    const out = await s3.send(new PutObjectCommand({ ...common, Body: await bytesOf(file), ChecksumAlgorithm: 'CRC32' }), { abortSignal: signal });
    request.onProgress(file.size);
    return out.ETag;
  }

  // Not cancellable in flight: a create cut off after the server acted would leave an upload
  // whose id we never learn. A cancel during it is seen just after, and aborts the upload.
  const created = await s3.send(new CreateMultipartUploadCommand({ ...common, ChecksumAlgorithm: 'CRC32' }));
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw new Error('The server started no multipart upload.');
  // SSE-C parts (and Complete, whose part checksums are sealed under the key) carry the key again.
  const keyParams = request.encryption.mode === 'sse-c' ? sseCParams(request.encryption.key) : {};
  // The first failing part stops the others, so Abort does not race parts still being sent.
  const partsAbort = new AbortController();
  const stop = () => partsAbort.abort();
  signal.addEventListener('abort', stop);
  try {
    signal.throwIfAborted();
    const count = Math.ceil(file.size / PART_SIZE);
    const parts: CompletedPart[] = new Array<CompletedPart>(count);
    let next = 0;
    let sent = 0;
    const worker = async (): Promise<void> => {
      while (next < count && !partsAbort.signal.aborted) {
        const index = next++;
        const body = await bytesOf(file.slice(index * PART_SIZE, Math.min(file.size, (index + 1) * PART_SIZE)));
        const PartNumber = index + 1;
        const out = await s3.send(
          new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber, Body: body, ChecksumAlgorithm: 'CRC32', ...keyParams }),
          { abortSignal: partsAbort.signal },
        ).catch((err: unknown) => {
          stop();
          throw err;
        });
        parts[index] = { PartNumber, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32 };
        sent += body.length;
        request.onProgress(sent);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, count) }, worker));
    signal.throwIfAborted();
    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts }, ...keyParams }),
      { abortSignal: signal },
    );
    return done.ETag;
  } catch (err) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
    throw err;
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
