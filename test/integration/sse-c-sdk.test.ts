/**
 * SSE-C (customer-provided keys) end to end with @aws-sdk/client-s3 and hand-signed requests:
 * Put/Get/Head, header validation on writes and reads, multipart (uneven parts, part rules,
 * partNumber and many ranges across package and part boundaries), CopyObject and
 * UploadPartCopy between keys, key rotation by copying an object onto itself (the blobs on
 * disk must not be rewritten), presigned URLs and the plain-HTTP rules.
 * Amazon's behaviour is the reference: ../shared/spec/aws-sse.md §2 and §8.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { sep } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
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
  type RawResponse,
  type SignedRawRequest,
  type TestServer,
} from './harness.js';
import { checksumB64, compositeChecksum, md5B64, md5Hex, pseudoRandomBytes, sha256 } from './fixtures/checksums.js';
import {
  H_ALG,
  H_KEY,
  H_MD5,
  H_SSE,
  MSG,
  assertHeadError,
  assertS3Error,
  blobFiles,
  copySourceSseHeaders,
  fileState,
  keyFromBytes,
  makeKey,
  newBlobsOf,
  rawSseHeaders,
  sdkCopySourceSse,
  sdkSse,
  seededRandom,
  sseHeaders,
  type SseKey,
} from './fixtures/sse-c.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Plaintext package size of the envelope (DESIGN.md): ranges straddling it are the interesting ones. */
const PKG = 64 * KiB;
const ARG = H_SSE;

const A = makeKey('A');
const B = makeKey('B');
const C = makeKey('C');
/** 16 bytes, with its own (matching) MD5: "the secret key was invalid" on writes, 403 on reads. */
const SHORT = keyFromBytes(Buffer.alloc(16, 7));
/** The double-base64 mistake of §2.1: the base64 text of A, base64-encoded again (44 bytes). */
const DOUBLE = keyFromBytes(Buffer.from(A.b64, 'utf8'));

const quotedHex32 = /^"[0-9a-f]{32}"$/;

/** Runs `f` over `items`, `width` at a time. */
async function inBatches<T>(items: readonly T[], width: number, f: (t: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(f));
}

const completeXml = (parts: readonly { n: number; etag: string }[]): Buffer =>
  Buffer.from(
    `<CompleteMultipartUpload>${parts.map((p) => `<Part><PartNumber>${p.n}</PartNumber><ETag>${p.etag}</ETag></Part>`).join('')}</CompleteMultipartUpload>`,
  );

