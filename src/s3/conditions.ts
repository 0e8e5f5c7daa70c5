import type { IncomingHttpHeaders } from 'node:http';
import { MetaStoreError, type ObjectRecord, type WriteCondition } from '../store/meta/types.js';
import { header } from './headers.js';
import { noSuchKey, preconditionFailed } from '../errors/s3-error.js';

/**
 * Conditional requests as S3 evaluates them (RFC 7232 order): If-Match, else
 * If-Unmodified-Since, decides 412; then If-None-Match, else If-Modified-Since, decides 304.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 */
export type ConditionOutcome = 'proceed' | 'not-modified';

function etagList(value: string): string[] {
  return value.split(',').map((s) => s.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1'));
}

export function etagMatches(condition: string, etag: string): boolean {
  const bare = etag.replace(/^"(.*)"$/, '$1');
  return etagList(condition).some((c) => c === '*' || c === bare);
}

function parseDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** GET/HEAD conditions: throws 412 PreconditionFailed, or tells the caller to answer 304. */
export function evaluateReadConditions(headers: IncomingHttpHeaders, rec: ObjectRecord): ConditionOutcome {
  const ifMatch = header(headers, 'if-match');
  const ifNoneMatch = header(headers, 'if-none-match');
  const ifModifiedSince = parseDate(header(headers, 'if-modified-since'));
  const ifUnmodifiedSince = parseDate(header(headers, 'if-unmodified-since'));
  const modified = seconds(rec.lastModified);
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, rec.etag)) throw preconditionFailed('If-Match');
  } else if (ifUnmodifiedSince !== undefined && modified > ifUnmodifiedSince) {
    throw preconditionFailed('If-Unmodified-Since');
  }
  if (ifNoneMatch !== undefined) {
    if (etagMatches(ifNoneMatch, rec.etag)) return 'not-modified';
  } else if (ifModifiedSince !== undefined && modified <= ifModifiedSince) {
    return 'not-modified';
  }
  return 'proceed';
}

/** x-amz-copy-source-if-* conditions: every failure is 412 PreconditionFailed. */
export function evaluateCopySourceConditions(headers: IncomingHttpHeaders, rec: ObjectRecord): void {
  const ifMatch = header(headers, 'x-amz-copy-source-if-match');
  const ifNoneMatch = header(headers, 'x-amz-copy-source-if-none-match');
  const ifModifiedSince = parseDate(header(headers, 'x-amz-copy-source-if-modified-since'));
  const ifUnmodifiedSince = parseDate(header(headers, 'x-amz-copy-source-if-unmodified-since'));
  const modified = seconds(rec.lastModified);
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, rec.etag)) throw preconditionFailed('x-amz-copy-source-If-Match');
  } else if (ifUnmodifiedSince !== undefined && modified > ifUnmodifiedSince) {
    throw preconditionFailed('x-amz-copy-source-If-Unmodified-Since');
  }
  if (ifNoneMatch !== undefined) {
    if (etagMatches(ifNoneMatch, rec.etag)) throw preconditionFailed('x-amz-copy-source-If-None-Match');
  } else if (ifModifiedSince !== undefined && modified <= ifModifiedSince) {
    throw preconditionFailed('x-amz-copy-source-If-Modified-Since');
  }
}

/**
 * Conditional writes (PutObject, CompleteMultipartUpload, CopyObject destination):
 * `If-None-Match: *` (or the current ETag) fails when the key exists; `If-Match: <etag>`
 * needs the current ETag.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 */
/** Whether a write request carries a condition (so the current object must be looked up). */
export const hasWriteConditions = (headers: IncomingHttpHeaders): boolean =>
  headers['if-none-match'] !== undefined || headers['if-match'] !== undefined;

/**
 * The early check, before a body is stored: a request bound to fail is refused before its body
 * is read, as Amazon does. The authoritative check is the store's (writeCondition), inside the
 * transaction that writes.
 */
export function evaluateWriteConditions(headers: IncomingHttpHeaders, current: ObjectRecord | undefined, key: string): void {
  const ifNoneMatch = header(headers, 'if-none-match');
  const ifMatch = header(headers, 'if-match');
  if (ifNoneMatch !== undefined && current !== undefined && etagMatches(ifNoneMatch, current.etag)) {
    throw preconditionFailed('If-None-Match');
  }
  if (ifMatch !== undefined) {
    if (current === undefined) throw noSuchKey(key);
    if (!etagMatches(ifMatch, current.etag)) throw preconditionFailed('If-Match');
  }
}

/** The request's write conditions, for the store to check inside its transaction; undefined when none. */
export function writeCondition(headers: IncomingHttpHeaders): WriteCondition | undefined {
  const ifNoneMatch = header(headers, 'if-none-match');
  const ifMatch = header(headers, 'if-match');
  if (ifNoneMatch === undefined && ifMatch === undefined) return undefined;
  return {
    ...(ifNoneMatch === undefined ? {} : { ifNoneMatch: etagList(ifNoneMatch) }),
    ...(ifMatch === undefined ? {} : { ifMatch: etagList(ifMatch) }),
  };
}

/**
 * A store's refusal of a WriteCondition as the S3 error evaluateWriteConditions gives for the
 * same finding (412 PreconditionFailed, or 404 NoSuchKey for If-Match on a missing key); any
 * other error is returned unchanged.
 */
export function writeConditionError(err: unknown, key: string): unknown {
  if (!(err instanceof MetaStoreError)) return err;
  if (err.code === 'STRONGBOX_IF_NONE_MATCH_FAILED') return preconditionFailed('If-None-Match');
  if (err.code === 'STRONGBOX_IF_MATCH_FAILED') return preconditionFailed('If-Match');
  if (err.code === 'STRONGBOX_OBJECT_MISSING') return noSuchKey(key);
  return err;
}
