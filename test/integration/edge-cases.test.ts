/**
 * Less common wire forms and edge cases from spec §9 and the traps list (§12): signed chunks
 * with a signed trailer, trailer quirks, checksum header conflicts, odd keys, empty-object
 * ranges and request limits. The raw forms do not depend on TLS, so HTTPS only.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { bodyBytes, bucketName, expectS3Error, fetchUrl, listFiles, rawRequest, s3Client, signedRequest, startServer, xmlCode, type TestServer } from './harness.js';
import { signRequest, signedChunkedBody, signedChunkedTrailerBody, unsignedTrailerBody } from './fixtures/sigv4.js';
import { checksumB64, md5Hex, multipartEtag, pseudoRandomBytes, sha256 } from './fixtures/checksums.js';

describe('edge cases over https', () => {
  let server: TestServer;
  let s3: S3Client;
  let bucket: string;
  const data = pseudoRandomBytes(100_000, 61);

  before(async () => {
    server = await startServer({});
    s3 = s3Client(server);
    bucket = bucketName('edge');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(async () => {
    s3?.destroy();
    await server?.stop();
  });

  const exists = async (Key: string): Promise<boolean> => {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: bucket, Key }));
      return true;
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
      throw err;
    }
  };
  const sign = (key: string, payloadHash: string, headers: Record<string, string>) =>
    signRequest({ method: 'PUT', path: `/${bucket}/${key}`, headers: { host: new URL(server.url).host, ...headers }, payloadHash, creds: server.root, date: new Date() });
  const put = (key: string, headers: Record<string, string>, body: Buffer, chunked = false) =>
    rawRequest(server, { method: 'PUT', path: `/${bucket}/${key}`, headers, body, ...(chunked ? { chunked: true } : {}) });

  describe('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', () => {
    const headers = () => {
      const h = { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length), 'x-amz-trailer': 'x-amz-checksum-crc32c' };
      return h;
    };
    const encodedLength = (trailerValue: string) =>
      signedChunkedTrailerBody({ signingKey: Buffer.alloc(32), amzDate: '', scope: '', signature: '' }, data, 65_536, 'x-amz-checksum-crc32c', trailerValue).length;

    it('stores the bytes and the trailer checksum', async () => {
      const crc = checksumB64('CRC32C', data);
      const signed = sign('signed-trailer', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', { ...headers(), 'content-length': String(encodedLength(crc)) });
      const res = await put('signed-trailer', signed.headers, signedChunkedTrailerBody(signed, data, 65_536, 'x-amz-checksum-crc32c', crc));
      assert.equal(res.status, 200, res.text);
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'signed-trailer', ChecksumMode: 'ENABLED' }));
      assert.ok((await bodyBytes(got.Body)).equals(data));
      assert.equal(got.ChecksumCRC32C, crc);
    });

    it('a bad trailer signature → 403 SignatureDoesNotMatch, nothing stored', async () => {
      const crc = checksumB64('CRC32C', data);
      const signed = sign('signed-trailer-bad', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', { ...headers(), 'content-length': String(encodedLength(crc)) });
      const body = signedChunkedTrailerBody(signed, data, 65_536, 'x-amz-checksum-crc32c', crc);
      const at = body.indexOf('x-amz-trailer-signature:') + 'x-amz-trailer-signature:'.length;
      body[at] = body[at] === 0x30 ? 0x31 : 0x30;
      const res = await put('signed-trailer-bad', signed.headers, body);
      assert.equal(res.status, 403, res.text);
      assert.equal(xmlCode(res.text), 'SignatureDoesNotMatch');
      assert.equal(await exists('signed-trailer-bad'), false);
    });

    it('a correctly signed but wrong trailer checksum → 400 BadDigest, nothing stored', async () => {
      const wrong = checksumB64('CRC32C', Buffer.from('nope'));
      const signed = sign('signed-trailer-crc', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', { ...headers(), 'content-length': String(encodedLength(wrong)) });
      const res = await put('signed-trailer-crc', signed.headers, signedChunkedTrailerBody(signed, data, 65_536, 'x-amz-checksum-crc32c', wrong));
      assert.equal(res.status, 400, res.text);
      assert.equal(xmlCode(res.text), 'BadDigest');
      assert.equal(await exists('signed-trailer-crc'), false);
    });
  });

  describe('unsigned trailer quirks (§9.3)', () => {
    const unsignedHeaders = (extra: Record<string, string> = {}) => ({
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(data.length),
      ...extra,
    });

    it('a body without any trailer is accepted (AWS computes CRC64NVME)', async () => {
      const signed = sign('no-trailer', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', unsignedHeaders());
      const body = Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n0\r\n\r\n')]);
      const res = await put('no-trailer', signed.headers, body, true);
      assert.equal(res.status, 200, res.text);
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'no-trailer', ChecksumMode: 'ENABLED' }));
      assert.ok((await bodyBytes(got.Body)).equals(data));
      assert.equal(got.ChecksumCRC64NVME, checksumB64('CRC64NVME', data));
    });

    it('whitespace around the trailer colon is tolerated', async () => {
      const signed = sign('trailer-space', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', unsignedHeaders({ 'x-amz-trailer': 'x-amz-checksum-sha256' }));
      const body = unsignedTrailerBody(data, 30_000, 'x-amz-checksum-sha256 ', ` ${checksumB64('SHA256', data)}`);
      const res = await put('trailer-space', signed.headers, body, true);
      assert.equal(res.status, 200, res.text);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'trailer-space', ChecksumMode: 'ENABLED' }));
      assert.equal(head.ChecksumSHA256, checksumB64('SHA256', data));
    });

    it('Content-Encoding "gzip,aws-chunked" stores gzip only', async () => {
      const signed = sign('gz', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', unsignedHeaders({ 'content-encoding': 'gzip,aws-chunked', 'x-amz-trailer': 'x-amz-checksum-crc32' }));
      const res = await put('gz', signed.headers, unsignedTrailerBody(data, 50_000, 'x-amz-checksum-crc32', checksumB64('CRC32', data)), true);
      assert.equal(res.status, 200, res.text);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'gz' }));
      assert.equal(head.ContentEncoding, 'gzip');
      assert.equal(head.ContentLength, data.length);
    });

    it('a trailer other than the one announced in x-amz-trailer is refused, nothing stored', async () => {
      const signed = sign('trailer-mismatch', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', unsignedHeaders({ 'x-amz-trailer': 'x-amz-checksum-crc32' }));
      const res = await put('trailer-mismatch', signed.headers, unsignedTrailerBody(data, 50_000, 'x-amz-checksum-sha1', checksumB64('SHA1', data)), true);
      assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}: ${res.text}`);
      assert.equal(await exists('trailer-mismatch'), false);
    });

    it('an unsupported x-amz-trailer value → 400 InvalidRequest', async () => {
      const signed = sign('trailer-unsupported', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', unsignedHeaders({ 'x-amz-trailer': 'x-amz-checksum-md4' }));
      const res = await put('trailer-unsupported', signed.headers, unsignedTrailerBody(data, 50_000, 'x-amz-checksum-md4', 'AAAA'), true);
      assert.equal(res.status, 400, res.text);
      assert.equal(xmlCode(res.text), 'InvalidRequest');
    });

    it('x-amz-decoded-content-length larger than the body → 400 IncompleteBody, nothing stored', async () => {
      const signed = sign('short', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', unsignedHeaders({ 'x-amz-decoded-content-length': String(data.length + 10), 'x-amz-trailer': 'x-amz-checksum-crc32' }));
      const res = await put('short', signed.headers, unsignedTrailerBody(data, 50_000, 'x-amz-checksum-crc32', checksumB64('CRC32', data)), true);
      assert.equal(res.status, 400, res.text);
      assert.equal(xmlCode(res.text), 'IncompleteBody');
      assert.equal(await exists('short'), false);
    });
  });

  describe('empty aws-chunked bodies', () => {
    it('an empty STREAMING-UNSIGNED-PAYLOAD-TRAILER body stores an empty object', async () => {
      const signed = sign('empty-trailer', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', {
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': '0',
        'x-amz-trailer': 'x-amz-checksum-crc32',
      });
      const res = await put('empty-trailer', signed.headers, unsignedTrailerBody(Buffer.alloc(0), 1024, 'x-amz-checksum-crc32', 'AAAAAA=='), true);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers['etag'], '"d41d8cd98f00b204e9800998ecf8427e"');
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'empty-trailer' }));
      assert.equal(head.ContentLength, 0);
    });

    it('an empty signed-chunk body (only the final chunk) stores an empty object', async () => {
      const signed = sign('empty-signed', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '0' });
      const res = await put('empty-signed', signed.headers, signedChunkedBody(signed, Buffer.alloc(0), 65_536));
      assert.equal(res.status, 200, res.text);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'empty-signed' }));
      assert.equal(head.ContentLength, 0);
    });
  });

  describe('copies from a multipart source', () => {
    const MiB = 1024 * 1024;
    const p1 = pseudoRandomBytes(5 * MiB, 63);
    const p2 = pseudoRandomBytes(300_000, 64);
    const whole = Buffer.concat([p1, p2]);
    before(async () => {
      const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp-src' }));
      const r1 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'mp-src', UploadId: up.UploadId, PartNumber: 1, Body: p1 }));
      const r2 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'mp-src', UploadId: up.UploadId, PartNumber: 2, Body: p2 }));
      const done = await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'mp-src',
          UploadId: up.UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: r1.ETag ?? '' }, { PartNumber: 2, ETag: r2.ETag ?? '' }] },
        }),
      );
      assert.equal(done.ETag, multipartEtag([p1, p2]));
    });

    it('CopyObject of a multipart object copies every byte', async () => {
      await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'mp-copy', CopySource: `${bucket}/mp-src` }));
      const got = await bodyBytes((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'mp-copy' }))).Body);
      assert.equal(sha256(got), sha256(whole));
    });

    it('UploadPartCopy of a range that crosses the source part boundary', async () => {
      const from = p1.length - 1000;
      const to = p1.length + 999;
      const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp-range' }));
      const r = await s3.send(
        new UploadPartCopyCommand({ Bucket: bucket, Key: 'mp-range', UploadId: up.UploadId, PartNumber: 1, CopySource: `${bucket}/mp-src`, CopySourceRange: `bytes=${from}-${to}` }),
      );
      const slice = whole.subarray(from, to + 1);
      assert.equal(r.CopyPartResult?.ETag, `"${md5Hex(slice)}"`);
      await s3.send(
        new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mp-range', UploadId: up.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: r.CopyPartResult?.ETag ?? '' }] } }),
      );
      const got = await bodyBytes((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'mp-range' }))).Body);
      assert.ok(got.equals(slice));
    });
  });

  it('DeleteObjects escapes XML special characters in keys', async () => {
    const keys = ['x&y', 'a<b>c', 'quote"s', "apo's"];
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'x' }));
    const res = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
    assert.deepEqual((res.Deleted ?? []).map((d) => d.Key).sort(), [...keys].sort());
    for (const Key of keys) assert.equal(await exists(Key), false, Key);
  });

  describe('checksum header conflicts (§9.4)', () => {
    it('two different x-amz-checksum-* headers → InvalidRequest', async () => {
      const res = await signedRequest(server, server.root, {
        method: 'PUT',
        path: `/${bucket}/two-checksums`,
        body: data,
        headers: { 'x-amz-checksum-crc32': checksumB64('CRC32', data), 'x-amz-checksum-sha1': checksumB64('SHA1', data) },
      });
      assert.equal(res.status, 400, res.text);
      assert.equal(xmlCode(res.text), 'InvalidRequest');
      assert.equal(await exists('two-checksums'), false);
    });

    it('x-amz-sdk-checksum-algorithm without a checksum → InvalidRequest', async () => {
      const res = await signedRequest(server, server.root, {
        method: 'PUT',
        path: `/${bucket}/sdk-alg-only`,
        body: data,
        headers: { 'x-amz-sdk-checksum-algorithm': 'CRC32' },
      });
      assert.equal(res.status, 400, res.text);
      assert.equal(xmlCode(res.text), 'InvalidRequest');
    });

    it('x-amz-sdk-checksum-algorithm differing from the header → InvalidRequest', async () => {
      const res = await signedRequest(server, server.root, {
        method: 'PUT',
        path: `/${bucket}/sdk-alg-mismatch`,
        body: data,
        headers: { 'x-amz-sdk-checksum-algorithm': 'SHA256', 'x-amz-checksum-crc32': checksumB64('CRC32', data) },
      });
      assert.equal(res.status, 400, res.text);
      assert.equal(xmlCode(res.text), 'InvalidRequest');
    });

    it('BadDigest carries the error details', async () => {
      const res = await signedRequest(server, server.root, {
        method: 'PUT',
        path: `/${bucket}/bad-md5-raw`,
        body: data,
        headers: { 'content-md5': Buffer.from(md5Hex(Buffer.from('x')), 'hex').toString('base64') },
      });
      assert.equal(res.status, 400, res.text);
      assert.equal(xmlCode(res.text), 'BadDigest');
    });
  });

  describe('keys and paths', () => {
    for (const key of ['/leading-slash', 'a//double', '../dot-dot', './dot', 'trailing/', 'with%percent', 'q?uestion#hash', 'sp ace+plus', '\u00fc\u00f1\u00ee/\u6f22\u5b57', '..', 'x/../y']) {
      it(`stores and lists key ${JSON.stringify(key)} exactly`, async () => {
        const body = Buffer.from(`body of ${key}`);
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        assert.ok((await bodyBytes(got.Body)).equals(body));
        const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
        assert.ok(list.Contents?.some((c) => c.Key === key), `listed as ${JSON.stringify(list.Contents?.map((c) => c.Key))}`);
      });
    }

    it('keys that differ only by path normalisation stay distinct', async () => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'n/a/b', Body: 'plain' }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'n/a//b', Body: 'double' }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'n/a/./b', Body: 'dot' }));
      const read = async (Key: string) => (await bodyBytes((await s3.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body)).toString();
      assert.equal(await read('n/a/b'), 'plain');
      assert.equal(await read('n/a//b'), 'double');
      assert.equal(await read('n/a/./b'), 'dot');
    });
  });

  describe('limits and odd requests', () => {
    it('a range on an empty object → 416 InvalidRange', async () => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'empty-range', Body: Buffer.alloc(0) }));
      await expectS3Error(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'empty-range', Range: 'bytes=0-' })), 'InvalidRange', 416);
    });

    it('an unparseable Range header is ignored (full 200 response)', async () => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'bad-range', Body: 'abcdef' }));
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'bad-range', Range: 'bytes=a-b' }));
      assert.equal(res.$metadata.httpStatusCode, 200);
      assert.equal((await bodyBytes(res.Body)).toString(), 'abcdef');
    });

    it('DeleteObjects with more than 1000 keys → MalformedXML', async () => {
      const Objects = Array.from({ length: 1001 }, (_, i) => ({ Key: `k${i}` }));
      await expectS3Error(s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects } })), 'MalformedXML', 400);
    });

    it('DeleteObjects with a broken XML body → MalformedXML', async () => {
      const body = Buffer.from('<Delete><Object><Key>a</Key></Object>');
      const res = await signedRequest(server, server.root, {
        method: 'POST',
        path: `/${bucket}`,
        query: [['delete', '']],
        body,
        headers: { 'content-md5': Buffer.from(md5Hex(body), 'hex').toString('base64') },
      });
      assert.equal(res.status, 400, res.text);
      assert.equal(xmlCode(res.text), 'MalformedXML');
    });

    it('a presigned URL valid for more than 7 days is refused', async () => {
      const url = new URL(await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'bad-range' }), { expiresIn: 3600 }));
      url.searchParams.set('X-Amz-Expires', String(7 * 24 * 3600 + 1));
      const res = await fetchUrl(server, url.toString());
      assert.equal(res.status, 400, res.text);
      assert.equal(xmlCode(res.text), 'AuthorizationQueryParametersError');
    });

    it('ListObjectsV2 with MaxKeys=0 returns no keys and is not an error', async () => {
      const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 0 }));
      assert.equal(res.KeyCount, 0);
      assert.equal(res.Contents, undefined);
    });

    it('GET partNumber=1 of a single-part object returns the whole object', async () => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'one-part', Body: 'whole thing' }));
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'one-part', PartNumber: 1 }));
      assert.equal((await bodyBytes(res.Body)).toString(), 'whole thing');
    });

    it('part numbers outside 1..10000 are refused with InvalidArgument', async () => {
      const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'pn' }));
      for (const PartNumber of [0, 10001]) {
        await expectS3Error(s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'pn', UploadId: up.UploadId, PartNumber, Body: 'x' })), 'InvalidArgument', 400);
      }
    });

    it('a completed upload is gone for ListParts', async () => {
      const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'done-mpu' }));
      const p = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'done-mpu', UploadId: up.UploadId, PartNumber: 1, Body: 'x' }));
      await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'done-mpu', UploadId: up.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p.ETag ?? '' }] } }));
      await expectS3Error(s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'done-mpu', UploadId: up.UploadId })), 'NoSuchUpload', 404);
    });

    it('key and metadata limits apply to CreateMultipartUpload and CopyObject too', async () => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'limits-src', Body: 'x' }));
      const long = 'L'.repeat(1025);
      await expectS3Error(s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: long })), 'KeyTooLongError', 400);
      await expectS3Error(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: long, CopySource: `${bucket}/limits-src` })), 'KeyTooLongError', 400);
      // 2 KiB is the total of all user metadata keys and values, not a per-value limit.
      const many: Record<string, string> = {};
      for (let i = 0; i < 10; i++) many[`m${i}`] = 'v'.repeat(250);
      await expectS3Error(s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'meta-mpu', Metadata: many })), 'MetadataTooLarge', 400);
      await expectS3Error(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'meta-many', Body: 'x', Metadata: many })), 'MetadataTooLarge', 400);
      await expectS3Error(
        s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'meta-copy', CopySource: `${bucket}/limits-src`, MetadataDirective: 'REPLACE', Metadata: many })),
        'MetadataTooLarge',
        400,
      );
      assert.equal(await exists('meta-many'), false);
      assert.equal(await exists('meta-copy'), false);
    });

    it('a client that disconnects mid-body leaves no object and no temp file', async () => {
      const key = 'disconnect';
      const big = pseudoRandomBytes(2 * 1024 * 1024, 62);
      const signed = sign(key, 'UNSIGNED-PAYLOAD', { 'content-length': String(big.length) });
      const u = new URL(server.url);
      await new Promise<void>((resolve) => {
        const req = https.request({ host: u.hostname, port: u.port, method: 'PUT', path: `/${bucket}/${key}`, headers: signed.headers, ca: server.ca, agent: false });
        req.on('error', () => resolve());
        req.on('response', (res) => {
          res.resume();
          resolve();
        });
        req.write(big.subarray(0, 1024 * 1024), () => {
          setTimeout(() => req.destroy(), 100);
        });
      });
      let tmp: string[] = [];
      for (let i = 0; i < 100; i++) {
        tmp = await listFiles(join(server.dataDir, 'data', 'tmp'));
        if (tmp.length === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(tmp, [], 'temp file of the aborted upload removed');
      assert.equal(await exists(key), false);
    });

    it('HEAD with a Range answers 206 with the range length', async () => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'head-range', Body: '0123456789' }));
      const res = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'head-range', Range: 'bytes=2-5' }));
      assert.equal(res.$metadata.httpStatusCode, 206);
      assert.equal(res.ContentLength, 4);
      assert.equal(res.ContentRange, 'bytes 2-5/10');
    });
  });
});