describe('SSE-C over HTTPS', () => {
  let server: TestServer;
  let s3: S3Client;
  /** A client that sends no flexible checksum unless asked (so the server picks the default). */
  let s3nc: S3Client;
  let bucket: string;

  before(async () => {
    server = await startServer();
    s3 = s3Client(server);
    s3nc = s3Client(server, server.root, { requestChecksumCalculation: 'WHEN_REQUIRED' });
    bucket = bucketName('ssec');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(async () => {
    s3?.destroy();
    s3nc?.destroy();
    await server?.stop();
  });

  const raw = (req: SignedRawRequest): Promise<RawResponse> => signedRequest(server, server.root, req);
  const objPath = (key: string) => `/${bucket}/${key}`;
  const putEnc = (Key: string, Body: Buffer, key: SseKey, extra: Record<string, unknown> = {}) =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ...sdkSse(key), ...extra }));
  const getEnc = async (Key: string, key: SseKey, extra: Record<string, unknown> = {}) => {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key, ...sdkSse(key), ...extra }));
    return { res, body: await bodyBytes(res.Body) };
  };
  /** 404 without any SSE headers: the object was not stored. */
  const assertAbsent = async (key: string, what: string) => {
    const res = await raw({ method: 'HEAD', path: objPath(key) });
    assert.equal(res.status, 404, `${what}: nothing may be stored (HEAD ${key} → ${res.status})`);
  };

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

        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key, ...sdkSse(A) }));
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
      await s3nc.send(new PutObjectCommand({ Bucket: bucket, Key: 'ck/default', Body: body, ...sdkSse(A) }));
      const want = checksumB64('CRC64NVME', body);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'ck/default', ChecksumMode: 'ENABLED', ...sdkSse(A) }));
      assert.equal(head.ChecksumCRC64NVME, want);
      // The SDK validates the returned checksum against the bytes it receives.
      const { res, body: got } = await getEnc('ck/default', A, { ChecksumMode: 'ENABLED' });
      assert.equal(res.ChecksumCRC64NVME, want);
      assert.ok(got.equals(body));
    });

    it('Content-MD5 and flexible checksums are verified against the plaintext', async () => {
      const body = pseudoRandomBytes(100 * KiB + 3, 9);
      const ok = await s3nc.send(new PutObjectCommand({ Bucket: bucket, Key: 'ck/md5', Body: body, ContentMD5: md5B64(body), ...sdkSse(A) }));
      assert.notEqual(ok.ETag, `"${md5Hex(body)}"`);
      await expectS3Error(
        s3nc.send(new PutObjectCommand({ Bucket: bucket, Key: 'ck/md5-bad', Body: body, ContentMD5: md5B64(Buffer.from('other')), ...sdkSse(A) })),
        'BadDigest',
        400,
      );
      await assertAbsent('ck/md5-bad', 'wrong Content-MD5');

      const sha = checksumB64('SHA256', body);
      await s3nc.send(new PutObjectCommand({ Bucket: bucket, Key: 'ck/sha', Body: body, ChecksumSHA256: sha, ...sdkSse(A) }));
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'ck/sha', ChecksumMode: 'ENABLED', ...sdkSse(A) }));
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
      const needle = (what: string) => `${what}-${sha256(Buffer.from(`${what} ${bucket}`)).slice(0, 24)}`;
      const enc = { type: needle('enc-type'), meta: needle('enc-meta'), body: needle('enc-body') };
      const ctl = { type: needle('ctl-type'), meta: needle('ctl-meta'), body: needle('ctl-body') };
      await putEnc('atrest/enc', Buffer.from(enc.body), A, { ContentType: `text/${enc.type}`, Metadata: { m: enc.meta } });
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'atrest/plain', Body: ctl.body, ContentType: `text/${ctl.type}`, Metadata: { m: ctl.meta } }));
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'atrest/enc', ...sdkSse(A) }));
      assert.equal(head.ContentType, `text/${enc.type}`);
      assert.deepEqual(head.Metadata, { m: enc.meta });
      const files = (await listFiles(server.dataDir)).filter((f) => !f.includes(`${sep}tls${sep}`));
      const stored = Buffer.concat(await Promise.all(files.map((f) => readFile(f))));
      // The control proves the scan sees what a plain object stores (meta.db or its WAL).
      for (const [what, v] of Object.entries(ctl)) assert.ok(stored.includes(v), `control: the plain object's ${what} is found on disk`);
      for (const [what, v] of Object.entries(enc)) assert.ok(!stored.includes(v), `the SSE-C object's ${what} must not be stored in plaintext`);
    });

    it('listing shows SSE-C objects with the plaintext size and stored ETag, no key needed; DeleteObject needs no key', async () => {
      const body = pseudoRandomBytes(70_001, 10);
      const put = await putEnc('list/x', body, A);
      const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'list/' }));
      assert.deepEqual(list.Contents?.map((o) => [o.Key, o.Size, o.ETag]), [['list/x', body.length, put.ETag]]);
      const del = await raw({ method: 'DELETE', path: objPath('list/x') });
      assert.equal(del.status, 204, del.text);
      await assertAbsent('list/x', 'deleted');
    });
  });

  describe('write validation (aws-sse.md §2.3)', () => {
    const body = Buffer.from('must not be stored');
    const cases: readonly { name: string; headers: Record<string, string>; want: { status: number; code: string; message: string; value?: string } }[] = [
      {
        name: 'row 1: triple plus x-amz-server-side-encryption: AES256',
        headers: { ...sseHeaders(A), [H_SSE]: 'AES256' },
        want: { status: 400, code: 'InvalidArgument', message: MSG.incompatible, value: 'AES256' },
      },
      {
        name: 'row 1: triple plus x-amz-server-side-encryption: aws:kms',
        headers: { ...sseHeaders(A), [H_SSE]: 'aws:kms' },
        want: { status: 400, code: 'InvalidArgument', message: MSG.incompatible, value: 'aws:kms' },
      },
      {
        name: 'row 1 before row 2: SSE AES256 and algorithm KMS',
        headers: { ...sseHeaders(A, 'KMS'), [H_SSE]: 'AES256' },
        want: { status: 400, code: 'InvalidArgument', message: MSG.incompatible, value: 'AES256' },
      },
      {
        name: 'row 2: algorithm AES192',
        headers: sseHeaders(A, 'AES192'),
        want: { status: 400, code: 'InvalidEncryptionAlgorithmError', message: MSG.badAlgorithm, value: 'AES192' },
      },
      {
        name: 'row 2: algorithm is case-sensitive (aes256)',
        headers: sseHeaders(A, 'aes256'),
        want: { status: 400, code: 'InvalidEncryptionAlgorithmError', message: MSG.badAlgorithm, value: 'aes256' },
      },
      {
        name: 'row 3: key and MD5 without algorithm',
        headers: { [H_KEY]: A.b64, [H_MD5]: A.md5 },
        want: { status: 400, code: 'InvalidArgument', message: MSG.noAlgorithm },
      },
      {
        name: 'row 4: algorithm and MD5 without key',
        headers: { [H_ALG]: 'AES256', [H_MD5]: A.md5 },
        want: { status: 400, code: 'InvalidArgument', message: MSG.noKey },
      },
      {
        name: 'row 4: algorithm alone',
        headers: { [H_ALG]: 'AES256' },
        want: { status: 400, code: 'InvalidArgument', message: MSG.noKey },
      },
      {
        name: 'row 5: a 16-byte key (with its MD5)',
        headers: sseHeaders(SHORT),
        want: { status: 400, code: 'InvalidArgument', message: MSG.badKey },
      },
      {
        name: 'row 5: a double-base64 key of 44 bytes (with its MD5)',
        headers: sseHeaders(DOUBLE),
        want: { status: 400, code: 'InvalidArgument', message: MSG.badKey },
      },
      {
        name: 'row 6: MD5 of another key',
        headers: { ...sseHeaders(A), [H_MD5]: B.md5 },
        want: { status: 400, code: 'InvalidArgument', message: MSG.badMd5 },
      },
      {
        name: 'row 7: MD5 header missing',
        headers: { [H_ALG]: 'AES256', [H_KEY]: A.b64 },
        want: { status: 400, code: 'InvalidArgument', message: MSG.noMd5 },
      },
    ];

    for (const [i, c] of cases.entries()) {
      it(`PutObject ${c.name}`, async () => {
        const key = `val/put-${i}`;
        const res = await raw({ method: 'PUT', path: objPath(key), headers: c.headers, body });
        assertS3Error(res, { ...c.want, argumentName: ARG, ...(c.want.value === undefined ? {} : { argumentValue: c.want.value }) }, c.name);
        await assertAbsent(key, c.name);
      });
    }

    it('x-amz-server-side-encryption without a triple (SSE-S3/KMS) is still 501 NotImplemented in this release', async () => {
      const res = await raw({ method: 'PUT', path: objPath('val/sse-s3'), headers: { [H_SSE]: 'AES256' }, body });
      assertS3Error(res, { status: 501, code: 'NotImplemented' }, 'SSE-S3 PUT');
      await assertAbsent('val/sse-s3', 'SSE-S3 PUT');
    });

    it('CreateMultipartUpload validates the triple the same way', async () => {
      const post = (headers: Record<string, string>) =>
        raw({ method: 'POST', path: objPath('val/mpu'), query: [['uploads', '']], headers });
      assertS3Error(await post({ ...sseHeaders(A), [H_SSE]: 'AES256' }), { status: 400, code: 'InvalidArgument', message: MSG.incompatible, argumentName: ARG, argumentValue: 'AES256' });
      assertS3Error(await post(sseHeaders(A, 'AES192')), { status: 400, code: 'InvalidEncryptionAlgorithmError', message: MSG.badAlgorithm, argumentName: ARG, argumentValue: 'AES192' });
      assertS3Error(await post(sseHeaders(SHORT)), { status: 400, code: 'InvalidArgument', message: MSG.badKey, argumentName: ARG });
      assertS3Error(await post({ ...sseHeaders(A), [H_MD5]: B.md5 }), { status: 400, code: 'InvalidArgument', message: MSG.badMd5, argumentName: ARG });
      assertS3Error(await post({ [H_ALG]: 'AES256', [H_KEY]: A.b64 }), { status: 400, code: 'InvalidArgument', message: MSG.noMd5, argumentName: ARG });
      const uploads = await raw({ method: 'GET', path: `/${bucket}`, query: [['uploads', ''], ['prefix', 'val/']] });
      assert.doesNotMatch(uploads.text, /<Upload>/, 'no upload was created by a refused request');
    });

    it('CopyObject validates the destination triple (§8.1)', async () => {
      await putEnc('val/copy-src', Buffer.from('copy source'), A);
      const copy = (headers: Record<string, string>) =>
        raw({ method: 'PUT', path: objPath('val/copy-dst'), headers: { 'x-amz-copy-source': `/${bucket}/val/copy-src`, ...copySourceSseHeaders(A), ...headers } });
      assertS3Error(await copy(sseHeaders(B, 'AES192')), { status: 400, code: 'InvalidEncryptionAlgorithmError', message: MSG.badAlgorithm, argumentName: ARG, argumentValue: 'AES192' }, 'dest AES192');
      assertS3Error(await copy({ ...sseHeaders(B), [H_SSE]: 'AES256' }), { status: 400, code: 'InvalidArgument', message: MSG.incompatible, argumentName: ARG, argumentValue: 'AES256' }, 'dest triple + SSE');
      assertS3Error(await copy(sseHeaders(SHORT)), { status: 400, code: 'InvalidArgument', message: MSG.badKey, argumentName: ARG }, 'dest short key');
      assertS3Error(await copy({ ...sseHeaders(B), [H_MD5]: A.md5 }), { status: 400, code: 'InvalidArgument', message: MSG.badMd5, argumentName: ARG }, 'dest MD5 mismatch');
      assertS3Error(await copy({ [H_ALG]: 'AES256', [H_MD5]: B.md5 }), { status: 400, code: 'InvalidArgument', message: MSG.noKey, argumentName: ARG }, 'dest key missing');
      await assertAbsent('val/copy-dst', 'refused copies');
    });
  });

  describe('read validation (aws-sse.md §2.4)', () => {
    const big = pseudoRandomBytes(200 * KiB + 9, 21);
    const small = pseudoRandomBytes(100, 22);
    const plain = Buffer.from('a plain object');
    before(async () => {
      await putEnc('r/enc-big', big, A);
      await putEnc('r/enc-small', small, A);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'r/plain', Body: plain }));
    });

    for (const name of ['r/enc-big', 'r/enc-small']) {
      it(`${name}: no key → 400 InvalidRequest on GET, range GET, partNumber GET; 400 without body on HEAD`, async () => {
        const want = { status: 400, code: 'InvalidRequest', message: MSG.needKey };
        assertS3Error(await raw({ method: 'GET', path: objPath(name) }), want, 'GET');
        assertS3Error(await raw({ method: 'GET', path: objPath(name), headers: { range: 'bytes=0-9' } }), want, 'range GET');
        assertS3Error(await raw({ method: 'GET', path: objPath(name), query: [['partNumber', '1']] }), want, 'partNumber GET');
        assertHeadError(await raw({ method: 'HEAD', path: objPath(name) }), 400, 'HEAD');
        await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: name })), 'InvalidRequest', 400);
      });

      it(`${name}: a wrong key → 403 AccessDenied, also when its length is wrong (compared before the length)`, async () => {
        const want = { status: 403, code: 'AccessDenied', message: MSG.wrongKey };
        for (const [what, k] of [['other 32-byte key', B], ['16-byte key', SHORT], ['double-base64 key', DOUBLE]] as const) {
          assertS3Error(await raw({ method: 'GET', path: objPath(name), headers: sseHeaders(k) }), want, `GET with ${what}`);
          assertS3Error(await raw({ method: 'GET', path: objPath(name), headers: { ...sseHeaders(k), range: 'bytes=5-10' } }), want, `range GET with ${what}`);
          assertHeadError(await raw({ method: 'HEAD', path: objPath(name), headers: sseHeaders(k) }), 403, `HEAD with ${what}`);
        }
        await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: name, ...sdkSse(B) })), 'AccessDenied', 403);
      });

      it(`${name}: algorithm not AES256 → 400 InvalidEncryptionAlgorithmError; MD5 mismatch or missing key → 400 InvalidArgument`, async () => {
        assertS3Error(
          await raw({ method: 'GET', path: objPath(name), headers: sseHeaders(A, 'AES192') }),
          { status: 400, code: 'InvalidEncryptionAlgorithmError', message: MSG.badAlgorithm, argumentName: ARG, argumentValue: 'AES192' },
          'GET AES192',
        );
        assertHeadError(await raw({ method: 'HEAD', path: objPath(name), headers: sseHeaders(A, 'AES192') }), 400, 'HEAD AES192');
        assertS3Error(
          await raw({ method: 'GET', path: objPath(name), headers: { ...sseHeaders(A), [H_MD5]: B.md5 } }),
          { status: 400, code: 'InvalidArgument', message: MSG.badMd5 },
          'GET MD5 mismatch',
        );
        assertHeadError(await raw({ method: 'HEAD', path: objPath(name), headers: { ...sseHeaders(A), [H_MD5]: B.md5 } }), 400, 'HEAD MD5 mismatch');
        assertS3Error(
          await raw({ method: 'GET', path: objPath(name), headers: { [H_ALG]: 'AES256', [H_MD5]: A.md5 } }),
          { status: 400, code: 'InvalidArgument', message: MSG.noKey },
          'GET key missing',
        );
      });
    }

    it('SSE-C headers on an unencrypted object → 400 InvalidRequest "not applicable"', async () => {
      assertS3Error(
        await raw({ method: 'GET', path: objPath('r/plain'), headers: sseHeaders(A) }),
        { status: 400, code: 'InvalidRequest', message: MSG.notApplicable },
        'GET plain with key',
      );
      assertHeadError(await raw({ method: 'HEAD', path: objPath('r/plain'), headers: sseHeaders(A) }), 400, 'HEAD plain with key');
      const ok = await raw({ method: 'GET', path: objPath('r/plain') });
      assert.ok(ok.body.equals(plain));
    });

    it('GetObjectAttributes needs the key, answers with the plaintext size and unquoted ETag, and no SSE headers', async () => {
      const put = await putEnc('r/attrs', big, A);
      const attrs = (headers: Record<string, string>) =>
        raw({ method: 'GET', path: objPath('r/attrs'), query: [['attributes', '']], headers: { 'x-amz-object-attributes': 'ETag,ObjectSize', ...headers } });
      assertS3Error(await attrs({}), { status: 400, code: 'InvalidRequest', message: MSG.needKey }, 'attributes without key');
      assertS3Error(await attrs(sseHeaders(B)), { status: 403, code: 'AccessDenied', message: MSG.wrongKey }, 'attributes with wrong key');
      const ok = await attrs(sseHeaders(A));
      assert.equal(ok.status, 200, ok.text);
      assert.match(ok.text, new RegExp(`<ETag>${(put.ETag ?? '').replace(/"/g, '')}</ETag>`));
      assert.match(ok.text, new RegExp(`<ObjectSize>${big.length}</ObjectSize>`));
      assert.equal(ok.headers[H_ALG], undefined, 'GetObjectAttributes returns no SSE headers (§2.5)');
      assert.equal(ok.headers[H_MD5], undefined);
    });

    it('a copy from an SSE-C source needs the copy-source triple with the right key', async () => {
      const copy = (headers: Record<string, string>) =>
        raw({ method: 'PUT', path: objPath('r/copy-dst'), headers: { 'x-amz-copy-source': `/${bucket}/r/enc-big`, ...headers } });
      assertS3Error(await copy({}), { status: 400, code: 'InvalidRequest', message: MSG.needKey }, 'no copy-source triple');
      assertS3Error(await copy(sseHeaders(A)), { status: 400, code: 'InvalidRequest', message: MSG.needKey }, 'destination triple only');
      assertS3Error(await copy(copySourceSseHeaders(B)), { status: 403, code: 'AccessDenied' }, 'wrong copy-source key');
      assertS3Error(await copy(copySourceSseHeaders(SHORT)), { status: 403, code: 'AccessDenied' }, 'short copy-source key');
      assertS3Error(await copy(copySourceSseHeaders(A, 'AES192')), { status: 400, code: 'InvalidEncryptionAlgorithmError' }, 'copy-source AES192');
      await assertAbsent('r/copy-dst', 'refused copies');
    });
  });

  describe('multipart (uneven parts 5 MiB + 1, 5 MiB + 65535, 70001)', () => {
    const key = 'mp/uneven.bin';
    const parts = [pseudoRandomBytes(5 * MiB + 1, 31), pseudoRandomBytes(5 * MiB + 65535, 32), pseudoRandomBytes(70_001, 33)];
    const whole = Buffer.concat(parts);
    const starts = parts.map((_, i) => parts.slice(0, i).reduce((n, p) => n + p.length, 0));
    let uploadId: string;
    const etags: string[] = [];
    let completeEtag: string;

    before(async () => {
      const created = await s3.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'application/x-mp', Metadata: { kind: 'sse-c-mp' }, ...sdkSse(A) }),
      );
      assert.equal(created.SSECustomerAlgorithm, 'AES256');
      assert.equal(created.SSECustomerKeyMD5, A.md5);
      assert.equal(created.ServerSideEncryption, undefined);
      uploadId = created.UploadId ?? '';
      // Out of order: the last part first.
      for (const i of [2, 0, 1]) {
        const p = parts[i] ?? Buffer.alloc(0);
        const res = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: p, ...sdkSse(A) }));
        assert.equal(res.SSECustomerAlgorithm, 'AES256', `part ${i + 1} algorithm`);
        assert.equal(res.SSECustomerKeyMD5, A.md5, `part ${i + 1} key MD5`);
        assert.equal(res.ServerSideEncryption, undefined);
        assert.match(res.ETag ?? '', quotedHex32);
        assert.notEqual(res.ETag, `"${md5Hex(p)}"`, `part ${i + 1}: an SSE-C part ETag is not the MD5 of its plaintext`);
        etags[i] = res.ETag ?? '';
      }
    });

    it('a part without the key, with another key or a bad key MD5 is refused and stores nothing', async () => {
      const part = (headers: Record<string, string>) =>
        raw({ method: 'PUT', path: objPath(key), query: [['partNumber', '4'], ['uploadId', uploadId]], headers, body: Buffer.from('part 4') });
      assertS3Error(await part({}), { status: 400, code: 'InvalidRequest', message: MSG.partNeedsSse }, 'part without triple');
      assertS3Error(await part(sseHeaders(B)), { status: 400, code: 'InvalidRequest', message: MSG.partKeyMismatch }, 'part with another key');
      assertS3Error(await part({ ...sseHeaders(A), [H_MD5]: B.md5 }), { status: 400, code: 'InvalidArgument', message: MSG.badMd5, argumentName: ARG }, 'part with bad MD5');
      assertS3Error(await part(sseHeaders(A, 'AES192')), { status: 400, code: 'InvalidEncryptionAlgorithmError' }, 'part with AES192');
    });

    it('ListParts works without the key and shows the plaintext sizes', async () => {
      const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
      assert.deepEqual(listed.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag]), parts.map((p, i) => [i + 1, p.length, etags[i]]));
    });

    it('Complete with another key is refused; without the key it succeeds and returns no SSE headers', async () => {
      const body = completeXml(etags.map((etag, i) => ({ n: i + 1, etag })));
      const wrong = await raw({ method: 'POST', path: objPath(key), query: [['uploadId', uploadId]], headers: sseHeaders(B), body });
      assertS3Error(wrong, { status: 400, code: 'InvalidRequest', message: MSG.partKeyMismatch }, 'Complete with another key');
      const res = await raw({ method: 'POST', path: objPath(key), query: [['uploadId', uploadId]], body });
      assert.equal(res.status, 200, res.text);
      assert.doesNotMatch(res.text, /<Error>/, res.text);
      for (const h of Object.keys(res.headers)) assert.ok(!h.startsWith('x-amz-server-side-encryption'), `Complete returned ${h}`);
      completeEtag = /<ETag>([^<]*)<\/ETag>/.exec(res.text.replace(/&quot;/g, '"'))?.[1] ?? '';
      assert.match(completeEtag, /^"[0-9a-f]{32}-3"$/);
    });

    it('GET and HEAD with the key serve the exact bytes, metadata and the SSE headers; no automatic checksum', async () => {
      const { res, body } = await getEnc(key, A);
      assert.equal(res.ContentLength, whole.length);
      assert.equal(sha256(body), sha256(whole));
      assert.equal(res.ETag, completeEtag);
      assert.equal(res.ContentType, 'application/x-mp');
      assert.deepEqual(res.Metadata, { kind: 'sse-c-mp' });
      assert.equal(res.SSECustomerAlgorithm, 'AES256');
      assert.equal(res.SSECustomerKeyMD5, A.md5);
      assert.equal(res.ServerSideEncryption, undefined);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED', ...sdkSse(A) }));
      assert.equal(head.ContentLength, whole.length);
      const checksums = Object.entries(head).filter(([k, v]) => k.startsWith('Checksum') && v !== undefined);
      assert.deepEqual(checksums, [], 'an SSE-C multipart upload created without an algorithm gets no checksum (§2.6)');
      assertS3Error(await raw({ method: 'GET', path: objPath(key) }), { status: 400, code: 'InvalidRequest', message: MSG.needKey });
      assertS3Error(await raw({ method: 'GET', path: objPath(key), headers: sseHeaders(B) }), { status: 403, code: 'AccessDenied', message: MSG.wrongKey });
    });

    it('partNumber GETs and HEADs return the part, x-amz-mp-parts-count and the whole-object ETag', async () => {
      for (const [i, p] of parts.entries()) {
        const { res, body } = await getEnc(key, A, { PartNumber: i + 1 });
        assert.equal(res.$metadata.httpStatusCode, 206, `part ${i + 1}`);
        assert.equal(res.PartsCount, 3);
        assert.equal(res.ETag, completeEtag);
        assert.equal(res.ContentLength, p.length);
        assert.equal(res.ContentRange, `bytes ${starts[i]}-${(starts[i] ?? 0) + p.length - 1}/${whole.length}`);
        assert.equal(res.SSECustomerKeyMD5, A.md5);
        assert.ok(body.equals(p), `part ${i + 1} bytes`);
      }
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, PartNumber: 2, ...sdkSse(A) }));
      assert.equal(head.PartsCount, 3);
      assert.equal(head.ContentLength, parts[1]?.length);
      assert.equal(head.ETag, completeEtag);
      assertS3Error(await raw({ method: 'GET', path: objPath(key), query: [['partNumber', '2']] }), { status: 400, code: 'InvalidRequest', message: MSG.needKey });
    });

    it('CopyObject of the multipart SSE-C object re-keys it (C) or decrypts it, byte-identical across part boundaries', async () => {
      const rekeyed = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: `${key}.c`, CopySource: `${bucket}/${key}`, ...sdkCopySourceSse(A), ...sdkSse(C) }));
      assert.equal(rekeyed.SSECustomerKeyMD5, C.md5);
      const { res, body } = await getEnc(`${key}.c`, C);
      assert.equal(sha256(body), sha256(whole));
      assert.equal(res.ContentType, 'application/x-mp');
      assert.deepEqual(res.Metadata, { kind: 'sse-c-mp' });
      const b = starts[1] ?? 0;
      const across = await getEnc(`${key}.c`, C, { Range: `bytes=${b - 3}-${b + 2}` });
      assert.ok(across.body.equals(whole.subarray(b - 3, b + 3)));
      assertS3Error(await raw({ method: 'GET', path: objPath(`${key}.c`), headers: sseHeaders(A) }), { status: 403, code: 'AccessDenied', message: MSG.wrongKey });
      await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: `${key}.plain`, CopySource: `${bucket}/${key}`, ...sdkCopySourceSse(A) }));
      const plain = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${key}.plain` }));
      assert.equal(sha256(await bodyBytes(plain.Body)), sha256(whole));
      assert.equal(plain.SSECustomerAlgorithm, undefined);
    });

    it('240 seeded random ranges (1-byte, across 64 KiB packages and part boundaries, suffix, open) match the plaintext', async () => {
      const N = whole.length;
      const rnd = seededRandom(0x5eed);
      const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
      const pkgBounds: number[] = [];
      for (const [i, p] of parts.entries()) for (let o = PKG; o < p.length; o += PKG) pkgBounds.push((starts[i] ?? 0) + o);
      const partBounds = starts.slice(1);
      const ranges: { header: string; from: number; to: number }[] = [];
      const add = (from: number, to: number) => ranges.push({ header: `bytes=${from}-${to}`, from, to: Math.min(to, N - 1) });
      // Fixed edge cases: first and last byte, every part boundary from both sides.
      add(0, 0);
      add(N - 1, N - 1);
      for (const b of partBounds) {
        add(b - 1, b - 1);
        add(b, b);
        add(b - 1, b);
        add(b - PKG - 1, b + PKG);
      }
      while (ranges.length < 60) {
        const b = pkgBounds[int(0, pkgBounds.length - 1)] ?? 0;
        const side = int(0, 2);
        if (side === 0) add(b - 1, b - 1);
        else if (side === 1) add(b, b);
        else add(b - 1, b);
      }
      while (ranges.length < 120) {
        const b = pkgBounds[int(0, pkgBounds.length - 1)] ?? 0;
        add(b - int(1, 70_000), b + int(0, 70_000));
      }
      while (ranges.length < 160) {
        const b = partBounds[int(0, partBounds.length - 1)] ?? 0;
        add(b - int(1, 200_000), b + int(0, 200_000));
      }
      while (ranges.length < 225) {
        const from = int(0, N - 1);
        add(from, from + int(0, 300_000));
      }
      for (let i = 0; i < 8; i++) {
        const n = int(1, 150_000);
        ranges.push({ header: `bytes=-${n}`, from: N - n, to: N - 1 });
      }
      for (let i = 0; i < 7; i++) {
        const from = N - int(1, 150_000);
        ranges.push({ header: `bytes=${from}-`, from, to: N - 1 });
      }
      assert.ok(ranges.length >= 240);
      await inBatches(ranges, 8, async (r) => {
        const { res, body } = await getEnc(key, A, { Range: r.header });
        assert.equal(res.$metadata.httpStatusCode, 206, r.header);
        assert.equal(res.ContentRange, `bytes ${r.from}-${r.to}/${N}`, r.header);
        assert.equal(res.ContentLength, r.to - r.from + 1, r.header);
        assert.ok(body.equals(whole.subarray(r.from, r.to + 1)), `bytes of ${r.header}`);
      });
    });

    it('an upload created with a checksum algorithm needs the key on Complete', async () => {
      const k = 'mp/sha256';
      const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: k, ChecksumAlgorithm: 'SHA256', ...sdkSse(A) }));
      const id = created.UploadId ?? '';
      const p = pseudoRandomBytes(1000, 34);
      const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: k, UploadId: id, PartNumber: 1, Body: p, ChecksumAlgorithm: 'SHA256', ...sdkSse(A) }));
      assert.equal(part.ChecksumSHA256, checksumB64('SHA256', p));
      const body = Buffer.from(
        `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.ETag}</ETag><ChecksumSHA256>${part.ChecksumSHA256}</ChecksumSHA256></Part></CompleteMultipartUpload>`,
      );
      const without = await raw({ method: 'POST', path: objPath(k), query: [['uploadId', id]], body });
      assert.equal(without.status, 400, `Complete without the key of a SHA256 upload: ${without.status} ${without.text}`);
      const wrong = await raw({ method: 'POST', path: objPath(k), query: [['uploadId', id]], headers: sseHeaders(B), body });
      assertS3Error(wrong, { status: 400, code: 'InvalidRequest', message: MSG.partKeyMismatch }, 'Complete with another key');
      const badMd5 = await raw({ method: 'POST', path: objPath(k), query: [['uploadId', id]], headers: { ...sseHeaders(A), [H_MD5]: B.md5 }, body });
      assertS3Error(badMd5, { status: 400, code: 'InvalidArgument', message: MSG.badMd5, argumentName: ARG }, 'Complete with a bad key MD5');
      const ok = await raw({ method: 'POST', path: objPath(k), query: [['uploadId', id]], headers: sseHeaders(A), body });
      assert.equal(ok.status, 200, ok.text);
      assert.doesNotMatch(ok.text, /<Error>/, ok.text);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: k, ChecksumMode: 'ENABLED', ...sdkSse(A) }));
      assert.equal(head.ChecksumSHA256, compositeChecksum('SHA256', [p]));
      const { body: got } = await getEnc(k, A);
      assert.ok(got.equals(p));
    });

    it('re-uploading a part number of an SSE-C upload replaces it', async () => {
      const k = 'mp/replace';
      const id = (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: k, ...sdkSse(A) }))).UploadId ?? '';
      const first = pseudoRandomBytes(PKG + 1, 38);
      const second = pseudoRandomBytes(PKG + 1, 39);
      await s3.send(new UploadPartCommand({ Bucket: bucket, Key: k, UploadId: id, PartNumber: 1, Body: first, ...sdkSse(A) }));
      const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: k, UploadId: id, PartNumber: 1, Body: second, ...sdkSse(A) }));
      const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: k, UploadId: id }));
      assert.deepEqual(listed.Parts?.map((p) => [p.PartNumber, p.ETag]), [[1, r.ETag]]);
      await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: k, UploadId: id, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: r.ETag ?? '' }] } }));
      const { body } = await getEnc(k, A);
      assert.ok(body.equals(second));
    });

    it('a part with a triple on an unencrypted upload is refused', async () => {
      const k = 'mp/plain';
      const id = (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: k }))).UploadId ?? '';
      const res = await raw({ method: 'PUT', path: objPath(k), query: [['partNumber', '1'], ['uploadId', id]], headers: sseHeaders(A), body: Buffer.from('x') });
      assertS3Error(res, { status: 400, code: 'InvalidRequest', message: MSG.partNeedsSse }, 'SSE-C part on a plain upload');
      await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: k, UploadId: id }));
    });

    it('UploadPartCopy from an SSE-C source into an upload with another key, starting mid-package', async () => {
      const srcKey = 'mp/copy-src';
      const src = pseudoRandomBytes(6 * MiB + 4321, 35);
      await putEnc(srcKey, src, A);
      const plainKey = 'mp/copy-plain';
      const plain = pseudoRandomBytes(5 * MiB + 20_000, 36);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: plainKey, Body: plain }));
      const k = 'mp/copied';
      const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: k, ...sdkSse(B) }));
      const id = created.UploadId ?? '';
      const from = 70_000; // inside the second 64 KiB package
      const to = from + 5 * MiB - 1;
      const copyPart = (n: number, headers: Record<string, string>) =>
        raw({
          method: 'PUT',
          path: objPath(k),
          query: [['partNumber', String(n)], ['uploadId', id]],
          headers: { 'x-amz-copy-source': `/${bucket}/${srcKey}`, 'x-amz-copy-source-range': `bytes=${from}-${to}`, ...headers },
        });
      assertS3Error(await copyPart(1, sseHeaders(B)), { status: 400, code: 'InvalidRequest', message: MSG.needKey }, 'no copy-source triple');
      assertS3Error(await copyPart(1, { ...sseHeaders(B), ...copySourceSseHeaders(C) }), { status: 403, code: 'AccessDenied' }, 'wrong copy-source key');
      assertS3Error(await copyPart(1, copySourceSseHeaders(A)), { status: 400, code: 'InvalidRequest', message: MSG.partNeedsSse }, 'no destination triple');
      assertS3Error(
        await copyPart(1, { ...sseHeaders(A), ...copySourceSseHeaders(A) }),
        { status: 400, code: 'InvalidRequest', message: MSG.partKeyMismatch },
        'destination triple with the source key',
      );

      const r1 = await s3.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: k,
          UploadId: id,
          PartNumber: 1,
          CopySource: `${bucket}/${srcKey}`,
          CopySourceRange: `bytes=${from}-${to}`,
          ...sdkCopySourceSse(A),
          ...sdkSse(B),
        }),
      );
      assert.equal(r1.SSECustomerAlgorithm, 'AES256');
      assert.equal(r1.SSECustomerKeyMD5, B.md5);
      assert.match(r1.CopyPartResult?.ETag ?? '', quotedHex32);
      // Part 2: from an unencrypted source into the SSE-C upload; part 3 (the last) uploaded.
      const r2 = await s3.send(
        new UploadPartCopyCommand({ Bucket: bucket, Key: k, UploadId: id, PartNumber: 2, CopySource: `${bucket}/${plainKey}`, CopySourceRange: `bytes=12345-${12345 + 5 * MiB - 1}`, ...sdkSse(B) }),
      );
      assert.equal(r2.SSECustomerKeyMD5, B.md5);
      const p3 = pseudoRandomBytes(100_003, 37);
      const r3 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: k, UploadId: id, PartNumber: 3, Body: p3, ...sdkSse(B) }));
      const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: k, UploadId: id }));
      assert.deepEqual(listed.Parts?.map((p) => p.Size), [5 * MiB, 5 * MiB, p3.length]);
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: k,
          UploadId: id,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: r1.CopyPartResult?.ETag ?? '' },
              { PartNumber: 2, ETag: r2.CopyPartResult?.ETag ?? '' },
              { PartNumber: 3, ETag: r3.ETag ?? '' },
            ],
          },
        }),
      );
      const expected = Buffer.concat([src.subarray(from, to + 1), plain.subarray(12345, 12345 + 5 * MiB), p3]);
      const { body } = await getEnc(k, B);
      assert.equal(body.length, expected.length);
      assert.equal(sha256(body), sha256(expected), 'the copied object is byte-identical');
      const across = await getEnc(k, B, { Range: `bytes=${5 * MiB - 100}-${5 * MiB + 100}` });
      assert.ok(across.body.equals(expected.subarray(5 * MiB - 100, 5 * MiB + 101)));
      assertS3Error(await raw({ method: 'GET', path: objPath(k), headers: sseHeaders(A) }), { status: 403, code: 'AccessDenied', message: MSG.wrongKey });
    });
  });

  describe('CopyObject between encryption settings (§8.1)', () => {
    const src = pseudoRandomBytes(MiB + 3, 41);
    const plain = pseudoRandomBytes(300 * KiB, 42);
    before(async () => {
      await putEnc('c/src', src, A, { ContentType: 'text/x-src', Metadata: { origin: 'src' } });
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'c/plain', Body: plain, ContentType: 'text/x-plain' }));
    });

    it('SSE-C → unencrypted (copy-source triple only): a plain object whose ETag is the MD5', async () => {
      const res = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'c/dec', CopySource: `${bucket}/c/src`, ...sdkCopySourceSse(A) }));
      assert.equal(res.CopyObjectResult?.ETag, `"${md5Hex(src)}"`);
      assert.equal(res.SSECustomerAlgorithm, undefined);
      assert.equal(res.SSECustomerKeyMD5, undefined);
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'c/dec' }));
      assert.equal(got.ETag, `"${md5Hex(src)}"`);
      assert.equal(got.ContentType, 'text/x-src');
      assert.deepEqual(got.Metadata, { origin: 'src' });
      assert.equal(got.SSECustomerAlgorithm, undefined);
      assert.ok((await bodyBytes(got.Body)).equals(src));
      assertS3Error(await raw({ method: 'GET', path: objPath('c/dec'), headers: sseHeaders(A) }), { status: 400, code: 'InvalidRequest', message: MSG.notApplicable });
    });

    it('unencrypted → SSE-C: the destination needs the key and has a non-MD5 ETag', async () => {
      const res = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'c/enc', CopySource: `${bucket}/c/plain`, ...sdkSse(A) }));
      assert.equal(res.SSECustomerAlgorithm, 'AES256');
      assert.equal(res.SSECustomerKeyMD5, A.md5);
      assert.equal(res.ServerSideEncryption, undefined);
      assert.match(res.CopyObjectResult?.ETag ?? '', quotedHex32);
      assert.notEqual(res.CopyObjectResult?.ETag, `"${md5Hex(plain)}"`);
      assertS3Error(await raw({ method: 'GET', path: objPath('c/enc') }), { status: 400, code: 'InvalidRequest', message: MSG.needKey });
      const { res: got, body } = await getEnc('c/enc', A);
      assert.ok(body.equals(plain));
      assert.equal(got.ContentType, 'text/x-plain');
      assert.equal(got.SSECustomerKeyMD5, A.md5);
    });

    it('SSE-C → SSE-C with another key under another name: new key reads, old key is refused, source unchanged', async () => {
      const res = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'c/rekeyed', CopySource: `${bucket}/c/src`, ...sdkCopySourceSse(A), ...sdkSse(B) }));
      assert.equal(res.SSECustomerAlgorithm, 'AES256');
      assert.equal(res.SSECustomerKeyMD5, B.md5);
      assert.match(res.CopyObjectResult?.ETag ?? '', quotedHex32);
      const { res: got, body } = await getEnc('c/rekeyed', B, { ChecksumMode: 'ENABLED' });
      assert.ok(body.equals(src));
      assert.equal(got.ContentType, 'text/x-src');
      assert.deepEqual(got.Metadata, { origin: 'src' });
      assert.equal(got.SSECustomerKeyMD5, B.md5);
      // The SDK uploaded the source with its default CRC32; the copy keeps it (§8.1).
      assert.equal(got.ChecksumCRC32, checksumB64('CRC32', src), 'the source checksum is kept');
      assertS3Error(await raw({ method: 'GET', path: objPath('c/rekeyed'), headers: sseHeaders(A) }), { status: 403, code: 'AccessDenied', message: MSG.wrongKey });
      const { body: still } = await getEnc('c/src', A);
      assert.ok(still.equals(src));
    });

    it('an SSE-C object copied onto itself with the copy-source triple only becomes unencrypted (its encryption changes, §8.2)', async () => {
      await putEnc('c/inplace-dec', plain, A, { Metadata: { keep: 'me' } });
      const res = await raw({ method: 'PUT', path: objPath('c/inplace-dec'), headers: { 'x-amz-copy-source': `/${bucket}/c/inplace-dec`, ...copySourceSseHeaders(A) } });
      assert.equal(res.status, 200, res.text);
      assert.doesNotMatch(res.text, /<Error>/);
      const got = await raw({ method: 'GET', path: objPath('c/inplace-dec') });
      assert.equal(got.status, 200, got.text.slice(0, 300));
      assert.ok(got.body.equals(plain));
      assert.equal(got.headers['etag'], `"${md5Hex(plain)}"`);
      assert.equal(got.headers['x-amz-meta-keep'], 'me');
    });

    it('MetadataDirective REPLACE on an SSE-C copy stores the new metadata (encrypted) under the new key', async () => {
      await s3.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: 'c/replaced',
          CopySource: `${bucket}/c/src`,
          MetadataDirective: 'REPLACE',
          ContentType: 'text/x-new',
          Metadata: { fresh: 'yes' },
          ...sdkCopySourceSse(A),
          ...sdkSse(C),
        }),
      );
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'c/replaced', ...sdkSse(C) }));
      assert.equal(head.ContentType, 'text/x-new');
      assert.deepEqual(head.Metadata, { fresh: 'yes' });
      assert.equal(head.ContentLength, src.length);
    });
  });

  describe('key rotation: CopyObject onto itself (§8.2); the blobs are not rewritten', () => {
    const one = pseudoRandomBytes(MiB + 77, 51);
    /** The blob file of rot/one. */
    let oneFiles: string[] = [];

    it('old key → new key without MetadataDirective: 200, new key reads bytes and metadata, old key 403, blob untouched', async () => {
      const k = 'rot/one';
      const files = await newBlobsOf(server, () => putEnc(k, one, A, { ContentType: 'image/x-rot', Metadata: { who: 'rotation' } }));
      assert.equal(files.length, 1, `a ${one.length}-byte object is one blob file: ${files.join(', ')}`);
      oneFiles = files;
      const before = await Promise.all(files.map(fileState));
      const allBefore = await blobFiles(server);

      const res = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: k, CopySource: `${bucket}/${k}`, ...sdkCopySourceSse(A), ...sdkSse(B) }));
      assert.equal(res.$metadata.httpStatusCode, 200);
      assert.equal(res.SSECustomerKeyMD5, B.md5);

      const { res: got, body } = await getEnc(k, B, { ChecksumMode: 'ENABLED' });
      assert.ok(body.equals(one));
      assert.equal(got.ContentType, 'image/x-rot');
      assert.deepEqual(got.Metadata, { who: 'rotation' });
      assert.equal(got.SSECustomerKeyMD5, B.md5);
      assert.equal(got.ChecksumCRC32, checksumB64('CRC32', one), 'the checksum (the SDK default CRC32) survives the rotation');
      assertS3Error(await raw({ method: 'GET', path: objPath(k), headers: sseHeaders(A) }), { status: 403, code: 'AccessDenied', message: MSG.wrongKey });
      assertHeadError(await raw({ method: 'HEAD', path: objPath(k), headers: sseHeaders(A) }), 403, 'HEAD with the old key');

      assert.deepEqual(await Promise.all(files.map(fileState)), before, 'inode, mtime, size and bytes of the blob are unchanged');
      assert.deepEqual(await blobFiles(server), allBefore, 'no blob was written or removed');
    });

    it('a wrong old key is refused with 403 and changes nothing', async () => {
      const k = 'rot/one';
      const res = await raw({ method: 'PUT', path: objPath(k), headers: { 'x-amz-copy-source': `/${bucket}/${k}`, ...copySourceSseHeaders(C), ...sseHeaders(A) } });
      assertS3Error(res, { status: 403, code: 'AccessDenied' }, 'rotation with a wrong old key');
      const { body } = await getEnc(k, B);
      assert.ok(body.equals(one));
    });

    it('the same key again is accepted (a no-op rotation) and leaves the blob alone', async () => {
      const k = 'rot/one';
      assert.equal(oneFiles.length, 1, 'the first rotation test found the blob');
      const all = await blobFiles(server);
      const states = await Promise.all(oneFiles.map(fileState));
      const res = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: k, CopySource: `${bucket}/${k}`, ...sdkCopySourceSse(B), ...sdkSse(B) }));
      assert.equal(res.$metadata.httpStatusCode, 200);
      const { body } = await getEnc(k, B);
      assert.ok(body.equals(one));
      assert.deepEqual(await blobFiles(server), all);
      assert.deepEqual(await Promise.all(oneFiles.map(fileState)), states);
    });

    it('a multipart object rotates without rewriting its part blobs', async () => {
      const k = 'rot/mp';
      const parts = [pseudoRandomBytes(5 * MiB + 1, 52), pseudoRandomBytes(100 * KiB + 3, 53)];
      const whole = Buffer.concat(parts);
      const files = await newBlobsOf(server, async () => {
        const id = (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: k, ...sdkSse(A) }))).UploadId ?? '';
        const done = [];
        for (const [i, p] of parts.entries()) {
          const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: k, UploadId: id, PartNumber: i + 1, Body: p, ...sdkSse(A) }));
          done.push({ PartNumber: i + 1, ETag: r.ETag ?? '' });
        }
        await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: k, UploadId: id, MultipartUpload: { Parts: done } }));
      });
      assert.ok(files.length >= 2, `one blob per part: ${files.join(', ')}`);
      const before = await Promise.all(files.map(fileState));
      const allBefore = await blobFiles(server);
      const res = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: k, CopySource: `${bucket}/${k}`, ...sdkCopySourceSse(A), ...sdkSse(C) }));
      assert.equal(res.$metadata.httpStatusCode, 200);
      const { body } = await getEnc(k, C);
      assert.equal(sha256(body), sha256(whole));
      const p2 = await getEnc(k, C, { PartNumber: 2 });
      assert.equal(p2.res.PartsCount, 2);
      assert.ok(p2.body.equals(parts[1] ?? Buffer.alloc(0)));
      assertS3Error(await raw({ method: 'GET', path: objPath(k), headers: sseHeaders(A) }), { status: 403, code: 'AccessDenied', message: MSG.wrongKey });
      assert.deepEqual(await Promise.all(files.map(fileState)), before, 'part blobs unchanged');
      assert.deepEqual(await blobFiles(server), allBefore, 'no blob was written or removed');
    });
  });

  describe('presigned URLs (§2.9)', () => {
    it('a presigned GET signs the SSE-C headers, which must then be sent as headers', async () => {
      const body = pseudoRandomBytes(90_000, 61);
      await putEnc('pre/get', body, A);
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'pre/get', ...sdkSse(A) }), { expiresIn: 300 });
      const signedHeaders = new URL(url).searchParams.get('X-Amz-SignedHeaders') ?? '';
      for (const h of [H_ALG, H_KEY, H_MD5]) assert.ok(signedHeaders.split(';').includes(h), `${h} is signed: ${signedHeaders}`);
      assert.ok(!url.includes(encodeURIComponent(A.b64)) && !url.includes(A.b64), 'the key is not in the URL');
      const ok = await fetchUrl(server, url, 'GET', undefined, sseHeaders(A));
      assert.equal(ok.status, 200, ok.text);
      assert.ok(ok.body.equals(body));
      assert.equal(ok.headers[H_MD5], A.md5);
      const bare = await fetchUrl(server, url);
      assert.equal(bare.status, 403, `without the signed headers: ${bare.status} ${bare.text}`);
    });

    it('a presigned PUT with SSE-C stores an object readable only with the key', async () => {
      const body = pseudoRandomBytes(80_000, 62);
      const url = await getSignedUrl(s3nc, new PutObjectCommand({ Bucket: bucket, Key: 'pre/put', ...sdkSse(A) }), { expiresIn: 300 });
      const res = await fetchUrl(server, url, 'PUT', body, sseHeaders(A));
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
