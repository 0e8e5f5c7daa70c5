import type { BucketContext, RequestContext, S3Response } from '../server/context.js';
import { MetaStoreError } from '../store/meta/types.js';
import {
  bucketAlreadyExists,
  bucketAlreadyOwnedByYou,
  bucketNotEmpty,
  invalidBucketName,
  invalidLocationConstraint,
} from '../errors/s3-error.js';
import { S3_XMLNS, escapeXml, renderXml } from '../server/xml.js';
import { MAX_CONFIG_BODY } from '../server/xml-request.js';
import { readXmlDocument } from './document-body.js';
import { isValidBucketName } from './bucket-name.js';
import { checkBucketAclHeaders } from './acl.js';
import { principal } from './owner.js';
import { intParam } from './headers.js';
import { creationDefaultEncryption } from './bucket-encryption.js';


/** ListBuckets: the caller's buckets, with optional prefix and pagination. */
export async function listBuckets(ctx: RequestContext): Promise<S3Response> {
  const prefix = ctx.query.get('prefix') ?? '';
  const max = intParam(ctx.query, 'max-buckets', 1, 10000) ?? 10000;
  const token = ctx.query.get('continuation-token');
  const after = token === null ? '' : Buffer.from(token, 'base64url').toString('utf8');
  const all = (await ctx.stores.meta.listBuckets(ctx.user.name)).filter((b) => b.name.startsWith(prefix) && b.name > after);
  const page = all.slice(0, max);
  const truncated = all.length > page.length;
  return {
    status: 200,
    body: renderXml('ListAllMyBucketsResult', {
      Owner: principal(ctx.user.name),
      Buckets: { Bucket: page.map((b) => ({ Name: b.name, CreationDate: b.createdAt, BucketRegion: b.region })) },
      ContinuationToken: truncated ? Buffer.from(page.at(-1)!.name).toString('base64url') : undefined,
      Prefix: ctx.query.has('prefix') ? prefix : undefined,
    }),
  };
}

/** The region named in an optional CreateBucketConfiguration body. */
async function requestedRegion(ctx: RequestContext): Promise<string | undefined> {
  const doc = await readXmlDocument(ctx, 'CreateBucketConfiguration', { limit: MAX_CONFIG_BODY, optional: true });
  const region = doc?.textOf('LocationConstraint');
  if (region === '') throw invalidLocationConstraint();
  return region;
}

/** CreateBucket: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html */
export async function createBucket(ctx: RequestContext): Promise<S3Response> {
  const name = ctx.bucketName!;
  if (!isValidBucketName(name)) throw invalidBucketName(name);
  checkBucketAclHeaders(ctx.headers);
  const region = (await requestedRegion(ctx)) ?? ctx.config.region;
  const existing = ctx.bucket ?? (await ctx.stores.meta.getBucket(name));
  if (existing !== undefined) {
    // Amazon's us-east-1 answers 200 to the owner re-creating a bucket; other regions 409.
    if (existing.owner === ctx.user.name && existing.region === 'us-east-1' && region === 'us-east-1') {
      return { status: 200, headers: { location: `/${name}` } };
    }
    throw existing.owner === ctx.user.name ? bucketAlreadyOwnedByYou(name) : bucketAlreadyExists(name);
  }
  // A new bucket adds a row and invites data: refused below the floor (object-write.ts).
  await ctx.stores.meta.requireRoom();
  try {
    await ctx.stores.meta.createBucket({
      name,
      owner: ctx.user.name,
      createdAt: ctx.now(),
      region,
      ...(ctx.config.blockSseCOnNewBuckets ? { encryption: creationDefaultEncryption(['SSE-C']) } : {}),
    });
  } catch (err) {
    if (err instanceof MetaStoreError && err.code === 'STRONGBOX_BUCKET_EXISTS') {
      const winner = await ctx.stores.meta.getBucket(name);
      throw winner?.owner === ctx.user.name ? bucketAlreadyOwnedByYou(name) : bucketAlreadyExists(name);
    }
    throw err;
  }
  return { status: 200, headers: { location: `/${name}` } };
}

export async function headBucket(ctx: BucketContext): Promise<S3Response> {
  return { status: 200, headers: { 'x-amz-bucket-region': ctx.bucket.region, 'x-amz-access-point-alias': 'false' } };
}

/**
 * DeleteBucket: only when it holds no objects. Unfinished multipart uploads do not keep a
 * bucket alive (Amazon discards them), so they are aborted (their parts' blobs journaled).
 */
export async function deleteBucket(ctx: BucketContext): Promise<S3Response> {
  const { meta } = ctx.stores;
  if ((await meta.countObjects(ctx.bucketName)) > 0) throw bucketNotEmpty(ctx.bucketName);
  for (;;) {
    const uploads = await meta.listUploads(ctx.bucketName, { prefix: '', limit: 1000 });
    if (uploads.length === 0) break;
    for (const u of uploads) {
      await meta.abortUpload(u.uploadId);
    }
  }
  try {
    await ctx.stores.meta.deleteBucket(ctx.bucketName);
  } catch (err) {
    if (err instanceof MetaStoreError && err.code === 'STRONGBOX_BUCKET_NOT_EMPTY') throw bucketNotEmpty(ctx.bucketName);
    throw err;
  }
  return { status: 204 };
}

/** GetBucketLocation: empty for us-east-1, as Amazon answers. */
export async function getBucketLocation(ctx: BucketContext): Promise<S3Response> {
  const region = ctx.bucket.region === 'us-east-1' ? '' : ctx.bucket.region;
  return {
    status: 200,
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="${S3_XMLNS}">${escapeXml(region)}</LocationConstraint>`,
  };
}

/** GetBucketVersioning: Strongbox buckets are never versioned (yet), so the document is empty. */
export async function getBucketVersioning(_ctx: BucketContext): Promise<S3Response> {
  return { status: 200, body: renderXml('VersioningConfiguration', {}) };
}

