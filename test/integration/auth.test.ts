/**
 * Authentication and authorization end to end: presigned URLs, bad credentials, clock skew,
 * per-user bucket isolation, hand-built aws-chunked bodies (signed chunks and unsigned with a
 * trailer, spec §9.3) and virtual-hosted–style addressing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  TRANSPORTS,
  bodyBytes,
  bucketName,
  expectS3Error,
  fetchUrl,
  rawRequest,
  s3Client,
  signedRequest,
  startServer,
  xmlCode,
  type Credentials,
  type TestServer,
} from './harness.js';
import { signRequest, signedChunkedBody, unsignedTrailerBody, sha256Hex, EMPTY_SHA256 } from './fixtures/sigv4.js';
import { checksumB64, md5Hex, pseudoRandomBytes } from './fixtures/checksums.js';

const KiB = 1024;

for (const transport of TRANSPORTS) {
  describe(`auth over ${transport.name}`, () => {
    let server: TestServer;
    let s3: S3Client;
    let bucket: string;

    before(async () => {
      server = await startServer({ http: transport.http });
      s3 = s3Client(server);
      bucket = bucketName('auth');
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'hello.txt', Body: 'hello, presigned world' }));
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
    const getText = async (Key: string) => (await bodyBytes((await s3.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body)).toString();

    describe('presigned URLs', () => {
      it('a presigned GET works with a plain HTTP client', async () => {
        const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'hello.txt' }), { expiresIn: 300 });
        assert.match(url, /X-Amz-Signature=/);
        const res = await fetchUrl(server, url);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.text, 'hello, presigned world');
      });

      it('a presigned PUT stores the body', async () => {
        // Without request checksums: a presigned PUT cannot know the body's CRC in advance.
        const signer = s3Client(server, server.root, { requestChecksumCalculation: 'WHEN_REQUIRED' });
        try {
          const url = await getSignedUrl(signer, new PutObjectCommand({ Bucket: bucket, Key: 'presigned-put.txt' }), { expiresIn: 300 });
          const res = await fetchUrl(server, url, 'PUT', Buffer.from('uploaded via presigned URL'));
          assert.equal(res.status, 200, res.text);
          assert.equal(res.headers['etag'], `"${md5Hex(Buffer.from('uploaded via presigned URL'))}"`);
        } finally {
          signer.destroy();
        }
        assert.equal(await getText('presigned-put.txt'), 'uploaded via presigned URL');
      });

      it('an expired URL is refused with 403 AccessDenied', async () => {
        const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'hello.txt' }), {
          expiresIn: 60,
          signingDate: new Date(Date.now() - 3600_000),
        });
        const res = await fetchUrl(server, url);
        assert.equal(res.status, 403);
        assert.equal(xmlCode(res.text), 'AccessDenied');
      });

      it('a tampered signature or path is refused with SignatureDoesNotMatch', async () => {
        const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'hello.txt' }), { expiresIn: 300 });
        const u = new URL(url);
        const sig = u.searchParams.get('X-Amz-Signature') ?? '';
        u.searchParams.set('X-Amz-Signature', `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`);
        const res = await fetchUrl(server, u.toString());
        assert.equal(res.status, 403);
        assert.equal(xmlCode(res.text), 'SignatureDoesNotMatch');
        const other = new URL(url);
        other.pathname = other.pathname.replace('hello.txt', 'presigned-put.txt');
        const res2 = await fetchUrl(server, other.toString());
        assert.equal(res2.status, 403);
        assert.equal(xmlCode(res2.text), 'SignatureDoesNotMatch');
        const longer = new URL(url);
        longer.searchParams.set('X-Amz-Expires', '600000');
        const res3 = await fetchUrl(server, longer.toString());
        assert.equal(res3.status, 403, 'X-Amz-Expires is covered by the signature (or beyond 7 days)');
      });

      it('a presigned PUT URL cannot be used for GET', async () => {
        const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: 'hello.txt' }), { expiresIn: 300 });
        const res = await fetchUrl(server, url, 'GET');
        assert.equal(res.status, 403);
        assert.equal(xmlCode(res.text), 'SignatureDoesNotMatch');
      });
    });

    describe('credentials and clock', () => {
      it('a wrong secret gives SignatureDoesNotMatch', async () => {
        const bad = s3Client(server, { accessKeyId: server.root.accessKeyId, secretAccessKey: `${server.root.secretAccessKey}x` });
        try {
          await expectS3Error(bad.send(new ListBucketsCommand({})), 'SignatureDoesNotMatch', 403);
          await expectS3Error(bad.send(new PutObjectCommand({ Bucket: bucket, Key: 'nope', Body: 'x' })), 'SignatureDoesNotMatch', 403);
        } finally {
          bad.destroy();
        }
        assert.equal(await exists('nope'), false);
      });

      it('an unknown access key gives InvalidAccessKeyId', async () => {
        const bad = s3Client(server, { accessKeyId: 'AKIDOESNOTEXIST00000', secretAccessKey: 'whatever-secret' });
        try {
          await expectS3Error(bad.send(new ListBucketsCommand({})), 'InvalidAccessKeyId', 403);
        } finally {
          bad.destroy();
        }
      });

      it('an unsigned request is refused with AccessDenied', async () => {
        const res = await rawRequest(server, { method: 'GET', path: `/${bucket}/hello.txt` });
        assert.equal(res.status, 403);
        assert.equal(xmlCode(res.text), 'AccessDenied');
      });

      for (const minutes of [-30, 30]) {
        it(`a clock ${minutes} minutes off gives RequestTimeTooSkewed`, async () => {
          const skewed = s3Client(server, server.root, { systemClockOffset: minutes * 60_000 });
          try {
            await expectS3Error(skewed.send(new ListBucketsCommand({})), 'RequestTimeTooSkewed', 403);
          } finally {
            skewed.destroy();
          }
        });
      }
    });

    describe('users', () => {
      let alice: Credentials;
      let as: S3Client;
      let aliceBucket: string;
      before(async () => {
        alice = await server.addUser(`alice${transport.name}`);
        as = s3Client(server, alice);
        aliceBucket = bucketName('alice');
        await as.send(new CreateBucketCommand({ Bucket: aliceBucket }));
      });
      after(() => as?.destroy());

      it('a second user sees only their own buckets', async () => {
        const mine = await as.send(new ListBucketsCommand({}));
        assert.deepEqual(mine.Buckets?.map((b) => b.Name), [aliceBucket]);
        const roots = await s3.send(new ListBucketsCommand({}));
        assert.ok(!roots.Buckets?.some((b) => b.Name === aliceBucket), 'root does not list alice\'s bucket');
      });

      it('and gets AccessDenied on root\'s bucket', async () => {
        await expectS3Error(as.send(new GetObjectCommand({ Bucket: bucket, Key: 'hello.txt' })), 'AccessDenied', 403);
        await expectS3Error(as.send(new PutObjectCommand({ Bucket: bucket, Key: 'alice-was-here', Body: 'x' })), 'AccessDenied', 403);
        await expectS3Error(as.send(new ListObjectsV2Command({ Bucket: bucket })), 'AccessDenied', 403);
        assert.equal(await exists('alice-was-here'), false);
      });

      it('a HEAD on root\'s object is 403 with no body', async () => {
        const res = await signedRequest(server, alice, { method: 'HEAD', path: `/${bucket}/hello.txt` });
        assert.equal(res.status, 403);
        assert.equal(res.body.length, 0);
      });

      it('cannot take a name root already has (BucketAlreadyExists)', async () => {
        await expectS3Error(as.send(new CreateBucketCommand({ Bucket: bucket })), 'BucketAlreadyExists', 409);
      });

      it('works in their own bucket', async () => {
        await as.send(new PutObjectCommand({ Bucket: aliceBucket, Key: 'a', Body: 'alice data' }));
        const got = await as.send(new GetObjectCommand({ Bucket: aliceBucket, Key: 'a' }));
        assert.equal((await bodyBytes(got.Body)).toString(), 'alice data');
      });
    });

    describe('hand-built requests (spec §9.2, §9.3)', () => {
      const data = pseudoRandomBytes(150 * KiB + 17, 21);
      const host = () => new URL(server.url).host;

      /** Sign headers for a streaming PUT; the body is built from the seed signature. */
      function signStreaming(key: string, payloadHash: string, extra: Record<string, string>) {
        return signRequest({
          method: 'PUT',
          path: `/${bucket}/${key}`,
          headers: { host: host(), ...extra },
          payloadHash,
          creds: server.root,
          date: new Date(),
        });
      }

      for (const framing of ['content-length', 'transfer-encoding'] as const) {
        it(`STREAMING-AWS4-HMAC-SHA256-PAYLOAD with chunk signatures stores the decoded bytes (${framing})`, async () => {
          const key = `signed-chunks-${framing}`;
          const encodedLength = signedChunkedBody({ signingKey: Buffer.alloc(32), amzDate: '', scope: '', signature: '' }, data, 64 * KiB).length;
          const headers: Record<string, string> = {
            'content-encoding': 'aws-chunked',
            'x-amz-decoded-content-length': String(data.length),
            ...(framing === 'content-length' ? { 'content-length': String(encodedLength) } : {}),
          };
          const signed = signStreaming(key, 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', headers);
          const body = signedChunkedBody(signed, data, 64 * KiB);
          assert.equal(body.length, encodedLength);
          const res = await rawRequest(server, {
            method: 'PUT',
            path: `/${bucket}/${key}`,
            headers: signed.headers,
            body,
            ...(framing === 'transfer-encoding' ? { chunked: true } : {}),
          });
          assert.equal(res.status, 200, res.text);
          assert.equal(res.headers['etag'], `"${md5Hex(data)}"`);
          const got = await bodyBytes((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body);
          assert.ok(got.equals(data), 'stored bytes are the decoded payload');
          const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
          assert.equal(head.ContentEncoding, undefined, 'aws-chunked is removed from Content-Encoding');
        });
      }

      it('a corrupted chunk signature → 403 SignatureDoesNotMatch, nothing stored', async () => {
        const key = 'signed-chunks-bad-sig';
        const headers = { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length) };
        const signed = signStreaming(key, 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', headers);
        const body = signedChunkedBody(signed, data, 64 * KiB);
        // Flip one hex digit of the second chunk's signature.
        const second = body.indexOf('chunk-signature=', body.indexOf('chunk-signature=') + 1) + 'chunk-signature='.length;
        body[second] = body[second] === 0x30 ? 0x31 : 0x30;
        const res = await rawRequest(server, { method: 'PUT', path: `/${bucket}/${key}`, headers: signed.headers, body });
        assert.equal(res.status, 403, res.text);
        assert.equal(xmlCode(res.text), 'SignatureDoesNotMatch');
        assert.equal(await exists(key), false);
      });

      it('a modified chunk payload (signatures intact) → 403 SignatureDoesNotMatch, nothing stored', async () => {
        const key = 'signed-chunks-bad-data';
        const headers = { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length) };
        const signed = signStreaming(key, 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', headers);
        const body = signedChunkedBody(signed, data, 64 * KiB);
        const at = body.length - 200; // inside the last data chunk
        body[at] = (body[at] ?? 0) ^ 0xff;
        const res = await rawRequest(server, { method: 'PUT', path: `/${bucket}/${key}`, headers: signed.headers, body });
        assert.equal(res.status, 403, res.text);
        assert.equal(xmlCode(res.text), 'SignatureDoesNotMatch');
        assert.equal(await exists(key), false);
      });

      const trailerHeaders = (alg: string) => ({
        'content-encoding': 'aws-chunked',
        'transfer-encoding': 'chunked',
        'x-amz-decoded-content-length': String(data.length),
        'x-amz-sdk-checksum-algorithm': alg,
        'x-amz-trailer': `x-amz-checksum-${alg.toLowerCase()}`,
      });

      for (const alg of ['CRC32', 'CRC64NVME'] as const) {
        it(`STREAMING-UNSIGNED-PAYLOAD-TRAILER with a ${alg} trailer stores the bytes and the checksum`, async () => {
          const key = `trailer-ok-${alg}`;
          const signed = signStreaming(key, 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', trailerHeaders(alg));
          const body = unsignedTrailerBody(data, 60_000, `x-amz-checksum-${alg.toLowerCase()}`, checksumB64(alg, data));
          const { 'transfer-encoding': _te, ...headers } = signed.headers;
          const res = await rawRequest(server, { method: 'PUT', path: `/${bucket}/${key}`, headers, body, chunked: true });
          assert.equal(res.status, 200, res.text);
          assert.equal(res.headers[`x-amz-checksum-${alg.toLowerCase()}`], checksumB64(alg, data));
          const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
          assert.ok((await bodyBytes(got.Body)).equals(data), 'no framing or trailer bytes stored');
          assert.equal(alg === 'CRC32' ? got.ChecksumCRC32 : got.ChecksumCRC64NVME, checksumB64(alg, data));
        });
      }

      it('STREAMING-UNSIGNED-PAYLOAD-TRAILER with a wrong trailer CRC → 400 BadDigest, nothing stored', async () => {
        const key = 'trailer-bad';
        const signed = signStreaming(key, 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', trailerHeaders('CRC32'));
        const body = unsignedTrailerBody(data, 60_000, 'x-amz-checksum-crc32', checksumB64('CRC32', Buffer.from('not the data')));
        const { 'transfer-encoding': _te, ...headers } = signed.headers;
        const res = await rawRequest(server, { method: 'PUT', path: `/${bucket}/${key}`, headers, body, chunked: true });
        assert.equal(res.status, 400, res.text);
        assert.equal(xmlCode(res.text), 'BadDigest');
        assert.equal(await exists(key), false);
      });

      it('truncated aws-chunked framing → 400 IncompleteBody, nothing stored', async () => {
        const key = 'trailer-truncated';
        const signed = signStreaming(key, 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', trailerHeaders('CRC32'));
        const full = unsignedTrailerBody(data, 60_000, 'x-amz-checksum-crc32', checksumB64('CRC32', data));
        const { 'transfer-encoding': _te, ...headers } = signed.headers;
        const res = await rawRequest(server, { method: 'PUT', path: `/${bucket}/${key}`, headers, body: full.subarray(0, 70_000), chunked: true });
        assert.equal(res.status, 400, res.text);
        assert.equal(xmlCode(res.text), 'IncompleteBody');
        assert.equal(await exists(key), false);
      });

      it('a wrong hex payload hash → 400 XAmzContentSHA256Mismatch, nothing stored', async () => {
        const key = 'sha-mismatch';
        const res = await signedRequest(server, server.root, {
          method: 'PUT',
          path: `/${bucket}/${key}`,
          body: Buffer.from('the real body'),
          payloadHash: sha256Hex('a different body'),
        });
        assert.equal(res.status, 400, res.text);
        assert.equal(xmlCode(res.text), 'XAmzContentSHA256Mismatch');
        assert.equal(await exists(key), false);
      });

      it('UNSIGNED-PAYLOAD is accepted', async () => {
        const res = await signedRequest(server, server.root, {
          method: 'PUT',
          path: `/${bucket}/unsigned-payload`,
          body: Buffer.from('unsigned body'),
          payloadHash: 'UNSIGNED-PAYLOAD',
        });
        assert.equal(res.status, 200, res.text);
        assert.equal(await getText('unsigned-payload'), 'unsigned body');
      });

      it('an x-amz-* header that is not signed → 403 AccessDenied', async () => {
        const signed = signRequest({
          method: 'GET',
          path: `/${bucket}/hello.txt`,
          headers: { host: host() },
          payloadHash: EMPTY_SHA256,
          creds: server.root,
          date: new Date(),
        });
        const res = await rawRequest(server, {
          method: 'GET',
          path: `/${bucket}/hello.txt`,
          headers: { ...signed.headers, 'x-amz-meta-sneaky': 'added after signing' },
        });
        assert.equal(res.status, 403, res.text);
        assert.equal(xmlCode(res.text), 'AccessDenied');
      });

      it('a malformed Authorization header → 400 AuthorizationHeaderMalformed', async () => {
        const res = await rawRequest(server, {
          method: 'GET',
          path: `/${bucket}/hello.txt`,
          headers: { authorization: 'AWS4-HMAC-SHA256 Credential=garbage, SignedHeaders=host, Signature=00', 'x-amz-date': '20250101T000000Z', 'x-amz-content-sha256': EMPTY_SHA256 },
        });
        assert.equal(res.status, 400, res.text);
        assert.equal(xmlCode(res.text), 'AuthorizationHeaderMalformed');
      });

      // Strongbox serves every region (README, compatibility): clients configured for another
      // region work unchanged, with the signature computed for the region they name.
      it('a credential scope for another region is accepted when correctly signed', async () => {
        const signed = signRequest({
          method: 'GET',
          path: `/${bucket}/hello.txt`,
          headers: { host: host() },
          payloadHash: EMPTY_SHA256,
          creds: server.root,
          date: new Date(),
          region: 'eu-west-1',
        });
        const res = await rawRequest(server, { method: 'GET', path: `/${bucket}/hello.txt`, headers: signed.headers });
        assert.equal(res.status, 200, res.text);
      });

      it('signed chunks carrying more bytes than x-amz-decoded-content-length are refused, nothing stored', async () => {
        const key = 'signed-chunks-overlong';
        const headers = { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length - 100) };
        const signed = signStreaming(key, 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', headers);
        const body = signedChunkedBody(signed, data, 64 * KiB);
        const res = await rawRequest(server, { method: 'PUT', path: `/${bucket}/${key}`, headers: signed.headers, body });
        assert.equal(res.status, 400, res.text);
        assert.equal(await exists(key), false);
      });

      it('a presigned URL made by another user cannot read root\'s object', async () => {
        const alice = await server.addUser(`presigner${transport.name}`);
        const as = s3Client(server, alice);
        try {
          const url = await getSignedUrl(as, new GetObjectCommand({ Bucket: bucket, Key: 'hello.txt' }), { expiresIn: 300 });
          const res = await fetchUrl(server, url);
          assert.equal(res.status, 403);
          assert.equal(xmlCode(res.text), 'AccessDenied');
        } finally {
          as.destroy();
        }
      });

      it('a hand-signed GET with a percent-encoded key works (signer sanity check)', async () => {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'sp ace/é+x', Body: 'encoded' }));
        const res = await signedRequest(server, server.root, { method: 'GET', path: `/${bucket}/sp%20ace/%C3%A9%2Bx` });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.text, 'encoded');
      });
    });
  });
}

