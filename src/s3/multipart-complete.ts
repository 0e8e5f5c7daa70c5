/**
 * CompleteMultipartUpload: checks the part list, computes the multipart ETag and checksum
 * and commits the object as one segment per part (no data is copied).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ObjectContext, S3Response } from '../server/context.js';
import { MetaStoreError, type ObjectRecord, type PartRecord, type ReadPart, type UploadRecord } from '../store/meta/types.js';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm, type StoredChecksum } from '../checksum/types.js';
import { checksumHeaderName } from '../checksum/request-checksum.js';
import { CHECKSUM_XML_ELEMENT, checksumHeaders, checksumXmlFields } from '../checksum/response-headers.js';
import { completeResponseHeaders, encryptionForPart, hasCustomerKey, isCustomerKeyed, type WriteEncryption } from '../crypto/encryption.js';
import { renderXml } from '../server/xml.js';
import { MAX_COMPLETE_BODY, parseRequestXml, readSmallBody } from '../server/xml-request.js';
import {
  badDigestChecksum,
  entityTooLarge,
  entityTooSmall,
  invalidPart,
  invalidPartOrder,
  malformedXml,
  partEncryptionMissing,
} from '../errors/s3-error.js';
import { header } from './headers.js';
import { crashPoint } from '../testing/crash-point.js';
import { evaluateWriteConditions, hasWriteConditions, writeCondition, writeConditionError } from './conditions.js';
import { MAX_OBJECT_SIZE } from './object-write.js';
import { urlEncodeKey } from './list-page.js';
import {
  CHECKSUM_TYPE_HEADER,
  checksumModeMismatch,
  checksumTypeMismatch,
  missingPartChecksum,
  multipartEtag,
  objectChecksum,
} from './multipart-checksum.js';
import {
  MAX_PART_NUMBER,
  MIN_PART_SIZE,
  XML_HEADERS,
  partSegment,
  requireUpload,
  translateRace,
} from './multipart-common.js';

/** One `<Part>` of the request document. */
export interface RequestedPart {
  readonly partNumber: number;
  /** Without quotes. */
  readonly etag: string;
  readonly checksums: ReadonlyMap<ChecksumAlgorithm, string>;
}

const unquote = (etag: string): string => etag.trim().replace(/^"(.*)"$/, '$1');

/**
 * Parses a CompleteMultipartUpload document. Anything that is not a list of 1 to 10,000
 * parts with numbers and ETags is MalformedXML. @internal
 */
export function parseCompleteRequest(body: Uint8Array): RequestedPart[] {
  const parts = parseRequestXml(body, 'CompleteMultipartUpload').all('Part');
  if (parts.length === 0 || parts.length > MAX_PART_NUMBER) throw malformedXml();
  return parts.map((node) => {
    const num = node.textOf('PartNumber')?.trim() ?? '';
    const etag = node.textOf('ETag');
    if (!/^\d+$/.test(num) || etag === undefined) throw malformedXml();
    const checksums = new Map<ChecksumAlgorithm, string>();
    for (const alg of CHECKSUM_ALGORITHMS) {
      const v = node.textOf(CHECKSUM_XML_ELEMENT[alg]);
      if (v !== undefined) checksums.set(alg, v.trim());
    }
    return { partNumber: Number(num), etag: unquote(etag), checksums };
  });
}

/**
 * Matches the requested parts with the stored ones: ascending numbers, existing parts with
 * the same ETag (and checksum), every part but the last at least 5 MiB. @internal
 */
