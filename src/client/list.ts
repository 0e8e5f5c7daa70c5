/** Listing a bucket or prefix for the client commands (ListObjectsV2, page by page). */
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { s3Error } from './client-error.js';

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date;
}

export type ListEntry = ({ readonly type: 'object' } & ListedObject) | { readonly type: 'prefix'; readonly prefix: string };

/**
 * Objects under `prefix`, in key order; with a delimiter, the common prefixes ("folders") too.
 * Pages are fetched as the caller reads, so a large bucket is never held in memory.
 */
export async function* listObjects(client: S3Client, bucket: string, prefix: string, delimiter?: string): AsyncGenerator<ListEntry> {
  try {
    for await (const page of paginateListObjectsV2({ client, pageSize: 1000 }, { Bucket: bucket, Prefix: prefix, ...(delimiter === undefined ? {} : { Delimiter: delimiter }) })) {
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix !== undefined) yield { type: 'prefix', prefix: p.Prefix };
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        yield { type: 'object', key: o.Key, size: o.Size ?? 0, etag: o.ETag ?? '', lastModified: o.LastModified ?? new Date(0) };
      }
    }
  } catch (err) {
    if ((err as { $metadata?: unknown }).$metadata === undefined) throw err;
    throw s3Error(`listing s3://${bucket}/${prefix}`, err);
  }
}
