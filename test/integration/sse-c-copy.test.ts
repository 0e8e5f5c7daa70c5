/**
 * SSE-C (customer-provided keys) CopyObject with @aws-sdk/client-s3 and hand-signed requests:
 * copies between encryption settings and keys, and key rotation by copying an object onto
 * itself (the blobs on disk must not be rewritten).
 * Amazon's behaviour is the reference: ../shared/spec/aws-sse.md §8.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { bodyBytes } from './harness.js';
import { checksumB64, md5Hex, pseudoRandomBytes, sha256 } from './fixtures/checksums.js';
import {
  A,
  B,
  C,
  KiB,
  MiB,
  MSG,
  assertHeadError,
  assertS3Error,
  blobFiles,
  copySourceSseHeaders,
  fileState,
  newBlobsOf,
  quotedHex32,
  sdkCopySourceSse,
  sdkSse,
  sseCRequests,
  sseHeaders,
  useSseCServer,
} from './fixtures/sse-c.js';

describe('SSE-C over HTTPS', () => {
  const env = useSseCServer();

  const { raw, objPath, putEnc, getEnc } = sseCRequests(() => env);

  describe('CopyObject between encryption settings (§8.1)', () => {
    const src = pseudoRandomBytes(MiB + 3, 41);
    const plain = pseudoRandomBytes(300 * KiB, 42);
    before(async () => {
      await putEnc('c/src', src, A, { ContentType: 'text/x-src', Metadata: { origin: 'src' } });
      await env.s3.send(new PutObjectCommand({ Bucket: env.bucket, Key: 'c/plain', Body: plain, ContentType: 'text/x-plain' }));
    });

    it('SSE-C → unencrypted (copy-source triple only): a plain object whose ETag is the MD5', async () => {
      const res = await env.s3.send(new CopyObjectCommand({ Bucket: env.bucket, Key: 'c/dec', CopySource: `${env.bucket}/c/src`, ...sdkCopySourceSse(A) }));
      assert.equal(res.CopyObjectResult?.ETag, `"${md5Hex(src)}"`);
      assert.equal(res.SSECustomerAlgorithm, undefined);
      assert.equal(res.SSECustomerKeyMD5, undefined);
      const got = await env.s3.send(new GetObjectCommand({ Bucket: env.bucket, Key: 'c/dec' }));
      assert.equal(got.ETag, `"${md5Hex(src)}"`);
      assert.equal(got.ContentType, 'text/x-src');
      assert.deepEqual(got.Metadata, { origin: 'src' });
      assert.equal(got.SSECustomerAlgorithm, undefined);
      assert.ok((await bodyBytes(got.Body)).equals(src));
      assertS3Error(await raw({ method: 'GET', path: objPath('c/dec'), headers: sseHeaders(A) }), { status: 400, code: 'InvalidRequest', message: MSG.notApplicable });
    });

    it('unencrypted → SSE-C: the destination needs the key and has a non-MD5 ETag', async () => {
      const res = await env.s3.send(new CopyObjectCommand({ Bucket: env.bucket, Key: 'c/enc', CopySource: `${env.bucket}/c/plain`, ...sdkSse(A) }));
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
      const res = await env.s3.send(new CopyObjectCommand({ Bucket: env.bucket, Key: 'c/rekeyed', CopySource: `${env.bucket}/c/src`, ...sdkCopySourceSse(A), ...sdkSse(B) }));
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
      const res = await raw({ method: 'PUT', path: objPath('c/inplace-dec'), headers: { 'x-amz-copy-source': `/${env.bucket}/c/inplace-dec`, ...copySourceSseHeaders(A) } });
      assert.equal(res.status, 200, res.text);
      assert.doesNotMatch(res.text, /<Error>/);
      const got = await raw({ method: 'GET', path: objPath('c/inplace-dec') });
      assert.equal(got.status, 200, got.text.slice(0, 300));
      assert.ok(got.body.equals(plain));
      assert.equal(got.headers['etag'], `"${md5Hex(plain)}"`);
      assert.equal(got.headers['x-amz-meta-keep'], 'me');
    });

    it('MetadataDirective REPLACE on an SSE-C copy stores the new metadata (encrypted) under the new key', async () => {
      await env.s3.send(
        new CopyObjectCommand({
          Bucket: env.bucket,
          Key: 'c/replaced',
          CopySource: `${env.bucket}/c/src`,
          MetadataDirective: 'REPLACE',
          ContentType: 'text/x-new',
          Metadata: { fresh: 'yes' },
          ...sdkCopySourceSse(A),
          ...sdkSse(C),
        }),
      );
      const head = await env.s3.send(new HeadObjectCommand({ Bucket: env.bucket, Key: 'c/replaced', ...sdkSse(C) }));
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
      const files = await newBlobsOf(env.server, () => putEnc(k, one, A, { ContentType: 'image/x-rot', Metadata: { who: 'rotation' } }));
      assert.equal(files.length, 1, `a ${one.length}-byte object is one blob file: ${files.join(', ')}`);
      oneFiles = files;
      const before = await Promise.all(files.map(fileState));
      const allBefore = await blobFiles(env.server);

      const res = await env.s3.send(new CopyObjectCommand({ Bucket: env.bucket, Key: k, CopySource: `${env.bucket}/${k}`, ...sdkCopySourceSse(A), ...sdkSse(B) }));
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
      assert.deepEqual(await blobFiles(env.server), allBefore, 'no blob was written or removed');
    });

    it('a wrong old key is refused with 403 and changes nothing', async () => {
      const k = 'rot/one';
      const res = await raw({ method: 'PUT', path: objPath(k), headers: { 'x-amz-copy-source': `/${env.bucket}/${k}`, ...copySourceSseHeaders(C), ...sseHeaders(A) } });
      assertS3Error(res, { status: 403, code: 'AccessDenied' }, 'rotation with a wrong old key');
      const { body } = await getEnc(k, B);
      assert.ok(body.equals(one));
    });

    it('the same key again is accepted (a no-op rotation) and leaves the blob alone', async () => {
      const k = 'rot/one';
      assert.equal(oneFiles.length, 1, 'the first rotation test found the blob');
      const all = await blobFiles(env.server);
      const states = await Promise.all(oneFiles.map(fileState));
      const res = await env.s3.send(new CopyObjectCommand({ Bucket: env.bucket, Key: k, CopySource: `${env.bucket}/${k}`, ...sdkCopySourceSse(B), ...sdkSse(B) }));
      assert.equal(res.$metadata.httpStatusCode, 200);
      const { body } = await getEnc(k, B);
      assert.ok(body.equals(one));
      assert.deepEqual(await blobFiles(env.server), all);
      assert.deepEqual(await Promise.all(oneFiles.map(fileState)), states);
    });

    it('a multipart object rotates without rewriting its part blobs', async () => {
      const k = 'rot/mp';
      const parts = [pseudoRandomBytes(5 * MiB + 1, 52), pseudoRandomBytes(100 * KiB + 3, 53)];
      const whole = Buffer.concat(parts);
      let etagBefore: string | undefined;
      const files = await newBlobsOf(env.server, async () => {
        const id = (await env.s3.send(new CreateMultipartUploadCommand({ Bucket: env.bucket, Key: k, ...sdkSse(A) }))).UploadId ?? '';
        const done = [];
        for (const [i, p] of parts.entries()) {
          const r = await env.s3.send(new UploadPartCommand({ Bucket: env.bucket, Key: k, UploadId: id, PartNumber: i + 1, Body: p, ...sdkSse(A) }));
          done.push({ PartNumber: i + 1, ETag: r.ETag ?? '' });
        }
        etagBefore = (await env.s3.send(new CompleteMultipartUploadCommand({ Bucket: env.bucket, Key: k, UploadId: id, MultipartUpload: { Parts: done } }))).ETag;
      });
      assert.ok(files.length >= 2, `one blob per part: ${files.join(', ')}`);
      const before = await Promise.all(files.map(fileState));
      const allBefore = await blobFiles(env.server);
      const res = await env.s3.send(new CopyObjectCommand({ Bucket: env.bucket, Key: k, CopySource: `${env.bucket}/${k}`, ...sdkCopySourceSse(A), ...sdkSse(C) }));
      assert.equal(res.$metadata.httpStatusCode, 200);
      // A new opaque ETag that still says how many parts the object has.
      assert.match(res.CopyObjectResult?.ETag ?? '', /^"[0-9a-f]{32}-2"$/);
      assert.notEqual(res.CopyObjectResult?.ETag, etagBefore);
      const { body } = await getEnc(k, C);
      assert.equal(sha256(body), sha256(whole));
      const p2 = await getEnc(k, C, { PartNumber: 2 });
      assert.equal(p2.res.PartsCount, 2);
      assert.ok(p2.body.equals(parts[1] ?? Buffer.alloc(0)));
      assertS3Error(await raw({ method: 'GET', path: objPath(k), headers: sseHeaders(A) }), { status: 403, code: 'AccessDenied', message: MSG.wrongKey });
      assert.deepEqual(await Promise.all(files.map(fileState)), before, 'part blobs unchanged');
      assert.deepEqual(await blobFiles(env.server), allBefore, 'no blob was written or removed');
    });
  });
});
