/**
 * SSE-C (customer-provided keys) multipart uploads with @aws-sdk/client-s3 and hand-signed
 * requests: uneven parts, the part rules, partNumber and many ranges across package and part
 * boundaries, checksums on Complete, and UploadPartCopy between keys.
 * Amazon's behaviour is the reference: ../shared/spec/aws-sse.md §2 and §8.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { bodyBytes } from './harness.js';
import { checksumB64, compositeChecksum, md5Hex, pseudoRandomBytes, sha256 } from './fixtures/checksums.js';
import {
  A,
  ARG,
  B,
  C,
  H_MD5,
  MiB,
  MSG,
  PKG,
  assertS3Error,
  copySourceSseHeaders,
  quotedHex32,
  sdkCopySourceSse,
  sdkSse,
  seededRandom,
  sseCRequests,
  sseHeaders,
  useSseCServer,
} from './fixtures/sse-c.js';

/** Runs `f` over `items`, `width` at a time. */
async function inBatches<T>(items: readonly T[], width: number, f: (t: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(f));
}

const completeXml = (parts: readonly { n: number; etag: string }[]): Buffer =>
  Buffer.from(
    `<CompleteMultipartUpload>${parts.map((p) => `<Part><PartNumber>${p.n}</PartNumber><ETag>${p.etag}</ETag></Part>`).join('')}</CompleteMultipartUpload>`,
  );

