import type { ObjectContext } from '../server/context.js';
import type { ObjectRecord } from '../store/meta/types.js';
import { openObject, type ReadableObject } from '../crypto/encryption.js';
import { invalidArgument, invalidCopySource, noSuchBucket, noSuchKey } from '../errors/s3-error.js';
import { header } from './headers.js';
import { evaluateCopySourceConditions } from './conditions.js';
import { authorizeAccess } from '../server/authorize.js';

export interface CopySource {
  readonly bucket: string;
  readonly key: string;
  /** Opened with the copy-source SSE-C triple; the caller disposes it. */
  readonly object: ReadableObject;
  /** As stored (sealed fields sealed). */
  readonly stored: ObjectRecord;
}

/**
 * Reads an `x-amz-copy-source` value: URL-encoded `bucket/key`, an optional leading slash and
 * an optional `?versionId=` (only `null`: there are no versions). @internal
 */
export function parseCopySource(raw: string): { bucket: string; key: string } {
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  if (q !== -1) {
    const versionId = new URLSearchParams(raw.slice(q + 1)).get('versionId');
    if (versionId !== null && versionId !== 'null') throw invalidArgument('Invalid version id specified', 'x-amz-copy-source', raw);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(path).replace(/^\//, '');
  } catch {
    throw invalidCopySource();
  }
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) throw invalidCopySource();
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

/**
 * Resolves `x-amz-copy-source` (URL-encoded `bucket/key`, optional leading slash and
 * `?versionId=`), checks that the caller may read it, that it exists, that the
 * x-amz-copy-source-if-* conditions hold and that its encryption can be opened.
 */
export async function resolveCopySource(ctx: ObjectContext): Promise<CopySource> {
  const { bucket, key } = parseCopySource(header(ctx.headers, 'x-amz-copy-source') ?? '');
  const bucketRecord = await ctx.stores.meta.getBucket(bucket);
  if (bucketRecord === undefined) throw noSuchBucket(bucket);
  // The source is read: s3:GetObject on it, under the source bucket's policy.
  authorizeAccess(ctx.requester, bucketRecord, key, 's3:GetObject');
  const record = await ctx.stores.meta.getObject(bucket, key);
  if (record === undefined) throw noSuchKey(key);
  evaluateCopySourceConditions(ctx.headers, record);
  return { bucket, key, object: await openObject(ctx, record, 'copySource'), stored: record };
}
