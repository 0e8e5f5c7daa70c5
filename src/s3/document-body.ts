import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkBody } from '../checksum/body-check.js';
import { parseRequestDigests } from '../checksum/request-checksum.js';
import type { S3Error } from '../errors/s3-error.js';
import { parseRequestXml, readSmallBody, type XmlElement } from '../server/xml-request.js';
import type { RequestContext } from '../server/context.js';

export interface DocumentBodyOptions {
  /** Bytes at most; more is MaxMessageLengthExceeded. */
  readonly limit: number;
  /** For operations whose model requires a Content-MD5 or checksum: the error when neither is sent. */
  readonly checksumRequired?: () => S3Error;
}

/**
 * The small document a request carries (DeleteObjects, PutBucketEncryption, PutBucketPolicy,
 * CreateBucket, the ACLs), read whole and checked against its Content-MD5 or flexible
 * checksum when one is sent.
 */
export async function readDocumentBody(ctx: RequestContext, opts: DocumentBodyOptions): Promise<Buffer> {
  if (opts.checksumRequired !== undefined) {
    const announced = parseRequestDigests(ctx.headers, ctx.payload.declaredTrailers);
    if (announced.checksum === undefined && announced.md5 === undefined) throw opts.checksumRequired();
  }
  const check = checkBody(ctx.headers, ctx.payload, { md5: false });
  const collected = new PassThrough();
  const [, body] = await Promise.all([pipeline(ctx.payload.body, check.stream, collected), readSmallBody(collected, opts.limit)]);
  await check.result();
  return body;
}

/**
 * An XML request document with root element `root`, verified as {@link readDocumentBody}
 * does and read by the one XML reader. `optional` lets an empty body through as undefined
 * (CreateBucket and the ACLs may come without one).
 */
export async function readXmlDocument(ctx: RequestContext, root: string, opts: DocumentBodyOptions & { optional: true }): Promise<XmlElement | undefined>;
export async function readXmlDocument(ctx: RequestContext, root: string, opts: DocumentBodyOptions): Promise<XmlElement>;
export async function readXmlDocument(ctx: RequestContext, root: string, opts: DocumentBodyOptions & { optional?: boolean }): Promise<XmlElement | undefined> {
  const body = await readDocumentBody(ctx, opts);
  if (body.length === 0 && opts.optional === true) return undefined;
  return parseRequestXml(body, root);
}
