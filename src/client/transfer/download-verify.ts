/**
 * Checks a downloaded file against the object before it is moved into place: its size, and
 * its checksum re-read from disk. A FULL_OBJECT checksum (any checksum of a single PUT, or a
 * CRC of a multipart upload) is recomputed over the file; a COMPOSITE one is a checksum of the
 * part checksums, so the part boundaries come from GetObjectAttributes
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html).
 */
import { GetObjectAttributesCommand, type S3Client } from '@aws-sdk/client-s3';
import { stat } from 'node:fs/promises';
import { compositeChecksum } from '../../checksum/algorithms.js';
import { ClientError, describeS3Error } from '../client-error.js';
import { sseCParams, type CustomerKey } from '../customer-key.js';
import { digestFile } from './file-digest.js';
import { formatS3Url, type S3Location } from '../s3-url.js';
import { bareChecksum, checksumIn } from './transfer-checksum.js';

/** How a download was checked: with a checksum, or by its size alone (and why). */
export type Verification = { readonly checksum: string } | { readonly sizeOnly: string };

/** Parts listed per GetObjectAttributes page (Amazon's maximum). */
const PARTS_PER_PAGE = 1000;

const mismatch = (src: S3Location, what: string): ClientError =>
  new ClientError('STRONGBOX_CLIENT_VERIFY', `${formatS3Url(src)}: ${what}; the download is discarded`);

interface ObjectPartInfo {
  readonly size: number;
  /** The part's own checksum, base64, when listed. */
  readonly checksum: string | undefined;
}

/** The object's parts, or why they cannot be had. */
async function objectParts(client: S3Client, src: S3Location, key: CustomerKey | undefined): Promise<ObjectPartInfo[] | { readonly unavailable: string }> {
  const parts: ObjectPartInfo[] = [];
  let marker: string | undefined;
  for (;;) {
    let page;
    try {
      page = await client.send(
        new GetObjectAttributesCommand({
          Bucket: src.bucket,
          Key: src.key,
          ObjectAttributes: ['ObjectParts'],
          MaxParts: PARTS_PER_PAGE,
          ...(marker === undefined ? {} : { PartNumberMarker: marker }),
          ...sseCParams(key),
        }),
      );
    } catch (err) {
      return { unavailable: `GetObjectAttributes answered ${describeS3Error(err)}` };
    }
    for (const p of page.ObjectParts?.Parts ?? []) {
      if (p.Size === undefined) return { unavailable: 'GetObjectAttributes lists parts without their sizes' };
      parts.push({ size: p.Size, checksum: checksumIn(p)?.value });
    }
    if (page.ObjectParts?.IsTruncated !== true) break;
    marker = page.ObjectParts.NextPartNumberMarker;
    if (marker === undefined) return { unavailable: 'GetObjectAttributes truncated its part list without a marker' };
  }
  if (parts.length === 0) return { unavailable: 'GetObjectAttributes lists no parts' };
  return parts;
}

/**
 * Verifies the file at `path` against the object described by its HEAD answer; throws a
 * STRONGBOX_CLIENT_VERIFY error on any difference.
 */
export async function verifyDownload(
  client: S3Client,
  src: S3Location,
  key: CustomerKey | undefined,
  head: Parameters<typeof checksumIn>[0],
  path: string,
  size: number,
): Promise<Verification> {
  const onDisk = (await stat(path)).size;
  if (onDisk !== size) throw mismatch(src, `the downloaded file has ${onDisk} bytes, the object ${size}`);
  const expected = checksumIn(head);
  if (expected === undefined) return { sizeOnly: 'the object has no checksum' };
  if (expected.type === 'FULL_OBJECT') {
    const got = await digestFile(path, expected.algorithm);
    const value = got.whole?.toString('base64');
    if (got.size !== size || value !== expected.value) throw mismatch(src, `the downloaded bytes' ${expected.algorithm} is ${value}, the object's is ${expected.value}`);
    return { checksum: expected.algorithm };
  }
  const parts = await objectParts(client, src, key);
  if (!Array.isArray(parts)) return { sizeOnly: `its ${expected.algorithm} checksum is COMPOSITE and ${parts.unavailable}` };
  const listed = parts.reduce((n, p) => n + p.size, 0);
  if (listed !== size) throw mismatch(src, `its parts add up to ${listed} bytes, the object has ${size}`);
  const got = await digestFile(path, expected.algorithm, parts.map((p) => p.size));
  for (const [i, p] of parts.entries()) {
    const value = got.parts[i]?.toString('base64');
    if (p.checksum !== undefined && value !== p.checksum) throw mismatch(src, `part ${i + 1}'s ${expected.algorithm} is ${value} on disk, ${p.checksum} in the object`);
  }
  const composite = compositeChecksum(expected.algorithm, got.parts);
  if (bareChecksum(composite) !== bareChecksum(expected.value)) throw mismatch(src, `the downloaded bytes' composite ${expected.algorithm} is ${composite}, the object's is ${expected.value}`);
  return { checksum: `${expected.algorithm} (composite of ${parts.length} parts)` };
}
