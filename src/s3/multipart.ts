/**
 * Multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy, AbortMultipartUpload,
 * ListParts and ListMultipartUploads here; CompleteMultipartUpload in multipart-complete.ts.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BucketContext, ObjectContext, S3Response } from '../server/context.js';
import type { Payload } from '../auth/types.js';
import type { ChecksumAlgorithm } from '../checksum/types.js';
import type { PartRecord, UploadRecord } from '../store/meta/types.js';
import { disposing, encryptionForPart, encryptionForWrite, hasCustomerKey, isCustomerKeyed, sealsMetadata, type WriteEncryption } from '../crypto/encryption.js';
import { checkBody, type BodyCheck, type BodyDigests } from '../checksum/body-check.js';
import { checksumHeaders, checksumXmlFields } from '../checksum/response-headers.js';
import { parseRequestDigests } from '../checksum/request-checksum.js';
import { renderXml } from '../server/xml.js';
import { entityTooLarge, invalidArgument, invalidRange, invalidRequest, noSuchUpload } from '../errors/s3-error.js';
import { contentHeadersFrom, header, intParam, storageClassFrom, userMetadataFrom } from './headers.js';
import { checkBodyLength } from './object-put.js';
import { checkObjectAclHeaders } from './acl.js';
import { principal } from './owner.js';
import { MAX_PUT_SIZE, asStream, discardUncommitted, quoteEtag, randomEtag, requireRoomForData, storeBody } from './object-write.js';
import { resolveCopySource, type CopySource } from './copy-source.js';
import {
  commonPrefixOf,
  cursorFromMarker,
  delimiterParam,
  encodingTypeParam,
  listTimestamp,
  maxParam,
  nameEncoder,
} from './list-page.js';
import { CHECKSUM_ALGORITHM_HEADER, CHECKSUM_TYPE_HEADER, checksumTypeMismatch, uploadChecksumFrom } from './multipart-checksum.js';
import {
  XML_HEADERS,
  partNumberParam,
  requireUpload,
  translateRace,
} from './multipart-common.js';

export { completeMultipartUpload } from './multipart-complete.js';

/** Opaque, URL-safe upload ids (256 random bits). */
const newUploadId = (): string => randomBytes(32).toString('base64url');

/** CreateMultipartUpload: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html */
export async function createMultipartUpload(ctx: ObjectContext): Promise<S3Response> {
  const { headers } = ctx;
  await requireRoomForData(ctx);
  const contentHeaders = contentHeadersFrom(headers);
  const userMetadata = userMetadataFrom(headers);
  const storageClass = storageClassFrom(headers);
  checkObjectAclHeaders(headers);
  const checksum = uploadChecksumFrom(headers);
  return disposing(await encryptionForWrite(ctx), (enc) => createUpload(ctx, enc, checksum, { contentHeaders, userMetadata, storageClass }));
}

async function createUpload(
  ctx: ObjectContext,
  enc: WriteEncryption,
  checksum: ReturnType<typeof uploadChecksumFrom>,
  described: Pick<UploadRecord, 'contentHeaders' | 'userMetadata' | 'storageClass'>,
): Promise<S3Response> {
  const { contentHeaders, userMetadata, storageClass } = described;
  const upload: UploadRecord = {
    uploadId: newUploadId(),
    bucket: ctx.bucketName,
    key: ctx.key,
    initiated: ctx.now(),
    owner: ctx.user.name,
    contentHeaders,
    userMetadata,
    ...(checksum.algorithm === undefined ? {} : { checksumAlgorithm: checksum.algorithm }),
    ...(checksum.type === undefined ? {} : { checksumType: checksum.type }),
    encryption: enc.record,
    storageClass,
  };
  try {
    await ctx.stores.meta.createUpload(enc.sealUpload(upload));
  } catch (err) {
    throw translateRace(err, upload.uploadId, ctx.bucketName);
  }
  return {
    status: 200,
    headers: {
      ...XML_HEADERS,
      [CHECKSUM_ALGORITHM_HEADER]: checksum.algorithm,
      [CHECKSUM_TYPE_HEADER]: checksum.type,
      ...enc.responseHeaders(),
    },
    body: renderXml('InitiateMultipartUploadResult', {
      Bucket: ctx.bucketName,
      Key: ctx.key,
      UploadId: upload.uploadId,
    }),
  };
}

/** The algorithm a part must be checked with when its request names none. */
function partDefaultAlgorithm(upload: UploadRecord): ChecksumAlgorithm | undefined {
  return upload.checksumAlgorithm ?? (isCustomerKeyed(upload.encryption) ? undefined : 'CRC64NVME');
}

