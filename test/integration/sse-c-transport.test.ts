/**
 * SSE-C and the transport (../shared/spec/aws-sse.md §2.1, §2.3 row 8): over plain HTTP every
 * request carrying an SSE-C key is refused with 400 InvalidRequest and nothing is stored, unless
 * the operator opts in with --allow-insecure-sse-c (and is warned at start), or the request comes
 * from a proxy named by --trust-proxy that says the client spoke HTTPS (X-Forwarded-Proto).
 * Also: the key is never echoed back, in error bodies or headers. Requests are signed by hand
 * (fixtures/sigv4.ts) so the test controls every header; the JS SDK does one round trip.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  bodyBytes,
  expectS3Error,
  s3Client,
  signedRequest,
  startServer,
  xmlCode,
  xmlTag,
  type RawResponse,
  type TestServer,
} from './harness.js';
import { pseudoRandomBytes } from './fixtures/checksums.js';

const md5 = (b: Buffer): Buffer => createHash('md5').update(b).digest();
/** A fixed 32-byte key per label. */
const labelKey = (label: string): Buffer => createHash('sha256').update(`strongbox sse-c transport: ${label}`).digest();

const KEY = labelKey('key');
const OTHER_KEY = labelKey('other key');
const INSECURE = 'Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.';

const ALG = 'x-amz-server-side-encryption-customer-algorithm';
const KEY_H = 'x-amz-server-side-encryption-customer-key';
const MD5_H = 'x-amz-server-side-encryption-customer-key-md5';

/** The SSE-C header triple for `key`, with the MD5 of `md5Of` (default: the key itself). */
const triple = (key: Buffer, md5Of: Buffer = key): Record<string, string> => ({
  [ALG]: 'AES256',
  [KEY_H]: key.toString('base64'),
  [MD5_H]: md5(md5Of).toString('base64'),
});

/** Every encoding of `key` and of its MD5 that must never come back to the client. */
function assertNoEcho(res: RawResponse, key: Buffer, what: string): void {
  const heard = [res.text, ...Object.entries(res.headers).map(([k, v]) => `${k}: ${String(v)}`)].join('\n');
  for (const form of [key.toString('base64'), key.toString('base64url'), key.toString('hex'), key.toString('hex').toUpperCase()]) {
    assert.ok(!heard.includes(form), `${what}: the response echoes the key (${form}):\n${heard}`);
  }
  assert.ok(!res.body.includes(key), `${what}: the response body holds the raw key`);
  assert.equal(res.headers[KEY_H], undefined, `${what}: no ${KEY_H} response header`);
}

