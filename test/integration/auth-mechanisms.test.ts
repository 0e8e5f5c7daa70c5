/**
 * Issue 14, defect 4, end to end: a request carries one authentication. A presigned URL sent
 * with an Authorization header, a repeated X-Amz-Signature and two Authorization lines are
 * 400 InvalidArgument as on Amazon; repeated header lines are legal HTTP and still work
 * (test/auth/auth-mechanisms.test.ts has the SignedHeaders and query-parameter cases).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { TRANSPORTS, bucketName, fetchUrl, s3Client, startServer, xmlCode, xmlTag, type RawResponse, type TestServer } from './harness.js';
import { signRequest } from './fixtures/sigv4.js';

const ONE_MECHANISM =
  'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified';

/** A request whose headers may repeat (an array value is sent as one line per value). */
function send(server: TestServer, method: string, path: string, headers: http.OutgoingHttpHeaders, body?: Buffer): Promise<RawResponse> {
  const u = new URL(server.url);
  const options: https.RequestOptions = { method, host: u.hostname, port: u.port, path, headers, agent: false, ...(server.ca ? { ca: server.ca } : {}) };
  return new Promise((resolve, reject) => {
    const r = (u.protocol === 'https:' ? https : http).request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, text: b.toString('utf8') });
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(body);
  });
}

for (const transport of TRANSPORTS) {
  describe(`one auth mechanism per request over ${transport.name}`, () => {
    let server: TestServer;
    let s3: S3Client;
    let bucket: string;
    let url: string;

    before(async () => {
      server = await startServer({ http: transport.http });
      s3 = s3Client(server);
      bucket = bucketName('mechanisms');
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'secret' }));
      url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'k' }), { expiresIn: 600 });
    });
    after(async () => {
      s3?.destroy();
      await server?.stop();
    });

    it('a presigned URL works alone, and is refused with an Authorization header', async () => {
      assert.equal((await fetchUrl(server, url)).text, 'secret');
      const r = await fetchUrl(server, url, 'GET', undefined, { authorization: 'Bearer from-a-proxy' });
      assert.equal(r.status, 400, r.text);
      assert.equal(xmlCode(r.text), 'InvalidArgument');
      assert.equal(xmlTag(r.text, 'Message'), ONE_MECHANISM);
      assert.equal(xmlTag(r.text, 'ArgumentName'), 'Authorization');
      assert.equal(xmlTag(r.text, 'ArgumentValue'), 'Bearer from-a-proxy');
    });

    it('a repeated X-Amz-Signature is refused, the same or another value', async () => {
      const sig = new URL(url).searchParams.get('X-Amz-Signature')!;
      for (const extra of [sig, '0'.repeat(64)]) {
        const r = await fetchUrl(server, `${url}&X-Amz-Signature=${extra}`);
        assert.equal(r.status, 400, r.text);
        assert.equal(xmlCode(r.text), 'InvalidArgument');
        assert.equal(xmlTag(r.text, 'ArgumentName'), 'X-Amz-Signature');
      }
    });

    it('two Authorization lines are refused', async () => {
      const host = new URL(server.url).host;
      const signed = signRequest({ method: 'GET', path: `/${bucket}/k`, headers: { host }, payloadHash: 'UNSIGNED-PAYLOAD', creds: server.root, date: new Date() });
      const ok = await send(server, 'GET', `/${bucket}/k`, signed.headers);
      assert.equal(ok.text, 'secret');
      const auth = signed.headers['authorization']!;
      const { authorization: _one, ...rest } = signed.headers;
      const twice: http.OutgoingHttpHeaders = { ...rest, Authorization: [auth, auth] };
      const r = await send(server, 'GET', `/${bucket}/k`, twice);
      assert.equal(r.status, 400, r.text);
      assert.equal(xmlTag(r.text, 'Message'), ONE_MECHANISM);
    });

    it('repeated header lines are legal: signed as one comma-joined value', async () => {
      const host = new URL(server.url).host;
      const body = Buffer.from('joined');
      const signed = signRequest({
        method: 'PUT',
        path: `/${bucket}/joined`,
        headers: { host, 'x-amz-meta-tags': 'a,b', 'content-length': String(body.length) },
        payloadHash: 'UNSIGNED-PAYLOAD',
        creds: server.root,
        date: new Date(),
      });
      const r = await send(server, 'PUT', `/${bucket}/joined`, { ...signed.headers, 'x-amz-meta-tags': ['a', 'b'] }, body);
      assert.equal(r.status, 200, r.text);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'joined' }));
      assert.match(head.Metadata?.['tags'] ?? '', /^a, ?b$/);
    });
  });
}
