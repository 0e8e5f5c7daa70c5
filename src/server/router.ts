import { invalidUri } from '../errors/s3-error.js';

/**
 * The S3 routing table. A request is (method, target, query sub-resources, headers); the
 * first row that matches names the operation. Pure: no I/O; a path that is not valid
 * percent-encoded UTF-8 is 400 InvalidURI. Rows for sub-resources we do
 * not implement answer NotImplemented rather than falling through to a wrong success.
 */
export type Target = 'service' | 'bucket' | 'object';
/**
 * How the authorization stage (authorize.ts) decides: `any` user (service operations), the bucket
 * `policy` with the owner allowed by default, the bucket `owner` only (policy administration), or
 * per object `keys` in the handler (DeleteObjects).
 */
export type Access = 'any' | 'policy' | 'owner' | 'keys';

export interface RouteRow {
  readonly method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  readonly target: Target;
  /** Query parameters that must be present. */
  readonly query?: readonly string[];
  /** A header that must be present. */
  readonly header?: string;
  readonly op: string;
  readonly access: Access;
  /**
   * The IAM action the operation needs, as bucket policies name it (`s3:GetObject`); every
   * step of a write (PutObject, CopyObject, the multipart steps) is `s3:PutObject`
   * (../shared/spec/aws-sse.md §7). Informational on unimplemented rows.
   */
  readonly action: string;
}

/** Sub-resources of buckets and objects that Strongbox does not implement yet. */
const UNIMPLEMENTED_BUCKET = [
  'policyStatus', 'lifecycle', 'cors', 'tagging', 'website', 'logging',
  'notification', 'replication', 'object-lock', 'ownershipControls', 'publicAccessBlock', 'accelerate',
  'requestPayment', 'analytics', 'metrics', 'inventory', 'intelligent-tiering', 'metadataTable',
  'session',
] as const;
const UNIMPLEMENTED_OBJECT = ['tagging', 'retention', 'legal-hold', 'torrent', 'restore', 'select', 'renameObject'] as const;

const notImplementedRows = (target: Target, names: readonly string[]): RouteRow[] =>
  (['GET', 'PUT', 'DELETE', 'POST'] as const).flatMap((method) =>
    names.map((q) => ({ method, target, query: [q], op: 'NotImplemented', access: 'owner' as const, action: 'unimplemented' })),
  );

export const ROUTES: readonly RouteRow[] = Object.freeze([
  { method: 'GET', target: 'service', op: 'ListBuckets', access: 'any', action: 's3:ListAllMyBuckets' },

  { method: 'GET', target: 'bucket', query: ['location'], op: 'GetBucketLocation', access: 'policy', action: 's3:GetBucketLocation' },
  { method: 'GET', target: 'bucket', query: ['versioning'], op: 'GetBucketVersioning', access: 'policy', action: 's3:GetBucketVersioning' },
  { method: 'GET', target: 'bucket', query: ['versions'], op: 'ListObjectVersions', access: 'policy', action: 's3:ListBucketVersions' },
  { method: 'GET', target: 'bucket', query: ['acl'], op: 'GetBucketAcl', access: 'policy', action: 's3:GetBucketAcl' },
  { method: 'PUT', target: 'bucket', query: ['acl'], op: 'PutBucketAcl', access: 'policy', action: 's3:PutBucketAcl' },
  { method: 'GET', target: 'bucket', query: ['uploads'], op: 'ListMultipartUploads', access: 'policy', action: 's3:ListBucketMultipartUploads' },
  { method: 'GET', target: 'bucket', query: ['list-type'], op: 'ListObjectsV2', access: 'policy', action: 's3:ListBucket' },
  { method: 'GET', target: 'bucket', query: ['encryption'], op: 'GetBucketEncryption', access: 'policy', action: 's3:GetEncryptionConfiguration' },
  { method: 'PUT', target: 'bucket', query: ['encryption'], op: 'PutBucketEncryption', access: 'policy', action: 's3:PutEncryptionConfiguration' },
  { method: 'DELETE', target: 'bucket', query: ['encryption'], op: 'DeleteBucketEncryption', access: 'policy', action: 's3:PutEncryptionConfiguration' },
  { method: 'GET', target: 'bucket', query: ['policy'], op: 'GetBucketPolicy', access: 'owner', action: 's3:GetBucketPolicy' },
  { method: 'PUT', target: 'bucket', query: ['policy'], op: 'PutBucketPolicy', access: 'owner', action: 's3:PutBucketPolicy' },
  { method: 'DELETE', target: 'bucket', query: ['policy'], op: 'DeleteBucketPolicy', access: 'owner', action: 's3:DeleteBucketPolicy' },
  ...notImplementedRows('bucket', UNIMPLEMENTED_BUCKET),
  { method: 'PUT', target: 'bucket', query: ['versioning'], op: 'NotImplemented', access: 'owner', action: 's3:PutBucketVersioning' },
  { method: 'GET', target: 'bucket', op: 'ListObjects', access: 'policy', action: 's3:ListBucket' },
  { method: 'HEAD', target: 'bucket', op: 'HeadBucket', access: 'policy', action: 's3:ListBucket' },
  { method: 'PUT', target: 'bucket', op: 'CreateBucket', access: 'any', action: 's3:CreateBucket' },
  { method: 'DELETE', target: 'bucket', op: 'DeleteBucket', access: 'policy', action: 's3:DeleteBucket' },
  { method: 'POST', target: 'bucket', query: ['delete'], op: 'DeleteObjects', access: 'keys', action: 's3:DeleteObject' },
  // Browser-form POST uploads are not implemented yet.
  { method: 'POST', target: 'bucket', op: 'NotImplemented', access: 'owner', action: 's3:PutObject' },

  { method: 'GET', target: 'object', query: ['acl'], op: 'GetObjectAcl', access: 'policy', action: 's3:GetObjectAcl' },
  { method: 'PUT', target: 'object', query: ['acl'], op: 'PutObjectAcl', access: 'policy', action: 's3:PutObjectAcl' },
  ...notImplementedRows('object', UNIMPLEMENTED_OBJECT),
  { method: 'PUT', target: 'object', query: ['partNumber', 'uploadId'], header: 'x-amz-copy-source', op: 'UploadPartCopy', access: 'policy', action: 's3:PutObject' },
  { method: 'PUT', target: 'object', query: ['partNumber', 'uploadId'], op: 'UploadPart', access: 'policy', action: 's3:PutObject' },
  { method: 'PUT', target: 'object', header: 'x-amz-copy-source', op: 'CopyObject', access: 'policy', action: 's3:PutObject' },
  { method: 'PUT', target: 'object', op: 'PutObject', access: 'policy', action: 's3:PutObject' },
  { method: 'GET', target: 'object', query: ['uploadId'], op: 'ListParts', access: 'policy', action: 's3:ListMultipartUploadParts' },
  { method: 'GET', target: 'object', query: ['attributes'], op: 'GetObjectAttributes', access: 'policy', action: 's3:GetObjectAttributes' },
  { method: 'GET', target: 'object', op: 'GetObject', access: 'policy', action: 's3:GetObject' },
  { method: 'HEAD', target: 'object', op: 'HeadObject', access: 'policy', action: 's3:GetObject' },
  { method: 'DELETE', target: 'object', query: ['uploadId'], op: 'AbortMultipartUpload', access: 'policy', action: 's3:AbortMultipartUpload' },
  { method: 'DELETE', target: 'object', op: 'DeleteObject', access: 'policy', action: 's3:DeleteObject' },
  { method: 'POST', target: 'object', query: ['uploads'], op: 'CreateMultipartUpload', access: 'policy', action: 's3:PutObject' },
  { method: 'POST', target: 'object', query: ['uploadId'], op: 'CompleteMultipartUpload', access: 'policy', action: 's3:PutObject' },
] satisfies RouteRow[]);