describe('SSE-C transport rules', () => {
  let plain: TestServer;
  let insecure: TestServer;
  let proxied: TestServer;
  let untrusted: TestServer;
  let tls: TestServer;
  const bucket = `ssec-transport-${process.pid}`;
  const data = pseudoRandomBytes(100_000, 81);
  const tiny = Buffer.from('a small SSE-C object, stored inline');

  before(async () => {
    const started = await Promise.allSettled([
      startServer({ http: true }),
      startServer({ http: true, extraArgs: ['--allow-insecure-sse-c'] }),
      startServer({ http: true, extraArgs: ['--trust-proxy', '127.0.0.1/32'] }),
      startServer({ http: true, extraArgs: ['--trust-proxy', '10.0.0.0/8'] }),
      startServer({}),
    ]);
    // Keep whatever started so that after() stops it, then report what did not.
    const [a, b, c, d, e] = started.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    [plain, insecure, proxied, untrusted, tls] = [a!, b!, c!, d!, e!];
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    for (const s of [plain, insecure, proxied, untrusted, tls]) {
      const c = s3Client(s);
      await c.send(new CreateBucketCommand({ Bucket: bucket }));
      c.destroy();
    }
  });
  after(async () => {
    await Promise.all([plain, insecure, proxied, untrusted, tls].map((s) => s?.stop()));
  });

  const req = (server: TestServer, method: string, key: string, headers: Record<string, string> = {}, body?: Buffer, query: [string, string][] = []) =>
    signedRequest(server, server.root, { method, path: `/${bucket}/${key}`, headers, query, ...(body === undefined ? {} : { body }) });
  const put = (server: TestServer, key: string, headers: Record<string, string>, body: Buffer = data) => req(server, 'PUT', key, headers, body);
  const get = (server: TestServer, key: string, headers: Record<string, string> = {}) => req(server, 'GET', key, headers);
  const head = (server: TestServer, key: string, headers: Record<string, string> = {}) => req(server, 'HEAD', key, headers);
  const ctx = (server: TestServer, res: RawResponse) => `${res.status} ${res.text}\n--- server ---\n${server.output().slice(-2000)}`;

  /** 400 InvalidRequest "…must be made over a secure connection." */
  const assertRefusedInsecure = (server: TestServer, res: RawResponse, what: string) => {
    assert.equal(res.status, 400, `${what}: ${ctx(server, res)}`);
    assert.equal(xmlCode(res.text), 'InvalidRequest', `${what}: ${res.text}`);
    assert.equal(xmlTag(res.text, 'Message'), INSECURE, `${what}: ${res.text}`);
    assertNoEcho(res, KEY, what);
  };

  it('over HTTP, a PUT with an SSE-C key is refused with 400 InvalidRequest and nothing is stored', async () => {
    assertRefusedInsecure(plain, await put(plain, 'refused/big', triple(KEY)), 'PUT over HTTP (blob-sized)');
    assertRefusedInsecure(plain, await put(plain, 'refused/tiny', triple(KEY), tiny), 'PUT over HTTP (inline-sized)');
    for (const k of ['refused/big', 'refused/tiny']) {
      const h = await head(plain, k);
      assert.equal(h.status, 404, `${k} must not exist after the refusal: ${h.status}`);
    }
    // CreateMultipartUpload and CopyObject with a destination key are writes too.
    const mpu = await req(plain, 'POST', 'refused/mpu', triple(KEY), undefined, [['uploads', '']]);
    assertRefusedInsecure(plain, mpu, 'CreateMultipartUpload over HTTP');
    const uploads = await signedRequest(plain, plain.root, { method: 'GET', path: `/${bucket}`, query: [['uploads', '']] });
    assert.equal(uploads.status, 200, uploads.text);
    assert.doesNotMatch(uploads.text, /<Upload>/, 'no multipart upload was created');
    assert.equal((await put(plain, 'plain/source', {})).status, 200);
    const copy = await req(plain, 'PUT', 'refused/copy', { 'x-amz-copy-source': `/${bucket}/plain/source`, ...triple(KEY) });
    assertRefusedInsecure(plain, copy, 'CopyObject with an SSE-C destination over HTTP');
    assert.equal((await head(plain, 'refused/copy')).status, 404);
  });

  it('over HTTP, GET and HEAD with SSE-C headers are refused with 400 InvalidRequest', async () => {
    assert.equal((await put(plain, 'plain/obj', {})).status, 200);
    assertRefusedInsecure(plain, await get(plain, 'plain/obj', triple(KEY)), 'GET over HTTP');
    const h = await head(plain, 'plain/obj', triple(KEY));
    assert.equal(h.status, 400, `HEAD over HTTP: ${ctx(plain, h)}`);
    assert.equal(h.body.length, 0, 'HEAD errors have no body (§10)');
    assertNoEcho(h, KEY, 'HEAD over HTTP');
    // The same object without SSE-C headers is served as usual.
    const ok = await get(plain, 'plain/obj');
    assert.equal(ok.status, 200);
    assert.ok(ok.body.equals(data));
  });

  it('--allow-insecure-sse-c: warns at start, and SSE-C works over HTTP (JS SDK round trip)', async () => {
    assert.match(insecure.output(), /insecure/i, `no warning in the start output:\n${insecure.output()}`);
    assert.doesNotMatch(plain.output(), /insecure/i, 'without the flag, no such warning');
    const s3 = s3Client(insecure);
    try {
      const SSECustomerKey = KEY.toString('base64');
      for (const [Key, Body] of [['insecure/big', data], ['insecure/tiny', tiny]] as const) {
        const p = await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body, SSECustomerAlgorithm: 'AES256', SSECustomerKey }));
        assert.equal(p.SSECustomerAlgorithm, 'AES256');
        assert.equal(p.SSECustomerKeyMD5, md5(KEY).toString('base64'));
        assert.equal(p.ServerSideEncryption, undefined);
        const g = await s3.send(new GetObjectCommand({ Bucket: bucket, Key, SSECustomerAlgorithm: 'AES256', SSECustomerKey }));
        assert.ok((await bodyBytes(g.Body)).equals(Body), `${Key} comes back identical`);
        assert.equal(g.SSECustomerKeyMD5, md5(KEY).toString('base64'));
        await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key })), 'InvalidRequest', 400);
        const wrong = OTHER_KEY.toString('base64');
        await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key, SSECustomerAlgorithm: 'AES256', SSECustomerKey: wrong })), 'AccessDenied', 403);
      }
    } finally {
      s3.destroy();
    }
  });

  it('--trust-proxy 127.0.0.1/32: X-Forwarded-Proto https makes the request secure; without it, refused', async () => {
    const fwd = { 'x-forwarded-proto': 'https' };
    const p = await put(proxied, 'proxied/obj', { ...fwd, ...triple(KEY) });
    assert.equal(p.status, 200, `PUT via a trusted proxy: ${ctx(proxied, p)}`);
    assert.equal(p.headers[ALG], 'AES256');
    assert.equal(p.headers[MD5_H], md5(KEY).toString('base64'));
    assertNoEcho(p, KEY, 'PUT via a trusted proxy');
    const g = await get(proxied, 'proxied/obj', { ...fwd, ...triple(KEY) });
    assert.equal(g.status, 200, `GET via a trusted proxy: ${ctx(proxied, g)}`);
    assert.ok(g.body.equals(data), 'decrypted bytes are the ones sent');
    // The same requests without the header, or with the proxy saying http, are plain HTTP.
    assertRefusedInsecure(proxied, await put(proxied, 'proxied/direct', triple(KEY)), 'PUT from the proxy address, no X-Forwarded-Proto');
    assertRefusedInsecure(proxied, await put(proxied, 'proxied/http', { 'x-forwarded-proto': 'http', ...triple(KEY) }), 'PUT with X-Forwarded-Proto: http');
    assertRefusedInsecure(proxied, await get(proxied, 'proxied/obj', triple(KEY)), 'GET without X-Forwarded-Proto');
    for (const k of ['proxied/direct', 'proxied/http']) assert.equal((await head(proxied, k, fwd)).status, 404, `${k} not stored`);
  });

  it('--trust-proxy 10.0.0.0/8: X-Forwarded-Proto from loopback (not trusted) is ignored', async () => {
    const res = await put(untrusted, 'untrusted/obj', { 'x-forwarded-proto': 'https', ...triple(KEY) });
    assertRefusedInsecure(untrusted, res, 'PUT with X-Forwarded-Proto from an untrusted peer');
    assert.equal((await head(untrusted, 'untrusted/obj', { 'x-forwarded-proto': 'https' })).status, 404);
    assert.equal((await put(untrusted, 'untrusted/plain', {})).status, 200);
    const g = await get(untrusted, 'untrusted/plain', { 'x-forwarded-proto': 'https', ...triple(KEY) });
    assertRefusedInsecure(untrusted, g, 'GET with X-Forwarded-Proto from an untrusted peer');
  });

  it('the key is never echoed: wrong MD5, invalid key length and wrong key errors', async () => {
    const badMd5 = await put(tls, 'echo/bad-md5', triple(KEY, OTHER_KEY));
    assert.equal(badMd5.status, 400, ctx(tls, badMd5));
    assert.equal(xmlCode(badMd5.text), 'InvalidArgument');
    assert.equal(xmlTag(badMd5.text, 'Message'), 'The calculated MD5 hash of the key did not match the hash that was provided.');
    assert.equal(xmlTag(badMd5.text, 'ArgumentName'), 'x-amz-server-side-encryption');
    assertNoEcho(badMd5, KEY, 'wrong MD5');
    assertNoEcho(badMd5, OTHER_KEY, 'wrong MD5');
    assert.equal((await head(tls, 'echo/bad-md5')).status, 404, 'nothing stored after a wrong MD5');

    const short = KEY.subarray(0, 31);
    const badLen = await put(tls, 'echo/short', triple(short));
    assert.equal(badLen.status, 400, ctx(tls, badLen));
    assert.equal(xmlCode(badLen.text), 'InvalidArgument');
    assert.equal(xmlTag(badLen.text, 'Message'), 'The secret key was invalid for the specified algorithm.');
    assertNoEcho(badLen, short, 'key of 31 bytes');
    assert.equal((await head(tls, 'echo/short')).status, 404);

    const ok = await put(tls, 'echo/obj', triple(KEY));
    assert.equal(ok.status, 200, ctx(tls, ok));
    assertNoEcho(ok, KEY, 'successful PUT');
    const wrong = await get(tls, 'echo/obj', triple(OTHER_KEY));
    assert.equal(wrong.status, 403, ctx(tls, wrong));
    assert.equal(xmlCode(wrong.text), 'AccessDenied');
    assertNoEcho(wrong, OTHER_KEY, 'GET with a wrong key');
    assertNoEcho(wrong, KEY, 'GET with a wrong key (the stored key)');
    assert.ok(!wrong.text.includes(md5(KEY).toString('base64')), 'the stored key MD5 is not revealed');
    const right = await get(tls, 'echo/obj', triple(KEY));
    assert.equal(right.status, 200, ctx(tls, right));
    assert.ok(right.body.equals(data));
    assertNoEcho(right, KEY, 'successful GET');
  });
});
