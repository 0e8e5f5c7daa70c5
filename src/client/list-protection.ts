/**
 * `strongbox ls`: lists buckets, or the objects under an S3 prefix with how each is protected,
 * found by HEAD probes run with bounded concurrency and printed in key order.
 */
import { paginateListBuckets, type S3Client } from '@aws-sdk/client-s3';
import { ClientError, s3Error } from './client-error.js';
import type { CustomerKey } from './customer-key.js';
import { listObjects, type ListEntry } from './list.js';
import { bucketLine, displayName, objectLine, prefixLine } from './object-listing.js';
import { mapOrdered } from './ordered-map.js';
import { probeObject, type Protection } from './probe.js';
import type { S3Location } from './s3-url.js';

export interface ListRequest {
  readonly recursive: boolean;
  readonly keys: readonly CustomerKey[];
  /** HEAD probes in flight. */
  readonly concurrency: number;
}

/** Where the lines go: results to `line`, problems to `warn`. */
export interface ListOutput {
  line(text: string): void;
  warn(text: string): void;
}

/** Prints every bucket the credentials own. */
export async function listBuckets(client: S3Client, out: ListOutput): Promise<void> {
  try {
    for await (const page of paginateListBuckets({ client }, {})) {
      for (const b of page.Buckets ?? []) if (b.Name !== undefined) out.line(bucketLine(b.Name, b.CreationDate));
    }
  } catch (err) {
    if ((err as { $metadata?: unknown }).$metadata === undefined) throw err;
    throw s3Error('listing buckets', err);
  }
}

/** The message of a probe that failed, for the line and for stderr. */
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Prints the objects (and, without --recursive, the folders) under `loc`. Returns the number
 * of objects whose protection could not be found (each also reported on stderr).
 */
export async function listWithProtection(client: S3Client, loc: S3Location, req: ListRequest, out: ListOutput): Promise<number> {
  let failures = 0;
  const probe = async (entry: ListEntry): Promise<Protection | { error: string } | undefined> => {
    if (entry.type === 'prefix') return undefined;
    try {
      return (await probeObject(client, loc.bucket, entry.key, req.keys)).protection;
    } catch (err) {
      if (!(err instanceof ClientError)) throw err;
      failures++;
      out.warn(`ls: ${messageOf(err)}`);
      return { error: messageOf(err) };
    }
  };
  await mapOrdered(listObjects(client, loc.bucket, loc.key, req.recursive ? undefined : '/'), req.concurrency, probe, (protection, entry) => {
    if (entry.type === 'prefix') out.line(prefixLine(displayName(entry.prefix, loc.key, req.recursive)));
    else if (protection !== undefined) out.line(objectLine({ lastModified: entry.lastModified, size: entry.size, name: displayName(entry.key, loc.key, req.recursive) }, protection, req.keys));
  });
  return failures;
}
