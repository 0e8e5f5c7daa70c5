/** Helpers shared by the multipart handlers (multipart.ts, multipart-complete.ts). */
import type { ObjectContext } from '../server/context.js';
import type { ObjectSegment, PartRecord, UploadRecord } from '../store/meta/types.js';
import { MetaStoreError } from '../store/meta/types.js';
import { invalidArgument, noSuchBucket, noSuchUpload } from '../errors/s3-error.js';

export const XML_HEADERS = { 'content-type': 'application/xml' } as const;

/** Amazon's part limits. https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html */
export const MAX_PART_NUMBER = 10000;
export const MIN_PART_SIZE = 5 * 1024 * 1024;

/** The `uploadId` of the request, resolved to an upload of this bucket and key. */
export async function requireUpload(ctx: ObjectContext): Promise<UploadRecord> {
  const uploadId = ctx.query.get('uploadId') ?? '';
  const upload = uploadId === '' ? undefined : await ctx.stores.meta.getUpload(uploadId);
  if (upload === undefined || upload.bucket !== ctx.bucketName || upload.key !== ctx.key) throw noSuchUpload(uploadId);
  return upload;
}

/** UploadPart / UploadPartCopy `partNumber`: 1..10000. */
export function partNumberParam(query: URLSearchParams): number {
  const raw = query.get('partNumber') ?? '';
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_PART_NUMBER) {
    throw invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', raw);
  }
  return n;
}

/** The blob of a part as an object segment (what reclaim and Complete work with). */
export const partSegment = (p: PartRecord): ObjectSegment => ({
  blob: p.blob,
  size: p.size,
  partNumber: p.partNumber,
  etag: p.etag,
  ...(p.checksum === undefined ? {} : { checksum: p.checksum }),
  ...(p.encryption === undefined ? {} : { encryption: p.encryption }),
});


/**
 * Store errors that mean the upload or bucket vanished while we worked (a concurrent
 * Abort/Complete or DeleteBucket) become the S3 error Amazon gives; others pass through.
 */
export function translateRace(err: unknown, uploadId: string, bucket: string): unknown {
  if (err instanceof MetaStoreError) {
    if (err.code === 'STRONGBOX_UPLOAD_MISSING') return noSuchUpload(uploadId);
    if (err.code === 'STRONGBOX_BUCKET_MISSING') return noSuchBucket(bucket);
  }
  return err;
}

