/**
 * Multipart uploads through @aws-sdk/client-s3 over HTTPS and HTTP: uneven parts, listing,
 * Complete errors, abort, UploadPartCopy, partNumber reads, ETag and checksum formats.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { TRANSPORTS, bodyBytes, bucketName, expectS3Error, s3Client, startServer, type TestServer } from './harness.js';
import { checksumB64, compositeChecksum, md5Hex, multipartEtag, pseudoRandomBytes, sha256, type Algorithm } from './fixtures/checksums.js';

const MiB = 1024 * 1024;
const pick = (o: object, k: string): unknown => (o as Record<string, unknown>)[k];

for (const transport of TRANSPORTS) {
  describe(`SDK multipart over ${transport.name}`, () => {
    let server: TestServer;
    let s3: S3Client;
    let bucket: string;
    const big = pseudoRandomBytes(5 * MiB + 7, 11);
    const big2 = pseudoRandomBytes(5 * MiB, 12);

    before(async () => {
      server = await startServer({ http: transport.http });
      s3 = s3Client(server);
      bucket = bucketName('mpu');
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    });
    after(async () => {
      s3?.destroy();
      await server?.stop();
    });

    const create = async (Key: string, extra: Partial<ConstructorParameters<typeof CreateMultipartUploadCommand>[0]> = {}) => {
      const res = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key, ...extra }));
      assert.ok(res.UploadId, 'upload id');
      assert.equal(res.Key, Key);
      assert.equal(res.Bucket, bucket);
      return res.UploadId;
    };
    const uploadPart = (Key: string, UploadId: string, PartNumber: number, Body: Buffer | Readable, extra: Record<string, unknown> = {}) =>
      s3.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber, Body, ...extra }));
    const complete = (Key: string, UploadId: string, Parts: CompletedPart[], extra: Record<string, unknown> = {}) =>
      s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key, UploadId, MultipartUpload: { Parts }, ...extra }));

    describe('uneven parts (5 MiB + 7, 5 MiB, 1 byte)', () => {
      const key = 'mpu/uneven.bin';
      const tail = Buffer.from('!');
      const parts = [big, big2, tail];
      const whole = Buffer.concat(parts);
      let uploadId: string;
      const etags: string[] = [];

      before(async () => {
        uploadId = await create(key, { ContentType: 'application/x-mpu', Metadata: { kind: 'multipart' } });
        // Part 2 as a stream: the aws-chunked path (trailer over HTTPS).
        for (const [i, p] of parts.entries()) {
          const body = i === 1 ? Readable.from([p.subarray(0, 3 * MiB), p.subarray(3 * MiB)]) : p;
          const res = await uploadPart(key, uploadId, i + 1, body, i === 1 ? { ContentLength: p.length } : {});
          assert.equal(res.ETag, `"${md5Hex(p)}"`, `part ${i + 1} ETag is its MD5`);
          etags.push(res.ETag ?? '');
        }
      });

      it('ListParts shows every part with size and ETag, and pages with MaxParts', async () => {
        const all = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
        assert.deepEqual(
          all.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag]),
          parts.map((p, i) => [i + 1, p.length, etags[i]]),
        );
        assert.equal(all.IsTruncated, false);
        const page1 = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MaxParts: 2 }));
        assert.deepEqual(page1.Parts?.map((p) => p.PartNumber), [1, 2]);
        assert.equal(page1.IsTruncated, true);
        assert.equal(String(page1.NextPartNumberMarker), '2');
        const page2 = await s3.send(
          new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MaxParts: 2, PartNumberMarker: page1.NextPartNumberMarker }),
        );
        assert.deepEqual(page2.Parts?.map((p) => p.PartNumber), [3]);
        assert.equal(page2.IsTruncated, false);
      });

      it('ListMultipartUploads shows the open upload', async () => {
        const res = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'mpu/' }));
        assert.ok(res.Uploads?.some((u) => u.Key === key && u.UploadId === uploadId && u.Initiated instanceof Date));
      });

      it('completes with the "<md5 of md5s>-N" ETag and serves the exact bytes', async () => {
        const res = await complete(key, uploadId, etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })));
        assert.equal(res.ETag, multipartEtag(parts));
        assert.match(res.ETag ?? '', /^"[0-9a-f]{32}-3"$/);
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        assert.equal(got.ContentLength, whole.length);
        assert.equal(got.ETag, res.ETag);
        assert.equal(got.ContentType, 'application/x-mpu');
        assert.equal(got.Metadata?.['kind'], 'multipart');
        assert.equal(sha256(await bodyBytes(got.Body)), sha256(whole));
        const list = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
        assert.equal(list.Uploads?.length ?? 0, 0, 'completed upload no longer listed');
      });

      it('serves partNumber GETs and HEADs', async () => {
        const p2 = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, PartNumber: 2 }));
        assert.equal(p2.$metadata.httpStatusCode, 206);
        assert.equal(p2.PartsCount, 3);
        assert.equal(p2.ContentLength, big2.length);
        assert.equal(p2.ContentRange, `bytes ${big.length}-${big.length + big2.length - 1}/${whole.length}`);
        assert.ok((await bodyBytes(p2.Body)).equals(big2));
        const h3 = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, PartNumber: 3 }));
        assert.equal(h3.ContentLength, 1);
        assert.equal(h3.PartsCount, 3);
        // AWS documents 416 InvalidPartNumber; ceph s3-tests (test_multipart_get_part) expect 400 InvalidPart.
        const err = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, PartNumber: 4 })).then(
          () => assert.fail('partNumber beyond PartsCount must fail'),
          (e: unknown) => e as { name?: string; $metadata?: { httpStatusCode?: number } },
        );
        assert.ok(
          (err.name === 'InvalidPartNumber' && err.$metadata?.httpStatusCode === 416) ||
            (err.name === 'InvalidPart' && err.$metadata?.httpStatusCode === 400),
          `partNumber 4 of 3: ${err.name} ${err.$metadata?.httpStatusCode}`,
        );
      });

      it('a range GET across a part boundary returns the right bytes', async () => {
        const from = big.length - 10;
        const to = big.length + 9;
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${from}-${to}` }));
        assert.ok((await bodyBytes(res.Body)).equals(whole.subarray(from, to + 1)));
      });
    });

    it('a single small part completes (the last part may be small)', async () => {
      const key = 'mpu/single';
      const id = await create(key);
      const body = Buffer.from('just one part');
      const p = await uploadPart(key, id, 1, body);
      const res = await complete(key, id, [{ ETag: p.ETag ?? '', PartNumber: 1 }]);
      assert.equal(res.ETag, multipartEtag([body]));
      const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      assert.equal(h.ContentLength, body.length);
    });

    it('re-uploading a part number replaces it', async () => {
      const key = 'mpu/replace';
      const id = await create(key);
      await uploadPart(key, id, 1, Buffer.from('first'));
      const p = await uploadPart(key, id, 1, Buffer.from('second!'));
      const list = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: id }));
      assert.deepEqual(list.Parts?.map((x) => [x.PartNumber, x.Size, x.ETag]), [[1, 7, p.ETag]]);
      await complete(key, id, [{ ETag: p.ETag ?? '', PartNumber: 1 }]);
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      assert.equal((await bodyBytes(got.Body)).toString(), 'second!');
    });

    describe('Complete errors', () => {
      const key = 'mpu/errors';
      let id: string;
      let e1: string;
      let e2: string;
      const small = Buffer.from('small part');
      before(async () => {
        id = await create(key);
        e1 = (await uploadPart(key, id, 1, small)).ETag ?? '';
        e2 = (await uploadPart(key, id, 2, small)).ETag ?? '';
      });

      it('InvalidPart for a wrong ETag or an unknown part number', async () => {
        await expectS3Error(complete(key, id, [{ ETag: '"0123456789abcdef0123456789abcdef"', PartNumber: 1 }]), 'InvalidPart', 400);
        await expectS3Error(complete(key, id, [{ ETag: e1, PartNumber: 1 }, { ETag: e2, PartNumber: 7 }]), 'InvalidPart', 400);
      });

      it('InvalidPartOrder for descending part numbers', async () => {
        await expectS3Error(complete(key, id, [{ ETag: e2, PartNumber: 2 }, { ETag: e1, PartNumber: 1 }]), 'InvalidPartOrder', 400);
      });

      it('EntityTooSmall when a non-last part is under 5 MiB', async () => {
        await expectS3Error(complete(key, id, [{ ETag: e1, PartNumber: 1 }, { ETag: e2, PartNumber: 2 }]), 'EntityTooSmall', 400);
      });

      it('the upload survives failed Completes; nothing was stored', async () => {
        await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })), 'NotFound', 404);
        const parts = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: id }));
        assert.equal(parts.Parts?.length, 2);
        // A subset (only the last part) is a valid completion.
        await complete(key, id, [{ ETag: e2, PartNumber: 2 }]);
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        assert.ok((await bodyBytes(got.Body)).equals(small));
      });
    });

    it('Abort removes the upload: NoSuchUpload afterwards', async () => {
      const key = 'mpu/abort';
      const id = await create(key);
      await uploadPart(key, id, 1, Buffer.from('part'));
      await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: id }));
      await expectS3Error(uploadPart(key, id, 2, Buffer.from('late')), 'NoSuchUpload', 404);
      await expectS3Error(s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: id })), 'NoSuchUpload', 404);
      await expectS3Error(complete(key, id, [{ ETag: '"x"', PartNumber: 1 }]), 'NoSuchUpload', 404);
      const list = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
      assert.equal(list.Uploads?.length ?? 0, 0);
      await expectS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })), 'NotFound', 404);
      await expectS3Error(uploadPart(key, 'no-such-upload-id', 1, Buffer.from('x')), 'NoSuchUpload', 404);
    });

    it('ListMultipartUploads lists several uploads, with prefix and delimiter', async () => {
      const a = await create('lmu/a/1');
      const b = await create('lmu/b');
      const c = await create('lmu/a/1');
      const res = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'lmu/' }));
      const got = (res.Uploads ?? []).map((u) => `${u.Key}|${u.UploadId}`).sort();
      assert.deepEqual(got, [`lmu/a/1|${a}`, `lmu/a/1|${c}`, `lmu/b|${b}`].sort());
      const delim = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'lmu/', Delimiter: '/' }));
      assert.deepEqual(delim.CommonPrefixes?.map((p) => p.Prefix), ['lmu/a/']);
      assert.deepEqual(delim.Uploads?.map((u) => u.Key), ['lmu/b']);
      for (const [k, id] of [['lmu/a/1', a], ['lmu/b', b], ['lmu/a/1', c]] as const) {
        await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: k, UploadId: id }));
      }
    });

    it('UploadPartCopy copies byte ranges and whole objects', async () => {
      const src = 'mpu/copy-src';
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: src, Body: big }));
      const whole = 'mpu/copy-whole';
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: whole, Body: big2 }));
      const key = 'mpu/copied';
      const id = await create(key);
      const head = big.subarray(0, 5 * MiB);
      const rest = big.subarray(5 * MiB);
      // Part 1: the first 5 MiB of src; part 2: all of another object; part 3: the rest of src.
      const r1 = await s3.send(
        new UploadPartCopyCommand({ Bucket: bucket, Key: key, UploadId: id, PartNumber: 1, CopySource: `${bucket}/${src}`, CopySourceRange: `bytes=0-${5 * MiB - 1}` }),
      );
      assert.equal(r1.CopyPartResult?.ETag, `"${md5Hex(head)}"`);
      const r2 = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: key, UploadId: id, PartNumber: 2, CopySource: `${bucket}/${whole}` }));
      assert.equal(r2.CopyPartResult?.ETag, `"${md5Hex(big2)}"`);
      const r3 = await s3.send(
        new UploadPartCopyCommand({ Bucket: bucket, Key: key, UploadId: id, PartNumber: 3, CopySource: `${bucket}/${src}`, CopySourceRange: `bytes=${5 * MiB}-${big.length - 1}` }),
      );
      assert.equal(r3.CopyPartResult?.ETag, `"${md5Hex(rest)}"`);
      const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: id }));
      assert.deepEqual(listed.Parts?.map((p) => p.Size), [5 * MiB, big2.length, rest.length]);
      const res = await complete(key, id, [r1, r2, r3].map((r, i) => ({ ETag: r.CopyPartResult?.ETag ?? '', PartNumber: i + 1 })));
      assert.equal(res.ETag, multipartEtag([head, big2, rest]));
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      assert.equal(sha256(await bodyBytes(got.Body)), sha256(Buffer.concat([head, big2, rest])));
      const id2 = await create('mpu/copy-bad-range');
      await expectS3Error(
        s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'mpu/copy-bad-range', UploadId: id2, PartNumber: 1, CopySource: `${bucket}/${src}`, CopySourceRange: `bytes=${big.length}-${big.length + 10}` })),
        'InvalidRange',
        416,
      );
      await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'mpu/copy-bad-range', UploadId: id2 }));
    });

    describe('checksums', () => {
      const tail = pseudoRandomBytes(1000, 13);
      const cases: readonly { alg: Algorithm; type: 'COMPOSITE' | 'FULL_OBJECT' }[] = [
        { alg: 'CRC32', type: 'COMPOSITE' },
        { alg: 'SHA256', type: 'COMPOSITE' },
        { alg: 'CRC32C', type: 'FULL_OBJECT' },
        { alg: 'CRC64NVME', type: 'FULL_OBJECT' },
      ];
      for (const { alg, type } of cases) {
        it(`${alg} ${type}: part checksums, Complete and HEAD report the ${type.toLowerCase()} value`, async () => {
          const key = `mpu/ck-${alg}`;
          const created = await s3.send(
            new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: alg, ChecksumType: type }),
          );
          assert.equal(created.ChecksumAlgorithm, alg);
          assert.equal(created.ChecksumType, type);
          const id = created.UploadId ?? '';
          const parts = [big2, tail];
          const done: CompletedPart[] = [];
          for (const [i, p] of parts.entries()) {
            const res = await uploadPart(key, id, i + 1, p, { ChecksumAlgorithm: alg });
            assert.equal(pick(res, `Checksum${alg}`), checksumB64(alg, p), `part ${i + 1} checksum`);
            done.push({ ETag: res.ETag ?? '', PartNumber: i + 1, [`Checksum${alg}`]: pick(res, `Checksum${alg}`) });
          }
          const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: id }));
          assert.deepEqual(listed.Parts?.map((p) => pick(p, `Checksum${alg}`)), parts.map((p) => checksumB64(alg, p)));
          const expected = type === 'COMPOSITE' ? compositeChecksum(alg, parts) : checksumB64(alg, Buffer.concat(parts));
          const res = await complete(key, id, done, { ChecksumType: type });
          assert.equal(pick(res, `Checksum${alg}`), expected);
          const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
          assert.equal(pick(head, `Checksum${alg}`), expected);
          assert.equal(head.ChecksumType, type);
          const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
          assert.equal(sha256(await bodyBytes(got.Body)), sha256(Buffer.concat(parts)));
        });
      }

      it('rejects invalid algorithm/type combinations at Create', async () => {
        await expectS3Error(
          s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mpu/x', ChecksumAlgorithm: 'CRC64NVME', ChecksumType: 'COMPOSITE' })),
          'InvalidRequest',
          400,
        );
        await expectS3Error(
          s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mpu/x', ChecksumAlgorithm: 'SHA256', ChecksumType: 'FULL_OBJECT' })),
          'InvalidRequest',
          400,
        );
      });

      it('Complete without the part checksums of an upload with an algorithm → InvalidRequest', async () => {
        const key = 'mpu/ck-missing';
        const id = (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: 'SHA1' }))).UploadId ?? '';
        const p = await uploadPart(key, id, 1, tail, { ChecksumAlgorithm: 'SHA1' });
        await expectS3Error(complete(key, id, [{ ETag: p.ETag ?? '', PartNumber: 1 }]), 'InvalidRequest', 400);
        await expectS3Error(
          complete(key, id, [{ ETag: p.ETag ?? '', PartNumber: 1, ChecksumSHA1: checksumB64('SHA1', Buffer.from('x')) }]),
          'InvalidPart',
          400,
        );
        await complete(key, id, [{ ETag: p.ETag ?? '', PartNumber: 1, ChecksumSHA1: p.ChecksumSHA1 ?? '' }]);
      });

      it('an upload created without an algorithm accepts the SDK default part CRC32 and gets a full-object CRC64NVME', async () => {
        const key = 'mpu/ck-default';
        const id = await create(key);
        const p1 = await uploadPart(key, id, 1, big2);
        const p2 = await uploadPart(key, id, 2, tail);
        await complete(key, id, [{ ETag: p1.ETag ?? '', PartNumber: 1 }, { ETag: p2.ETag ?? '', PartNumber: 2 }]);
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
        assert.equal(head.ChecksumCRC64NVME, checksumB64('CRC64NVME', Buffer.concat([big2, tail])));
        assert.equal(head.ChecksumType, 'FULL_OBJECT');
      });
    });
  });
}
