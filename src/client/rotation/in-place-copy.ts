/**
 * Rewriting an object onto itself under new encryption, as `strongbox rotate` does: one
 * CopyObject up to the copy limit, a multipart upload of UploadPartCopy ranges above it
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/CopyingObjectsMPUapi.html). Every
 * copy is conditional on the ETag its HEAD saw, so an object written meanwhile is never
 * overwritten with the bytes it had before (the request fails with 412 instead).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectTaggingCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type CreateMultipartUploadCommandInput,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ClientError, describeS3Error, statusOf } from '../client-error.js';
import { copySourceSseCParams, type CustomerKey } from '../customer-key.js';
import { forEachLimit } from '../pool.js';
import { partParams, writeParams, type RotationTarget } from './rotation-target.js';

/** The largest object one CopyObject may copy (Amazon's limit, and Strongbox's). */
export const MAX_COPY_OBJECT_SIZE = 5 * 1024 ** 3;
/** Amazon's bounds for a multipart upload. */
export const MIN_PART_SIZE = 5 * 1024 ** 2;
export const MAX_PART_SIZE = 5 * 1024 ** 3;
export const MAX_PARTS = 10_000;
/** Part copies in flight per object: the server does the work, a few at once keep it busy. */
const PART_COPIES_IN_FLIGHT = 4;

export interface InPlaceCopy {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  /** The HEAD that opened the object with the old key: size, ETag, metadata, content headers. */
  readonly head: HeadObjectCommandOutput;
  readonly from: CustomerKey;
  readonly to: RotationTarget;
  /** Objects larger than this are copied in parts. */
  readonly multipartThreshold: number;
  /** Part size of a multipart copy (raised when the object would need more than 10,000 parts). */
  readonly partSize: number;
}

export interface InPlaceCopyResult {
  readonly multipart: boolean;
  /** The KMS key ARN S3 reports for an object written with SSE-KMS. */
  readonly kmsKeyId: string | undefined;
}

/**
 * `x-amz-copy-source` for an object: `bucket/key` with the key URL-encoded segment by segment
 * (the SDK sends the value as given; S3 decodes it).
 */
