/**
 * The lines of `strongbox ls`: tab-separated, one per bucket, folder or object. An object line
 * is `DATE  SIZE  PROTECTION  KEY  NAME` where PROTECTION comes from a HEAD probe and KEY says,
 * for SSE-C objects, which of the given keys opens it.
 */
import type { CustomerKey } from './customer-key.js';
import { describeProtection, type Protection } from './probe.js';

/** What the KEY column says of an object that is not SSE-C. */
export const NO_KEY_COLUMN = '-';

/** `2026-01-02T03:04:05Z`: UTC, to the second, one token (no space inside a column). */
export const formatListDate = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;

/** The KEY column: the label of the key that opens an SSE-C object, or why there is none. */
export function keyColumn(p: Protection, keys: readonly CustomerKey[]): string {
  if (p.kind !== 'sse-c') return NO_KEY_COLUMN;
  if (p.opener !== undefined) return `key: ${p.opener.label}`;
  return keys.length === 0 ? 'key: ?' : 'key: none of the given keys';
}

/**
 * The NAME column: the whole key with --recursive, else the part after the listed prefix's
 * last `/`, as `aws s3 ls` shows them.
 */
export function displayName(key: string, prefix: string, recursive: boolean): string {
  return recursive ? key : key.slice(prefix.lastIndexOf('/') + 1);
}

export interface ObjectLine {
  readonly lastModified: Date;
  readonly size: number;
  readonly name: string;
}

/** An object's line; `probe` is its protection, or the error that kept it from being found. */
export function objectLine(o: ObjectLine, probe: Protection | { readonly error: string }, keys: readonly CustomerKey[]): string {
  const [protection, key] = 'error' in probe ? ['?', `error: ${probe.error}`] : [describeProtection(probe), keyColumn(probe, keys)];
  return [formatListDate(o.lastModified), String(o.size), protection, key, o.name].join('\t');
}

/** A common prefix ("folder") without --recursive: `PRE` in the PROTECTION column, the rest empty but NAME. */
export const prefixLine = (name: string): string => ['', '', 'PRE', '', name].join('\t');

/** A bucket of `strongbox ls` without arguments. */
export const bucketLine = (name: string, created: Date | undefined): string => `${created === undefined ? '-' : formatListDate(created)}\t${name}`;
