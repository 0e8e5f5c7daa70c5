/**
 * Buckets and single-object operations through @aws-sdk/client-s3, over HTTPS (where a stream
 * body goes out as STREAMING-UNSIGNED-PAYLOAD-TRAILER) and plain HTTP (spec §9.1).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type {
  S3Client} from '@aws-sdk/client-s3';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetBucketTaggingCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import {
  TRANSPORTS,
  bodyBytes,
  bucketName,
  expectS3Error,
  s3Client,
  signedRequest,
  startServer,
  xmlCode,
  xmlTag,
  type TestServer,
} from './harness.js';
import { ALGORITHMS, checksumB64, md5B64, md5Hex, pseudoRandomBytes, type Algorithm } from './fixtures/checksums.js';

const checksumField = (alg: Algorithm) => `Checksum${alg}` as const;
const pick = (o: object, k: string): unknown => (o as Record<string, unknown>)[k];

for (const transport of TRANSPORTS) {
  describe(`SDK objects over ${transport.name}`, () => {
    let server: TestServer;
    let s3: S3Client;
    let bucket: string;

    before(async () => {
      server = await startServer({ http: transport.http });
      s3 = s3Client(server);
      bucket = bucketName('obj');
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    });
    after(async () => {
      s3?.destroy();
      await server?.stop();
    });

    const put = (Key: string, Body: Buffer | string, extra: Partial<ConstructorParameters<typeof PutObjectCommand>[0]> = {}) =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ...extra }));
    const getBytes = async (Key: string, b = bucket) => bodyBytes((await s3.send(new GetObjectCommand({ Bucket: b, Key }))).Body);
    const exists = async (Key: string, b = bucket): Promise<boolean> => {
      try {
        await s3.send(new HeadObjectCommand({ Bucket: b, Key }));
        return true;
      } catch (err) {
        if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
        throw err;
      }
    };

    describe('buckets', () => {
      it('creates, heads, lists, locates and deletes a bucket', async () => {
        const name = bucketName('life');
        await s3.send(new CreateBucketCommand({ Bucket: name }));
        await s3.send(new HeadBucketCommand({ Bucket: name }));
        const list = await s3.send(new ListBucketsCommand({}));
        assert.ok(list.Buckets?.some((b) => b.Name === name && b.CreationDate instanceof Date), 'bucket listed');
        assert.ok(list.Owner?.ID !== undefined, 'owner present');
        const loc = await s3.send(new GetBucketLocationCommand({ Bucket: name }));
        // us-east-1 is reported as an empty LocationConstraint.
        assert.ok(loc.LocationConstraint === undefined || (loc.LocationConstraint as string) === '', `location ${loc.LocationConstraint}`);
        await s3.send(new DeleteBucketCommand({ Bucket: name }));
        await expectS3Error(s3.send(new HeadBucketCommand({ Bucket: name })), 'NotFound', 404);
        const after2 = await s3.send(new ListBucketsCommand({}));
        assert.ok(!after2.Buckets?.some((b) => b.Name === name), 'deleted bucket not listed');
      });

      for (const bad of ['ab', 'a'.repeat(64), 'UpperCase', 'under_score', '-leading', 'trailing-', 'dou..ble', '192.168.5.4', 'xn--punycode', 'name-s3alias']) {
        it(`rejects bucket name ${JSON.stringify(bad)} with InvalidBucketName`, async () => {
          await expectS3Error(s3.send(new CreateBucketCommand({ Bucket: bad })), 'InvalidBucketName', 400);
        });
      }

      it('accepts names at the limits (3 and 63 characters, dots and hyphens)', async () => {
        for (const name of [`a${process.pid % 10}z`, `x.y-${'q'.repeat(59)}`]) {
          await s3.send(new CreateBucketCommand({ Bucket: name }));
          await s3.send(new DeleteBucketCommand({ Bucket: name }));
        }
      });

      it('re-creating an own bucket in us-east-1 answers 200 and keeps its objects (AWS legacy rule)', async () => {
        const name = bucketName('again');
        await s3.send(new CreateBucketCommand({ Bucket: name }));
        await s3.send(new PutObjectCommand({ Bucket: name, Key: 'kept', Body: 'x' }));
        const res = await s3.send(new CreateBucketCommand({ Bucket: name }));
        assert.equal(res.$metadata.httpStatusCode, 200);
        assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: name }))).KeyCount, 1);
      });

      it('refuses to delete a non-empty bucket, and NoSuchBucket for a missing one', async () => {
        const name = bucketName('full');
        await s3.send(new CreateBucketCommand({ Bucket: name }));
        await s3.send(new PutObjectCommand({ Bucket: name, Key: 'x', Body: 'x' }));
        await expectS3Error(s3.send(new DeleteBucketCommand({ Bucket: name })), 'BucketNotEmpty', 409);
        await s3.send(new DeleteObjectCommand({ Bucket: name, Key: 'x' }));
        await s3.send(new DeleteBucketCommand({ Bucket: name }));
        await expectS3Error(s3.send(new DeleteBucketCommand({ Bucket: name })), 'NoSuchBucket', 404);
        await expectS3Error(s3.send(new GetObjectCommand({ Bucket: name, Key: 'x' })), 'NoSuchBucket', 404);
        await expectS3Error(s3.send(new PutObjectCommand({ Bucket: name, Key: 'x', Body: 'x' })), 'NoSuchBucket', 404);
        await expectS3Error(s3.send(new ListObjectsV2Command({ Bucket: name })), 'NoSuchBucket', 404);
      });

      it('answers NotImplemented (501) for unsupported bucket sub-resources', async () => {
        await expectS3Error(s3.send(new GetBucketTaggingCommand({ Bucket: bucket })), 'NotImplemented', 501);
        await expectS3Error(
          s3.send(
            new PutBucketCorsCommand({
              Bucket: bucket,
              CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['*'] }] },
            }),
          ),
          'NotImplemented',
          501,
        );
      });
    });

    describe('put / get / head / delete', () => {
      it('round-trips bytes, user metadata and content headers', async () => {
        const body = pseudoRandomBytes(3000, 1);
        const expires = new Date('2030-01-02T03:04:05Z');
        const res = await put('dir/meta object.bin', body, {
          Metadata: { color: 'blue', 'multi-word': 'a b  c', unicode: 'caf\u00e9' },
          ContentType: 'application/x-test',
          ContentDisposition: 'attachment; filename="t.bin"',
          ContentEncoding: 'gzip',
          ContentLanguage: 'de-CH',
          CacheControl: 'max-age=60',
          Expires: expires,
        });
        assert.equal(res.ETag, `"${md5Hex(body)}"`);
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/meta object.bin' }));
        assert.deepEqual(await bodyBytes(got.Body), body);
        assert.equal(got.ETag, res.ETag);
        assert.equal(got.ContentLength, body.length);
        assert.equal(got.ContentType, 'application/x-test');
        assert.equal(got.ContentDisposition, 'attachment; filename="t.bin"');
        assert.equal(got.ContentEncoding, 'gzip');
        assert.equal(got.ContentLanguage, 'de-CH');
        assert.equal(got.CacheControl, 'max-age=60');
        assert.equal(got.Expires?.getTime(), expires.getTime());
        assert.equal(got.Metadata?.['color'], 'blue');
        assert.equal(got.Metadata?.['multi-word'], 'a b  c');
        assert.ok(got.LastModified instanceof Date);
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dir/meta object.bin' }));
        assert.equal(head.ContentLength, body.length);
        assert.equal(head.ETag, res.ETag);
        assert.equal(head.ContentType, 'application/x-test');
        assert.equal(head.Metadata?.['color'], 'blue');
        assert.equal(head.LastModified?.getTime(), got.LastModified?.getTime());
      });

      it('stores a stream body (aws-chunked with trailer) without framing bytes', async () => {
        const body = pseudoRandomBytes(200_000, 2);
        const sent: string[] = [];
        const probe = s3Client(server);
        probe.middlewareStack.add(
          (next) => async (args) => {
            const h = (args.request as { headers?: Record<string, string> }).headers ?? {};
            sent.push(h['x-amz-content-sha256'] ?? '');
            return next(args);
          },
          { step: 'finalizeRequest', priority: 'low' },
        );
        const res = await probe.send(
          new PutObjectCommand({ Bucket: bucket, Key: 'stream.bin', Body: Readable.from([body.subarray(0, 70_000), body.subarray(70_000)]), ContentLength: body.length }),
        );
        probe.destroy();
        assert.deepEqual(sent, ['STREAMING-UNSIGNED-PAYLOAD-TRAILER'], 'the SDK used the aws-chunked trailer form');
        assert.equal(res.ETag, `"${md5Hex(body)}"`);
        const got = await getBytes('stream.bin');
        assert.equal(got.length, body.length);
        assert.ok(got.equals(body), 'stream body round-trips byte for byte');
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'stream.bin' }));
        assert.equal(head.ContentEncoding, undefined, 'aws-chunked is not stored as Content-Encoding');
      });

      it('stores an empty object', async () => {
        const res = await put('empty', Buffer.alloc(0));
        assert.equal(res.ETag, '"d41d8cd98f00b204e9800998ecf8427e"');
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'empty' }));
        assert.equal(got.ContentLength, 0);
        assert.equal((await bodyBytes(got.Body)).length, 0);
      });

      it('overwrites an object', async () => {
        await put('ow', 'first version');
        await put('ow', 'second');
        assert.equal((await getBytes('ow')).toString(), 'second');
      });

      it('deletes an object; deleting a missing key succeeds; GET then says NoSuchKey', async () => {
        await put('del-me', 'x');
        const del = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'del-me' }));
        assert.equal(del.$metadata.httpStatusCode, 204);
        await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'del-me' })), 'NoSuchKey', 404);
        const again = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'del-me' }));
        assert.equal(again.$metadata.httpStatusCode, 204);
      });

      it('answers a missing key with the §10 error shape', async () => {
        const res = await signedRequest(server, server.root, { method: 'GET', path: `/${bucket}/no-such-key` });
        assert.equal(res.status, 404);
        assert.match(String(res.headers['content-type']), /application\/xml/);
        assert.match(res.text, /<Error>/, 'root <Error> element has no namespace (spec §10)');
        assert.equal(xmlCode(res.text), 'NoSuchKey');
        assert.equal(xmlTag(res.text, 'Key'), 'no-such-key');
        assert.equal(xmlTag(res.text, 'RequestId'), res.headers['x-amz-request-id']);
        assert.ok(res.headers['x-amz-id-2'], 'x-amz-id-2 present');
      });

      it('answers HEAD of a missing key with 404 and no body', async () => {
        const res = await signedRequest(server, server.root, { method: 'HEAD', path: `/${bucket}/no-such-key` });
        assert.equal(res.status, 404);
        assert.equal(res.body.length, 0);
        assert.ok(res.headers['x-amz-request-id'], 'request id kept on HEAD errors');
        await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'no-such-key' })), 'NotFound', 404);
        const nb = await signedRequest(server, server.root, { method: 'HEAD', path: `/${bucket}-missing/k` });
        assert.equal(nb.status, 404);
        assert.equal(nb.body.length, 0);
      });

      it('rejects a 1025-byte key with KeyTooLongError and stores nothing; 1024 bytes works', async () => {
        const long = 'k'.repeat(1025);
        await expectS3Error(put(long, 'x'), 'KeyTooLongError', 400);
        const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'kkkk' }));
        assert.equal(list.KeyCount, 0);
        // 1024 bytes of UTF-8, with multi-byte characters (bytes count, not characters).
        const ok = '\u00e9'.repeat(512);
        assert.equal(Buffer.byteLength(ok), 1024);
        await put(ok, 'y');
        assert.equal((await getBytes(ok)).toString(), 'y');
        await expectS3Error(put(`${ok}a`, 'x'), 'KeyTooLongError', 400);
      });

      it('rejects more than 2 KiB of user metadata with MetadataTooLarge and stores nothing', async () => {
        await expectS3Error(put('meta-big', 'x', { Metadata: { big: 'v'.repeat(2100) } }), 'MetadataTooLarge', 400);
        assert.equal(await exists('meta-big'), false);
        await put('meta-ok', 'x', { Metadata: { small: 'v'.repeat(1500) } });
        assert.equal(await exists('meta-ok'), true);
      });
    });

    describe('range GETs', () => {
      const body = pseudoRandomBytes(1000, 3);
      before(async () => {
        await put('range.bin', body, { ChecksumAlgorithm: 'CRC32' });
      });
      const range = (Range: string) => s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'range.bin', Range, ChecksumMode: 'ENABLED' }));

      for (const [spec, from, to] of [
        ['bytes=0-9', 0, 9],
        ['bytes=10-10', 10, 10],
        ['bytes=990-', 990, 999],
        ['bytes=-5', 995, 999],
        ['bytes=995-5000', 995, 999],
        ['bytes=-5000', 0, 999],
      ] as const) {
        it(`serves ${spec}`, async () => {
          const res = await range(spec);
          assert.equal(res.$metadata.httpStatusCode, 206);
          assert.equal(res.ContentRange, `bytes ${from}-${to}/1000`);
          assert.equal(res.ContentLength, to - from + 1);
          assert.ok((await bodyBytes(res.Body)).equals(body.subarray(from, to + 1)));
          assert.equal(res.ChecksumCRC32, undefined, 'no full-object checksum on 206 (spec §9.5)');
        });
      }

      it('answers 416 InvalidRange for a range beyond the end', async () => {
        await expectS3Error(range('bytes=1000-'), 'InvalidRange', 416);
        await expectS3Error(range('bytes=5000-6000'), 'InvalidRange', 416);
      });
    });

    describe('conditional requests', () => {
      let etag: string;
      let lastModified: Date;
      before(async () => {
        etag = (await put('cond', 'conditional body')).ETag ?? '';
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'cond' }));
        lastModified = head.LastModified ?? new Date(0);
      });
      const get = (extra: Partial<ConstructorParameters<typeof GetObjectCommand>[0]>) =>
        s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'cond', ...extra }));
      const past = () => new Date(lastModified.getTime() - 3600_000);
      const future = () => new Date(lastModified.getTime() + 3600_000);

      it('If-Match', async () => {
        assert.equal((await bodyBytes((await get({ IfMatch: etag })).Body)).toString(), 'conditional body');
        await expectS3Error(get({ IfMatch: '"00000000000000000000000000000000"' }), 'PreconditionFailed', 412);
        // HEAD errors carry no body (spec §10): status only.
        await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'cond', IfMatch: '"0000"' })), 412);
      });

      it('If-None-Match', async () => {
        await expectStatus(get({ IfNoneMatch: etag }), 304);
        const res = await get({ IfNoneMatch: '"abc"' });
        assert.equal(res.$metadata.httpStatusCode, 200);
        await expectStatus(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'cond', IfNoneMatch: etag })), 304);
      });

      it('If-Modified-Since / If-Unmodified-Since', async () => {
        await expectStatus(get({ IfModifiedSince: future() }), 304);
        assert.equal((await get({ IfModifiedSince: past() })).$metadata.httpStatusCode, 200);
        await expectS3Error(get({ IfUnmodifiedSince: past() }), 'PreconditionFailed', 412);
        assert.equal((await get({ IfUnmodifiedSince: future() })).$metadata.httpStatusCode, 200);
      });

      it('If-Match wins over a failing If-Unmodified-Since; If-None-Match over If-Modified-Since', async () => {
        // RFC 7232 §6 / S3 docs: when If-Match holds, If-Unmodified-Since is ignored.
        assert.equal((await get({ IfMatch: etag, IfUnmodifiedSince: past() })).$metadata.httpStatusCode, 200);
        // If-None-Match fails (304) even though If-Modified-Since alone would pass.
        await expectStatus(get({ IfNoneMatch: etag, IfModifiedSince: past() }), 304);
      });

      it('conditional PUT with If-None-Match: * fails with 412 when the key exists', async () => {
        await put('cput', 'one', { IfNoneMatch: '*' });
        await expectS3Error(put('cput', 'two', { IfNoneMatch: '*' }), 'PreconditionFailed', 412);
        assert.equal((await getBytes('cput')).toString(), 'one');
      });
    });

    it('applies response-* overrides on GET', async () => {
      await put('override', 'x', { ContentType: 'text/plain' });
      const expires = new Date('2031-05-06T07:08:09Z');
      const res = await s3.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: 'override',
          ResponseContentType: 'application/json',
          ResponseContentDisposition: 'inline; filename="o.json"',
          ResponseCacheControl: 'no-cache',
          ResponseContentLanguage: 'fr',
          ResponseContentEncoding: 'identity',
          ResponseExpires: expires,
        }),
      );
      assert.equal(res.ContentType, 'application/json');
      assert.equal(res.ContentDisposition, 'inline; filename="o.json"');
      assert.equal(res.CacheControl, 'no-cache');
      assert.equal(res.ContentLanguage, 'fr');
      assert.equal(res.ContentEncoding, 'identity');
      assert.equal(res.Expires?.getTime(), expires.getTime());
      const plain = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'override' }));
      assert.equal(plain.ContentType, 'text/plain', 'overrides are not stored');
    });

    describe('checksums', () => {
      const body = pseudoRandomBytes(70_000, 4);
      for (const alg of ALGORITHMS) {
        for (const shape of ['buffer', 'stream'] as const) {
          it(`${alg} (${shape} body) is verified, stored and returned with ChecksumMode ENABLED`, async () => {
            const key = `ck-${alg}-${shape}`;
            const expected = checksumB64(alg, body);
            const res = await s3.send(
              new PutObjectCommand({
                Bucket: bucket,
                Key: key,
                Body: shape === 'buffer' ? body : Readable.from([body]),
                ...(shape === 'stream' ? { ContentLength: body.length } : {}),
                ChecksumAlgorithm: alg,
              }),
            );
            assert.equal(pick(res, checksumField(alg)), expected, 'PutObject returns the checksum');
            const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
            assert.equal(pick(got, checksumField(alg)), expected);
            assert.equal(got.ChecksumType, 'FULL_OBJECT');
            assert.ok((await bodyBytes(got.Body)).equals(body));
            const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
            assert.equal(pick(head, checksumField(alg)), expected);
            const headPlain = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
            assert.equal(pick(headPlain, checksumField(alg)), undefined, 'no checksum without ChecksumMode');
          });
        }
      }

      it('computes CRC64NVME itself when the client sends no checksum (spec §9.5)', async () => {
        const plain = s3Client(server, server.root, { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
        try {
          await plain.send(new PutObjectCommand({ Bucket: bucket, Key: 'ck-default', Body: body }));
          const head = await plain.send(new HeadObjectCommand({ Bucket: bucket, Key: 'ck-default', ChecksumMode: 'ENABLED' }));
          assert.equal(head.ChecksumCRC64NVME, checksumB64('CRC64NVME', body));
        } finally {
          plain.destroy();
        }
      });

      it('rejects a wrong ChecksumCRC32 with BadDigest and keeps the old object', async () => {
        await put('ck-bad', 'old');
        await expectS3Error(put('ck-bad', body, { ChecksumCRC32: checksumB64('CRC32', Buffer.from('other')) }), 'BadDigest', 400);
        assert.equal((await getBytes('ck-bad')).toString(), 'old');
        await expectS3Error(put('ck-bad2', body, { ChecksumSHA256: checksumB64('SHA256', Buffer.from('other')) }), 'BadDigest', 400);
        assert.equal(await exists('ck-bad2'), false);
      });

      it('rejects a malformed checksum value with InvalidRequest', async () => {
        await expectS3Error(put('ck-malformed', body, { ChecksumCRC32: 'not base64!' }), 'InvalidRequest', 400);
        assert.equal(await exists('ck-malformed'), false);
      });

      it('checks Content-MD5: mismatch → BadDigest, malformed → InvalidDigest, right → stored', async () => {
        await expectS3Error(put('md5', body, { ContentMD5: md5B64(Buffer.from('other')) }), 'BadDigest', 400);
        assert.equal(await exists('md5'), false);
        await expectS3Error(put('md5', body, { ContentMD5: 'bm90IGFuIG1kNQ==' }), 'InvalidDigest', 400);
        assert.equal(await exists('md5'), false);
        await put('md5', body, { ContentMD5: md5B64(body) });
        assert.ok((await getBytes('md5')).equals(body));
      });
    });

    describe('DeleteObjects', () => {
      it('deletes several keys and reports each, missing ones included', async () => {
        for (const k of ['d/1', 'd/2', 'd/3 space']) await put(k, k);
        const res = await s3.send(
          new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'd/1' }, { Key: 'd/2' }, { Key: 'd/3 space' }, { Key: 'd/missing' }] } }),
        );
        assert.deepEqual((res.Deleted ?? []).map((d) => d.Key).sort(), ['d/1', 'd/2', 'd/3 space', 'd/missing']);
        assert.equal(res.Errors?.length ?? 0, 0);
        const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'd/' }));
        assert.equal(list.KeyCount, 0);
      });

      it('Quiet mode reports nothing on success', async () => {
        for (const k of ['q/1', 'q/2']) await put(k, k);
        const res = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Quiet: true, Objects: [{ Key: 'q/1' }, { Key: 'q/2' }] } }));
        assert.equal(res.Deleted?.length ?? 0, 0);
        assert.equal(res.Errors?.length ?? 0, 0);
        assert.equal(await exists('q/1'), false);
        assert.equal(await exists('q/2'), false);
      });
    });

    describe('CopyObject', () => {
      const src = 'copy/src?&=+ é';
      const srcBody = pseudoRandomBytes(5000, 5);
      let srcEtag: string;
      before(async () => {
        srcEtag = (await put(src, srcBody, { Metadata: { origin: 'src' }, ContentType: 'image/png', ChecksumAlgorithm: 'SHA256' })).ETag ?? '';
      });
      const copySource = () => `${bucket}/${encodeURIComponent(src)}`;

      it('COPY keeps bytes, metadata, content type and checksum', async () => {
        const res = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/dst1', CopySource: copySource() }));
        assert.equal(res.CopyObjectResult?.ETag, srcEtag);
        assert.ok(res.CopyObjectResult?.LastModified instanceof Date);
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'copy/dst1', ChecksumMode: 'ENABLED' }));
        assert.ok((await bodyBytes(got.Body)).equals(srcBody));
        assert.equal(got.Metadata?.['origin'], 'src');
        assert.equal(got.ContentType, 'image/png');
        assert.equal(got.ChecksumSHA256, checksumB64('SHA256', srcBody));
      });

      it('copies into another bucket', async () => {
        const other = bucketName('copy-dst');
        await s3.send(new CreateBucketCommand({ Bucket: other }));
        await s3.send(new CopyObjectCommand({ Bucket: other, Key: 'k', CopySource: copySource() }));
        assert.ok((await getBytes('k', other)).equals(srcBody));
      });

      it('REPLACE sets new metadata and content type', async () => {
        await s3.send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: 'copy/dst2',
            CopySource: copySource(),
            MetadataDirective: 'REPLACE',
            Metadata: { fresh: 'yes' },
            ContentType: 'text/csv',
          }),
        );
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'copy/dst2' }));
        assert.equal(head.Metadata?.['fresh'], 'yes');
        assert.equal(head.Metadata?.['origin'], undefined);
        assert.equal(head.ContentType, 'text/csv');
      });

      it('honours copy-source conditions', async () => {
        const base = { Bucket: bucket, Key: 'copy/cond', CopySource: copySource() };
        await expectS3Error(s3.send(new CopyObjectCommand({ ...base, CopySourceIfMatch: '"0123"' })), 'PreconditionFailed', 412);
        await expectS3Error(s3.send(new CopyObjectCommand({ ...base, CopySourceIfNoneMatch: srcEtag })), 'PreconditionFailed', 412);
        await expectS3Error(
          s3.send(new CopyObjectCommand({ ...base, CopySourceIfModifiedSince: new Date(Date.now() + 86_400_000) })),
          'PreconditionFailed',
          412,
        );
        await expectS3Error(
          s3.send(new CopyObjectCommand({ ...base, CopySourceIfUnmodifiedSince: new Date('2001-01-01T00:00:00Z') })),
          'PreconditionFailed',
          412,
        );
        assert.equal(await exists('copy/cond'), false);
        await s3.send(new CopyObjectCommand({ ...base, CopySourceIfMatch: srcEtag }));
        assert.equal(await exists('copy/cond'), true);
      });

      it('refuses to copy an object onto itself without a change; REPLACE works', async () => {
        await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: src, CopySource: copySource() })), 'InvalidRequest', 400);
        await s3.send(
          new CopyObjectCommand({ Bucket: bucket, Key: src, CopySource: copySource(), MetadataDirective: 'REPLACE', Metadata: { origin: 'self' }, ContentType: 'image/png' }),
        );
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: src }));
        assert.equal(head.Metadata?.['origin'], 'self');
        assert.ok((await getBytes(src)).equals(srcBody));
      });

      it('answers NoSuchKey for a missing source', async () => {
        await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/x', CopySource: `${bucket}/copy/none` })), 'NoSuchKey', 404);
      });
    });

    it('GetObjectAttributes returns ETag, size, storage class and checksum', async () => {
      const body = pseudoRandomBytes(1234, 6);
      await put('attrs', body, { ChecksumAlgorithm: 'CRC32C' });
      const res = await s3.send(
        new GetObjectAttributesCommand({ Bucket: bucket, Key: 'attrs', ObjectAttributes: ['ETag', 'ObjectSize', 'StorageClass', 'Checksum'] }),
      );
      assert.equal(res.ETag?.replace(/"/g, ''), md5Hex(body));
      assert.equal(res.ObjectSize, 1234);
      assert.equal(res.StorageClass, 'STANDARD');
      assert.equal(res.Checksum?.ChecksumCRC32C, checksumB64('CRC32C', body));
      assert.equal(res.Checksum?.ChecksumType, 'FULL_OBJECT');
      assert.ok(res.LastModified instanceof Date);
      await expectS3Error(
        s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: 'attrs-missing', ObjectAttributes: ['ETag'] })),
        'NoSuchKey',
        404,
      );
    });
  });
}

/** The SDK turns 304 into an error without an S3 code; check the status only. */
async function expectStatus(p: Promise<unknown>, status: number): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    assert.equal((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, status, String(err));
    return err;
  }
  assert.fail(`expected status ${status}, request succeeded`);
}

describe('BucketAlreadyOwnedByYou outside us-east-1', () => {
  let server: TestServer;
  let s3: S3Client;
  before(async () => {
    server = await startServer({ http: true, extraArgs: ['--region', 'eu-west-1'] });
    s3 = s3Client(server, server.root, { region: 'eu-west-1' });
  });
  after(async () => {
    s3?.destroy();
    await server?.stop();
  });

  it('the owner creating a bucket again gets 409 BucketAlreadyOwnedByYou', async () => {
    const name = bucketName('owned');
    await s3.send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    await expectS3Error(
      s3.send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })),
      'BucketAlreadyOwnedByYou',
      409,
    );
    const loc = await s3.send(new GetBucketLocationCommand({ Bucket: name }));
    assert.equal(loc.LocationConstraint, 'eu-west-1');
  });
});