export interface RouteInput {
  readonly method: string;
  /** Raw request path, still percent-encoded, without the query string. */
  readonly path: string;
  readonly host: string | undefined;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** With `--domain D`, requests to `<bucket>.D` are virtual-hosted style. */
  readonly domain: string | undefined;
}

export interface RouteMatch {
  readonly op: string;
  readonly access: Access;
  readonly action: string;
  readonly target: Target;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
}

export type RouteResult = RouteMatch | { readonly op: 'MethodNotAllowed'; readonly target: Target };

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    throw invalidUri();
  }
};

/**
 * The bucket a Host header names in virtual-hosted style (`<bucket>.D` with `--domain D`), or
 * undefined for a path-style request. The server's own paths (/_console, /_strongbox/health) are
 * served on path-style hosts only: on a bucket's host they are that bucket's object keys.
 */
export function virtualHostedBucket(hostHeader: string | undefined, domain: string | undefined): string | undefined {
  const host = (hostHeader ?? '').replace(/:\d+$/, '').toLowerCase();
  if (domain === undefined || host === domain || !host.endsWith(`.${domain}`)) return undefined;
  return host.slice(0, -(domain.length + 1));
}

/** Splits host and path into bucket and key (path style, or virtual-hosted with a domain). */
export function resolveTarget(input: RouteInput): { bucket?: string; key?: string } {
  let path = input.path;
  let bucket = virtualHostedBucket(input.host, input.domain);
  if (bucket === undefined) {
    const rest = path.replace(/^\//, '');
    const slash = rest.indexOf('/');
    bucket = slash === -1 ? rest : rest.slice(0, slash);
    path = slash === -1 ? '' : rest.slice(slash);
    if (bucket === '') return {};
    bucket = decode(bucket);
  }
  const rawKey = path.replace(/^\//, '');
  if (rawKey === '') return { bucket };
  return { bucket, key: decode(rawKey) };
}

/** The table's rows grouped by method and target, in table order (first match still wins). */
const ROWS_BY_METHOD_TARGET = new Map<string, RouteRow[]>();
for (const row of ROUTES) {
  const k = `${row.method} ${row.target}`;
  ROWS_BY_METHOD_TARGET.set(k, [...(ROWS_BY_METHOD_TARGET.get(k) ?? []), row]);
}

export function route(input: RouteInput): RouteResult {
  const { bucket, key } = resolveTarget(input);
  const target: Target = bucket === undefined ? 'service' : key === undefined ? 'bucket' : 'object';
  for (const row of ROWS_BY_METHOD_TARGET.get(`${input.method} ${target}`) ?? []) {
    if (row.query && !row.query.every((q) => input.query.has(q))) continue;
    if (row.header && input.headers[row.header] === undefined) continue;
    return { op: row.op, access: row.access, action: row.action, target, bucket, key };
  }
  return { op: 'MethodNotAllowed', target };
}
