/**
 * Issue 14: a bucket policy must not be able to freeze the server. Its owner sets, through
 * the SDK, a Resource of 3,000 wildcards (`*a*a…*ab`), which a regular-expression matcher
 * takes exponential time to miss; an anonymous request for a 1,024-byte key must still be
 * answered, and the server must go on serving others. No timing is asserted: both requests
 * complete (against the old matcher the first never did, and this test timed out). Also the
 * 20 KB policy size limit, at and one byte past the limit.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, GetBucketPolicyCommand, ListObjectsV2Command, PutBucketPolicyCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { bucketName, expectS3Error, rawRequest, s3Client, startServer, xmlCode, type TestServer } from './harness.js';

const MAX_POLICY_BYTES = 20 * 1024;

describe('policy wildcards and size', () => {
  let server: TestServer;
  let s3: S3Client;

  before(async () => {
    server = await startServer({ http: true });
    s3 = s3Client(server);
  });
  after(async () => {
    s3?.destroy();
    await server?.stop();
  });

  it('a Resource of 3,000 wildcards: an anonymous request is answered, and the server serves the next one', { timeout: 60_000 }, async () => {
    const bucket = bucketName('wild');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'public/hello', Body: 'hello' }));
    const killer = `arn:aws:s3:::${bucket}/${'*a'.repeat(3000)}b`;
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Killer', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: killer },
        { Sid: 'Public', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/public/*` },
      ],
    });
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy }));

    // A 1,024-byte key of a's: no b at its end, so the killer pattern misses; nothing else allows it.
    const key = 'a'.repeat(1024);
    const denied = await rawRequest(server, { method: 'GET', path: `/${bucket}/${key}` });
    assert.equal(denied.status, 403);
    assert.equal(xmlCode(denied.text), 'AccessDenied');

    // The server is still there for everyone: anonymous, through the other statement …
    const ok = await rawRequest(server, { method: 'GET', path: `/${bucket}/public/hello` });
    assert.equal(ok.status, 200);
    assert.equal(ok.text, 'hello');
    // … and the owner.
    const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    assert.deepEqual(list.Contents?.map((o) => o.Key), ['public/hello']);

    // A key ending in b, as the pattern does, but with fewer a's than it has stars: a miss too.
    const endsInB = await rawRequest(server, { method: 'GET', path: `/${bucket}/${'a'.repeat(1023)}b` });
    assert.equal(endsInB.status, 403);
  });

  it('the 20 KB limit counts the policy without whitespace: at the limit it is stored, one byte over is 400 MalformedPolicy', async () => {
    const bucket = bucketName('size');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const doc = (sid: string) => ({
      Version: '2012-10-17',
      Statement: [{ Sid: sid, Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` }],
    });
    const base = Buffer.byteLength(JSON.stringify(doc('')));
    const atLimit = doc('s'.repeat(MAX_POLICY_BYTES - base));
    assert.equal(Buffer.byteLength(JSON.stringify(atLimit)), MAX_POLICY_BYTES);
    // Indented, the text is longer than 20 KB; what counts is the minified size.
    const atLimitText = JSON.stringify(atLimit, null, 4);
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: atLimitText }));
    assert.equal((await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy, atLimitText);

    const over = JSON.stringify(doc('s'.repeat(MAX_POLICY_BYTES - base + 1)));
    const err = await expectS3Error(s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: over })), 'MalformedPolicy', 400);
    assert.equal((err as Error).message, 'Policy exceeds the maximum allowed document size.');
    // The policy in place is unchanged.
    assert.equal((await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy, atLimitText);
  });
});