/** A part's ETag: the MD5 where Amazon gives it, else opaque (§2.7) but stable for a resent part. */
function partEtag(enc: WriteEncryption, partNumber: number, digests: BodyDigests): string {
  if (enc.etagIsMd5 && digests.md5 !== undefined) return quoteEtag(digests.md5);
  return digests.extra === undefined ? randomEtag() : enc.opaqueEtag(partNumber, digests.size, digests.extra.value);
}

/**
 * Streams a part body into a blob and records it, replacing (and journaling the blob of) an earlier
 * part with the same number. Shared by UploadPart and UploadPartCopy.
 */
async function storePart(
  ctx: ObjectContext,
  upload: UploadRecord,
  partNumber: number,
  enc: WriteEncryption,
  source: Readable,
  check: BodyCheck,
  sizeHint: number | undefined,
): Promise<PartRecord> {
  const { stores } = ctx;
  const params = enc.segmentParams();
  const { segment, verified: digests } = await storeBody(ctx, source, [check.stream], enc, params, sizeHint, () => check.result());
  const part: PartRecord = {
    uploadId: upload.uploadId,
    partNumber,
    size: digests.size,
    etag: partEtag(enc, partNumber, digests),
    lastModified: ctx.now(),
    blob: segment,
    ...(digests.checksum === undefined ? {} : { checksum: digests.checksum }),
    ...(digests.extra === undefined ? {} : { serverChecksum: digests.extra }),
    ...(params === undefined ? {} : { encryption: params }),
  };
  if (digests.size > MAX_PUT_SIZE) {
    await discardUncommitted(ctx, [segment]);
    throw entityTooLarge(digests.size, MAX_PUT_SIZE);
  }
  try {
    await stores.meta.putPart(enc.sealPart(part));
  } catch (err) {
    await discardUncommitted(ctx, [segment], err);
    throw translateRace(err, upload.uploadId, ctx.bucketName);
  }
  return part;
}

/** UploadPart: https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html */
export async function uploadPart(ctx: ObjectContext): Promise<S3Response> {
  const partNumber = partNumberParam(ctx.query);
  const upload = await requireUpload(ctx);
  const length = checkBodyLength(ctx);
  await requireRoomForData(ctx, length);
  return disposing(await encryptionForPart(ctx, upload), (enc) => uploadPartWith(ctx, upload, partNumber, enc, length));
}

async function uploadPartWith(
  ctx: ObjectContext,
  upload: UploadRecord,
  partNumber: number,
  enc: WriteEncryption,
  length: number | undefined,
): Promise<S3Response> {
  const { headers } = ctx;
  const announced = parseRequestDigests(headers, ctx.payload.declaredTrailers).checksum?.algorithm;
  // A part checksum on an upload created without one is accepted (SDKs add CRC32 by default).
  if (upload.checksumAlgorithm !== undefined && announced !== undefined && announced !== upload.checksumAlgorithm) {
    throw checksumTypeMismatch(upload.checksumAlgorithm, announced);
  }
  const defaultAlgorithm = partDefaultAlgorithm(upload);
  // Amazon gives an upload created without an algorithm a full-object CRC64NVME, whatever
  // the parts carry (SDKs send CRC32 by default): compute it alongside (not for SSE-C, §9.5).
  // SSE-C parts need it too, as the fingerprint of their opaque ETag.
  const serverCrc = (upload.checksumAlgorithm === undefined && defaultAlgorithm !== undefined) || !enc.etagIsMd5;
  const check = checkBody(headers, ctx.payload, {
    md5: enc.etagIsMd5,
    ...(defaultAlgorithm === undefined ? {} : { defaultAlgorithm }),
    ...(serverCrc ? { alsoCompute: 'CRC64NVME' as const } : {}),
  });
  const part = await storePart(ctx, upload, partNumber, enc, ctx.payload.body, check, length);
  return {
    status: 200,
    headers: {
      etag: part.etag,
      ...(part.checksum === undefined ? {} : checksumHeaders(part.checksum, false)),
      ...enc.responseHeaders(),
    },
  };
}

const COPY_RANGE_HEADER = 'x-amz-copy-source-range';

/**
 * `x-amz-copy-source-range: bytes=first-last`, both required, inside the source.
 * Amazon answers InvalidArgument for bad syntax and InvalidRange for ranges outside the object
 * (ceph s3-tests `test_multipart_copy_improper_range`, `test_multipart_copy_invalid_range`).
 * @internal
 */