export function selectParts(
  upload: Pick<UploadRecord, 'uploadId' | 'checksumAlgorithm'>,
  requested: readonly RequestedPart[],
  stored: readonly PartRecord[],
): PartRecord[] {
  const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
  const alg = upload.checksumAlgorithm;
  const chosen: PartRecord[] = [];
  // A part number listed twice in a row counts once, with its last ETag: a client that
  // re-sent a part may list both answers (s3-tests test_multipart_resend_first_finishes_last).
  const deduped: RequestedPart[] = [];
  for (const req of requested) {
    const last = deduped.at(-1);
    if (last !== undefined && req.partNumber < last.partNumber) throw invalidPartOrder();
    if (last !== undefined && req.partNumber === last.partNumber) deduped[deduped.length - 1] = req;
    else deduped.push(req);
  }
  for (const req of deduped) {
    const fields = { UploadId: upload.uploadId, PartNumber: req.partNumber, ETag: req.etag };
    const part = req.partNumber > MAX_PART_NUMBER ? undefined : byNumber.get(req.partNumber);
    if (part === undefined || unquote(part.etag) !== req.etag) throw invalidPart(fields);
    if (alg !== undefined && !req.checksums.has(alg)) throw missingPartChecksum(alg, req.partNumber);
    // A checksum given for the part must be the one it was stored with.
    for (const [a, value] of req.checksums) {
      if (part.checksum?.algorithm === a && part.checksum.value !== value) throw invalidPart(fields);
      if (a === alg && part.checksum?.algorithm !== a) throw invalidPart(fields);
    }
    chosen.push(part);
  }
  chosen.forEach((part, i) => {
    if (i < chosen.length - 1 && part.size < MIN_PART_SIZE) {
      throw entityTooSmall({
        ProposedSize: part.size,
        MinSizeAllowed: MIN_PART_SIZE,
        PartNumber: part.partNumber,
        ETag: unquote(part.etag),
      });
    }
  });
  return chosen;
}

