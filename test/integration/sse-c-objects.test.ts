/**
 * SSE-C (customer-provided keys) end to end with @aws-sdk/client-s3 and hand-signed requests:
 * Put/Get/Head (ETags, checksums, conditional and range reads, metadata at rest, listing),
 * presigned URLs and the plain-HTTP rules. Validation errors are in sse-c-validation.test.ts.
 * Amazon's behaviour is the reference: ../shared/spec/aws-sse.md §2.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { sep } from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  bodyBytes,
  bucketName,
  expectS3Error,
  fetchUrl,
  listFiles,
  s3Client,
  signedRequest,
  startServer,
  type SignedRawRequest,
  type TestServer,
} from './harness.js';
import { checksumB64, md5B64, md5Hex, pseudoRandomBytes, sha256 } from './fixtures/checksums.js';
import {
  A,
  B,
  H_ALG,
  H_KEY,
  H_MD5,
  KiB,
  MiB,
  MSG,
  PKG,
  assertHeadError,
  assertS3Error,
  copySourceSseHeaders,
  quotedHex32,
  rawSseHeaders,
  sdkSse,
  sseCRequests,
  sseHeaders,
  useSseCServer,
} from './fixtures/sse-c.js';

describe('SSE-C over HTTPS', () => {
  const env = useSseCServer();

  const { raw, objPath, putEnc, getEnc, assertAbsent } = sseCRequests(() => env);

  describe('PutObject, GetObject, HeadObject', () => {
    it('round-trips objects of sizes around the 64 KiB package boundary, with the SSE-C headers and metadata', async () => {
      for (const [i, n] of [0, 1, PKG - 1, PKG, PKG + 1, 3 * PKG + 17, MiB + 5].entries()) {
        const Key = `rt/${n}`;
        const body = pseudoRandomBytes(n, 100 + i);
        const put = await putEnc(Key, body, A, { ContentType: 'application/x-sse-test', Metadata: { size: String(n), note: 'secret' } });
        assert.equal(put.SSECustomerAlgorithm, 'AES256', `${n}: put algorithm`);
        assert.equal(put.SSECustomerKeyMD5, A.md5, `${n}: put key MD5`);
        assert.equal(put.ServerSideEncryption, undefined, `${n}: an SSE-C object is not also SSE-S3`);
        assert.match(put.ETag ?? '', quotedHex32, `${n}: ETag is 32 hex`);
        assert.notEqual(put.ETag, `"${md5Hex(body)}"`, `${n}: the ETag must not be the MD5 of the plaintext`);

        const { res, body: got } = await getEnc(Key, A);
        assert.ok(got.equals(body), `${n}: GET returns the plaintext`);
        assert.equal(res.ContentLength, n);
        assert.equal(res.ETag, put.ETag);
        assert.equal(res.ContentType, 'application/x-sse-test');
        assert.deepEqual(res.Metadata, { size: String(n), note: 'secret' });
        assert.equal(res.SSECustomerAlgorithm, 'AES256');
        assert.equal(res.SSECustomerKeyMD5, A.md5);
        assert.equal(res.ServerSideEncryption, undefined);

        const head = await env.s3.send(new HeadObjectCommand({ Bucket: env.bucket, Key, ...sdkSse(A) }));
        assert.equal(head.ContentLength, n);
        assert.equal(head.ETag, put.ETag);
        assert.equal(head.ContentType, 'application/x-sse-test');
        assert.deepEqual(head.Metadata, { size: String(n), note: 'secret' });
        assert.equal(head.SSECustomerAlgorithm, 'AES256');
        assert.equal(head.SSECustomerKeyMD5, A.md5);
        assert.equal(head.ServerSideEncryption, undefined);
      }
    });

    it('raw responses carry the algorithm and key-MD5 headers and never x-amz-server-side-encryption', async () => {
      const body = Buffer.from('raw put body');
      const put = await raw({ method: 'PUT', path: objPath('raw/one'), headers: sseHeaders(A), body });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual(rawSseHeaders(put), { alg: 'AES256', md5: A.md5, sse: undefined });
      const get = await raw({ method: 'GET', path: objPath('raw/one'), headers: sseHeaders(A) });
      assert.equal(get.status, 200, get.text);
      assert.ok(get.body.equals(body));
      assert.deepEqual(rawSseHeaders(get), { alg: 'AES256', md5: A.md5, sse: undefined });
      const head = await raw({ method: 'HEAD', path: objPath('raw/one'), headers: sseHeaders(A) });
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], String(body.length));
      assert.deepEqual(rawSseHeaders(head), { alg: 'AES256', md5: A.md5, sse: undefined });
      assert.equal(put.headers[H_KEY], undefined, 'the key itself is never echoed');
    });

    it('the ETag is not reproducible: two PUTs of the same bytes with the same key differ', async () => {
      const body = pseudoRandomBytes(200 * KiB, 7);
      const e1 = (await putEnc('etag/1', body, A)).ETag;
      const e2 = (await putEnc('etag/2', body, A)).ETag;
      const e3 = (await putEnc('etag/1', body, A)).ETag;
      assert.match(e1 ?? '', quotedHex32);
      assert.notEqual(e1, e2);
      assert.notEqual(e1, e3);
      assert.notEqual(e2, e3);
    });

    it('a PUT without a checksum gets a CRC64NVME of the plaintext, returned with the key and ChecksumMode ENABLED', async () => {
      const body = pseudoRandomBytes(300 * KiB + 11, 8);
      await env.s3nc.send(new PutObjectCommand({ Bucket: env.bucket, Key: 'ck/default', Body: body, ...sdkSse(A) }));
      const want = checksumB64('CRC64NVME', body);
      const head = await env.s3.send(new HeadObjectCommand({ Bucket: env.bucket, Key: 'ck/default', ChecksumMode: 'ENABLED', ...sdkSse(A) }));
      assert.equal(head.ChecksumCRC64NVME, want);
      // The SDK validates the returned checksum against the bytes it receives.
      const { res, body: got } = await getEnc('ck/default', A, { ChecksumMode: 'ENABLED' });
      assert.equal(res.ChecksumCRC64NVME, want);
      assert.ok(got.equals(body));
    });

    it('Content-MD5 and flexible checksums are verified against the plaintext', async () => {
      const body = pseudoRandomBytes(100 * KiB + 3, 9);
      const ok = await env.s3nc.send(new PutObjectCommand({ Bucket: env.bucket, Key: 'ck/md5', Body: body, ContentMD5: md5B64(body), ...sdkSse(A) }));
      assert.notEqual(ok.ETag, `"${md5Hex(body)}"`);
      await expectS3Error(
        env.s3nc.send(new PutObjectCommand({ Bucket: env.bucket, Key: 'ck/md5-bad', Body: body, ContentMD5: md5B64(Buffer.from('other')), ...sdkSse(A) })),
        'BadDigest',
        400,
      );
      await assertAbsent('ck/md5-bad', 'wrong Content-MD5');

      const sha = checksumB64('SHA256', body);
      await env.s3nc.send(new PutObjectCommand({ Bucket: env.bucket, Key: 'ck/sha', Body: body, ChecksumSHA256: sha, ...sdkSse(A) }));
      const head = await env.s3.send(new HeadObjectCommand({ Bucket: env.bucket, Key: 'ck/sha', ChecksumMode: 'ENABLED', ...sdkSse(A) }));
      assert.equal(head.ChecksumSHA256, sha);
      const bad = await raw({
        method: 'PUT',
        path: objPath('ck/sha-bad'),
        headers: { ...sseHeaders(A), 'x-amz-checksum-sha256': checksumB64('SHA256', Buffer.from('other')) },
        body,
      });
      assertS3Error(bad, { status: 400, code: 'BadDigest' }, 'wrong x-amz-checksum-sha256');
      await assertAbsent('ck/sha-bad', 'wrong checksum');
    });

    it('ranges and conditional reads go through the key: 416 past the end and on an empty object, 304 and 412 by ETag', async () => {
      const body = pseudoRandomBytes(PKG + 100, 11);
      const put = await putEnc('cond/x', body, A);
      await putEnc('cond/empty', Buffer.alloc(0), A);
      const get = (key: string, headers: Record<string, string>) => raw({ method: 'GET', path: objPath(key), headers: { ...sseHeaders(A), ...headers } });
      assertS3Error(await get('cond/x', { range: `bytes=${body.length}-` }), { status: 416, code: 'InvalidRange' }, 'range past the end');
      assertS3Error(await get('cond/empty', { range: 'bytes=0-0' }), { status: 416, code: 'InvalidRange' }, 'range of an empty object');
      const clamped = await get('cond/x', { range: `bytes=${body.length - 10}-${body.length + 1000}` });
      assert.equal(clamped.status, 206);
      assert.equal(clamped.headers['content-range'], `bytes ${body.length - 10}-${body.length - 1}/${body.length}`);
      assert.ok(clamped.body.equals(body.subarray(-10)));
      const notModified = await get('cond/x', { 'if-none-match': put.ETag ?? '' });
      assert.equal(notModified.status, 304);
      assert.equal(notModified.body.length, 0);
      assertS3Error(await get('cond/x', { 'if-match': '"0123456789abcdef0123456789abcdef"' }), { status: 412, code: 'PreconditionFailed' }, 'If-Match another ETag');
      const matched = await get('cond/x', { 'if-match': put.ETag ?? '' });
      assert.equal(matched.status, 200);
      assert.ok(matched.body.equals(body));
    });

    it('Content-Type, user metadata and small bodies of SSE-C objects are not stored in plaintext', async () => {
      const needle = (what: string) => `${what}-${sha256(Buffer.from(`${what} ${env.bucket}`)).slice(0, 24)}`;
      const enc = { type: needle('enc-type'), meta: needle('enc-meta'), body: needle('enc-body') };
      const ctl = { type: needle('ctl-type'), meta: needle('ctl-meta'), body: needle('ctl-body') };
      await putEnc('atrest/enc', Buffer.from(enc.body), A, { ContentType: `text/${enc.type}`, Metadata: { m: enc.meta } });
      await env.s3.send(new PutObjectCommand({ Bucket: env.bucket, Key: 'atrest/plain', Body: ctl.body, ContentType: `text/${ctl.type}`, Metadata: { m: ctl.meta } }));
      const head = await env.s3.send(new HeadObjectCommand({ Bucket: env.bucket, Key: 'atrest/enc', ...sdkSse(A) }));
      assert.equal(head.ContentType, `text/${enc.type}`);
      assert.deepEqual(head.Metadata, { m: enc.meta });
      const files = (await listFiles(env.server.dataDir)).filter((f) => !f.includes(`${sep}tls${sep}`));
      const stored = Buffer.concat(await Promise.all(files.map((f) => readFile(f))));
      // The control proves the scan sees what an object without SSE headers stores in clear (meta.db
      // or its WAL): it is SSE-S3 (Amazon's default), whose content type and metadata are not
      // sealed, in the same record that holds a small body; its body itself is encrypted.
      assert.ok(stored.includes(ctl.type), "control: the SSE-S3 object's content type is found on disk");
      assert.ok(stored.includes(ctl.meta), "control: the SSE-S3 object's metadata is found on disk");
      assert.ok(!stored.includes(ctl.body), "control: the SSE-S3 object's body is encrypted");
      for (const [what, v] of Object.entries(enc)) assert.ok(!stored.includes(v), `the SSE-C object's ${what} must not be stored in plaintext`);
    });

    it('listing shows SSE-C objects with the plaintext size and stored ETag, no key needed; DeleteObject needs no key', async () => {
      const body = pseudoRandomBytes(70_001, 10);
      const put = await putEnc('list/x', body, A);
      const list = await env.s3.send(new ListObjectsV2Command({ Bucket: env.bucket, Prefix: 'list/' }));
      assert.deepEqual(list.Contents?.map((o) => [o.Key, o.Size, o.ETag]), [['list/x', body.length, put.ETag]]);
      const del = await raw({ method: 'DELETE', path: objPath('list/x') });
      assert.equal(del.status, 204, del.text);
      await assertAbsent('list/x', 'deleted');
    });
  });

  describe('presigned URLs (§2.9)', () => {
    it('a presigned GET signs the SSE-C headers, which must then be sent as headers', async () => {
      const body = pseudoRandomBytes(90_000, 61);
      await putEnc('pre/get', body, A);
      const url = await getSignedUrl(env.s3, new GetObjectCommand({ Bucket: env.bucket, Key: 'pre/get', ...sdkSse(A) }), { expiresIn: 300 });
      const signedHeaders = new URL(url).searchParams.get('X-Amz-SignedHeaders') ?? '';
      for (const h of [H_ALG, H_KEY, H_MD5]) assert.ok(signedHeaders.split(';').includes(h), `${h} is signed: ${signedHeaders}`);
      assert.ok(!url.includes(encodeURIComponent(A.b64)) && !url.includes(A.b64), 'the key is not in the URL');
      const ok = await fetchUrl(env.server, url, 'GET', undefined, sseHeaders(A));
      assert.equal(ok.status, 200, ok.text);
      assert.ok(ok.body.equals(body));
      assert.equal(ok.headers[H_MD5], A.md5);
      const bare = await fetchUrl(env.server, url);
      assert.equal(bare.status, 403, `without the signed headers: ${bare.status} ${bare.text}`);
    });

    it('a presigned PUT with SSE-C stores an object readable only with the key', async () => {
      const body = pseudoRandomBytes(80_000, 62);
      const url = await getSignedUrl(env.s3nc, new PutObjectCommand({ Bucket: env.bucket, Key: 'pre/put', ...sdkSse(A) }), { expiresIn: 300 });
      const res = await fetchUrl(env.server, url, 'PUT', body, sseHeaders(A));
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(rawSseHeaders(res), { alg: 'AES256', md5: A.md5, sse: undefined });
      assert.notEqual(res.headers['etag'], `"${md5Hex(body)}"`);
      const { body: got } = await getEnc('pre/put', A);
      assert.ok(got.equals(body));
      assertS3Error(await raw({ method: 'GET', path: objPath('pre/put') }), { status: 400, code: 'InvalidRequest', message: MSG.needKey });
    });
  });
});

describe('SSE-C over plain HTTP', () => {
  describe('without --allow-insecure-sse-c', () => {
    let server: TestServer;
    let s3: S3Client;
    let bucket: string;
    before(async () => {
      server = await startServer({ http: true });
      s3 = s3Client(server);
      bucket = bucketName('ssec-http');
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'plain', Body: 'plain object' }));
    });
    after(async () => {
      s3?.destroy();
      await server?.stop();
    });
    const raw = (req: SignedRawRequest) => signedRequest(server, server.root, req);

    it('every request carrying SSE-C headers is refused with 400 InvalidRequest (secure connection)', async () => {
      const want = { status: 400, code: 'InvalidRequest', message: MSG.insecure };
      assertS3Error(await raw({ method: 'PUT', path: `/${bucket}/new`, headers: sseHeaders(A), body: Buffer.from('x') }), want, 'PUT');
      assertS3Error(await raw({ method: 'GET', path: `/${bucket}/plain`, headers: sseHeaders(A) }), want, 'GET');
      assertHeadError(await raw({ method: 'HEAD', path: `/${bucket}/plain`, headers: sseHeaders(A) }), 400, 'HEAD');
      assertS3Error(await raw({ method: 'POST', path: `/${bucket}/mpu`, query: [['uploads', '']], headers: sseHeaders(A) }), want, 'CreateMultipartUpload');
      assertS3Error(
        await raw({ method: 'PUT', path: `/${bucket}/copy`, headers: { 'x-amz-copy-source': `/${bucket}/plain`, ...sseHeaders(A) } }),
        want,
        'CopyObject to SSE-C',
      );
      assertS3Error(
        await raw({ method: 'PUT', path: `/${bucket}/copy`, headers: { 'x-amz-copy-source': `/${bucket}/plain`, ...copySourceSseHeaders(A) } }),
        want,
        'CopyObject with a copy-source triple',
      );
      await expectS3Error(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'sdk', Body: 'x', ...sdkSse(A) })), 'InvalidRequest', 400);
      for (const k of ['new', 'copy', 'sdk']) assert.equal((await raw({ method: 'HEAD', path: `/${bucket}/${k}` })).status, 404, `${k} not stored`);
      const uploads = await raw({ method: 'GET', path: `/${bucket}`, query: [['uploads', '']] });
      assert.doesNotMatch(uploads.text, /<Upload>/);
    });

    it('requests without SSE-C headers still work', async () => {
      const res = await raw({ method: 'GET', path: `/${bucket}/plain` });
      assert.equal(res.status, 200);
      assert.equal(res.text, 'plain object');
    });
  });

  describe('with --allow-insecure-sse-c', () => {
    let server: TestServer;
    let s3: S3Client;
    let bucket: string;
    before(async () => {
      server = await startServer({ http: true, extraArgs: ['--allow-insecure-sse-c'] });
      s3 = s3Client(server);
      bucket = bucketName('ssec-http-ok');
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    });
    after(async () => {
      s3?.destroy();
      await server?.stop();
    });

    it('SSE-C works over HTTP: Put, Get, Head, and the usual read errors', async () => {
      const body = pseudoRandomBytes(200 * KiB + 1, 71);
      const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'obj', Body: body, ...sdkSse(A) }));
      assert.equal(put.SSECustomerKeyMD5, A.md5);
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'obj', ...sdkSse(A) }));
      assert.ok((await bodyBytes(got.Body)).equals(body));
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'obj', ...sdkSse(A) }));
      assert.equal(head.ContentLength, body.length);
      const raw = (req: SignedRawRequest) => signedRequest(server, server.root, req);
      assertS3Error(await raw({ method: 'GET', path: `/${bucket}/obj` }), { status: 400, code: 'InvalidRequest', message: MSG.needKey });
      assertS3Error(await raw({ method: 'GET', path: `/${bucket}/obj`, headers: sseHeaders(B) }), { status: 403, code: 'AccessDenied', message: MSG.wrongKey });
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'obj' }));
    });
  });
});
