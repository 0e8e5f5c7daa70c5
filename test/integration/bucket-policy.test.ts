/**
 * Bucket policies against the real server, over HTTPS and HTTP: Put/Get/DeleteBucketPolicy,
 * MalformedPolicy reasons, and the policies compliance teams write to enforce encryption
 * (../shared/spec/aws-sse.md §7): deny PutObject without SSE, deny anything but aws:kms,
 * require SSE-C, deny plain HTTP; source addresses; a second user let in with a prefix
 * condition; anonymous reads; Deny binding the owner; multipart steps under a PutObject deny.
 * Driven by @aws-sdk/client-s3, unsigned node requests, boto3 and the AWS CLI.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  TRANSPORTS,
  bodyBytes,
  bucketName,
  clientEnv,
  expectS3Error,
  rawRequest,
  runAws,
  runPython,
  s3Client,
  signedRequest,
  startServer,
  xmlCode,
  xmlTag,
  type Credentials,
  type TestServer,
} from './harness.js';
import { A, sdkSse } from './fixtures/sse-c.js';

const ACCOUNT = '111122223333';
const READER = 'reader';
const userArn = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`;
const SSE = 's3:x-amz-server-side-encryption';
const SSE_C_ALG = 's3:x-amz-server-side-encryption-customer-algorithm';
const MiB = 1024 * 1024;

type Statement = Record<string, unknown>;
/** Indented on purpose: GetBucketPolicy must give back the text exactly as put. */
const policyText = (...statements: Statement[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements }, null, 2);
const objects = (bucket: string) => `arn:aws:s3:::${bucket}/*`;

const denyPutWithout = (bucket: string, key: string): Statement => ({
  Sid: `DenyPutWithout-${key}`,
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:PutObject',
  Resource: objects(bucket),
  Condition: { Null: { [key]: 'true' } },
});