export const copySourceOf = (bucket: string, key: string): string => `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;

/** Inclusive byte ranges of the parts of a `size`-byte object. */
export function partRanges(size: number, wantedPartSize: number): { start: number; end: number }[] {
  const partSize = Math.max(wantedPartSize, Math.ceil(size / MAX_PARTS));
  const ranges: { start: number; end: number }[] = [];
  for (let start = 0; start < size; start += partSize) ranges.push({ start, end: Math.min(size, start + partSize) - 1 });
  return ranges;
}

/** Copies the object onto itself under `to`; throws the SDK's error (412 when it changed meanwhile). */
export async function copyInPlace(c: InPlaceCopy): Promise<InPlaceCopyResult> {
  const size = c.head.ContentLength ?? 0;
  if (size > c.multipartThreshold) return { multipart: true, kmsKeyId: await copyInParts(c, size) };
  const res = await c.client.send(
    new CopyObjectCommand({
      Bucket: c.bucket,
      Key: c.key,
      CopySource: copySourceOf(c.bucket, c.key),
      MetadataDirective: 'COPY',
      ...ifMatch(c.head, 'CopySourceIfMatch'),
      ...copySourceSseCParams(c.from),
      ...writeParams(c.to),
      // CopyObject does not keep these: without them the copy would be STANDARD and lose its redirect.
      ...(c.head.StorageClass === undefined ? {} : { StorageClass: c.head.StorageClass }),
      ...(c.head.WebsiteRedirectLocation === undefined ? {} : { WebsiteRedirectLocation: c.head.WebsiteRedirectLocation }),
    }),
  );
  return { multipart: false, kmsKeyId: res.SSEKMSKeyId };
}

function ifMatch<K extends string>(head: HeadObjectCommandOutput, name: K): Partial<Record<K, string>> {
  return head.ETag === undefined ? {} : ({ [name]: head.ETag } as Record<K, string>);
}

/** What a multipart upload must be told that CopyObject would have copied: metadata, content headers, storage class, tags. */
async function uploadAttributes(c: InPlaceCopy): Promise<Partial<CreateMultipartUploadCommandInput>> {
  const h = c.head;
  const attrs: Partial<CreateMultipartUploadCommandInput> = {};
  if (h.Metadata !== undefined) attrs.Metadata = h.Metadata;
  if (h.ContentType !== undefined) attrs.ContentType = h.ContentType;
  if (h.ContentEncoding !== undefined) attrs.ContentEncoding = h.ContentEncoding;
  if (h.ContentDisposition !== undefined) attrs.ContentDisposition = h.ContentDisposition;
  if (h.ContentLanguage !== undefined) attrs.ContentLanguage = h.ContentLanguage;
  if (h.CacheControl !== undefined) attrs.CacheControl = h.CacheControl;
  if (h.Expires !== undefined) attrs.Expires = h.Expires;
  if (h.StorageClass !== undefined) attrs.StorageClass = h.StorageClass;
  if (h.WebsiteRedirectLocation !== undefined) attrs.WebsiteRedirectLocation = h.WebsiteRedirectLocation;
  // Tags are asked for only when the HEAD counts some: servers without tagging are never asked.
  if ((h.TagCount ?? 0) > 0) {
    const { TagSet } = await c.client.send(new GetObjectTaggingCommand({ Bucket: c.bucket, Key: c.key }));
    const query = new URLSearchParams((TagSet ?? []).map((t): [string, string] => [t.Key ?? '', t.Value ?? ''])).toString();
    if (query !== '') attrs.Tagging = query;
  }
  return attrs;
}

async function copyInParts(c: InPlaceCopy, size: number): Promise<string | undefined> {
  const { client, bucket, key } = c;
  const created = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...(await uploadAttributes(c)), ...writeParams(c.to) }));
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw new ClientError('STRONGBOX_CLIENT_S3', `CreateMultipartUpload s3://${bucket}/${key}: no UploadId in the answer`);
  try {
    const ranges = partRanges(size, c.partSize);
    const parts: CompletedPart[] = [];
    await forEachLimit(
      ranges.map((r, i) => ({ ...r, partNumber: i + 1 })),
      PART_COPIES_IN_FLIGHT,
      async (r) => {
        const res = await client.send(
          new UploadPartCopyCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: r.partNumber,
            CopySource: copySourceOf(bucket, key),
            CopySourceRange: `bytes=${r.start}-${r.end}`,
            ...ifMatch(c.head, 'CopySourceIfMatch'),
            ...copySourceSseCParams(c.from),
            ...partParams(c.to),
          }),
        );
        parts[r.partNumber - 1] = { PartNumber: r.partNumber, ...(res.CopyPartResult?.ETag === undefined ? {} : { ETag: res.CopyPartResult.ETag }) };
      },
    );
    // If-Match on the completion too: a write after the last part copy must not be replaced.
    const done = await client.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts }, ...ifMatch(c.head, 'IfMatch'), ...partParams(c.to) }),
    );
    return done.SSEKMSKeyId;
  } catch (err) {
    await abortUpload(c, uploadId, err);
    throw err;
  }
}

/** Aborts a failed upload so its parts are not kept (and billed); if that fails too, says which upload is left. */
async function abortUpload(c: InPlaceCopy, uploadId: string, cause: unknown): Promise<void> {
  try {
    await c.client.send(new AbortMultipartUploadCommand({ Bucket: c.bucket, Key: c.key, UploadId: uploadId }));
  } catch (abortErr) {
    throw new ClientError(
      'STRONGBOX_CLIENT_S3',
      `${describeS3Error(cause)}; aborting upload ${uploadId} failed too (${describeS3Error(abortErr)}): remove it with aws s3api abort-multipart-upload`,
      statusOf(cause),
    );
  }
}
