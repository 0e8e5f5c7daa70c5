import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROUTES, route, type RouteInput } from '../../src/server/router.js';

const DOMAIN = 's3.example.test';

function input(method: string, bucket: string | undefined, key: string | undefined, query: string, headers: Record<string, string>, style: 'path' | 'vhost'): RouteInput {
  const encodedKey = key === undefined ? undefined : key.split('/').map(encodeURIComponent).join('/');
  if (style === 'path' || bucket === undefined) {
    const path = bucket === undefined ? '/' : `/${bucket}${encodedKey === undefined ? '' : `/${encodedKey}`}`;
    return { method, path, host: '127.0.0.1:9000', query: new URLSearchParams(query), headers, domain: DOMAIN };
  }
  return {
    method,
    path: encodedKey === undefined ? '/' : `/${encodedKey}`,
    host: `${bucket}.${DOMAIN}:9000`,
    query: new URLSearchParams(query),
    headers,
    domain: DOMAIN,
  };
}

test('every row of the table is reachable, path style and virtual-hosted style', () => {
  for (const row of ROUTES) {
    const bucket = row.target === 'service' ? undefined : 'my-bucket';
    const key = row.target === 'object' ? 'dir/a key+with%odd chars' : undefined;
    const query = (row.query ?? []).map((q) => `${q}=1`).join('&');
    const headers: Record<string, string> = row.header === undefined ? {} : { [row.header]: 'x' };
    for (const style of ['path', 'vhost'] as const) {
      const m = route(input(row.method, bucket, key, query, headers, style));
      assert.ok('access' in m, `${row.method} ${row.target} ${query} (${style}) found no row`);
      // The first matching row wins; a more specific row earlier in the table may shadow a
      // general one, never the other way round.
      const first = ROUTES.find((r) => r.method === row.method && r.target === row.target && (r.query ?? []).every((q) => (row.query ?? []).includes(q)) && (r.header === undefined || r.header === row.header));
      assert.equal(m.op, first?.op, `${row.method} ${row.target} ${query} ${row.header ?? ''} (${style})`);
      assert.equal(m.bucket, bucket);
      assert.equal(m.key, key);
    }
  }
});

test('copy and part operations are told apart by query and header', () => {
  const op = (method: string, query: string, headers: Record<string, string> = {}) =>
    route(input(method, 'b', 'k', query, headers, 'path')).op;
  assert.equal(op('PUT', ''), 'PutObject');
  assert.equal(op('PUT', '', { 'x-amz-copy-source': 'a/b' }), 'CopyObject');
  assert.equal(op('PUT', 'partNumber=1&uploadId=u'), 'UploadPart');
  assert.equal(op('PUT', 'partNumber=1&uploadId=u', { 'x-amz-copy-source': 'a/b' }), 'UploadPartCopy');
  assert.equal(op('POST', 'uploads'), 'CreateMultipartUpload');
  assert.equal(op('POST', 'uploadId=u'), 'CompleteMultipartUpload');
  assert.equal(op('DELETE', 'uploadId=u'), 'AbortMultipartUpload');
  assert.equal(op('GET', 'uploadId=u'), 'ListParts');
  assert.equal(op('GET', 'tagging'), 'NotImplemented');
  assert.equal(op('GET', 'partNumber=2'), 'GetObject');
});

test('bucket-level queries and unknown methods', () => {
  const op = (method: string, query: string) => route(input(method, 'b', undefined, query, {}, 'path')).op;
  assert.equal(op('GET', ''), 'ListObjects');
  assert.equal(op('GET', 'list-type=2'), 'ListObjectsV2');
  assert.equal(op('GET', 'versions'), 'ListObjectVersions');
  assert.equal(op('GET', 'uploads'), 'ListMultipartUploads');
  assert.equal(op('GET', 'location'), 'GetBucketLocation');
  assert.equal(op('PUT', 'encryption'), 'PutBucketEncryption');
  assert.equal(op('GET', 'encryption'), 'GetBucketEncryption');
  assert.equal(op('DELETE', 'encryption'), 'DeleteBucketEncryption');
  assert.equal(op('PUT', 'cors'), 'NotImplemented');
  assert.equal(op('POST', 'delete'), 'DeleteObjects');
  assert.equal(op('PATCH', ''), 'MethodNotAllowed');
  assert.equal(route(input('GET', undefined, undefined, '', {}, 'path')).op, 'ListBuckets');
});

test('keys are decoded once; a trailing slash belongs to the key', () => {
  const m = route(input('GET', 'b', 'a/b/', '', {}, 'path'));
  assert.ok('key' in m);
  assert.equal(m.key, 'a/b/');
  const v = route({ method: 'GET', path: '/%2541', host: `b.${DOMAIN}`, query: new URLSearchParams(), headers: {}, domain: DOMAIN });
  assert.ok('key' in v);
  assert.equal(v.bucket, 'b');
  assert.equal(v.key, '%41');
  // The bare domain is path style.
  const p = route({ method: 'GET', path: '/b/k', host: DOMAIN, query: new URLSearchParams(), headers: {}, domain: DOMAIN });
  assert.ok('key' in p);
  assert.equal(p.bucket, 'b');
});

test('a path that is not valid percent-encoding is InvalidURI', () => {
  assert.throws(
    () => route({ method: 'GET', path: '/b/%E0%A4%A', host: 'h', query: new URLSearchParams(), headers: {}, domain: undefined }),
    { code: 'InvalidURI', status: 400 },
  );
});