describe('SSE-C over HTTPS', () => {
  const env = useSseCServer();

  const { raw, objPath, putEnc, getEnc } = sseCRequests(() => env);

  describe('multipart (uneven parts 5 MiB + 1, 5 MiB + 65535, 70001)', () => {
    const key = 'mp/uneven.bin';
    const parts = [pseudoRandomBytes(5 * MiB + 1, 31), pseudoRandomBytes(5 * MiB + 65535, 32), pseudoRandomBytes(70_001, 33)];
    const whole = Buffer.concat(parts);
    const starts = parts.map((_, i) => parts.slice(0, i).reduce((n, p) => n + p.length, 0));
    let uploadId: string;
    const etags: string[] = [];
    let completeEtag: string;

    before(async () => {
      const created = await env.s3.send(
        new CreateMultipartUploadCommand({ Bucket: env.bucket, Key: key, ContentType: 'application/x-mp', Metadata: { kind: 'sse-c-mp' }, ...sdkSse(A) }),
      );
      assert.equal(created.SSECustomerAlgorithm, 'AES256');
      assert.equal(created.SSECustomerKeyMD5, A.md5);
      assert.equal(created.ServerSideEncryption, undefined);
      uploadId = created.UploadId ?? '';
      // Out of order: the last part first.
      for (const i of [2, 0, 1]) {
        const p = parts[i] ?? Buffer.alloc(0);
        const res = await env.s3.send(new UploadPartCommand({ Bucket: env.bucket, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: p, ...sdkSse(A) }));
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
      const listed = await env.s3.send(new ListPartsCommand({ Bucket: env.bucket, Key: key, UploadId: uploadId }));
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
      const head = await env.s3.send(new HeadObjectCommand({ Bucket: env.bucket, Key: key, ChecksumMode: 'ENABLED', ...sdkSse(A) }));
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
      const head = await env.s3.send(new HeadObjectCommand({ Bucket: env.bucket, Key: key, PartNumber: 2, ...sdkSse(A) }));
      assert.equal(head.PartsCount, 3);
      assert.equal(head.ContentLength, parts[1]?.length);
      assert.equal(head.ETag, completeEtag);
      assertS3Error(await raw({ method: 'GET', path: objPath(key), query: [['partNumber', '2']] }), { status: 400, code: 'InvalidRequest', message: MSG.needKey });
    });

    it('CopyObject of the multipart SSE-C object re-keys it (C) or decrypts it, byte-identical across part boundaries', async () => {
      const rekeyed = await env.s3.send(new CopyObjectCommand({ Bucket: env.bucket, Key: `${key}.c`, CopySource: `${env.bucket}/${key}`, ...sdkCopySourceSse(A), ...sdkSse(C) }));
      assert.equal(rekeyed.SSECustomerKeyMD5, C.md5);
      const { res, body } = await getEnc(`${key}.c`, C);
      assert.equal(sha256(body), sha256(whole));
      assert.equal(res.ContentType, 'application/x-mp');
      assert.deepEqual(res.Metadata, { kind: 'sse-c-mp' });
      const b = starts[1] ?? 0;
      const across = await getEnc(`${key}.c`, C, { Range: `bytes=${b - 3}-${b + 2}` });
      assert.ok(across.body.equals(whole.subarray(b - 3, b + 3)));
      assertS3Error(await raw({ method: 'GET', path: objPath(`${key}.c`), headers: sseHeaders(A) }), { status: 403, code: 'AccessDenied', message: MSG.wrongKey });
      await env.s3.send(new CopyObjectCommand({ Bucket: env.bucket, Key: `${key}.plain`, CopySource: `${env.bucket}/${key}`, ...sdkCopySourceSse(A) }));
      const plain = await env.s3.send(new GetObjectCommand({ Bucket: env.bucket, Key: `${key}.plain` }));
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
      const created = await env.s3.send(new CreateMultipartUploadCommand({ Bucket: env.bucket, Key: k, ChecksumAlgorithm: 'SHA256', ...sdkSse(A) }));
      const id = created.UploadId ?? '';
      const p = pseudoRandomBytes(1000, 34);
      const part = await env.s3.send(new UploadPartCommand({ Bucket: env.bucket, Key: k, UploadId: id, PartNumber: 1, Body: p, ChecksumAlgorithm: 'SHA256', ...sdkSse(A) }));
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
      const head = await env.s3.send(new HeadObjectCommand({ Bucket: env.bucket, Key: k, ChecksumMode: 'ENABLED', ...sdkSse(A) }));
      assert.equal(head.ChecksumSHA256, compositeChecksum('SHA256', [p]));
      const { body: got } = await getEnc(k, A);
      assert.ok(got.equals(p));
    });

    it('re-uploading a part number of an SSE-C upload replaces it', async () => {
      const k = 'mp/replace';
      const id = (await env.s3.send(new CreateMultipartUploadCommand({ Bucket: env.bucket, Key: k, ...sdkSse(A) }))).UploadId ?? '';
      const first = pseudoRandomBytes(PKG + 1, 38);
      const second = pseudoRandomBytes(PKG + 1, 39);
      await env.s3.send(new UploadPartCommand({ Bucket: env.bucket, Key: k, UploadId: id, PartNumber: 1, Body: first, ...sdkSse(A) }));
      const r = await env.s3.send(new UploadPartCommand({ Bucket: env.bucket, Key: k, UploadId: id, PartNumber: 1, Body: second, ...sdkSse(A) }));
      const listed = await env.s3.send(new ListPartsCommand({ Bucket: env.bucket, Key: k, UploadId: id }));
      assert.deepEqual(listed.Parts?.map((p) => [p.PartNumber, p.ETag]), [[1, r.ETag]]);
      await env.s3.send(new CompleteMultipartUploadCommand({ Bucket: env.bucket, Key: k, UploadId: id, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: r.ETag ?? '' }] } }));
      const { body } = await getEnc(k, A);
      assert.ok(body.equals(second));
    });

    it('a part with a triple on an unencrypted upload is refused', async () => {
      const k = 'mp/plain';
      const id = (await env.s3.send(new CreateMultipartUploadCommand({ Bucket: env.bucket, Key: k }))).UploadId ?? '';
      const res = await raw({ method: 'PUT', path: objPath(k), query: [['partNumber', '1'], ['uploadId', id]], headers: sseHeaders(A), body: Buffer.from('x') });
      assertS3Error(res, { status: 400, code: 'InvalidRequest', message: MSG.partNeedsSse }, 'SSE-C part on a plain upload');
      await env.s3.send(new AbortMultipartUploadCommand({ Bucket: env.bucket, Key: k, UploadId: id }));
    });

    it('UploadPartCopy from an SSE-C source into an upload with another key, starting mid-package', async () => {
      const srcKey = 'mp/copy-src';
      const src = pseudoRandomBytes(6 * MiB + 4321, 35);
      await putEnc(srcKey, src, A);
      const plainKey = 'mp/copy-plain';
      const plain = pseudoRandomBytes(5 * MiB + 20_000, 36);
      await env.s3.send(new PutObjectCommand({ Bucket: env.bucket, Key: plainKey, Body: plain }));
      const k = 'mp/copied';
      const created = await env.s3.send(new CreateMultipartUploadCommand({ Bucket: env.bucket, Key: k, ...sdkSse(B) }));
      const id = created.UploadId ?? '';
      const from = 70_000; // inside the second 64 KiB package
      const to = from + 5 * MiB - 1;
      const copyPart = (n: number, headers: Record<string, string>) =>
        raw({
          method: 'PUT',
          path: objPath(k),
          query: [['partNumber', String(n)], ['uploadId', id]],
          headers: { 'x-amz-copy-source': `/${env.bucket}/${srcKey}`, 'x-amz-copy-source-range': `bytes=${from}-${to}`, ...headers },
        });
      assertS3Error(await copyPart(1, sseHeaders(B)), { status: 400, code: 'InvalidRequest', message: MSG.needKey }, 'no copy-source triple');
      assertS3Error(await copyPart(1, { ...sseHeaders(B), ...copySourceSseHeaders(C) }), { status: 403, code: 'AccessDenied' }, 'wrong copy-source key');
      assertS3Error(await copyPart(1, copySourceSseHeaders(A)), { status: 400, code: 'InvalidRequest', message: MSG.partNeedsSse }, 'no destination triple');
      assertS3Error(
        await copyPart(1, { ...sseHeaders(A), ...copySourceSseHeaders(A) }),
        { status: 400, code: 'InvalidRequest', message: MSG.partKeyMismatch },
        'destination triple with the source key',
      );

      const r1 = await env.s3.send(
        new UploadPartCopyCommand({
          Bucket: env.bucket,
          Key: k,
          UploadId: id,
          PartNumber: 1,
          CopySource: `${env.bucket}/${srcKey}`,
          CopySourceRange: `bytes=${from}-${to}`,
          ...sdkCopySourceSse(A),
          ...sdkSse(B),
        }),
      );
      assert.equal(r1.SSECustomerAlgorithm, 'AES256');
      assert.equal(r1.SSECustomerKeyMD5, B.md5);
      assert.match(r1.CopyPartResult?.ETag ?? '', quotedHex32);
      // Part 2: from an unencrypted source into the SSE-C upload; part 3 (the last) uploaded.
      const r2 = await env.s3.send(
        new UploadPartCopyCommand({ Bucket: env.bucket, Key: k, UploadId: id, PartNumber: 2, CopySource: `${env.bucket}/${plainKey}`, CopySourceRange: `bytes=12345-${12345 + 5 * MiB - 1}`, ...sdkSse(B) }),
      );
      assert.equal(r2.SSECustomerKeyMD5, B.md5);
      const p3 = pseudoRandomBytes(100_003, 37);
      const r3 = await env.s3.send(new UploadPartCommand({ Bucket: env.bucket, Key: k, UploadId: id, PartNumber: 3, Body: p3, ...sdkSse(B) }));
      const listed = await env.s3.send(new ListPartsCommand({ Bucket: env.bucket, Key: k, UploadId: id }));
      assert.deepEqual(listed.Parts?.map((p) => p.Size), [5 * MiB, 5 * MiB, p3.length]);
      await env.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: env.bucket,
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
});
