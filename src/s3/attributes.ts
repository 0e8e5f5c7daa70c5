import type { ObjectContext, S3Response } from '../server/context.js';
import type { XmlNode } from '../server/xml.js';
import { renderXml } from '../server/xml.js';
import { openObject } from '../crypto/encryption.js';
import { checksumXml } from '../checksum/response-headers.js';
import { invalidArgument } from '../errors/s3-error.js';
import { header, httpDate } from './headers.js';
import { evaluateReadConditions } from './conditions.js';
import { findObject } from './object-get.js';

const ATTRIBUTES = new Set(['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize']);

/** GetObjectAttributes: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html */
export async function getObjectAttributes(ctx: ObjectContext): Promise<S3Response> {
  const raw = header(ctx.headers, 'x-amz-object-attributes') ?? '';
  const wanted = new Set(raw.split(',').map((s) => s.trim()).filter((s) => s !== ''));
  if (wanted.size === 0) {
    throw invalidArgument('x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty', 'x-amz-object-attributes', raw);
  }
  for (const a of wanted) if (!ATTRIBUTES.has(a)) throw invalidArgument('Invalid attribute name specified.', 'x-amz-object-attributes', a);
  const maxParts = Number(header(ctx.headers, 'x-amz-max-parts') ?? 1000);
  const marker = Number(header(ctx.headers, 'x-amz-part-number-marker') ?? 0);
  if (!Number.isInteger(maxParts) || maxParts < 0) throw invalidArgument('Invalid max parts', 'x-amz-max-parts');
  if (!Number.isInteger(marker) || marker < 0) throw invalidArgument('Invalid part number marker', 'x-amz-part-number-marker');

  const obj = await openObject(ctx, await findObject(ctx), 'object');
  // Only the opened metadata is needed, not the data.
  obj.dispose();
  const rec = obj.record;
  if (evaluateReadConditions(ctx.headers, rec) === 'not-modified') return { status: 304, headers: { etag: rec.etag } };

  const body: Record<string, XmlNode[string]> = {};
  if (wanted.has('ETag')) body.ETag = rec.etag.replace(/"/g, '');
  if (wanted.has('Checksum') && rec.checksum !== undefined) {
    body.Checksum = { ...checksumXml(rec.checksum), ChecksumType: rec.checksum.type };
  }
  if (wanted.has('ObjectParts') && rec.partsCount !== undefined) {
    const parts = rec.segments.filter((s) => (s.partNumber ?? 0) > marker);
    const page = parts.slice(0, maxParts);
    body.ObjectParts = {
      // The model calls it TotalPartsCount; on the wire it is PartsCount.
      PartsCount: rec.partsCount,
      PartNumberMarker: marker,
      NextPartNumberMarker: page.at(-1)?.partNumber ?? marker,
      MaxParts: maxParts,
      IsTruncated: parts.length > page.length,
      Part: page.map((s) => ({ PartNumber: s.partNumber, Size: s.size, ...(s.checksum === undefined ? {} : checksumXml(s.checksum)) })),
    };
  }
  if (wanted.has('StorageClass')) body.StorageClass = rec.storageClass;
  if (wanted.has('ObjectSize')) body.ObjectSize = rec.size;
  return {
    status: 200,
    // Amazon's GetObjectAttributes output has no SSE headers.
    headers: { 'last-modified': httpDate(rec.lastModified) },
    body: renderXml('GetObjectAttributesResponse', body),
  };
}
