import type { IncomingHttpHeaders } from 'node:http';
import type { ObjectContext, S3Response } from '../server/context.js';
import type { ObjectRecord } from '../store/meta/types.js';
import { copyChangesEncryption, encryptionForWrite, type WriteEncryption } from '../crypto/encryption.js';
import { refuseBlockedSseC } from '../crypto/write-choice.js';
import { digestBody } from '../checksum/body-check.js';
import { CHECKSUM_TYPE_HEADER, checksumXml } from '../checksum/response-headers.js';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from '../checksum/types.js';
import { invalidArgument, invalidRequest } from '../errors/s3-error.js';
import { renderXml } from '../server/xml.js';
import { contentHeadersFrom, header, storageClassFrom, userMetadataFrom } from './headers.js';
import { evaluateWriteConditions, hasWriteConditions } from './conditions.js';
import { resolveCopySource, type CopySource } from './copy-source.js';
import { checkObjectAclHeaders } from './acl.js';
import { crashPoint } from '../testing/crash-point.js';
import { MAX_PUT_SIZE, asStream, commitObject, randomEtag, requireRoomForData, singlePartRecord, storeBody } from './object-write.js';

function metadataDirective(headers: IncomingHttpHeaders): 'COPY' | 'REPLACE' {
  const v = header(headers, 'x-amz-metadata-directive') ?? 'COPY';
  if (v !== 'COPY' && v !== 'REPLACE') throw invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', v);
  return v;
}

/** The checksum algorithm the copy asks for; without one, the source's is kept (§9.5). */
function askedChecksumAlgorithm(headers: IncomingHttpHeaders): ChecksumAlgorithm | undefined {
  const asked = header(headers, 'x-amz-checksum-algorithm');
  if (asked === undefined) return undefined;
  const alg = CHECKSUM_ALGORITHMS.find((a) => a === asked.toUpperCase());
  if (alg === undefined) throw invalidRequest('Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]');
  return alg;
}

/**
 * The ETag of an object whose stored bytes a copy keeps: a plain object keeps its MD5 ETag; an
 * SSE-C one gets a new opaque one, as any write does (with its `-N` if it has parts).
 */
function keptEtag(enc: WriteEncryption, src: ObjectRecord): string {
  if (enc.etagIsMd5) return src.etag;
  const fresh = randomEtag();
  return src.partsCount === undefined ? fresh : fresh.replace(/"$/, `-${src.partsCount}"`);
}

/** CopyObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html */
export async function copyObject(ctx: ObjectContext): Promise<S3Response> {
  const { headers } = ctx;
  const directive = metadataDirective(headers);
  // A destination SSE-C key into a bucket that blocks SSE-C: 403 before the source is looked at (§3).
  refuseBlockedSseC(ctx);
  await requireRoomForData(ctx);
  const source = await resolveCopySource(ctx);
  let enc: WriteEncryption | undefined;
  try {
    enc = await encryptionForWrite(ctx);
    return await copyWith(ctx, source, enc, directive);
  } finally {
    source.object.dispose();
    enc?.dispose();
  }
}

async function copyWith(ctx: ObjectContext, source: CopySource, enc: WriteEncryption, directive: 'COPY' | 'REPLACE'): Promise<S3Response> {
  const { headers, stores } = ctx;
  const src = source.object.record;
  const storageClass = storageClassFrom(headers);
  checkObjectAclHeaders(headers);
  const sameObject = source.bucket === ctx.bucketName && source.key === ctx.key;
  if (sameObject && directive === 'COPY' && header(headers, 'x-amz-storage-class') === undefined && !copyChangesEncryption(ctx, enc, src.encryption)) {
    throw invalidRequest(
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  if (src.size > MAX_PUT_SIZE) {
    throw invalidRequest(`The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_PUT_SIZE}`);
  }
  const contentHeaders = directive === 'COPY' ? src.contentHeaders : contentHeadersFrom(headers);
  const userMetadata = directive === 'COPY' ? src.userMetadata : userMetadataFrom(headers);
  if (hasWriteConditions(headers)) evaluateWriteConditions(headers, await stores.meta.getObject(ctx.bucketName, ctx.key), ctx.key);

  const asked = askedChecksumAlgorithm(headers);
  // Onto itself with the same checksum: keep the stored bytes, re-seal the data key only.
  const kept = sameObject && (asked === undefined || asked === src.checksum?.algorithm) ? source.object.keepData(enc, ctx) : undefined;
  let rec: ObjectRecord;
  if (kept !== undefined) {
    try {
      const { uploadId: _completedFrom, ...unchanged } = src;
      rec = {
        ...unchanged,
        etag: keptEtag(kept, src),
        lastModified: ctx.now(),
        contentHeaders,
        userMetadata,
        storageClass,
        encryption: kept.record,
      };
      crashPoint(ctx.config, 'reseal-before-commit');
      await commitObject(ctx, rec, kept, source.stored.segments);
      crashPoint(ctx.config, 'reseal-committed');
    } finally {
      if (kept !== enc) kept.dispose();
    }
  } else {
    const algorithm = asked ?? src.checksum?.algorithm ?? 'CRC64NVME';
    const digest = digestBody({ md5: enc.etagIsMd5, algorithm });
    const params = enc.segmentParams();
    const body = await source.object.read(stores.blobs, 0, src.size - 1);
    const { segment, verified: digests } = await storeBody(ctx, asStream(body), [digest.stream], enc, params, src.size, () => digest.result());
    rec = singlePartRecord(ctx, { enc, params, segment, digests, contentHeaders, userMetadata, storageClass });
    await commitObject(ctx, rec, enc);
  }
  return {
    status: 200,
    headers: { ...(kept ?? enc).responseHeaders(), ...(rec.checksum === undefined ? {} : { [CHECKSUM_TYPE_HEADER]: rec.checksum.type }) },
    body: renderXml('CopyObjectResult', {
      ETag: rec.etag,
      LastModified: rec.lastModified,
      ...(rec.checksum === undefined ? {} : checksumXml(rec.checksum)),
    }),
  };
}
