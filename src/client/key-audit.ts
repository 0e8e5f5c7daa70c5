/**
 * `strongbox verify`: which of the given SSE-C keys opens each object under a prefix, found
 * with HEAD requests only (nothing is read or written). Results come back in key order,
 * whatever order the concurrent HEADs finish in.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { ClientError, statusOf } from './client-error.js';
import type { CustomerKey } from './customer-key.js';
import { listObjects } from './list.js';
import { mapOrdered } from './ordered-map.js';
import { LIST_AHEAD, readAhead } from './read-ahead.js';
import { describeProtection, probeObject } from './probe.js';
import type { Progress } from './progress.js';

export type AuditResult =
  | { readonly kind: 'opened'; readonly key: string; readonly opener: CustomerKey }
  /** SSE-C, and none of the given keys opens it. */
  | { readonly kind: 'unopened'; readonly key: string }
  | { readonly kind: 'not-sse-c'; readonly key: string; readonly protection: string }
  /** Deleted since it was listed. */
  | { readonly kind: 'gone'; readonly key: string }
  | { readonly kind: 'error'; readonly key: string; readonly message: string };

export interface AuditSummary {
  objects: number;
  /** Objects each key opens, in the order the keys were given. */
  readonly opened: Map<CustomerKey, number>;
  unopened: number;
  /** Objects that are not SSE-C, by protection ("SSE-S3", "none" …). */
  readonly notSseC: Map<string, number>;
  gone: number;
  errors: number;
}

export interface AuditOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly keys: readonly CustomerKey[];
  readonly concurrency: number;
  readonly progress: Progress;
  /** Called once per object, in key order. */
  readonly onResult: (result: AuditResult) => void;
}

async function auditObject(client: S3Client, bucket: string, key: string, keys: readonly CustomerKey[]): Promise<AuditResult> {
  try {
    const { protection: p } = await probeObject(client, bucket, key, keys);
    if (p.kind !== 'sse-c') return { kind: 'not-sse-c', key, protection: describeProtection(p) };
    return p.opener === undefined ? { kind: 'unopened', key } : { kind: 'opened', key, opener: p.opener };
  } catch (err) {
    if (statusOf(err) === 404) return { kind: 'gone', key };
    return { kind: 'error', key, message: err instanceof ClientError ? err.message : String(err) };
  }
}

function count(summary: AuditSummary, r: AuditResult): void {
  summary.objects++;
  switch (r.kind) {
    case 'opened':
      summary.opened.set(r.opener, (summary.opened.get(r.opener) ?? 0) + 1);
      break;
    case 'unopened':
      summary.unopened++;
      break;
    case 'not-sse-c':
      summary.notSseC.set(r.protection, (summary.notSseC.get(r.protection) ?? 0) + 1);
      break;
    case 'gone':
      summary.gone++;
      break;
    case 'error':
      summary.errors++;
      break;
  }
}

/** Audits every object under the prefix; listing failures throw, an object's own failure is a result. */
export async function auditKeys(opts: AuditOptions): Promise<AuditSummary> {
  const summary: AuditSummary = { objects: 0, opened: new Map(opts.keys.map((k) => [k, 0])), unopened: 0, notSseC: new Map(), gone: 0, errors: 0 };
  async function* listed(): AsyncGenerator<string> {
    for await (const entry of listObjects(opts.client, opts.bucket, opts.prefix)) if (entry.type === 'object') yield entry.key;
  }
  await mapOrdered(
    readAhead(listed(), LIST_AHEAD, () => opts.progress.grow(1)),
    opts.concurrency,
    async (key) => {
      const r = await auditObject(opts.client, opts.bucket, key, opts.keys);
      opts.progress.add(1, key);
      return r;
    },
    (r) => {
      count(summary, r);
      opts.onResult(r);
    },
  );
  return summary;
}