/** The object checksum: the upload's algorithm, or Amazon's automatic full-object CRC64NVME. */
function completedChecksum(upload: UploadRecord, parts: readonly PartRecord[]): StoredChecksum | undefined {
  if (upload.checksumAlgorithm !== undefined) {
    const type = upload.checksumType ?? (upload.checksumAlgorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE');
    return objectChecksum(upload.checksumAlgorithm, type, parts);
  }
  // Parts of SSE-C uploads carry none (§9.5); others have the server's CRC64NVME.
  if (isCustomerKeyed(upload.encryption)) return undefined;
  return objectChecksum(
    'CRC64NVME',
    'FULL_OBJECT',
    parts.map((p) => {
      const checksum = p.serverChecksum ?? p.checksum;
      return checksum === undefined ? { size: p.size } : { size: p.size, checksum };
    }),
  );
}

/**
 * The checksum headers of the Complete request itself: `x-amz-checksum-type` must be the
 * upload's, and a whole-object `x-amz-checksum-<alg>` must match what the parts combine to.
 */
function checkCompleteHeaders(headers: IncomingHttpHeaders, upload: UploadRecord, computed: StoredChecksum | undefined): void {
  const type = header(headers, CHECKSUM_TYPE_HEADER)?.trim().toUpperCase();
  if (type !== undefined && type !== '') {
    const effective = computed?.type ?? upload.checksumType;
    if (type !== effective) throw checksumModeMismatch(upload.checksumType);
  }
  for (const alg of CHECKSUM_ALGORITHMS) {
    const given = header(headers, checksumHeaderName(alg))?.trim();
    if (given === undefined) continue;
    if (upload.checksumAlgorithm !== undefined && alg !== upload.checksumAlgorithm) {
      throw checksumTypeMismatch(upload.checksumAlgorithm, alg);
    }
    if (computed === undefined || computed.algorithm !== alg) continue;
    // Composite values may be sent with or without their `-N` suffix.
    const bare = (v: string) => v.replace(/-\d+$/, '');
    if (bare(given) !== bare(computed.value)) throw badDigestChecksum(alg.toLowerCase());
  }
}

/** The Location of the new object, as the client addressed the bucket. */
function locationOf(ctx: ObjectContext): string {
  const host = header(ctx.headers, 'host') ?? `${ctx.config.host}:${ctx.config.port}`;
  const scheme = ctx.secure ? 'https' : 'http';
  const domain = ctx.config.domain;
  const hostname = host.replace(/:\d+$/, '').toLowerCase();
  const virtual = domain !== undefined && hostname === `${ctx.bucketName}.${domain}`;
  const path = virtual ? urlEncodeKey(ctx.key) : `${urlEncodeKey(ctx.bucketName)}/${urlEncodeKey(ctx.key)}`;
  return `${scheme}://${host}/${path}`;
}

/** CompleteMultipartUpload. */
export async function completeMultipartUpload(ctx: ObjectContext): Promise<S3Response> {
  const repeated = await repeatedComplete(ctx);
  if (repeated !== undefined) return repeated;
  const upload = await requireUpload(ctx);
  // The SSE-C triple is optional unless the part checksums it seals are needed (§2.6); when
  // sent, it must be the upload's key.
  const enc = hasCustomerKey(ctx) || !isCustomerKeyed(upload.encryption) ? await encryptionForPart(ctx, upload, false) : undefined;
  try {
    if (enc === undefined && upload.checksumAlgorithm !== undefined) throw partEncryptionMissing();
    return await complete(ctx, upload, enc);
  } finally {
    enc?.dispose();
  }
}

/**
 * Completes with the upload's encryption when the request could open it (`enc`), else with
 * the sealed records as they are (an SSE-C upload without checksums completed without its key).
 */
async function complete(ctx: ObjectContext, storedUpload: UploadRecord, enc: WriteEncryption | undefined): Promise<S3Response> {
  const { headers, stores } = ctx;
  const upload = enc === undefined ? storedUpload : enc.openUpload(storedUpload);
  const requested = parseCompleteRequest(await readSmallBody(ctx.payload.body, MAX_COMPLETE_BODY));
  const storedParts = await stores.meta.getParts(upload.uploadId);
  const parts = selectParts(upload, requested, enc === undefined ? storedParts : storedParts.map((p) => enc.openPart(p)));
  const size = parts.reduce((n, p) => n + p.size, 0);
  if (size > MAX_OBJECT_SIZE) throw entityTooLarge(size, MAX_OBJECT_SIZE);
  const checksum = completedChecksum(upload, parts);
  checkCompleteHeaders(headers, upload, checksum);

  const rec: ObjectRecord = {
    bucket: ctx.bucketName,
    key: ctx.key,
    size,
    etag: multipartEtag(parts.map((p) => p.etag)),
    lastModified: ctx.now(),
    contentHeaders: upload.contentHeaders,
    userMetadata: upload.userMetadata,
    ...(checksum === undefined ? {} : { checksum }),
    partsCount: parts.length,
    uploadId: upload.uploadId,
    segments: parts.map(partSegment),
    encryption: upload.encryption,
    storageClass: upload.storageClass,
    owner: ctx.bucket.owner,
  };
  const stored = enc === undefined ? rec : enc.sealObject(rec);
  // Early (a clear answer without a commit); the store checks the conditions again inside the commit.
  if (hasWriteConditions(headers)) evaluateWriteConditions(headers, await stores.meta.getObject(ctx.bucketName, ctx.key), ctx.key);
  // The parts as read: an UploadPart that replaces one of them before the commit makes it fail.
  const chosen = new Set(parts.map((p) => p.partNumber));
  const readParts: ReadPart[] = storedParts
    .filter((p) => chosen.has(p.partNumber))
    .map((p) => ({ partNumber: p.partNumber, etag: p.etag, ...(p.blob.kind === 'file' ? { blobId: p.blob.id } : {}) }));
  crashPoint(ctx.config, 'complete-before-commit');
  try {
    await stores.meta.completeUpload(upload.uploadId, stored, readParts, writeCondition(headers));
  } catch (err) {
    if (err instanceof MetaStoreError && err.code === 'STRONGBOX_PART_CHANGED') throw invalidPart({ UploadId: upload.uploadId });
    throw writeConditionError(translateRace(err, upload.uploadId, ctx.bucketName), ctx.key);
  }
  // The replaced object's and the unused parts' blobs were journaled by the commit.
  crashPoint(ctx.config, 'complete-committed');

  return completeResult(ctx, rec);
}

function completeResult(ctx: ObjectContext, rec: ObjectRecord): S3Response {
  return {
    status: 200,
    headers: {
      ...XML_HEADERS,
      ...(rec.checksum === undefined ? {} : checksumHeaders(rec.checksum)),
      ...completeResponseHeaders(rec.encryption),
    },
    body: renderXml('CompleteMultipartUploadResult', {
      Location: locationOf(ctx),
      Bucket: ctx.bucketName,
      Key: ctx.key,
      ETag: rec.etag,
      ...(rec.checksum === undefined ? {} : checksumXmlFields(rec.checksum)),
    }),
  };
}

/**
 * Amazon answers a repeated Complete of an upload that already completed with the same
 * result, as long as the object it made is still the current one.
 */
async function repeatedComplete(ctx: ObjectContext): Promise<S3Response | undefined> {
  const uploadId = ctx.query.get('uploadId') ?? '';
  if (uploadId === '' || (await ctx.stores.meta.getUpload(uploadId)) !== undefined) return undefined;
  const current = await ctx.stores.meta.getObject(ctx.bucketName, ctx.key);
  if (current?.uploadId !== uploadId) return undefined;
  ctx.payload.body.resume();
  return completeResult(ctx, current);
}
