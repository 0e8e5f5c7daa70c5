import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Config } from '../config.js';
import type { UserRecord } from '../store/meta/types.js';
import type { ConditionLookup, Principal } from '../policy/types.js';
import { isSecure, sourceIp } from './secure-transport.js';

/**
 * Who sent a request and how: what the authorization stage evaluates policies against, kept
 * in the request context so that handlers can authorize a second resource (a copy source,
 * each key of DeleteObjects) the same way.
 */
export interface Requester {
  /** undefined: an anonymous request (no signature, no presigned query). */
  readonly user: UserRecord | undefined;
  readonly principal: Principal;
  readonly accountId: string;
  /** True when the client reached us over TLS (directly or through a trusted proxy). */
  readonly secure: boolean;
  /** The client's address (`aws:SourceIp`), see {@link sourceIp}. */
  readonly sourceIp: string | undefined;
  readonly presigned: boolean;
  readonly headers: IncomingHttpHeaders;
  readonly query: URLSearchParams;
  readonly now: () => Date;
}

export function requesterOf(
  config: Config,
  req: IncomingMessage,
  user: UserRecord | undefined,
  query: URLSearchParams,
  now: () => Date,
): Requester {
  return {
    user,
    principal: user === undefined ? { kind: 'anonymous' } : { kind: 'user', accountId: config.accountId, name: user.name },
    accountId: config.accountId,
    secure: isSecure(config, req),
    sourceIp: sourceIp(config, req),
    presigned: query.has('X-Amz-Signature'),
    headers: req.headers,
    query,
    now,
  };
}

/** Request headers that are S3 condition keys (`s3:<header>`), from the request only (§7). */
const HEADER_KEYS = new Set([
  'x-amz-acl', 'x-amz-content-sha256', 'x-amz-copy-source', 'x-amz-grant-full-control', 'x-amz-grant-read',
  'x-amz-grant-read-acp', 'x-amz-grant-write', 'x-amz-grant-write-acp', 'x-amz-metadata-directive',
  'x-amz-object-ownership', 'x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-server-side-encryption-customer-algorithm', 'x-amz-storage-class', 'x-amz-website-redirect-location',
]);
/** s3:prefix, s3:delimiter and s3:max-keys exist for these actions only. */
const LIST_ACTIONS = new Set(['s3:ListBucket', 's3:ListBucketVersions']);

const one = (value: string | string[] | undefined | null): string[] | undefined =>
  value === undefined || value === null ? undefined : Array.isArray(value) ? [value.join(',')] : [value];

/**
 * The condition keys of a request for `action`, by lower-case name. A key the request does
 * not carry is undefined, which is what `Null` tests and what makes `StringEquals` false.
 */
export function conditionLookup(r: Requester, action: string): ConditionLookup {
  return (key) => {
    switch (key) {
      case 'aws:securetransport':
        return [r.secure ? 'true' : 'false'];
      case 'aws:sourceip':
        return one(r.sourceIp);
      case 'aws:currenttime':
        return [r.now().toISOString()];
      case 'aws:epochtime':
        return [String(Math.floor(r.now().getTime() / 1000))];
      case 'aws:username':
      case 'aws:userid':
        return one(r.user?.name);
      case 'aws:principalaccount':
        return r.user === undefined ? undefined : [r.accountId];
      case 'aws:principalarn':
        return r.user === undefined ? undefined : [`arn:aws:iam::${r.accountId}:user/${r.user.name}`];
      case 'aws:principaltype':
        return [r.user === undefined ? 'Anonymous' : 'User'];
      case 'aws:useragent':
        return one(r.headers['user-agent']);
      case 'aws:referer':
        return one(r.headers.referer);
      case 's3:resourceaccount':
        return [r.accountId];
      case 's3:signatureversion':
        return r.user === undefined ? undefined : ['AWS4-HMAC-SHA256'];
      case 's3:authtype':
        return r.user === undefined ? undefined : [r.presigned ? 'REST-QUERY-STRING' : 'REST-HEADER'];
      case 's3:versionid':
        return one(r.query.get('versionId'));
      case 's3:prefix':
      case 's3:delimiter':
      case 's3:max-keys':
        return LIST_ACTIONS.has(action) ? one(r.query.get(key.slice(3))) : undefined;
      default: {
        const name = key.startsWith('s3:') ? key.slice(3) : '';
        return HEADER_KEYS.has(name) ? one(r.headers[name]) : undefined;
      }
    }
  };
}