describe('virtual-hosted style (--domain)', () => {
  const domain = 's3.strongbox.test';
  let server: TestServer;
  let vh: S3Client;
  // Resolve every name to loopback, so no DNS or /etc/hosts setup is needed.
  const lookup = ((_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    if (opts?.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
    else cb(null, '127.0.0.1', 4);
  }) as unknown as LookupFunction;

  before(async () => {
    server = await startServer({ domain });
    const port = new URL(server.url).port;
    vh = new S3Client({
      endpoint: `https://${domain}:${port}`,
      region: 'us-east-1',
      forcePathStyle: false,
      credentials: server.root,
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ ca: server.ca, lookup }) }),
    });
  });
  after(async () => {
    vh?.destroy();
    await server?.stop();
  });

  it('creates, writes, lists and reads through <bucket>.<domain>', async () => {
    const bucket = bucketName('vhost');
    const seen: string[] = [];
    vh.middlewareStack.add(
      (next) => async (args) => {
        const req = args.request as { hostname?: string; path?: string };
        seen.push(`${req.hostname ?? ''}${req.path ?? ''}`);
        return next(args);
      },
      { step: 'finalizeRequest' },
    );
    await vh.send(new CreateBucketCommand({ Bucket: bucket }));
    await vh.send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/v.txt', Body: 'virtual' }));
    const list = await vh.send(new ListObjectsV2Command({ Bucket: bucket }));
    assert.deepEqual(list.Contents?.map((c) => c.Key), ['dir/v.txt']);
    const got = await vh.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/v.txt' }));
    assert.equal((await bodyBytes(got.Body)).toString(), 'virtual');
    assert.ok(seen.includes(`${bucket}.${domain}/dir/v.txt`), `requests went to the bucket host: ${seen.join(', ')}`);
    // The same object is reachable path-style on the same server.
    const ps = s3Client(server);
    try {
      const viaPath = await ps.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/v.txt' }));
      assert.equal((await bodyBytes(viaPath.Body)).toString(), 'virtual');
    } finally {
      ps.destroy();
    }
    const url = await getSignedUrl(vh, new GetObjectCommand({ Bucket: bucket, Key: 'dir/v.txt' }), { expiresIn: 120 });
    assert.ok(new URL(url).hostname === `${bucket}.${domain}`, url);
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const r = https.get(url, { ca: server.ca, lookup }, (m) => {
        let b = '';
        m.on('data', (d: Buffer) => (b += d.toString()));
        m.on('end', () => resolve({ status: m.statusCode ?? 0, body: b }));
      });
      r.on('error', reject);
    });
    assert.equal(res.status, 200, res.body);
    assert.equal(res.body, 'virtual');
  });
});
