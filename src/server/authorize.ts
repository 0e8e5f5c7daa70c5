import type { Access } from './router.js';
import type { BucketRecord, UserRecord } from '../store/meta/types.js';
import { accessDenied } from './s3-error.js';

/**
 * The authorization stage: may `user` do an operation needing `access` on `bucket`?
 * Today a user may touch only their own buckets. Bucket policies and IAM plug in here.
 */
export function authorize(user: UserRecord, access: Access, bucket: BucketRecord | undefined): void {
  if (access === 'any' || bucket === undefined) return;
  if (bucket.owner !== user.name) throw accessDenied();
}
