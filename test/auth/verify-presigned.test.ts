import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { S3Client, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { AuthInput } from '../../src/auth/verify-request.js';
import { AK, NOW, SK, request, rfc3986, s3Throws, signer, toAuthInput, verify, type SmithyRequest } from './helpers.js';

/**
 * Presigns like boto3 does: the payload line is UNSIGNED-PAYLOAD and nothing in the URL says
 * so. (smithy would use the empty-body hash unless told; the header is neither signed nor
 * hoisted, and dropped before sending.)
 */
async function presign(r: SmithyRequest, expiresIn = 3600): Promise<AuthInput> {
  const hidden = new Set(['x-amz-content-sha256']);
  const withHash = { ...r, headers: { ...r.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } };
  const signed = (await signer().presign(withHash, {
    signingDate: NOW,
    expiresIn,
    unsignableHeaders: hidden,
    unhoistableHeaders: hidden,
  })) as unknown as SmithyRequest;
  const { 'x-amz-content-sha256': _dropped, ...headers } = signed.headers;
  assert.ok(!Object.keys(signed.query).some((k) => k.toLowerCase() === 'x-amz-content-sha256'));
  return toAuthInput({ ...signed, headers });
}
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
const objectPath = (key: string) => `/bucket/${key.split('/').map(rfc3986).join('/')}`;

function withParam(input: AuthInput, name: string, value: string | undefined): AuthInput {
  const parts = input.rawQuery.split('&').filter((p) => !p.startsWith(`${name}=`));
  if (value !== undefined) parts.push(`${name}=${value}`);
  return { ...input, rawQuery: parts.join('&') };
}

test('presigned round trip with awkward keys and query values; expiry enforced', async () => {
  for (const key of ['plain', 'a b/ü/😀', "x!'()*+=&;.txt"]) {
    const input = await presign(request('GET', objectPath(key), { 'response-content-disposition': 'attachment; filename="a b.txt"' }));
    const v = verify(input, undefined, at(3599));
    assert.equal(v.accessKeyId, AK);
    assert.equal(v.payload.mode, 'unsigned');
    const err = s3Throws(() => verify(input, undefined, at(3601)), 'AccessDenied');
    assert.equal(err.message, 'Request has expired');
    assert.equal(err.status, 403);
  }
});

test('presigned: unsigned x-amz headers tolerated (an Authorization header is not: auth-mechanisms.test.ts)', async () => {
  const input = await presign(request('GET', '/bucket/k'));
  const extra = { ...input, headers: { ...input.headers, 'x-amz-meta-x': '1' } };
  assert.equal(verify(extra).accessKeyId, AK);
});

test('presigned PUT: body passes through raw (UNSIGNED-PAYLOAD implied)', async () => {
  const input = await presign(request('PUT', '/bucket/k', {}, { 'content-length': '3' }));
  const body = Readable.from([Buffer.from('abc')]);
  const v = verify(input, body);
  assert.equal(v.payload.body, body);
  assert.equal(v.payload.length, 3);
});

test('presigned: X-Amz-Expires bounds and missing parameters', async () => {
  const input = await presign(request('GET', '/bucket/k'));
  for (const bad of ['0', '-1', '604801', 'abc']) {
    assert.equal(s3Throws(() => verify(withParam(input, 'X-Amz-Expires', bad)), 'AuthorizationQueryParametersError').status, 400);
  }
  assert.match(
    s3Throws(() => verify(withParam(input, 'X-Amz-Expires', '604801')), 'AuthorizationQueryParametersError').message,
    /604800 seconds/,
  );
  for (const name of ['X-Amz-Algorithm', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature']) {
    const err = s3Throws(() => verify(withParam(input, name, undefined)), 'AuthorizationQueryParametersError');
    assert.match(err.message, /requires the X-Amz-Algorithm/);
  }
  s3Throws(() => verify(withParam(input, 'X-Amz-Algorithm', 'AWS4-HMAC-SHA1')), 'AuthorizationQueryParametersError');
  s3Throws(() => verify(withParam(input, 'X-Amz-Algorithm', 'AWS4-ECDSA-P256-SHA256')), 'NotImplemented');
  s3Throws(() => verify(withParam(input, 'X-Amz-Date', '2013-05-24')), 'AuthorizationQueryParametersError');
  const badCred = withParam(input, 'X-Amz-Credential', rfc3986(`${AK}/20130524/us-east-1/s3`));
  assert.match(s3Throws(() => verify(badCred), 'AuthorizationQueryParametersError').message, /^Error parsing the X-Amz-Credential parameter; /);
  // A longer lifetime within a week is fine.
  const week = await presign(request('GET', '/bucket/k'), 604800);
  assert.equal(verify(week, undefined, at(604799)).accessKeyId, AK);
  s3Throws(() => verify(week, undefined, at(604801)), 'AccessDenied');
});

test('presigned: tampering, unknown keys, not-yet-valid URLs', async () => {
  const input = await presign(request('GET', '/bucket/k', { versionId: 'v1' }));
  s3Throws(() => verify(withParam(input, 'versionId', 'v2')), 'SignatureDoesNotMatch');
  s3Throws(() => verify({ ...input, rawPath: '/bucket/other' }), 'SignatureDoesNotMatch');
  s3Throws(() => verify(withParam(input, 'X-Amz-Expires', '3000')), 'SignatureDoesNotMatch');
  const sig = /X-Amz-Signature=([0-9a-f]+)/.exec(input.rawQuery)![1]!;
  s3Throws(() => verify(withParam(input, 'X-Amz-Signature', sig.replace(/.$/, (c) => (c === '0' ? '1' : '0')))), 'SignatureDoesNotMatch');
  const unknown = withParam(input, 'X-Amz-Credential', rfc3986(`AKIDNOPE/20130524/us-east-1/s3/aws4_request`));
  s3Throws(() => verify(unknown), 'InvalidAccessKeyId');
  s3Throws(() => verify(input, undefined, at(-3600)), 'AccessDenied');
});

test('presigned URLs from @aws-sdk/s3-request-presigner verify', async () => {
  const client = new S3Client({
    region: 'eu-west-3',
    endpoint: 'http://127.0.0.1:9000',
    forcePathStyle: true,
    credentials: { accessKeyId: AK, secretAccessKey: SK },
  });
  try {
    for (const command of [
      new GetObjectCommand({ Bucket: 'bucket', Key: 'dir/ä b+c%.txt', ResponseContentType: 'text/plain; charset=utf-8' }),
      new PutObjectCommand({ Bucket: 'bucket', Key: "x!'()*", ContentType: 'text/plain', Metadata: { note: 'a b' } }),
    ]) {
      const url = new URL(await getSignedUrl(client, command as never, { expiresIn: 900, signingDate: NOW }));
      const input: AuthInput = {
        method: command instanceof PutObjectCommand ? 'PUT' : 'GET',
        rawPath: url.pathname,
        rawQuery: url.search.slice(1),
        headers: { host: url.host, 'content-type': 'text/plain' },
      };
      assert.equal(verify(input, undefined, at(899)).accessKeyId, AK, url.href);
      s3Throws(() => verify(input, undefined, at(901)), 'AccessDenied');
    }
  } finally {
    client.destroy();
  }
});
