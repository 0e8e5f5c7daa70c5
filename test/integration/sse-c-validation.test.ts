/**
 * SSE-C (customer-provided keys) header validation with hand-signed requests and
 * @aws-sdk/client-s3: the SSE-C triple on writes (PutObject, CreateMultipartUpload, CopyObject
 * destination) and on reads (GET, range and partNumber GET, HEAD, GetObjectAttributes, copy source).
 * Amazon's behaviour is the reference: ../shared/spec/aws-sse.md §2.3, §2.4 and §8.1.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { expectS3Error } from './harness.js';
import { pseudoRandomBytes } from './fixtures/checksums.js';
import {
  A,
  ARG,
  B,
  DOUBLE,
  H_ALG,
  H_KEY,
  H_MD5,
  H_SSE,
  KiB,
  MSG,
  SHORT,
  assertHeadError,
  assertS3Error,
  copySourceSseHeaders,
  sdkSse,
  sseCRequests,
  sseHeaders,
  useSseCServer,
} from './fixtures/sse-c.js';

describe('SSE-C over HTTPS', () => {
  const env = useSseCServer();

  const { raw, objPath, putEnc, assertAbsent } = sseCRequests(() => env);

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

    it('CreateMultipartUpload validates the triple the same way', async () => {
      const post = (headers: Record<string, string>) =>
        raw({ method: 'POST', path: objPath('val/mpu'), query: [['uploads', '']], headers });
      assertS3Error(await post({ ...sseHeaders(A), [H_SSE]: 'AES256' }), { status: 400, code: 'InvalidArgument', message: MSG.incompatible, argumentName: ARG, argumentValue: 'AES256' });
      assertS3Error(await post(sseHeaders(A, 'AES192')), { status: 400, code: 'InvalidEncryptionAlgorithmError', message: MSG.badAlgorithm, argumentName: ARG, argumentValue: 'AES192' });
      assertS3Error(await post(sseHeaders(SHORT)), { status: 400, code: 'InvalidArgument', message: MSG.badKey, argumentName: ARG });
      assertS3Error(await post({ ...sseHeaders(A), [H_MD5]: B.md5 }), { status: 400, code: 'InvalidArgument', message: MSG.badMd5, argumentName: ARG });
      assertS3Error(await post({ [H_ALG]: 'AES256', [H_KEY]: A.b64 }), { status: 400, code: 'InvalidArgument', message: MSG.noMd5, argumentName: ARG });
      const uploads = await raw({ method: 'GET', path: `/${env.bucket}`, query: [['uploads', ''], ['prefix', 'val/']] });
      assert.doesNotMatch(uploads.text, /<Upload>/, 'no upload was created by a refused request');
    });

    it('CopyObject validates the destination triple (§8.1)', async () => {
      await putEnc('val/copy-src', Buffer.from('copy source'), A);
      const copy = (headers: Record<string, string>) =>
        raw({ method: 'PUT', path: objPath('val/copy-dst'), headers: { 'x-amz-copy-source': `/${env.bucket}/val/copy-src`, ...copySourceSseHeaders(A), ...headers } });
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
      await env.s3.send(new PutObjectCommand({ Bucket: env.bucket, Key: 'r/plain', Body: plain }));
    });

    for (const name of ['r/enc-big', 'r/enc-small']) {
      it(`${name}: no key → 400 InvalidRequest on GET, range GET, partNumber GET; 400 without body on HEAD`, async () => {
        const want = { status: 400, code: 'InvalidRequest', message: MSG.needKey };
        assertS3Error(await raw({ method: 'GET', path: objPath(name) }), want, 'GET');
        assertS3Error(await raw({ method: 'GET', path: objPath(name), headers: { range: 'bytes=0-9' } }), want, 'range GET');
        assertS3Error(await raw({ method: 'GET', path: objPath(name), query: [['partNumber', '1']] }), want, 'partNumber GET');
        assertHeadError(await raw({ method: 'HEAD', path: objPath(name) }), 400, 'HEAD');
        await expectS3Error(env.s3.send(new GetObjectCommand({ Bucket: env.bucket, Key: name })), 'InvalidRequest', 400);
      });

      it(`${name}: a wrong key → 403 AccessDenied, also when its length is wrong (compared before the length)`, async () => {
        const want = { status: 403, code: 'AccessDenied', message: MSG.wrongKey };
        for (const [what, k] of [['other 32-byte key', B], ['16-byte key', SHORT], ['double-base64 key', DOUBLE]] as const) {
          assertS3Error(await raw({ method: 'GET', path: objPath(name), headers: sseHeaders(k) }), want, `GET with ${what}`);
          assertS3Error(await raw({ method: 'GET', path: objPath(name), headers: { ...sseHeaders(k), range: 'bytes=5-10' } }), want, `range GET with ${what}`);
          assertHeadError(await raw({ method: 'HEAD', path: objPath(name), headers: sseHeaders(k) }), 403, `HEAD with ${what}`);
        }
        await expectS3Error(env.s3.send(new GetObjectCommand({ Bucket: env.bucket, Key: name, ...sdkSse(B) })), 'AccessDenied', 403);
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
        raw({ method: 'PUT', path: objPath('r/copy-dst'), headers: { 'x-amz-copy-source': `/${env.bucket}/r/enc-big`, ...headers } });
      assertS3Error(await copy({}), { status: 400, code: 'InvalidRequest', message: MSG.needKey }, 'no copy-source triple');
      assertS3Error(await copy(sseHeaders(A)), { status: 400, code: 'InvalidRequest', message: MSG.needKey }, 'destination triple only');
      assertS3Error(await copy(copySourceSseHeaders(B)), { status: 403, code: 'AccessDenied' }, 'wrong copy-source key');
      assertS3Error(await copy(copySourceSseHeaders(SHORT)), { status: 403, code: 'AccessDenied' }, 'short copy-source key');
      assertS3Error(await copy(copySourceSseHeaders(A, 'AES192')), { status: 400, code: 'InvalidEncryptionAlgorithmError' }, 'copy-source AES192');
      await assertAbsent('r/copy-dst', 'refused copies');
    });
  });
});
