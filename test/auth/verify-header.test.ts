import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { SignatureV4 } from '@smithy/signature-v4';
import { verifyRequest } from '../../src/auth/verify-request.js';
import {
  AK,
  NOW,
  SK,
  drain,
  errorCode,
  opts,
  request,
  rfc3986,
  s3Throws,
  signer,
  toAuthInput,
  verify,
  type SmithyRequest,
} from './helpers.js';
import { sha256 } from './chunked-body.js';

const KEYS = [
  'simple.txt',
  'with space.txt',
  'ünïcödé/日本語/emoji-😀.txt',
  "special !'()*+,;=&$@:~.txt",
  'percent%20literal%.txt',
  'dir//double/./dots/../x',
  'tab\tand#hash?question',
];

async function sign(r: SmithyRequest, s: SignatureV4 = signer(), date: Date = NOW): Promise<SmithyRequest> {
  return (await s.sign(r as never, { signingDate: date })) as unknown as SmithyRequest;
}

const objectPath = (key: string) => `/bucket/${key.split('/').map(rfc3986).join('/')}`;
const EMPTY_HASH = { 'x-amz-content-sha256': sha256('') };

test('header auth round trip: keys with spaces, unicode and reserved characters', async () => {
  for (const key of KEYS) {
    const signed = await sign(request('GET', objectPath(key), {}, EMPTY_HASH));
    const v = verify(toAuthInput(signed));
    assert.equal(v.accessKeyId, AK, key);
  }
});

test('header auth round trip: query strings with reserved characters and value-less parameters', async () => {
  const query = {
    prefix: 'a b&c=d/é+~*',
    delimiter: '/',
    'list-type': '2',
    'continuation-token': 'x/y+z==',
    uploads: '',
  };
  const signed = await sign(request('GET', '/bucket', query, EMPTY_HASH));
  const input = toAuthInput(signed);
  assert.equal(verify(input).accessKeyId, AK);
  // `uploads` without `=` on the wire canonicalises to `uploads=` too.
  assert.equal(verify({ ...input, rawQuery: input.rawQuery.replace('uploads=', 'uploads') }).accessKeyId, AK);
});

test('header auth: any region is accepted, kms only when enabled', async () => {
  for (const region of ['eu-central-1', 'garage', 'us-east-1']) {
    const signed = await sign(request('GET', '/bucket', {}, EMPTY_HASH), signer(region));
    assert.equal(verify(toAuthInput(signed)).accessKeyId, AK);
  }
  const kms = new SignatureV4({ ...signerOptions(), service: 'kms' });
  const signed = toAuthInput(await sign(request('POST', '/', {}, EMPTY_HASH), kms));
  s3Throws(() => verify(signed), 'AuthorizationHeaderMalformed');
  const v = verifyRequest(signed, Readable.from([]), { ...opts(), services: ['s3', 'kms'] });
  assert.equal(v.accessKeyId, AK);
});

function signerOptions() {
  const s = signer() as unknown as { sha256: unknown };
  return { region: 'us-east-1', credentials: { accessKeyId: AK, secretAccessKey: SK }, sha256: s.sha256 as never };
}

test('header auth: a signed payload hash is verified as the body streams', async () => {
  const body = Buffer.from('hello, world');
  const signed = await sign({ ...request('PUT', '/bucket/k', {}, { 'content-length': String(body.length) }), body } as SmithyRequest);
  const input = toAuthInput(signed);
  assert.equal(input.headers['x-amz-content-sha256'], sha256(body));

  const ok = verify(input, Readable.from([body]));
  assert.equal(ok.payload.mode, 'sha256');
  assert.equal(ok.payload.length, body.length);
  const good = await drain(ok.payload.body);
  assert.equal(good.error, undefined);
  assert.deepEqual(good.data, body);

  const tampered = Buffer.from(body);
  tampered[0] = tampered[0]! ^ 1;
  const bad = await drain(verify(input, Readable.from([tampered])).payload.body);
  assert.equal(errorCode(bad.error), 'XAmzContentSHA256Mismatch');

  const short = await drain(verify(input, Readable.from([body.subarray(0, 5)])).payload.body);
  assert.equal(errorCode(short.error), 'IncompleteBody');
});

