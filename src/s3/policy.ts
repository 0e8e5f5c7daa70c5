/**
 * Bucket policies: PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy. The policy is kept
 * as the JSON text the owner put and given back unchanged; it is enforced by the
 * authorization stage (src/server/authorize.ts) before any handler runs.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html
 */
import type { BucketContext, S3Response } from '../server/context.js';
import { readDocumentBody } from './document-body.js';
import { malformedPolicy, noSuchBucket, noSuchBucketPolicy, bodyChecksumRequired } from '../errors/s3-error.js';
import { compiledPolicy } from '../server/authorize.js';
import { validateBucketPolicy, type BucketPolicyTarget } from '../policy/parse.js';
import { PolicyError } from '../policy/types.js';

/**
 * Amazon's limit ("The maximum size of a policy is 20 KB"), measured on the policy without
 * insignificant whitespace (UTF-8 bytes of the minified JSON). Amazon has no limit on the
 * number of wildcards, and neither do we: src/policy/wildcard.ts matches in linear time.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/add-bucket-policy.html
 */
export const MAX_POLICY_BYTES = 20 * 1024;
/** What we read at most: room for indentation around a policy at the limit. */
export const MAX_BODY = 4 * MAX_POLICY_BYTES;
export const POLICY_TOO_LARGE = 'Policy exceeds the maximum allowed document size.';

/** Bytes of the policy without insignificant whitespace; undefined if it is no JSON (the parser then says why). */
function minifiedBytes(text: string): number | undefined {
  try {
    return Buffer.byteLength(JSON.stringify(JSON.parse(text)));
  } catch {
    return undefined;
  }
}

/**
 * What PutBucketPolicy checks in a document: Amazon's size limit, the grammar, resources of
 * this bucket, principals that exist. Every fault is 400 MalformedPolicy. @internal
 */
export function checkPolicyDocument(text: string, target: BucketPolicyTarget): void {
  // Before compiling, so that an oversized policy never reaches the cache.
  if ((minifiedBytes(text) ?? 0) > MAX_POLICY_BYTES) throw malformedPolicy(POLICY_TOO_LARGE);
  try {
    validateBucketPolicy(compiledPolicy(text), target);
  } catch (err) {
    if (err instanceof PolicyError) throw malformedPolicy(err.message);
    throw err;
  }
}

export async function putBucketPolicy(ctx: BucketContext): Promise<S3Response> {
  const body = await readDocumentBody(ctx, { limit: MAX_BODY, checksumRequired: () => bodyChecksumRequired('Put Bucket Policy') });
  const text = body.toString('utf8');
  // Principals are checked synchronously: the users are read first (a rare call, few users).
  const users = new Set((await ctx.stores.meta.listUsers()).map((u) => u.name));
  checkPolicyDocument(text, {
    bucket: ctx.bucketName,
    directory: { accountId: ctx.config.accountId, userExists: (name) => users.has(name) },
  });
  if (!(await ctx.stores.meta.updateBucket(ctx.bucketName, { policy: text }))) throw noSuchBucket(ctx.bucketName);
  return { status: 204 };
}

export async function getBucketPolicy(ctx: BucketContext): Promise<S3Response> {
  const policy = ctx.bucket.policy;
  if (policy === undefined) throw noSuchBucketPolicy(ctx.bucketName);
  return { status: 200, headers: { 'content-type': 'application/json' }, body: policy };
}

/** 204 whether or not the bucket had a policy, as Amazon answers. */
export async function deleteBucketPolicy(ctx: BucketContext): Promise<S3Response> {
  if (!(await ctx.stores.meta.updateBucket(ctx.bucketName, { policy: null }))) throw noSuchBucket(ctx.bucketName);
  return { status: 204 };
}
