/**
 * SSE-S3 requested with `x-amz-server-side-encryption: AES256` (issue 4, first part): data
 * encrypted under a data key sealed by the root key, Amazon's headers and MD5 ETags (§4), and
 * conversions by copy with SSE-C. Bucket default encryption: bucket-encryption.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
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
import { md5Hex, pseudoRandomBytes } from './fixtures/checksums.js';
import {
  A,
  H_SSE,
  MiB,
  assertS3Error,
  blobFiles,
  fileState,
  sdkCopySourceSse,
  sdkSse,
  sseCRequests,
  sseHeaders,
  useSseCServer,
} from './fixtures/sse-c.js';

describe('SSE-S3 (x-amz-server-side-encryption: AES256)', () => {
  const env = useSseCServer();
  const { raw, objPath } = sseCRequests(() => env);
  const get = async (Key: string, extra: Record<string, unknown> = {}) => {
    const res = await env.s3.send(new GetObjectCommand({ Bucket: env.bucket, Key, ...extra }));
    return { res, body: await bodyBytes(res.Body) };
  };
  const marker = (n: number) => Buffer.from('SSE-S3-PLAINTEXT-MARKER '.repeat(Math.ceil(n / 24)).slice(0, n));

  it('PUT, GET, HEAD and ranges: AES256 headers, the MD5 ETag, and no plaintext in any stored file', async () => {
    for (const [key, body] of [['small', marker(3000)], ['large', marker(MiB + 7)]] as const) {
      const put = await env.s3.send(new PutObjectCommand({ Bucket: env.bucket, Key: key, Body: body, ServerSideEncryption: 'AES256', Metadata: { m: 'v' } }));
      assert.equal(put.ServerSideEncryption, 'AES256');
      assert.equal(put.ETag, `"${md5Hex(body)}"`, 'SSE-S3 single PUT ETag is the MD5 (§4)');
      const { res, body: got } = await get(key);
      assert.equal(res.ServerSideEncryption, 'AES256');
      assert.ok(got.equals(body));
      assert.deepEqual(res.Metadata, { m: 'v' });
      const head = await env.s3.send(new HeadObjectCommand({ Bucket: env.bucket, Key: key }));
      assert.equal(head.ServerSideEncryption, 'AES256');
      const range = await get(key, { Range: 'bytes=100-65636' });
      assert.ok(range.body.equals(body.subarray(100, 65637)));
    }
    const needle = Buffer.from('SSE-S3-PLAINTEXT-MARKER');
    for (const f of [...(await blobFiles(env.server)), join(env.server.dataDir, 'meta.db'), join(env.server.dataDir, 'meta.db-wal')]) {
      const bytes = await readFile(f).catch(() => Buffer.alloc(0));
      assert.equal(bytes.indexOf(needle), -1, `plaintext found in ${f}`);
    }
  });

  it('multipart: every answer says AES256, the object reads back, ETag is the multipart MD5 form', async () => {
    const parts = [pseudoRandomBytes(5 * MiB, 61), pseudoRandomBytes(123_457, 62)];
    const created = await env.s3.send(new CreateMultipartUploadCommand({ Bucket: env.bucket, Key: 'mp', ServerSideEncryption: 'AES256' }));
    assert.equal(created.ServerSideEncryption, 'AES256');
    const done = [];
    for (const [i, p] of parts.entries()) {
      const r = await env.s3.send(new UploadPartCommand({ Bucket: env.bucket, Key: 'mp', UploadId: created.UploadId, PartNumber: i + 1, Body: p }));
      assert.equal(r.ServerSideEncryption, 'AES256', 'UploadPart answers the upload encryption');
      assert.equal(r.ETag, `"${md5Hex(p)}"`);
      done.push({ PartNumber: i + 1, ETag: r.ETag });
    }
    const complete = await env.s3.send(new CompleteMultipartUploadCommand({ Bucket: env.bucket, Key: 'mp', UploadId: created.UploadId, MultipartUpload: { Parts: done } }));
    assert.equal(complete.ServerSideEncryption, 'AES256');
    assert.match(complete.ETag ?? '', /^"[0-9a-f]{32}-2"$/);
    const { res, body } = await get('mp');
    assert.equal(res.ServerSideEncryption, 'AES256');
    assert.ok(body.equals(Buffer.concat(parts)));
  });

  it('copies: SSE-S3 → SSE-C in place keeps the blob; SSE-C → SSE-S3 and a header-less copy (SSE-S3 by default) rewrite with MD5 ETags', async () => {
    const body = marker(2 * MiB);
    await env.s3.send(new PutObjectCommand({ Bucket: env.bucket, Key: 'conv', Body: body, ServerSideEncryption: 'AES256' }));
    const files = await blobFiles(env.server);
    const before = await Promise.all(files.map(fileState));
    const toC = await env.s3.send(new CopyObjectCommand({ Bucket: env.bucket, Key: 'conv', CopySource: `${env.bucket}/conv`, ...sdkSse(A) }));
    assert.equal(toC.SSECustomerKeyMD5, A.md5);
    assert.equal(toC.ServerSideEncryption, undefined);
    assert.deepEqual(await Promise.all(files.map(fileState)), before, 'the data key was re-sealed, no blob rewritten');
    assertS3Error(await raw({ method: 'GET', path: objPath('conv') }), { status: 400, code: 'InvalidRequest' }, 'now SSE-C');
    const back = await env.s3.send(new CopyObjectCommand({ Bucket: env.bucket, Key: 'conv', CopySource: `${env.bucket}/conv`, ...sdkCopySourceSse(A), ServerSideEncryption: 'AES256' }));
    assert.equal(back.ServerSideEncryption, 'AES256');
    assert.equal(back.CopyObjectResult?.ETag, `"${md5Hex(body)}"`, 'SSE-C → SSE-S3 gets the MD5 ETag (§2.7)');
    // Without headers the destination gets the bucket default: SSE-S3 since 2023 (§4, §8.1).
    const plain = await env.s3.send(new CopyObjectCommand({ Bucket: env.bucket, Key: 'conv-plain', CopySource: `${env.bucket}/conv` }));
    assert.equal(plain.ServerSideEncryption, 'AES256');
    assert.equal(plain.CopyObjectResult?.ETag, `"${md5Hex(body)}"`);
    const got = await get('conv-plain');
    assert.equal(got.res.ServerSideEncryption, 'AES256');
    assert.ok(got.body.equals(body));
    const again = await env.s3.send(new CopyObjectCommand({ Bucket: env.bucket, Key: 'conv', CopySource: `${env.bucket}/conv`, ServerSideEncryption: 'AES256' }));
    assert.equal(again.ServerSideEncryption, 'AES256', 'a copy onto itself with AES256 again is allowed (§8.2)');
  });

  it("Amazon's errors: unknown method, a KMS key id without aws:kms, SSE-C keys or the SSE header on a read", async () => {
    assertS3Error(await raw({ method: 'PUT', path: objPath('bad'), headers: { [H_SSE]: 'aes:kms' }, body: Buffer.from('x') }), {
      status: 400,
      code: 'InvalidArgument',
      message: 'The encryption method specified is not supported',
    });
    assertS3Error(
      await raw({ method: 'PUT', path: objPath('bad'), headers: { [H_SSE]: 'AES256', [`${H_SSE}-aws-kms-key-id`]: 'k' }, body: Buffer.from('x') }),
      { status: 400, code: 'InvalidArgument', message: 'Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms' },
    );
    assertS3Error(await raw({ method: 'GET', path: objPath('small'), headers: sseHeaders(A) }), { status: 400, code: 'InvalidRequest' });
    assertS3Error(await raw({ method: 'GET', path: objPath('small'), headers: { [H_SSE]: 'AES256' } }), { status: 400, code: 'InvalidRequest' });
    assert.equal((await raw({ method: 'HEAD', path: objPath('bad') })).status, 404, 'nothing stored');
  });
});
