import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkBody } from '../checksum/body-check.js';
import { parseRequestDigests } from '../checksum/request-checksum.js';
import { bodyChecksumRequired } from '../server/s3-error.js';
import { readSmallBody } from '../server/xml.js';
import type { RequestContext } from '../server/context.js';

/**
 * The small document a request carries (DeleteObjects, PutBucketEncryption, PutBucketPolicy),
 * read whole and checked against its Content-MD5 or flexible checksum when one is sent.
 * `requiredFor` names an operation whose model requires one: without it, 400 InvalidRequest.
 */
export async function readDocumentBody(ctx: RequestContext, opts: { limit?: number; requiredFor?: string } = {}): Promise<Buffer> {
  if (opts.requiredFor !== undefined) {
    const announced = parseRequestDigests(ctx.headers, ctx.payload.declaredTrailers);
    if (announced.checksum === undefined && announced.md5 === undefined) throw bodyChecksumRequired(opts.requiredFor);
  }
  const check = checkBody(ctx.headers, ctx.payload, { md5: false });
  const collected = new PassThrough();
  const [, body] = await Promise.all([pipeline(ctx.payload.body, check.stream, collected), readSmallBody(collected, opts.limit)]);
  await check.result();
  return body;
}
