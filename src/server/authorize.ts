import type { Access } from './router.js';
import type { BucketRecord, UserRecord } from '../store/meta/types.js';
import { accessDenied } from '../errors/s3-error.js';
import { PolicyCache } from '../policy/cache.js';
import { evaluatePolicies } from '../policy/evaluate.js';
import type { Policy } from '../policy/types.js';
import { conditionLookup, type Requester } from './requester.js';

/** Compiled bucket policies, keyed by their text (a pure memo: nothing in it can go stale). */
const policyCache = new PolicyCache();

/** The compiled form of a policy text (cached); throws PolicyError if it is not a valid policy. */
export const compiledPolicy = (text: string): Policy => policyCache.get(text);

/**
 * The user a handler sees for an anonymous request that a bucket policy let in. Its name is
 * only ever shown (as the owner of what it wrote); authorization looks at the Requester.
 */
export const ANONYMOUS_USER: UserRecord = Object.freeze({
  name: 'anonymous',
  accessKeyId: '',
  secretAccessKey: '',
  isRoot: false,
  createdAt: new Date(0),
});

/**
 * The authorization stage: may the requester run an operation (its route's `access` and
 * IAM `action`) on `bucket` (and `key`)?
 * - `any`: service operations (ListBuckets, CreateBucket): any user, never anonymous.
 * - `owner`: the bucket owner only, and no policy can take it away (Get/Put/DeleteBucketPolicy,
 *   so that an owner can always repair a policy that locks everyone out).
 * - `policy`: the bucket policy decides (explicit Deny wins, then Allow); without a statement
 *   that applies, the owner is allowed and anyone else denied.
 * - `keys`: decided per object by the handler (DeleteObjects), with {@link authorizeAccess}.
 * Anonymous requests get here too: only a policy whose principal is `*` lets them in.
 */
export function authorize(requester: Requester, access: Access, action: string, bucket: BucketRecord | undefined, key: string | undefined): void {
  switch (access) {
    case 'any':
      if (requester.user === undefined) throw accessDenied();
      return;
    case 'owner':
      if (requester.user === undefined || (bucket !== undefined && bucket.owner !== requester.user.name)) throw accessDenied();
      return;
    case 'keys':
      return;
    case 'policy':
      if (bucket === undefined) {
        if (requester.user === undefined) throw accessDenied();
        return;
      }
      authorizeAccess(requester, bucket, key, action);
      return;
  }
}

/** Whether `requester` may do `action` on the bucket or one of its objects; throws AccessDenied if not. */
export function authorizeAccess(requester: Requester, bucket: BucketRecord, key: string | undefined, action: string): void {
  const isOwner = requester.user !== undefined && requester.user.name === bucket.owner;
  if (bucket.policy !== undefined) {
    const decision = evaluatePolicies([compiledPolicy(bucket.policy)], {
      principal: requester.principal,
      action,
      resource: key === undefined ? `arn:aws:s3:::${bucket.name}` : `arn:aws:s3:::${bucket.name}/${key}`,
      conditions: conditionLookup(requester, action),
    });
    if (decision === 'deny') throw accessDenied();
    if (decision === 'allow') return;
  }
  if (!isOwner) throw accessDenied();
}
