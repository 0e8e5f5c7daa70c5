/**
 * Issue 14, defect 4: one request, one authentication. A presigned URL with an Authorization
 * header, a repeated X-Amz-* query parameter, two Authorization lines or a header listed twice
 * in SignedHeaders are refused with 400 InvalidArgument, as Amazon refuses them; repeated
 * header lines stay legal (SigV4 joins their values with commas).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import type { AuthInput } from '../../src/auth/verify-request.js';
import { AK, NOW, SK, request, s3Throws, signer, toAuthInput, verify, type SmithyRequest } from './helpers.js';

const ONE_MECHANISM =
  'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified';
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

/** Presigns as boto3 does: UNSIGNED-PAYLOAD, neither signed nor hoisted (see verify-presigned.test.ts). */
async function presign(r: SmithyRequest): Promise<AuthInput> {
  const hidden = new Set(['x-amz-content-sha256']);
  const withHash = { ...r, headers: { ...r.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } };
  const signed = (await signer().presign(withHash, {
    signingDate: NOW,
    expiresIn: 3600,
    unsignableHeaders: hidden,
    unhoistableHeaders: hidden,
  })) as unknown as SmithyRequest;
  const { 'x-amz-content-sha256': _dropped, ...headers } = signed.headers;
  return toAuthInput({ ...signed, headers });
}