export function parseCopyRange(value: string | undefined, size: number): { start: number; end: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^bytes=(\d+)-(\d+)$/.exec(value.trim());
  const start = Number(m?.[1]);
  const end = Number(m?.[2]);
  if (!m || !Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start > end) {
    throw invalidArgument(
      'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
      COPY_RANGE_HEADER,
      value,
    );
  }
  if (end >= size) {
    throw invalidRange(size, value);
  }
  return { start, end };
}

/** UploadPartCopy: https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html */
export async function uploadPartCopy(ctx: ObjectContext): Promise<S3Response> {
  const partNumber = partNumberParam(ctx.query);
  const upload = await requireUpload(ctx);
  await requireRoomForData(ctx);
  const enc = await encryptionForPart(ctx, upload);
  let source: CopySource | undefined;
  try {
    source = await resolveCopySource(ctx);
    return await uploadPartCopyWith(ctx, upload, partNumber, enc, source);
  } finally {
    enc.dispose();
    source?.object.dispose();
  }
}

async function uploadPartCopyWith(
  ctx: ObjectContext,
  upload: UploadRecord,
  partNumber: number,
  enc: WriteEncryption,
  source: CopySource,
): Promise<S3Response> {
  const src = source.object.record;
  const range = parseCopyRange(header(ctx.headers, COPY_RANGE_HEADER), src.size) ?? { start: 0, end: src.size - 1 };
  const length = range.end - range.start + 1;
  if (length > MAX_PUT_SIZE) {
    throw invalidRequest(`The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_PUT_SIZE}`);
  }
  // Decrypted with the source's keys, re-encrypted with the upload's: never spliced (§8.3).
  const body = asStream(await source.object.read(ctx.stores.blobs, range.start, range.end));
  const payload: Payload = { body, mode: 'unsigned', length, declaredTrailers: [], trailers: new Map() };
  const defaultAlgorithm = partDefaultAlgorithm(upload);
  // No request checksum applies to copied bytes: the checker only computes.
  const check = checkBody({}, payload, {
    md5: enc.etagIsMd5,
    ...(defaultAlgorithm === undefined ? {} : { defaultAlgorithm }),
    ...(enc.etagIsMd5 ? {} : { alsoCompute: 'CRC64NVME' as const }),
  });
  const part = await storePart(ctx, upload, partNumber, enc, body, check, length);
  return {
    status: 200,
    headers: { ...XML_HEADERS, ...enc.responseHeaders() },
    body: renderXml('CopyPartResult', {
      ETag: part.etag,
      LastModified: listTimestamp(part.lastModified),
      ...(part.checksum === undefined ? {} : checksumXmlFields(part.checksum, false)),
    }),
  };
}

/** AbortMultipartUpload: 204; the store journals the parts' blobs in the same commit. */
export async function abortMultipartUpload(ctx: ObjectContext): Promise<S3Response> {
  const upload = await requireUpload(ctx);
  let parts: PartRecord[] | undefined;
  try {
    parts = await ctx.stores.meta.abortUpload(upload.uploadId);
  } catch (err) {
    throw translateRace(err, upload.uploadId, ctx.bucketName);
  }
  // Completed or aborted by someone else since we looked it up.
  if (parts === undefined) throw noSuchUpload(upload.uploadId);
  return { status: 204 };
}

/** ListParts: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html */
export async function listParts(ctx: ObjectContext): Promise<S3Response> {
  const upload = await requireUpload(ctx);
  const max = maxParam(ctx.query, 'max-parts', 'maxParts');
  const marker =
    intParam(ctx.query, 'part-number-marker', 0, 2147483647, 'Argument partNumberMarker must be an integer.') ?? 0;
  let fetched = max.effective === 0 ? [] : await ctx.stores.meta.listParts(upload.uploadId, marker, max.effective + 1);
  // Part checksums of SSE-C and KMS uploads are sealed: shown only to a caller with the key
  // (SSE-C) or when the KMS opens the upload's data key.
  if (sealsMetadata(upload.encryption) && (hasCustomerKey(ctx) || !isCustomerKeyed(upload.encryption))) {
    const enc = await encryptionForPart(ctx, upload, false);
    try {
      fetched = fetched.map((p) => enc.openPart(p));
    } finally {
      enc.dispose();
    }
  }
  const truncated = fetched.length > max.effective;
  const parts = fetched.slice(0, max.effective);
  return {
    status: 200,
    headers: XML_HEADERS,
    body: renderXml('ListPartsResult', {
      Bucket: ctx.bucketName,
      Key: ctx.key,
      UploadId: upload.uploadId,
      PartNumberMarker: marker,
      NextPartNumberMarker: parts.at(-1)?.partNumber ?? marker,
      MaxParts: max.requested,
      IsTruncated: truncated,
      Part: parts.map((p) => ({
        PartNumber: p.partNumber,
        LastModified: listTimestamp(p.lastModified),
        ETag: p.etag,
        Size: p.size,
        ...(p.checksum === undefined ? {} : checksumXmlFields(p.checksum, false)),
      })),
      Initiator: principal(upload.owner),
      Owner: principal(upload.owner),
      StorageClass: upload.storageClass,
      ChecksumAlgorithm: upload.checksumAlgorithm,
      ChecksumType: upload.checksumType,
    }),
  };
}

