import type { IncomingHttpHeaders } from 'node:http';
import type { ObjectContext, ResponseHeaders, S3Response } from '../server/context.js';
import type { ObjectRecord } from '../store/meta/types.js';
import { openObject, type ReadableObject } from '../crypto/encryption.js';
import { checksumHeaders } from '../checksum/response-headers.js';
import { invalidPart, noSuchKey, invalidArgument } from '../errors/s3-error.js';
import { header, intParam, objectHeaders } from './headers.js';
import { authorizeAccess } from '../server/authorize.js';
import { evaluateReadConditions } from './conditions.js';
import { contentRange, parseRange, type ByteRange } from './range.js';

/** Query parameters that override response headers on GET (signed requests only). */
const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

/**
 * Looks up the object, or NoSuchKey (HEAD sends the status only). As on Amazon, a requester who
 * may not list the bucket (s3:ListBucket) learns nothing of which keys exist: 403, not 404.
 */
export async function findObject(ctx: ObjectContext): Promise<ObjectRecord> {
  const rec = await ctx.stores.meta.getObject(ctx.bucketName, ctx.key);
  if (rec === undefined) {
    authorizeAccess(ctx.requester, ctx.bucket, undefined, 's3:ListBucket');
    throw noSuchKey(ctx.key);
  }
  return rec;
}

interface ReadPlan {
  readonly status: 200 | 206 | 304;
  readonly range: ByteRange | undefined;
  readonly headers: ResponseHeaders;
}

/**
 * Finds and opens the object of a GET or HEAD with the request's keys. A `partNumber` beyond
 * its parts is InvalidPart before any key is looked at (as RGW).
 */
async function openForRead(ctx: ObjectContext): Promise<{ obj: ReadableObject; partNumber: number | undefined }> {
  const rec = await findObject(ctx);
  const partNumber = intParam(ctx.query, 'partNumber', 1, 10000, 'Part number must be an integer between 1 and 10000, inclusive');
  if (partNumber !== undefined && partNumber > (rec.partsCount ?? 1)) throw invalidPart({ PartNumber: partNumber });
  return { obj: await openObject(ctx, rec, 'object'), partNumber };
}

/** Decides what a GET or HEAD answers: conditions, range or part. */
function planRead(ctx: ObjectContext, obj: ReadableObject, partNumber: number | undefined): ReadPlan {
  const { headers } = ctx;
  const rec = obj.record;
  const base: ResponseHeaders = { ...objectHeaders(rec), ...obj.responseHeaders() };
  if (rec.partsCount !== undefined) base['x-amz-mp-parts-count'] = rec.partsCount;
  if (evaluateReadConditions(headers, rec) === 'not-modified') {
    return { status: 304, range: undefined, headers: { etag: rec.etag, 'last-modified': base['last-modified'] } };
  }
  const rangeHeader = header(headers, 'range');
  if (partNumber !== undefined) {
    if (rangeHeader !== undefined) throw invalidArgument('Cannot specify both Range header and partNumber query parameter', 'partNumber');
    return { ...planPart(rec, partNumber), headers: { ...base, ...partHeaders(rec, partNumber, wantChecksums(headers)) } };
  }
  const range = parseRange(rangeHeader, rec.size);
  if (range !== undefined) {
    // No full-object checksum on 206: clients would validate it against the range.
    return { status: 206, range, headers: { ...base, 'content-range': contentRange(range, rec.size), 'content-length': range.end - range.start + 1 } };
  }
  return {
    status: 200,
    range: undefined,
    headers: { ...base, 'content-length': rec.size, ...(wantChecksums(headers) && rec.checksum ? checksumHeaders(rec.checksum) : {}) },
  };
}

function wantChecksums(headers: IncomingHttpHeaders): boolean {
  return header(headers, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
}

/** The byte range of part `n` (checked by openForRead); an object uploaded in one piece has a single part 1. */
function planPart(rec: ObjectRecord, n: number): { status: 200 | 206; range: ByteRange | undefined } {
  if (rec.partsCount === undefined) {
    return { status: 206, range: rec.size === 0 ? undefined : { start: 0, end: rec.size - 1 } };
  }
  let start = 0;
  for (let i = 0; i < n - 1; i++) start += rec.segments[i]!.size;
  const size = rec.segments[n - 1]!.size;
  return { status: 206, range: size === 0 ? undefined : { start, end: start + size - 1 } };
}

function partHeaders(rec: ObjectRecord, n: number, checksums: boolean): ResponseHeaders {
  const h: ResponseHeaders = { 'x-amz-mp-parts-count': rec.partsCount ?? 1 };
  if (rec.partsCount === undefined) {
    h['content-length'] = rec.size;
    if (rec.size > 0) h['content-range'] = contentRange({ start: 0, end: rec.size - 1 }, rec.size);
    if (checksums && rec.checksum) Object.assign(h, checksumHeaders(rec.checksum));
    return h;
  }
  let start = 0;
  for (let i = 0; i < n - 1; i++) start += rec.segments[i]!.size;
  const seg = rec.segments[n - 1]!;
  h['content-length'] = seg.size;
  if (seg.size > 0) h['content-range'] = contentRange({ start, end: start + seg.size - 1 }, rec.size);
  // The part's own checksum, under the object's checksum type (COMPOSITE or FULL_OBJECT).
  if (checksums && seg.checksum) {
    Object.assign(h, checksumHeaders({ ...seg.checksum, type: rec.checksum?.type ?? seg.checksum.type }));
  }
  return h;
}

/** GetObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html */
export async function getObject(ctx: ObjectContext): Promise<S3Response> {
  const { obj, partNumber } = await openForRead(ctx);
  let reading = false;
  try {
    const response = await readObject(ctx, obj, partNumber);
    reading = response.body !== undefined && !Buffer.isBuffer(response.body);
    return response;
  } finally {
    // A streamed body wipes the keys when it closes.
    if (!reading) obj.dispose();
  }
}

async function readObject(ctx: ObjectContext, obj: ReadableObject, partNumber: number | undefined): Promise<S3Response> {
  const rec = obj.record;
  const plan = planRead(ctx, obj, partNumber);
  if (plan.status === 304) return { status: 304, headers: plan.headers };
  const headers = { ...plan.headers };
  for (const [param, name] of Object.entries(RESPONSE_OVERRIDES)) {
    const v = ctx.query.get(param);
    if (v !== null) headers[name] = v;
  }
  const { start, end } = plan.range ?? { start: 0, end: rec.size - 1 };
  if (end < start) return { status: plan.status, headers: { ...headers, 'content-length': 0 } };
  const body = await obj.read(ctx.stores.blobs, start, end);
  return { status: plan.status, headers, body };
}

/** HeadObject: the same answer as GetObject without a body. */
export async function headObject(ctx: ObjectContext): Promise<S3Response> {
  const { obj, partNumber } = await openForRead(ctx);
  try {
    const plan = planRead(ctx, obj, partNumber);
    return { status: plan.status, headers: plan.headers };
  } finally {
    obj.dispose();
  }
}
