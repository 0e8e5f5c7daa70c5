import type { IncomingHttpHeaders } from 'node:http';
import type { ObjectContext, S3Response } from '../server/context.js';
import type { ObjectRecord } from '../store/meta/types.js';
import { encryptionForWrite, readPlaintext } from '../crypto/encryption.js';
import { digestBody } from '../checksum/body-check.js';
import { CHECKSUM_TYPE_HEADER, checksumXml } from '../checksum/response-headers.js';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from '../checksum/types.js';
import { invalidArgument, invalidRequest } from '../server/s3-error.js';
import { renderXml } from '../server/xml.js';
import { contentHeadersFrom, header, storageClassFrom, userMetadataFrom } from './headers.js';
import { evaluateWriteConditions, hasWriteConditions } from './conditions.js';
import { resolveCopySource } from './copy-source.js';
import { checkObjectAclHeaders } from './acl.js';
import { MAX_PUT_SIZE, commitObject, singlePartRecord, storeBody } from './object-write.js';

function metadataDirective(headers: IncomingHttpHeaders): 'COPY' | 'REPLACE' {
  const v = header(headers, 'x-amz-metadata-directive') ?? 'COPY';
  if (v !== 'COPY' && v !== 'REPLACE') throw invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', v);
  return v;
}

/** The checksum algorithm of the copy: the one asked for, else the source's (§9.5). */
function copyChecksumAlgorithm(headers: IncomingHttpHeaders, source: ObjectRecord): ChecksumAlgorithm {
  const asked = header(headers, 'x-amz-checksum-algorithm');
  if (asked !== undefined) {
    const alg = CHECKSUM_ALGORITHMS.find((a) => a === asked.toUpperCase());
    if (alg === undefined) throw invalidRequest('Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]');
    return alg;
  }
  return source.checksum?.algorithm ?? 'CRC64NVME';
}

/** CopyObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html */
export async function copyObject(ctx: ObjectContext): Promise<S3Response> {
  const { headers, stores } = ctx;
  const directive = metadataDirective(headers);
  const source = resolveCopySource(ctx);
  const src = source.record;
  const storageClass = storageClassFrom(headers);
  checkObjectAclHeaders(headers);
  const enc = encryptionForWrite(headers);
  const sameObject = source.bucket === ctx.bucketName && source.key === ctx.key;
  if (sameObject && directive === 'COPY' && header(headers, 'x-amz-storage-class') === undefined && enc.record.mode === src.encryption.mode) {
    throw invalidRequest(
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  if (src.size > MAX_PUT_SIZE) {
    throw invalidRequest(`The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_PUT_SIZE}`);
  }
  const contentHeaders = directive === 'COPY' ? src.contentHeaders : contentHeadersFrom(headers);
  const userMetadata = directive === 'COPY' ? src.userMetadata : userMetadataFrom(headers);
  if (hasWriteConditions(headers)) evaluateWriteConditions(headers, stores.meta.getObject(ctx.bucketName, ctx.key), ctx.key);

  const algorithm = copyChecksumAlgorithm(headers, src);
  const digest = digestBody({ md5: enc.etagIsMd5, algorithm });
  const params = enc.segmentParams();
  const body = readPlaintext(stores.blobs, src.encryption, src.segments, 0, src.size - 1);
  const { segment, verified: digests } = await storeBody(ctx, body, [digest.stream], enc, params, src.size, () => digest.result());

  const rec = singlePartRecord(ctx, { enc, params, segment, digests, contentHeaders, userMetadata, storageClass });
  await commitObject(ctx, rec);
  return {
    status: 200,
    headers: { ...enc.responseHeaders(), ...(rec.checksum === undefined ? {} : { [CHECKSUM_TYPE_HEADER]: rec.checksum.type }) },
    body: renderXml('CopyObjectResult', {
      ETag: rec.etag,
      LastModified: rec.lastModified,
      ...(rec.checksum === undefined ? {} : checksumXml(rec.checksum)),
    }),
  };
}