/** ListMultipartUploads: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html */
export async function listMultipartUploads(ctx: BucketContext): Promise<S3Response> {
  const { query } = ctx;
  const prefix = query.get('prefix') ?? '';
  const delimiter = delimiterParam(query);
  const encoding = encodingTypeParam(query);
  const max = maxParam(query, 'max-uploads', 'maxUploads');
  const keyMarker = query.get('key-marker') ?? '';
  // Amazon ignores upload-id-marker without key-marker.
  const uploadIdMarker = keyMarker === '' ? '' : query.get('upload-id-marker') ?? '';
  const page = await pageUploads(ctx, prefix, delimiter, keyMarker, uploadIdMarker, max.effective);
  const e = nameEncoder(encoding);
  const enc = (s: string) => e(s) ?? s;
  return {
    status: 200,
    headers: XML_HEADERS,
    body: renderXml('ListMultipartUploadsResult', {
      Bucket: ctx.bucketName,
      KeyMarker: enc(keyMarker),
      UploadIdMarker: uploadIdMarker,
      NextKeyMarker: page.truncated ? e(page.last?.key) : undefined,
      NextUploadIdMarker: page.truncated ? page.last?.uploadId : undefined,
      Delimiter: e(delimiter),
      Prefix: enc(prefix),
      MaxUploads: max.requested,
      IsTruncated: page.truncated,
      Upload: page.uploads.map((u) => ({
        Key: enc(u.key),
        UploadId: u.uploadId,
        Initiator: principal(u.owner),
        Owner: principal(u.owner),
        StorageClass: u.storageClass,
        Initiated: listTimestamp(u.initiated),
        ChecksumAlgorithm: u.checksumAlgorithm,
        ChecksumType: u.checksumType,
      })),
      CommonPrefixes: page.prefixes.map((p) => ({ Prefix: enc(p) })),
      EncodingType: encoding,
    }),
  };
}

interface UploadsPage {
  readonly uploads: UploadRecord[];
  readonly prefixes: string[];
  readonly truncated: boolean;
  /** The last entry returned: an upload, or a common prefix (no upload id). */
  readonly last: { key: string; uploadId?: string } | undefined;
}

/**
 * Pages uploads in (key, upload id) order with delimiter grouping. Uploads are few, so
 * keys under a reported common prefix are skipped in memory rather than by the store.
 */
async function pageUploads(
  ctx: BucketContext,
  prefix: string,
  delimiter: string | undefined,
  keyMarker: string,
  uploadIdMarker: string,
  maxUploads: number,
): Promise<UploadsPage> {
  const uploads: UploadRecord[] = [];
  const prefixes: string[] = [];
  let last: UploadsPage['last'];
  if (maxUploads === 0) return { uploads, prefixes, truncated: false, last };
  let skip = uploadIdMarker === '' ? cursorFromMarker(keyMarker, prefix, delimiter).afterPrefix : undefined;
  let cursor: { keyMarker?: string; uploadIdMarker?: string } = {
    ...(keyMarker === '' ? {} : { keyMarker }),
    ...(uploadIdMarker === '' ? {} : { uploadIdMarker }),
  };
  const limit = 1000;
  for (;;) {
    const batch = await ctx.stores.meta.listUploads(ctx.bucketName, { prefix, ...cursor, limit });
    for (const u of batch) {
      if (skip !== undefined && u.key.startsWith(skip)) continue;
      if (uploads.length + prefixes.length === maxUploads) return { uploads, prefixes, truncated: true, last };
      const cp = commonPrefixOf(u.key, prefix, delimiter);
      if (cp !== undefined) {
        prefixes.push(cp);
        skip = cp;
        last = { key: cp };
      } else {
        uploads.push(u);
        last = { key: u.key, uploadId: u.uploadId };
      }
    }
    const tail = batch.at(-1);
    if (batch.length < limit || tail === undefined) return { uploads, prefixes, truncated: false, last };
    cursor = { keyMarker: tail.key, uploadIdMarker: tail.uploadId };
  }
}
