import type { IncomingHttpHeaders } from 'node:http';
import type { BucketContext, ObjectContext, RequestContext, S3Response } from '../server/context.js';
import { S3Error, noSuchKey } from '../errors/s3-error.js';
import { renderXml } from '../server/xml.js';
import { MAX_CONFIG_BODY } from '../server/xml-request.js';
import { readXmlDocument } from './document-body.js';
import { header } from './headers.js';
import { principal } from './owner.js';

/**
 * Access control lists, the way Amazon S3 has configured new buckets since April 2023:
 * Object Ownership "BucketOwnerEnforced", ACLs disabled. Reading an ACL answers the owner's
 * FULL_CONTROL; setting the ACL that says exactly that is accepted; any other ACL is refused
 * with Amazon's error instead of being stored and ignored.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
 */
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const GRANT_HEADERS = ['x-amz-grant-read', 'x-amz-grant-write', 'x-amz-grant-read-acp', 'x-amz-grant-write-acp', 'x-amz-grant-full-control'];
/** Canned ACLs that grant nothing beyond the owner's full control. */
const OWNER_ONLY_CANNED = new Set(['private', 'bucket-owner-full-control']);

const aclNotSupported = () => new S3Error('AccessControlListNotSupported', 400, 'The bucket does not allow ACLs');
const bucketAclWithOwnership = () =>
  new S3Error('InvalidBucketAclWithObjectOwnership', 400, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting");

/** True when the request's ACL headers ask for nothing but the owner's full control. */
function ownerOnlyAclHeaders(headers: IncomingHttpHeaders): boolean {
  const canned = header(headers, 'x-amz-acl');
  if (canned !== undefined && !OWNER_ONLY_CANNED.has(canned.trim())) return false;
  return !GRANT_HEADERS.some((h) => headers[h] !== undefined);
}

/** PutObject, CopyObject and CreateMultipartUpload: ACL headers other than the owner's are refused. */
export function checkObjectAclHeaders(headers: IncomingHttpHeaders): void {
  if (!ownerOnlyAclHeaders(headers)) throw aclNotSupported();
}

/** CreateBucket: a bucket with ACLs disabled cannot be created with a public ACL. */
export function checkBucketAclHeaders(headers: IncomingHttpHeaders): void {
  if (!ownerOnlyAclHeaders(headers)) throw bucketAclWithOwnership();
}

function aclDocument(owner: string): string {
  const id = principal(owner);
  return renderXml('AccessControlPolicy', {
    Owner: id,
    AccessControlList: { Grant: { Grantee: id, Permission: 'FULL_CONTROL' } },
  }).replace('<Grantee>', `<Grantee xmlns:xsi="${XSI}" xsi:type="CanonicalUser">`);
}

/** A PutBucketAcl/PutObjectAcl body may only restate the owner's full control. */
async function checkAclBody(ctx: RequestContext, owner: string): Promise<void> {
  const policy = await readXmlDocument(ctx, 'AccessControlPolicy', { limit: MAX_CONFIG_BODY, optional: true });
  if (policy === undefined) return;
  const grants = policy.child('AccessControlList')?.all('Grant') ?? [];
  const ownerOnly = grants.every((grant) => grant.child('Grantee')?.textOf('ID') === owner && grant.textOf('Permission') === 'FULL_CONTROL');
  if (!ownerOnly) throw aclNotSupported();
}

export async function getBucketAcl(ctx: BucketContext): Promise<S3Response> {
  return { status: 200, body: aclDocument(ctx.bucket.owner) };
}

export async function putBucketAcl(ctx: BucketContext): Promise<S3Response> {
  if (!ownerOnlyAclHeaders(ctx.headers)) throw aclNotSupported();
  await checkAclBody(ctx, ctx.bucket.owner);
  return { status: 200 };
}

export async function getObjectAcl(ctx: ObjectContext): Promise<S3Response> {
  const rec = await ctx.stores.meta.getObject(ctx.bucketName, ctx.key);
  if (rec === undefined) throw noSuchKey(ctx.key);
  return { status: 200, body: aclDocument(ctx.bucket.owner) };
}

export async function putObjectAcl(ctx: ObjectContext): Promise<S3Response> {
  if ((await ctx.stores.meta.getObject(ctx.bucketName, ctx.key)) === undefined) throw noSuchKey(ctx.key);
  if (!ownerOnlyAclHeaders(ctx.headers)) throw aclNotSupported();
  await checkAclBody(ctx, ctx.bucket.owner);
  return { status: 200 };
}
