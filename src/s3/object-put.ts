import type { ObjectContext, S3Response } from '../server/context.js';
import { disposing, encryptionForWrite, type WriteEncryption } from '../crypto/encryption.js';
import { checkBody } from '../checksum/body-check.js';
import { checksumHeaders } from '../checksum/response-headers.js';
import { entityTooLarge, missingContentLength } from '../errors/s3-error.js';
import { contentHeadersFrom, header, storageClassFrom, userMetadataFrom } from './headers.js';
import { evaluateWriteConditions, hasWriteConditions } from './conditions.js';
import { checkObjectAclHeaders } from './acl.js';
import { MAX_PUT_SIZE, commitObject, discardUncommitted, requireRoomForData, singlePartRecord, storeBody } from './object-write.js';

/** Checks shared by PutObject and UploadPart on the size of the body. */
export function checkBodyLength(ctx: ObjectContext): number | undefined {
  const length = ctx.payload.length;
  // HTTP chunking stands in for Content-Length (s3-tests test_object_write_with_chunked_transfer_encoding).
  if (length === undefined && header(ctx.headers, 'transfer-encoding') === undefined) throw missingContentLength();
  if (length !== undefined && length > MAX_PUT_SIZE) throw entityTooLarge(length, MAX_PUT_SIZE);
  return length;
}

/** PutObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html */
export async function putObject(ctx: ObjectContext): Promise<S3Response> {
  const { headers } = ctx;
  const length = checkBodyLength(ctx);
  await requireRoomForData(ctx, length);
  const contentHeaders = contentHeadersFrom(headers);
  const userMetadata = userMetadataFrom(headers);
  const storageClass = storageClassFrom(headers);
  checkObjectAclHeaders(headers);
  return disposing(await encryptionForWrite(ctx), (enc) => storeObject(ctx, enc, length, { contentHeaders, userMetadata, storageClass }));
}

async function storeObject(
  ctx: ObjectContext,
  enc: WriteEncryption,
  length: number | undefined,
  described: { contentHeaders: Record<string, string>; userMetadata: Record<string, string>; storageClass: string },
): Promise<S3Response> {
  const { headers, stores } = ctx;
  // Early, so that a body bound to fail is not stored; commitObject has the store check again.
  if (hasWriteConditions(headers)) evaluateWriteConditions(headers, await stores.meta.getObject(ctx.bucketName, ctx.key), ctx.key);

  // Amazon computes a CRC64NVME for every object uploaded without a checksum.
  const check = checkBody(headers, ctx.payload, { md5: enc.etagIsMd5, defaultAlgorithm: 'CRC64NVME' });
  const params = enc.segmentParams();
  const { segment, verified: digests } = await storeBody(ctx, ctx.payload.body, [check.stream], enc, params, length, () => check.result());
  if (digests.size > MAX_PUT_SIZE) {
    await discardUncommitted(ctx, [segment]);
    throw entityTooLarge(digests.size, MAX_PUT_SIZE);
  }

  const rec = singlePartRecord(ctx, { enc, params, segment, digests, ...described });
  // The store checks If-None-Match / If-Match again inside the commit (another writer may have won meanwhile).
  await commitObject(ctx, rec, enc);
  return {
    status: 200,
    headers: {
      etag: rec.etag,
      ...(rec.checksum === undefined ? {} : checksumHeaders(rec.checksum)),
      ...enc.responseHeaders(),
    },
  };
}
