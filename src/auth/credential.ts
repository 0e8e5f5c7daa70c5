import { KEY_TYPE } from './constants.js';
import type { S3Error } from '../errors/s3-error.js';

/** The parts of `<access key>/<yyyymmdd>/<region>/<service>/aws4_request`. */
export interface Credential {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  /** `<date>/<region>/<service>/aws4_request`, the credential scope of the string to sign. */
  readonly scope: string;
}

/**
 * Parses a credential. `prefix` starts each message the way Amazon does for the header
 * ("The authorization header is malformed; ") or the query ("Error parsing the
 * X-Amz-Credential parameter; "); `fail` builds the matching S3Error.
 */
export function parseCredential(
  value: string,
  services: readonly string[],
  prefix: string,
  fail: (message: string) => S3Error,
): Credential {
  const parts = value.split('/');
  const [accessKeyId, date, region, service, terminal] = parts;
  if (
    parts.length !== 5 ||
    accessKeyId === undefined ||
    accessKeyId === '' ||
    date === undefined ||
    !/^\d{8}$/.test(date) ||
    region === undefined ||
    region === '' ||
    service === undefined ||
    terminal === undefined
  ) {
    throw fail(`${prefix}the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
  }
  if (!services.includes(service)) {
    throw fail(`${prefix}incorrect service "${service}". This endpoint belongs to "${services[0] ?? 's3'}".`);
  }
  if (terminal !== KEY_TYPE) {
    throw fail(`${prefix}incorrect terminal "${terminal}". This endpoint uses "${KEY_TYPE}".`);
  }
  return { accessKeyId, date, region, service, scope: `${date}/${region}/${service}/${KEY_TYPE}` };
}

/** Parses the ISO 8601 basic format of x-amz-date (`20130524T000000Z`). */
export function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const date = new Date(t);
  // Reject values Date.UTC silently rolls over (month 13, 25:00 …).
  return formatAmzDate(date) === value ? date : undefined;
}

/** Formats a Date as x-amz-date (`20130524T000000Z`). */
export function formatAmzDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** Formats a Date the way Amazon writes ServerTime (`2013-05-24T00:00:00Z`). */
export function formatServerTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