async function headerSigned(r: SmithyRequest): Promise<AuthInput> {
  return toAuthInput((await signer().sign(r as never, { signingDate: NOW })) as unknown as SmithyRequest);
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * A header-authenticated GET signed by hand over exactly `signedHeaders` (which may list a
 * name twice, giving its canonical line twice): what a careless signer would send.
 */
function handSigned(signedHeaders: readonly string[]): AuthInput {
  const amzDate = '20130524T000000Z';
  const headers: Record<string, string> = { host: 'localhost', 'x-amz-date': amzDate, 'x-amz-content-sha256': EMPTY_SHA256 };
  const canonicalHeaders = signedHeaders.map((n) => `${n}:${headers[n]}\n`).join('');
  const canonical = ['GET', '/bucket/k', '', canonicalHeaders, signedHeaders.join(';'), EMPTY_SHA256].join('\n');
  const scope = '20130524/us-east-1/s3/aws4_request';
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  let key = hmac(`AWS4${SK}`, '20130524');
  for (const part of ['us-east-1', 's3', 'aws4_request']) key = hmac(key, part);
  const signature = hmac(key, stringToSign).toString('hex');
  const authorization = `AWS4-HMAC-SHA256 Credential=${AK}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return { method: 'GET', rawPath: '/bucket/k', rawQuery: '', headers: { ...headers, authorization } };
}

test('a presigned URL with an Authorization header is refused: InvalidArgument naming the header', async () => {
  const input = await presign(request('GET', '/bucket/k'));
  assert.equal(verify(input).accessKeyId, AK);
  for (const authorization of ['Bearer unrelated', 'AWS4-HMAC-SHA256 Credential=x, SignedHeaders=host, Signature=00']) {
    const err = s3Throws(() => verify({ ...input, headers: { ...input.headers, authorization } }), 'InvalidArgument');
    assert.equal(err.status, 400);
    assert.equal(err.message, ONE_MECHANISM);
    assert.deepEqual(err.fields, { ArgumentName: 'Authorization', ArgumentValue: authorization });
  }
  // An empty Authorization header is no second mechanism.
  assert.equal(verify({ ...input, headers: { ...input.headers, authorization: '' } }).accessKeyId, AK);
});

test('a repeated X-Amz-Signature (or any query-auth parameter) is refused, whatever the case', async () => {
  const input = await presign(request('GET', '/bucket/k'));
  const sig = /X-Amz-Signature=([0-9a-f]+)/.exec(input.rawQuery)![1]!;
  const other = sig.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
  for (const extra of [`X-Amz-Signature=${sig}`, `X-Amz-Signature=${other}`, `x-amz-signature=${other}`]) {
    const err = s3Throws(() => verify({ ...input, rawQuery: `${input.rawQuery}&${extra}` }), 'InvalidArgument');
    assert.equal(err.message, ONE_MECHANISM);
    assert.equal(err.fields['ArgumentName'], extra.split('=')[0]);
    assert.equal(err.fields['ArgumentValue'], extra.split('=')[1]);
  }
  for (const extra of ['X-Amz-Date=20130524T000000Z', 'X-Amz-Algorithm=AWS4-HMAC-SHA256', 'X-Amz-Credential=x', 'X-Amz-Expires=1']) {
    assert.equal(s3Throws(() => verify({ ...input, rawQuery: `${input.rawQuery}&${extra}` }), 'InvalidArgument').message, ONE_MECHANISM);
  }
});

test('any other X-Amz-* query parameter given twice is refused too; other repeats are left to the signature', async () => {
  const input = await presign(request('GET', '/bucket/k', { 'x-amz-meta-a': '1' }));
  const err = s3Throws(() => verify({ ...input, rawQuery: `${input.rawQuery}&x-amz-meta-a=2` }), 'InvalidArgument');
  assert.equal(err.fields['ArgumentName'], 'x-amz-meta-a');
  assert.match(err.message, /x-amz-meta-a may be given only once/);
  // Header auth: the same rule, before the signature is looked at.
  const signed = await headerSigned(request('GET', '/bucket/k', { 'X-Amz-Foo': '1' }, { 'x-amz-content-sha256': EMPTY_SHA256 }));
  assert.equal(verify(signed).accessKeyId, AK);
  s3Throws(() => verify({ ...signed, rawQuery: `${signed.rawQuery}&X-Amz-Foo=1` }), 'InvalidArgument');
  // A repeated ordinary parameter is no second authentication: the signature covers both values.
  const two = await headerSigned({ ...request('GET', '/bucket/k', {}, { 'x-amz-content-sha256': EMPTY_SHA256 }), query: { tag: ['a', 'b'] } });
  assert.equal(verify(two).accessKeyId, AK);
});

test('two Authorization header lines are refused', async () => {
  const input = await headerSigned(request('GET', '/bucket/k', {}, { 'x-amz-content-sha256': EMPTY_SHA256 }));
  const raw = Object.entries(input.headers).flatMap(([k, v]) => [k, String(v)]);
  assert.equal(verify({ ...input, rawHeaders: raw }).accessKeyId, AK);
  const twice = [...raw, 'Authorization', String(input.headers.authorization)];
  const err = s3Throws(() => verify({ ...input, rawHeaders: twice }), 'InvalidArgument');
  assert.equal(err.message, ONE_MECHANISM);
});

test('a header listed twice in SignedHeaders is refused, in the header and in a presigned URL', async () => {
  const good = handSigned(['host', 'x-amz-content-sha256', 'x-amz-date']);
  assert.equal(verify(good).accessKeyId, AK, 'the hand signer agrees with the verifier');
  const twice = handSigned(['host', 'host', 'x-amz-content-sha256', 'x-amz-date']);
  const err = s3Throws(() => verify(twice), 'InvalidArgument');
  assert.equal(err.status, 400);
  assert.equal(err.fields['ArgumentName'], 'SignedHeaders');
  assert.equal(err.fields['ArgumentValue'], 'host;host;x-amz-content-sha256;x-amz-date');
  assert.match(err.message, /host is listed twice/);

  const input = await presign(request('GET', '/bucket/k'));
  const dup = { ...input, rawQuery: input.rawQuery.replace('X-Amz-SignedHeaders=host', 'X-Amz-SignedHeaders=host%3BHost') };
  assert.equal(s3Throws(() => verify(dup), 'InvalidArgument').fields['ArgumentName'], 'X-Amz-SignedHeaders');
});

test('repeated header lines stay legal: their values join with commas in the canonical line', async () => {
  const signed = await headerSigned(request('GET', '/bucket/k', {}, { 'x-amz-content-sha256': EMPTY_SHA256, 'x-amz-meta-a': 'a,b' }));
  const raw: string[] = [];
  for (const [k, v] of Object.entries(signed.headers)) {
    if (k === 'x-amz-meta-a') raw.push('x-amz-meta-a', 'a', 'X-Amz-Meta-A', 'b');
    else raw.push(k, String(v));
  }
  assert.equal(verify({ ...signed, headers: { ...signed.headers, 'x-amz-meta-a': 'a, b' }, rawHeaders: raw }).accessKeyId, AK);
});