for (const transport of TRANSPORTS) {
  describe(`bucket policies over ${transport.name}`, () => {
    let server: TestServer;
    let s3: S3Client;
    let reader: Credentials;
    let s3r: S3Client;
    let work: string;

    before(async () => {
      server = await startServer({ http: transport.http, extraArgs: ['--account-id', ACCOUNT] });
      s3 = s3Client(server);
      reader = await server.addUser(READER);
      s3r = s3Client(server, reader);
      work = mkdtempSync(join(tmpdir(), 'strongbox-policy-'));
    });
    after(async () => {
      s3?.destroy();
      s3r?.destroy();
      if (work) rmSync(work, { recursive: true, force: true });
      await server?.stop();
    });

    const newBucket = async (prefix = 'pol') => {
      const b = bucketName(prefix);
      await s3.send(new CreateBucketCommand({ Bucket: b }));
      return b;
    };
    const setPolicy = (bucket: string, ...statements: Statement[]) =>
      s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policyText(...statements) }));
    const put = (bucket: string, key: string, extra: Record<string, unknown> = {}, client = s3) =>
      client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `body of ${key}`, ...extra }));
    const denied = (p: Promise<unknown>) => expectS3Error(p, 'AccessDenied', 403);
    const exists = async (bucket: string, key: string) => {
      try {
        await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
      } catch (err) {
        if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
        throw err;
      }
    };

    it('Put, Get and Delete round-trip the policy text; no policy is 404 NoSuchBucketPolicy', async () => {
      const bucket = await newBucket();
      const err = await expectS3Error(s3.send(new GetBucketPolicyCommand({ Bucket: bucket })), 'NoSuchBucketPolicy', 404);
      assert.equal((err as Error).message, 'The bucket policy does not exist');
      const text = policyText({ Sid: 'Read', Effect: 'Allow', Principal: { AWS: userArn(READER) }, Action: 's3:GetObject', Resource: objects(bucket) });
      const putRes = await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: text }));
      assert.equal(putRes.$metadata.httpStatusCode, 204);
      const got = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
      assert.equal(got.Policy, text);
      const del = await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
      assert.equal(del.$metadata.httpStatusCode, 204);
      await expectS3Error(s3.send(new GetBucketPolicyCommand({ Bucket: bucket })), 'NoSuchBucketPolicy', 404);
      // Deleting again is fine, as on Amazon.
      assert.equal((await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }))).$metadata.httpStatusCode, 204);
      // The error document names the bucket.
      const raw = await signedRequest(server, server.root, { method: 'GET', path: `/${bucket}`, query: [['policy', '']] });
      assert.equal(raw.status, 404);
      assert.equal(xmlCode(raw.text), 'NoSuchBucketPolicy');
      assert.equal(xmlTag(raw.text, 'BucketName'), bucket);
    });

    it('malformed policies answer 400 MalformedPolicy with Amazon’s reason, and store nothing', async () => {
      const bucket = await newBucket();
      const ok = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: objects(bucket) };
      const cases: [string, string][] = [
        [policyText({ ...ok, Resource: 'arn:aws:s3:::some-other-bucket/*' }), 'Policy has invalid resource'],
        [policyText({ ...ok, Principal: { AWS: userArn('nobody-here') } }), 'Invalid principal in policy'],
        [policyText({ ...ok, Principal: undefined }), 'Missing required field Principal'],
        [policyText({ ...ok, Action: 's3:PutObject', Resource: `arn:aws:s3:::${bucket}` }), 'Action does not apply to any resource(s) in statement'],
        [policyText({ ...ok, Action: 's3:Teleport' }), 'Policy has invalid action'],
        [policyText({ ...ok, Condition: { StringEquals: { 's3:no-such-key': 'x' } } }), 'Policy has an invalid condition key'],
        [policyText({ ...ok, Condition: { StringEqualsMaybe: { 'aws:username': 'x' } } }), 'Invalid Condition type : StringEqualsMaybe'],
        ['{"Version": "2012-10-17", "Statement": [', 'This policy contains invalid Json'],
      ];
      for (const [text, reason] of cases) {
        const err = await expectS3Error(s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: text })), 'MalformedPolicy', 400);
        assert.equal((err as Error).message, reason, text);
      }
      await expectS3Error(s3.send(new GetBucketPolicyCommand({ Bucket: bucket })), 'NoSuchBucketPolicy', 404);
    });

    it('only the owner reads, sets and deletes a policy, and a policy cannot lock the owner out of it', async () => {
      const bucket = await newBucket();
      const everything = [`arn:aws:s3:::${bucket}`, objects(bucket)];
      await setPolicy(
        bucket,
        { Effect: 'Allow', Principal: { AWS: userArn(READER) }, Action: 's3:*', Resource: everything },
        { Effect: 'Deny', Principal: { AWS: ACCOUNT }, Action: 's3:*', Resource: everything },
      );
      await denied(s3r.send(new GetBucketPolicyCommand({ Bucket: bucket })));
      await denied(s3r.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policyText({ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: everything }) })));
      await denied(s3r.send(new DeleteBucketPolicyCommand({ Bucket: bucket })));
      // The deny binds everyone else, the owner included …
      await denied(put(bucket, 'k'));
      await denied(s3.send(new ListObjectsV2Command({ Bucket: bucket })));
      // … but the owner can still read and remove the policy.
      assert.match((await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy ?? '', /"Deny"/);
      await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
      await put(bucket, 'k');
    });

    it('deny PutObject without SSE: a header-less PUT is refused although the bucket default would encrypt it', async () => {
      const bucket = await newBucket();
      await put(bucket, 'before');
      await setPolicy(bucket, denyPutWithout(bucket, SSE));
      await denied(put(bucket, 'plain'));
      assert.equal(await exists(bucket, 'plain'), false, 'nothing was stored');
      const ok = await put(bucket, 'sse-s3', { ServerSideEncryption: 'AES256' });
      assert.equal(ok.ServerSideEncryption, 'AES256');
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'sse-s3' }));
      assert.equal((await bodyBytes(got.Body)).toString(), 'body of sse-s3');
      // Reads and deletes are not PutObject.
      await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'before' }));
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'before' }));
      // CopyObject is a PutObject of its destination.
      await denied(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy', CopySource: `${bucket}/sse-s3` })));
      await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy', CopySource: `${bucket}/sse-s3`, ServerSideEncryption: 'AES256' }));
    });

    it('deny anything but aws:kms (StringNotEquals): AES256 and header-less PUTs are refused, aws:kms passes the policy', async () => {
      const bucket = await newBucket();
      await setPolicy(bucket, {
        Sid: 'DenyNonKms',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: objects(bucket),
        Condition: { StringNotEquals: { [SSE]: 'aws:kms' } },
      });
      await denied(put(bucket, 'aes', { ServerSideEncryption: 'AES256' }));
      await denied(put(bucket, 'plain'));
      // Past the policy the request is the encryption layer's: stored, or refused for a reason
      // of its own (SSE-KMS over plain HTTP is), never AccessDenied.
      try {
        const r = await put(bucket, 'kms', { ServerSideEncryption: 'aws:kms' });
        assert.equal(r.ServerSideEncryption, 'aws:kms');
      } catch (err) {
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
        assert.notEqual(e.name, 'AccessDenied', 'aws:kms must pass the policy');
        assert.notEqual(e.$metadata?.httpStatusCode, 403);
      }
    });

    it('require SSE-C (Null on the customer algorithm): plain PUTs are refused, SSE-C PUTs pass the policy', async () => {
      const bucket = await newBucket();
      await setPolicy(bucket, denyPutWithout(bucket, SSE_C_ALG));
      await denied(put(bucket, 'plain'));
      await denied(put(bucket, 'sse-s3', { ServerSideEncryption: 'AES256' }));
      if (transport.http) {
        // Past the policy, SSE-C over plain HTTP is refused as always (400, not 403).
        await expectS3Error(put(bucket, 'ssec', sdkSse(A)), 'InvalidRequest', 400);
      } else {
        await put(bucket, 'ssec', sdkSse(A));
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'ssec', ...sdkSse(A) }));
        assert.equal((await bodyBytes(got.Body)).toString(), 'body of ssec');
      }
    });

    it('every multipart step is s3:PutObject: a deny on missing SSE headers hits UploadPart and Complete', async () => {
      const bucket = await newBucket();
      const part = Buffer.alloc(5 * MiB, 7);
      // SSE-S3 headers travel on CreateMultipartUpload only, so such a policy blocks UploadPart (§7).
      await setPolicy(bucket, denyPutWithout(bucket, SSE));
      await denied(s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mpu' })));
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mpu', ServerSideEncryption: 'AES256' }));
      await denied(s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'mpu', UploadId, PartNumber: 1, Body: part })));
      await denied(s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mpu', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"x"' }] } })));
      // Aborting is another action.
      await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'mpu', UploadId }));
      if (transport.http) return;
      // The SSE-C variant is satisfiable: the key travels on every part and on Complete.
      await setPolicy(bucket, denyPutWithout(bucket, SSE_C_ALG));
      const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'ssec-mpu', ...sdkSse(A) }));
      // Without the key the policy answers first: 403, where validation would say 400.
      await denied(s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'ssec-mpu', UploadId: up.UploadId, PartNumber: 1, Body: part })));
      const p1 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'ssec-mpu', UploadId: up.UploadId, PartNumber: 1, Body: part, ...sdkSse(A) }));
      const parts = { Parts: [{ PartNumber: 1, ETag: p1.ETag! }] };
      await denied(s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'ssec-mpu', UploadId: up.UploadId, MultipartUpload: parts })));
      await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'ssec-mpu', UploadId: up.UploadId, MultipartUpload: parts, ...sdkSse(A) }));
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'ssec-mpu', ...sdkSse(A) }));
      assert.equal(head.ContentLength, part.length);
    });

    it('deny plain HTTP (Bool aws:SecureTransport false)', async () => {
      const bucket = await newBucket();
      await put(bucket, 'k');
      await setPolicy(bucket, {
        Sid: 'DenyInsecure',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [`arn:aws:s3:::${bucket}`, objects(bucket)],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
      const read = s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }));
      if (transport.http) {
        await denied(read);
        await denied(put(bucket, 'k2', { ServerSideEncryption: 'AES256' }));
        await denied(s3.send(new ListObjectsV2Command({ Bucket: bucket })));
      } else {
        assert.equal((await bodyBytes((await read).Body)).toString(), 'body of k');
        await put(bucket, 'k2', { ServerSideEncryption: 'AES256' });
        assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount, 2);
      }
    });

    it('IpAddress and NotIpAddress on aws:SourceIp (the client is 127.0.0.1)', async () => {
      const bucket = await newBucket();
      await put(bucket, 'k');
      const denyGet = (condition: Statement) => setPolicy(bucket, { Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: objects(bucket), Condition: condition });
      await denyGet({ NotIpAddress: { 'aws:SourceIp': '127.0.0.1' } });
      await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }));
      await denyGet({ NotIpAddress: { 'aws:SourceIp': '192.0.2.0/24' } });
      await denied(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' })));
      await denyGet({ IpAddress: { 'aws:SourceIp': '127.0.0.0/8' } });
      await denied(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' })));
      await denyGet({ IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '::1/128'] } });
      await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }));
    });

    it('a policy lets a second user read one prefix (s3:prefix condition on ListBucket); nothing else', async () => {
      const bucket = await newBucket();
      await put(bucket, 'public/a.txt');
      await put(bucket, 'private/b.txt');
      // Without a policy another user's requests are refused.
      await denied(s3r.send(new GetObjectCommand({ Bucket: bucket, Key: 'public/a.txt' })));
      await denied(s3r.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'public/' })));
      await setPolicy(
        bucket,
        { Sid: 'Get', Effect: 'Allow', Principal: { AWS: [userArn(READER)] }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/public/*` },
        { Sid: 'List', Effect: 'Allow', Principal: { AWS: userArn(READER) }, Action: 's3:ListBucket', Resource: `arn:aws:s3:::${bucket}`, Condition: { StringLike: { 's3:prefix': 'public/*' } } },
        { Sid: 'Clean', Effect: 'Allow', Principal: { AWS: userArn(READER) }, Action: 's3:DeleteObject', Resource: `arn:aws:s3:::${bucket}/public/tmp/*` },
      );
      const got = await s3r.send(new GetObjectCommand({ Bucket: bucket, Key: 'public/a.txt' }));
      assert.equal((await bodyBytes(got.Body)).toString(), 'body of public/a.txt');
      await denied(s3r.send(new GetObjectCommand({ Bucket: bucket, Key: 'private/b.txt' })));
      // A missing key is 403 to a reader who may not list the bucket (its ListBucket is only for
      // requests with the public/ prefix): existence is not revealed, as on Amazon.
      await denied(s3r.send(new GetObjectCommand({ Bucket: bucket, Key: 'public/missing.txt' })));
      const listed = await s3r.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'public/' }));
      assert.deepEqual(listed.Contents?.map((c) => c.Key), ['public/a.txt']);
      await denied(s3r.send(new ListObjectsV2Command({ Bucket: bucket })));
      await denied(s3r.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'private/' })));
      await denied(put(bucket, 'public/new.txt', {}, s3r));
      await denied(s3r.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'public/a.txt' })));
      // The owner keeps every right the policy does not deny.
      await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      // CopyObject needs s3:GetObject on the source, under the source bucket's policy.
      const own = bucketName('reader');
      await s3r.send(new CreateBucketCommand({ Bucket: own }));
      await s3r.send(new CopyObjectCommand({ Bucket: own, Key: 'copied', CopySource: `${bucket}/public/a.txt` }));
      await denied(s3r.send(new CopyObjectCommand({ Bucket: own, Key: 'stolen', CopySource: `${bucket}/private/b.txt` })));
      // DeleteObjects is authorized key by key.
      await put(bucket, 'public/tmp/scratch');
      const del = await s3r.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'public/tmp/scratch' }, { Key: 'private/b.txt' }] } }),
      );
      assert.deepEqual(del.Deleted?.map((d) => d.Key), ['public/tmp/scratch']);
      assert.deepEqual(del.Errors?.map((e) => [e.Key, e.Code]), [['private/b.txt', 'AccessDenied']]);
      assert.equal(await exists(bucket, 'private/b.txt'), true);
      assert.equal(await exists(bucket, 'public/tmp/scratch'), false);
    });

    it('a missing key is 404 to a reader allowed s3:ListBucket, 403 to one who is not', async () => {
      const bucket = await newBucket();
      await setPolicy(bucket, { Sid: 'Get', Effect: 'Allow', Principal: { AWS: userArn(READER) }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` });
      const status = (p: Promise<unknown>) => p.then(() => 200, (err: { $metadata?: { httpStatusCode?: number } }) => err.$metadata?.httpStatusCode);
      assert.equal(await status(s3r.send(new HeadObjectCommand({ Bucket: bucket, Key: 'missing' }))), 403);
      await setPolicy(
        bucket,
        { Sid: 'Get', Effect: 'Allow', Principal: { AWS: userArn(READER) }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` },
        { Sid: 'List', Effect: 'Allow', Principal: { AWS: userArn(READER) }, Action: 's3:ListBucket', Resource: `arn:aws:s3:::${bucket}` },
      );
      assert.equal(await status(s3r.send(new HeadObjectCommand({ Bucket: bucket, Key: 'missing' }))), 404);
      assert.equal(await status(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'missing' }))), 404, 'the owner may always list');
    });

    it('anonymous requests: refused without a policy, GetObject allowed by Principal "*" and nothing more', async () => {
      const bucket = await newBucket();
      await put(bucket, 'pub/hello.txt');
      await put(bucket, 'secret.txt');
      const anon = (method: string, path: string, body?: string) => rawRequest(server, { method, path, ...(body === undefined ? {} : { body }) });
      const before = await anon('GET', `/${bucket}/pub/hello.txt`);
      assert.equal(before.status, 403);
      assert.equal(xmlCode(before.text), 'AccessDenied');
      assert.equal(xmlTag(before.text, 'Message'), 'Access Denied');
      await setPolicy(bucket, { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/pub/*` });
      const ok = await anon('GET', `/${bucket}/pub/hello.txt`);
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.text, 'body of pub/hello.txt');
      assert.equal((await anon('HEAD', `/${bucket}/pub/hello.txt`)).status, 200);
      assert.equal((await anon('GET', `/${bucket}/secret.txt`)).status, 403);
      assert.equal((await anon('PUT', `/${bucket}/pub/new.txt`, 'x')).status, 403);
      assert.equal(await exists(bucket, 'pub/new.txt'), false);
      assert.equal((await anon('DELETE', `/${bucket}/pub/hello.txt`)).status, 403);
      assert.equal((await anon('GET', `/${bucket}?list-type=2`)).status, 403);
      assert.equal((await anon('GET', `/${bucket}?policy`)).status, 403);
      assert.equal((await anon('GET', '/')).status, 403, 'anonymous ListBuckets');
      assert.equal((await anon('PUT', `/${bucketName('anon')}`)).status, 403, 'anonymous CreateBucket');
      // The account principal names users, never anonymous requests.
      await setPolicy(bucket, { Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 's3:GetObject', Resource: objects(bucket) });
      assert.equal((await anon('GET', `/${bucket}/pub/hello.txt`)).status, 403);
      const viaAccount = await s3r.send(new GetObjectCommand({ Bucket: bucket, Key: 'secret.txt' }));
      assert.equal((await bodyBytes(viaAccount.Body)).toString(), 'body of secret.txt');
    });

    it('an anonymous write allowed by a policy is still subject to its deny on missing SSE', async () => {
      const bucket = await newBucket();
      await setPolicy(
        bucket,
        { Sid: 'Drop', Effect: 'Allow', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${bucket}/drop/*` },
        denyPutWithout(bucket, SSE),
      );
      const plain = await rawRequest(server, { method: 'PUT', path: `/${bucket}/drop/a`, body: 'a' });
      assert.equal(plain.status, 403);
      const sse = await rawRequest(server, { method: 'PUT', path: `/${bucket}/drop/b`, body: 'b', headers: { 'x-amz-server-side-encryption': 'AES256' } });
      assert.equal(sse.status, 200, sse.text);
      assert.equal(sse.headers['x-amz-server-side-encryption'], 'AES256');
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'drop/b' }));
      assert.equal((await bodyBytes(got.Body)).toString(), 'b');
    });

    it('a Deny applies to the bucket owner too', async () => {
      const bucket = await newBucket();
      await put(bucket, 'keep/a');
      await put(bucket, 'other');
      await setPolicy(bucket, { Sid: 'Keep', Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 's3:DeleteObject', Resource: `arn:aws:s3:::${bucket}/keep/*` });
      await denied(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'keep/a' })));
      assert.equal(await exists(bucket, 'keep/a'), true);
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'other' }));
      const del = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'keep/a' }] } }));
      assert.deepEqual(del.Errors?.map((e) => [e.Key, e.Code, e.Message]), [['keep/a', 'AccessDenied', 'Access Denied']]);
      assert.equal(await exists(bucket, 'keep/a'), true);
    });

    it('boto3 put_bucket_policy / get_bucket_policy / delete_bucket_policy', async () => {
      const bucket = await newBucket();
      const text = policyText(denyPutWithout(bucket, SSE));
      const script = `
import os, json, boto3
from botocore.config import Config
from botocore.exceptions import ClientError
s3 = boto3.client('s3', endpoint_url=os.environ['STRONGBOX_URL'], config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
B = os.environ['BUCKET']
s3.put_bucket_policy(Bucket=B, Policy=os.environ['POLICY'])
got = s3.get_bucket_policy(Bucket=B)['Policy']
try:
    s3.put_object(Bucket=B, Key='plain', Body=b'x')
    plain = 'stored'
except ClientError as e:
    plain = e.response['Error']['Code']
s3.put_object(Bucket=B, Key='enc', Body=b'x', ServerSideEncryption='AES256')
try:
    s3.put_bucket_policy(Bucket=B, Policy='{"Statement": []}')
    bad = None
except ClientError as e:
    bad = [e.response['Error']['Code'], e.response['Error']['Message']]
s3.delete_bucket_policy(Bucket=B)
try:
    s3.get_bucket_policy(Bucket=B)
    after = None
except ClientError as e:
    after = e.response['Error']['Code']
print(json.dumps(dict(same=got == os.environ['POLICY'], plain=plain, bad=bad, after=after)))
`;
      const env = { ...clientEnv(server, server.root), STRONGBOX_URL: server.url, BUCKET: bucket, POLICY: text };
      const r = await runPython(script, env);
      assert.equal(r.code, 0, `python failed:\n${r.stderr}\n${r.stdout}`);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
      assert.deepEqual(out, {
        same: true,
        plain: 'AccessDenied',
        bad: ['MalformedPolicy', 'Could not parse the policy: Statement is empty!'],
        after: 'NoSuchBucketPolicy',
      });
    });

    it('aws s3api put-bucket-policy / get-bucket-policy / delete-bucket-policy', async () => {
      const bucket = await newBucket();
      const env = clientEnv(server, server.root);
      const text = policyText({ Effect: 'Allow', Principal: { AWS: userArn(READER) }, Action: ['s3:GetObject'], Resource: objects(bucket) });
      const file = join(work, `${bucket}.json`);
      writeFileSync(file, text);
      const putR = await runAws(server, ['s3api', 'put-bucket-policy', '--bucket', bucket, '--policy', `file://${file}`], env);
      assert.equal(putR.code, 0, putR.stderr);
      const getR = await runAws(server, ['s3api', 'get-bucket-policy', '--bucket', bucket, '--output', 'json'], env);
      assert.equal(getR.code, 0, getR.stderr);
      assert.equal((JSON.parse(getR.stdout) as { Policy: string }).Policy, text);
      await put(bucket, 'shared');
      await s3r.send(new GetObjectCommand({ Bucket: bucket, Key: 'shared' }));
      const badFile = join(work, `${bucket}-bad.json`);
      writeFileSync(badFile, policyText({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' }));
      const bad = await runAws(server, ['s3api', 'put-bucket-policy', '--bucket', bucket, '--policy', `file://${badFile}`], env);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /MalformedPolicy/);
      assert.match(bad.stderr, /Policy has invalid resource/);
      const delR = await runAws(server, ['s3api', 'delete-bucket-policy', '--bucket', bucket], env);
      assert.equal(delR.code, 0, delR.stderr);
      await denied(s3r.send(new GetObjectCommand({ Bucket: bucket, Key: 'shared' })));
    });
  });
}

describe('aws:SourceIp behind a trusted proxy (X-Forwarded-For)', () => {
  let proxied: TestServer;
  let direct: TestServer;
  const bucket = `xff-${process.pid}`;
  const md5 = (s: string) => createHash('md5').update(s).digest('base64');

  before(async () => {
    const started = await Promise.allSettled([
      startServer({ http: true, extraArgs: ['--trust-proxy', '127.0.0.1/32'] }),
      startServer({ http: true }),
    ]);
    [proxied, direct] = started.map((r) => (r.status === 'fulfilled' ? r.value : undefined)) as [TestServer, TestServer];
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*`, Condition: { NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } } }],
    });
    for (const s of [proxied, direct]) {
      const c = s3Client(s);
      await c.send(new CreateBucketCommand({ Bucket: bucket }));
      await c.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'v' }));
      c.destroy();
      // By hand, with Content-MD5, to show the raw protocol works as well as the SDK.
      const r = await signedRequest(s, s.root, { method: 'PUT', path: `/${bucket}`, query: [['policy', '']], body: Buffer.from(policy), headers: { 'content-md5': md5(policy) } });
      assert.equal(r.status, 204, r.text);
    }
  });
  after(async () => {
    await proxied?.stop();
    await direct?.stop();
  });

  const get = (s: TestServer, xff?: string) =>
    signedRequest(s, s.root, { method: 'GET', path: `/${bucket}/k`, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } });

  it('the client is the last address a trusted proxy forwarded for', async () => {
    assert.equal((await get(proxied)).status, 403, 'the proxy itself (127.0.0.1) is outside the range');
    assert.equal((await get(proxied, '203.0.113.9')).status, 200);
    assert.equal((await get(proxied, '198.51.100.1, 203.0.113.9')).status, 200, 'the last hop counts, not what the client claims');
    assert.equal((await get(proxied, '203.0.113.9, 198.51.100.1')).status, 403, 'an untrusted last hop is the client');
  });

  it('without --trust-proxy, X-Forwarded-For is ignored', async () => {
    assert.equal((await get(direct, '203.0.113.9')).status, 403);
  });

  it('PutBucketPolicy without Content-MD5 or a checksum is refused, as on Amazon', async () => {
    const policy = '{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::' + bucket + '/*"}}';
    const r = await signedRequest(direct, direct.root, { method: 'PUT', path: `/${bucket}`, query: [['policy', '']], body: Buffer.from(policy) });
    assert.equal(r.status, 400);
    assert.equal(xmlCode(r.text), 'InvalidRequest');
  });
});