test('header auth: UNSIGNED-PAYLOAD and empty-hash bodies pass through untouched', async () => {
  const signed = await sign(request('PUT', '/bucket/k', {}, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': '3' }));
  const body = Readable.from([Buffer.from('abc')]);
  const v = verify(toAuthInput(signed), body);
  assert.equal(v.payload.mode, 'unsigned');
  assert.equal(v.payload.body, body);
  assert.equal(v.payload.length, 3);

  const get = await sign(request('GET', '/bucket/k', {}, EMPTY_HASH));
  const getBody = Readable.from([]);
  assert.equal(verify(toAuthInput(get), getBody).payload.body, getBody);
});

test('header auth: x-amz-content-sha256 missing, invalid or SigV4a', async () => {
  const noHash = new SignatureV4({ ...signerOptions(), service: 's3', applyChecksum: false, uriEscapePath: false });
  const signed = await sign(request('GET', '/bucket/k'), noHash);
  const err = s3Throws(() => verify(toAuthInput(signed)), 'InvalidRequest');
  assert.equal(err.message, 'Missing required header for this request: x-amz-content-sha256');

  const bad = await sign(request('GET', '/bucket/k', {}, { 'x-amz-content-sha256': 'ABCDEF' }));
  assert.equal(s3Throws(() => verify(toAuthInput(bad)), 'InvalidArgument').status, 400);
  const upper = await sign(request('GET', '/bucket/k', {}, { 'x-amz-content-sha256': sha256('').toUpperCase() }));
  s3Throws(() => verify(toAuthInput(upper)), 'InvalidArgument');

  const v4a = await sign(
    request('PUT', '/bucket/k', {}, { 'x-amz-content-sha256': 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD', 'content-length': '10' }),
  );
  assert.equal(s3Throws(() => verify(toAuthInput(v4a)), 'NotImplemented').status, 501);
});

test('header auth: unsigned x-amz-* headers are refused, SDK-unsigned headers are not', async () => {
  const signed = toAuthInput(await sign(request('GET', '/bucket/k', {}, EMPTY_HASH)));
  const extra = { ...signed, headers: { ...signed.headers, 'x-amz-meta-evil': '1', 'x-amz-acl': 'public-read' } };
  const err = s3Throws(() => verify(extra), 'AccessDenied');
  assert.equal(err.message, 'There were headers present in the request which were not signed');
  assert.equal(err.fields.HeadersNotSigned, 'x-amz-acl, x-amz-meta-evil');

  const sdkExtras = {
    ...signed,
    headers: {
      ...signed.headers,
      'user-agent': 'aws-cli/2.23',
      expect: '100-continue',
      'x-amzn-trace-id': 'Root=1-abc',
      'x-amz-user-agent': 'aws-sdk-js/3',
      'amz-sdk-invocation-id': 'id',
      'amz-sdk-request': 'attempt=1; max=3',
      'transfer-encoding': 'chunked',
    },
  };
  assert.equal(verify(sdkExtras).accessKeyId, AK);
});

test('header auth: clock skew over 15 minutes is RequestTimeTooSkewed', async () => {
  const input = toAuthInput(await sign(request('GET', '/bucket/k', {}, EMPTY_HASH)));
  for (const minutes of [-14, 14]) assert.equal(verify(input, undefined, new Date(NOW.getTime() + minutes * 60_000)).accessKeyId, AK);
  for (const minutes of [-16, 16]) {
    const err = s3Throws(() => verify(input, undefined, new Date(NOW.getTime() + minutes * 60_000)), 'RequestTimeTooSkewed');
    assert.equal(err.status, 403);
    assert.equal(err.fields.RequestTime, '20130524T000000Z');
  }
});

test('header auth: unknown key, wrong secret and tampered requests', async () => {
  const other = toAuthInput(await sign(request('GET', '/bucket/k', {}, EMPTY_HASH), signer('us-east-1', SK, 'AKIDUNKNOWN')));
  assert.equal(s3Throws(() => verify(other), 'InvalidAccessKeyId').fields.AWSAccessKeyId, 'AKIDUNKNOWN');

  const wrongSecret = toAuthInput(await sign(request('GET', '/bucket/k', {}, EMPTY_HASH), signer('us-east-1', 'not-the-secret')));
  s3Throws(() => verify(wrongSecret), 'SignatureDoesNotMatch');

  const input = toAuthInput(await sign(request('GET', '/bucket/k', { a: '1' }, { ...EMPTY_HASH, 'x-amz-meta-x': 'v' })));
  s3Throws(() => verify({ ...input, rawPath: '/bucket/K' }), 'SignatureDoesNotMatch');
  s3Throws(() => verify({ ...input, rawQuery: 'a=2' }), 'SignatureDoesNotMatch');
  s3Throws(() => verify({ ...input, method: 'DELETE' }), 'SignatureDoesNotMatch');
  s3Throws(() => verify({ ...input, headers: { ...input.headers, 'x-amz-meta-x': 'w' } }), 'SignatureDoesNotMatch');
  // Whitespace changes inside a signed value do not matter (canonical trimming).
  assert.equal(verify({ ...input, headers: { ...input.headers, 'x-amz-meta-x': '  v ' } }).accessKeyId, AK);
});

test('header auth: repeated headers canonicalise with rawHeaders', async () => {
  const signed = toAuthInput(await sign(request('GET', '/bucket/k', {}, { ...EMPTY_HASH, 'x-amz-meta-a': 'a,b' })));
  const raw: string[] = [];
  for (const [k, v] of Object.entries(signed.headers)) {
    if (k === 'x-amz-meta-a') raw.push('X-Amz-Meta-A', 'a', 'x-amz-meta-a', 'b');
    else raw.push(k, String(v));
  }
  const nodeMerged = { ...signed.headers, 'x-amz-meta-a': 'a, b' };
  assert.equal(verify({ ...signed, headers: nodeMerged, rawHeaders: raw }).accessKeyId, AK);
});

test('Authorization header malformations', async () => {
  const input = toAuthInput(await sign(request('GET', '/bucket/k', {}, EMPTY_HASH)));
  const auth = String(input.headers.authorization);
  const withAuth = (a: string) => ({ ...input, headers: { ...input.headers, authorization: a } });

  const cases: [string, RegExp][] = [
    [auth.replace(/, Signature=[0-9a-f]+/, ''), /requires three components/],
    [auth.replace(/Credential=[^,]+/, 'Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3'), /Credential is mal-formed/],
    [auth.replace('/s3/', '/ec2/'), /incorrect service "ec2"/],
    [auth.replace('aws4_request', 'aws5_request'), /incorrect terminal "aws5_request"/],
    [auth.replace('/20130524/', '/20130523/'), /Invalid credential date "20130523"/],
    [auth.replace('SignedHeaders=', 'SignedHeadersX'), /malformed/],
  ];
  for (const [a, msg] of cases) {
    const err = s3Throws(() => verify(withAuth(a)), 'AuthorizationHeaderMalformed');
    assert.equal(err.status, 400);
    assert.match(err.message, msg);
    assert.match(err.message, /^The authorization header is malformed; /);
  }
  // Separators without spaces are fine.
  assert.equal(verify(withAuth(auth.replace(/, /g, ','))).accessKeyId, AK);

  const v2 = s3Throws(() => verify(withAuth('AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=')), 'InvalidRequest');
  assert.equal(v2.message, 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');
  assert.equal(v2.status, 400);
  s3Throws(() => verify(withAuth('AWS4-ECDSA-P256-SHA256 Credential=x')), 'NotImplemented');
  s3Throws(() => verify(withAuth('Bearer abc')), 'InvalidArgument');

  const noDate = { ...input, headers: { ...input.headers } };
  delete noDate.headers['x-amz-date'];
  assert.match(s3Throws(() => verify(noDate), 'AccessDenied').message, /Date or x-amz-date/);
});

test('anonymous requests: no accessKeyId, body passed through raw', () => {
  const body = Readable.from([Buffer.from('x')]);
  const v = verify({ method: 'GET', rawPath: '/bucket/k', rawQuery: 'a=1', headers: { host: 'localhost', 'content-length': '1' } }, body);
  assert.equal(v.accessKeyId, undefined);
  assert.equal(v.payload.body, body);
  assert.equal(v.payload.mode, 'unsigned');
  assert.equal(v.payload.length, 1);

  const v2query = { method: 'GET', rawPath: '/bucket/k', rawQuery: 'AWSAccessKeyId=AK&Signature=x&Expires=1', headers: {} };
  s3Throws(() => verify(v2query), 'InvalidRequest');
});

test('SignatureDoesNotMatch never echoes a secret header value', () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  const headers = {
    host: 'example.test',
    'x-amz-date': '20260101T000000Z',
    'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    'x-amz-server-side-encryption-customer-key': key,
    authorization:
      'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-server-side-encryption-customer-key, Signature=' +
      '0'.repeat(64),
  };
  try {
    verifyRequest({ method: 'GET', rawPath: '/b/k', rawQuery: '', headers }, Readable.from([]), {
      lookup: () => 'secret',
      now: () => new Date('2026-01-01T00:00:00Z'),
    });
    assert.fail('expected SignatureDoesNotMatch');
  } catch (err) {
    const e = err as { code: string; fields: Record<string, unknown> };
    assert.equal(e.code, 'SignatureDoesNotMatch');
    const all = JSON.stringify(e.fields);
    assert.ok(!all.includes(key), 'the key must not appear');
    assert.match(String(e.fields.CanonicalRequest), /x-amz-server-side-encryption-customer-key:\[redacted\]/);
  }
});
