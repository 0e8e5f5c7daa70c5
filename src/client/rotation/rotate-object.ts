/**
 * What `strongbox rotate` does with one object: HEAD with the old key tells whether to
 * rotate it; if the old key does not open it, HEAD with the new key (or a plain HEAD for an
 * SSE-KMS target) tells whether an earlier run already did. Only HEAD answers decide, so an
 * interrupted rotation is resumed correctly even for objects its journal missed.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { ClientError, describeS3Error, statusOf } from '../client-error.js';
import type { CustomerKey } from '../customer-key.js';
import { copyInPlace } from './in-place-copy.js';
import { describeProtection, headWithKey, probeWithoutKey, sseCRefused } from '../probe.js';
import { isKmsTargetKey, type RotationTarget } from './rotation-target.js';

export type ObjectOutcome =
  | { readonly kind: 'rotated'; readonly size: number; readonly multipart: boolean; readonly kmsKeyId: string | undefined }
  /** --dry-run: what `rotated` would have done. */
  | { readonly kind: 'would-rotate'; readonly size: number; readonly multipart: boolean }
  | { readonly kind: 'already-rotated' }
  /** Not SSE-C: SSE-S3, SSE-KMS (not under the target key) or plaintext, as `protection` says. */
  | { readonly kind: 'not-sse-c'; readonly protection: string }
  /** SSE-C under a key that is neither the old nor the new one: left alone. */
  | { readonly kind: 'not-opened' }
  /** Written or replaced since its HEAD (412): not rotated, a re-run picks it up. */
  | { readonly kind: 'changed' }
  /** Deleted since it was listed. */
  | { readonly kind: 'gone' }
  | { readonly kind: 'failed'; readonly message: string };

export type OutcomeKind = ObjectOutcome['kind'];

export interface RotationPlan {
  readonly client: S3Client;
  readonly bucket: string;
  readonly from: CustomerKey;
  readonly to: RotationTarget;
  readonly dryRun: boolean;
  readonly multipartThreshold: number;
  readonly partSize: number;
  /**
   * KMS key ARNs that S3 reported for objects rotated to an SSE-KMS target (this run and the
   * journal's): they tell objects already converted when the target is given as an alias.
   */
  readonly kmsKeyIds: Set<string>;
}

const CHANGED_STATUSES: ReadonlySet<number> = new Set([
  412, // PreconditionFailed: the ETag is no longer the one the HEAD saw
  409, // OperationAborted: Strongbox found another version when committing a copy onto itself
]);

function outcomeOfError(err: unknown, url: string, step: string): ObjectOutcome {
  const status = statusOf(err);
  // A HEAD says 404 without a body; a copy names its missing source NoSuchKey.
  if ((err instanceof ClientError && status === 404) || (err as { name?: unknown } | null)?.name === 'NoSuchKey') return { kind: 'gone' };
  if (status !== undefined && CHANGED_STATUSES.has(status)) return { kind: 'changed' };
  if (err instanceof ClientError) return { kind: 'failed', message: err.message };
  return { kind: 'failed', message: `${step} ${url}: ${describeS3Error(err)}` };
}

/** Rotates one object (or, with --dry-run, says what would happen to it). Never throws. */
export async function rotateObject(plan: RotationPlan, key: string): Promise<ObjectOutcome> {
  let step = 'HEAD';
  try {
    const old = await headWithKey(plan.client, plan.bucket, key, plan.from);
    if (old.result === 'opens') {
      const size = old.head.ContentLength ?? 0;
      const multipart = size > plan.multipartThreshold;
      if (plan.dryRun) return { kind: 'would-rotate', size, multipart };
      step = multipart ? 'multipart copy of' : 'CopyObject of';
      const done = await copyInPlace({ ...plan, key, head: old.head });
      if (done.kmsKeyId !== undefined) plan.kmsKeyIds.add(done.kmsKeyId);
      return { kind: 'rotated', size, multipart, kmsKeyId: done.kmsKeyId };
    }
    if (old.result === 'wrong-key') {
      if (plan.to.kind === 'kms') return { kind: 'not-opened' };
      const now = await headWithKey(plan.client, plan.bucket, key, plan.to.key);
      if (now.result === 'opens') return { kind: 'already-rotated' };
      if (now.result === 'wrong-key') return { kind: 'not-opened' };
      // Not SSE-C any more: replaced between the two HEADs; say what it is now.
    }
    const plain = await probeWithoutKey(plan.client, plan.bucket, key);
    if (plain === undefined) throw sseCRefused(plan.bucket, key);
    const p = plain.protection;
    if (p.kind === 'sse-kms' && isKmsTargetKey(plan.to, p.kmsKeyId, plan.kmsKeyIds)) return { kind: 'already-rotated' };
    return { kind: 'not-sse-c', protection: describeProtection(p) };
  } catch (err) {
    return outcomeOfError(err, `s3://${plan.bucket}/${key}`, step);
  }
}
