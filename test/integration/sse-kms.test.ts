/**
 * SSE-KMS (`x-amz-server-side-encryption: aws:kms`) on the built-in KMS (issue 4): Amazon's
 * headers and KMS.* errors (../shared/spec/aws-sse.md §5), keys that can be disabled and
 * scheduled for deletion, multipart, conversions by copy, and no plaintext on disk.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ChecksumAlgorithm,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  CancelKeyDeletionCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  ScheduleKeyDeletionCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { bodyBytes, bucketName, clientEnv, runPython, s3Client, signedRequest, startServer, type TestServer } from './harness.js';
import { md5Hex, pseudoRandomBytes } from './fixtures/checksums.js';
import { A, H_SSE, MiB, assertS3Error, blobFiles, newBlobsOf, sdkCopySourceSse, sdkSse } from './fixtures/sse-c.js';
import { H_BUCKET_KEY, H_CONTEXT, H_KMS_KEY, contextHeader, createKey, kmsClient, parseContext } from './fixtures/sse-kms.js';

const MARKER = 'SSE-KMS-PLAINTEXT-MARKER ';
const marker = (n: number) => Buffer.from(MARKER.repeat(Math.ceil(n / MARKER.length)).slice(0, n));

describe('SSE-KMS objects (aws:kms) on the built-in KMS, over HTTPS', () => {
  let server: TestServer;
  let s3: S3Client;
  let kms: KMSClient;
  let bucket: string;
  let key1: { id: string; arn: string };
  let key2: { id: string; arn: string };
  const objArn = (key: string) => `arn:aws:s3:::${bucket}/${key}`;

  before(async () => {
    server = await startServer({ extraArgs: ['--kms-alias', 'testkey-1'] });
    s3 = s3Client(server);
    kms = kmsClient(server, server.root);
    bucket = bucketName('ssekms');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    key1 = await createKey(kms, 'sse-kms test key 1');
    key2 = await createKey(kms, 'sse-kms test key 2');
  });
  after(async () => {
    s3?.destroy();
    kms?.destroy();
    await server?.stop();
  });

  const get = async (Key: string, extra: Record<string, unknown> = {}) => {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key, ...extra }));
    return { res, body: await bodyBytes(res.Body) };
  };
  const raw = (method: string, key: string, headers: Record<string, string> = {}, body?: Buffer) =>
    signedRequest(server, server.root, { method, path: `/${bucket}/${key}`, headers, ...(body === undefined ? {} : { body }) });

  it("PUT, GET, HEAD and ranges with a key id, its ARN, an alias, or (an extension for Ceph's s3-tests) an alias's bare name: the ARN in every answer, opaque ETags", async () => {
    const body = marker(MiB + 11);
    const arnOfAlias = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/testkey-1' }))).KeyMetadata?.Arn;
    for (const [name, ref, arn] of [['by-id', key1.id, key1.arn], ['by-arn', key1.arn, key1.arn], ['by-alias', 'alias/testkey-1', arnOfAlias], ['by-bare-alias-name', 'testkey-1', arnOfAlias]] as const) {
      const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: name, Body: body, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: ref }));
      assert.equal(put.ServerSideEncryption, 'aws:kms');
      assert.equal(put.SSEKMSKeyId, arn, `${name}: responses name the key by its full ARN (§5.2)`);
      assert.equal(put.BucketKeyEnabled, undefined, 'bucket-key-enabled only when true');
      assert.notEqual(put.ETag, `"${md5Hex(body)}"`, 'an SSE-KMS ETag is not the MD5 of the plaintext (§5.4)');
      const { res, body: got } = await get(name);
      assert.ok(got.equals(body));
      assert.equal(res.ServerSideEncryption, 'aws:kms');
      assert.equal(res.SSEKMSKeyId, arn);
      assert.equal(res.ETag, put.ETag);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: name }));
      assert.equal(head.SSEKMSKeyId, arn);
      assert.equal(head.ContentLength, body.length);
      const range = await get(name, { Range: 'bytes=65530-65545' });
      assert.ok(range.body.equals(body.subarray(65530, 65546)));
    }
    const again = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'by-id', Body: body, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key1.id }));
    const first = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'by-arn' }));
    assert.notEqual(again.ETag, first.ETag, 'the same body uploaded twice gets two ETags (§5.4)');
  });

  it('without a key id the AWS-managed aws/s3 key is used, created on first use', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'default-key', Body: 'x', ServerSideEncryption: 'aws:kms' }));
    const managed = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/s3' }))).KeyMetadata;
    assert.equal(managed?.KeyManager, 'AWS');
    assert.equal(put.SSEKMSKeyId, managed?.Arn);
  });

  it('the encryption context: echoed with aws:s3:arn added on PUT, not on GET; a bad one is 400 InvalidArgument', async () => {
    const res = await raw('PUT', 'ctx', { [H_SSE]: 'aws:kms', [H_KMS_KEY]: key1.id, [H_CONTEXT]: contextHeader({ project: 'blue' }) }, Buffer.from('ctx body'));
    assert.equal(res.status, 200, res.body.toString());
    assert.deepEqual(parseContext(res.headers[H_CONTEXT] as string), { project: 'blue', 'aws:s3:arn': objArn('ctx') });
    const getRes = await raw('GET', 'ctx');
    assert.equal(getRes.body.toString(), 'ctx body');
    assert.equal(getRes.headers[H_CONTEXT], undefined, 'GET does not echo the context (§5.2)');
    for (const bad of ['not base64!', Buffer.from('[1,2]').toString('base64'), Buffer.from('{"a":1}').toString('base64')]) {
      const r = await raw('PUT', 'ctx-bad', { [H_SSE]: 'aws:kms', [H_CONTEXT]: bad }, Buffer.from('x'));
      assertS3Error(r, { status: 400, code: 'InvalidArgument' }, `context ${bad}`);
    }
    assert.equal((await raw('HEAD', 'ctx-bad')).status, 404, 'nothing stored');
  });

  it('bucket key enabled: the header is answered on PUT, HEAD and GET', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'bk', Body: 'bk', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key1.id, BucketKeyEnabled: true }));
    assert.equal(put.BucketKeyEnabled, true);
    const head = await raw('HEAD', 'bk');
    assert.equal(head.headers[H_BUCKET_KEY], 'true');
    assert.equal((await get('bk')).body.toString(), 'bk');
  });

  it('unknown or malformed key ids: 400 KMS.NotFoundException with Amazon\'s messages, nothing stored', async () => {
    const unknownId = '11111111-2222-3333-4444-555555555555';
    const cases = [
      ['fake-key-id', "Invalid keyId 'fake-key-id'"],
      [unknownId, `Key 'arn:aws:kms:us-east-1:000000000000:key/${unknownId}' does not exist`],
    ] as const;
    for (const [ref, message] of cases) {
      const r = await raw('PUT', 'nf', { [H_SSE]: 'aws:kms', [H_KMS_KEY]: ref }, Buffer.from('x'));
      assertS3Error(r, { status: 400, code: 'KMS.NotFoundException', message }, ref);
    }
    assert.equal((await raw('HEAD', 'nf')).status, 404);
    const r = await raw('PUT', 'nf', { [H_SSE]: 'AES256', [H_KMS_KEY]: key1.id }, Buffer.from('x'));
    assertS3Error(r, { status: 400, code: 'InvalidArgument', message: 'Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms' });
    const onGet = await raw('GET', 'by-id', { [H_SSE]: 'aws:kms' });
    assert.equal(onGet.status, 400, 'SSE headers belong to writes (§5.3)');
  });

  it('a disabled key blocks writes and reads of its objects; enabling it restores them, nothing lost', async () => {
    const k = await createKey(kms, 'to disable');
    const body = marker(200_000);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'dis', Body: body, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: k.id }));
    await kms.send(new DisableKeyCommand({ KeyId: k.id }));
    const message = `${k.arn} is disabled.`;
    assertS3Error(await raw('GET', 'dis'), { status: 400, code: 'KMS.DisabledException', message }, 'GET');
    assertS3Error(await raw('PUT', 'dis2', { [H_SSE]: 'aws:kms', [H_KMS_KEY]: k.id }, Buffer.from('x')), { status: 400, code: 'KMS.DisabledException', message }, 'PUT');
    assert.equal((await raw('HEAD', 'dis')).status, 400);
    await assert.rejects(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'dis-copy', CopySource: `${bucket}/dis` })));
    await kms.send(new EnableKeyCommand({ KeyId: k.id }));
    assert.ok((await get('dis')).body.equals(body));
  });

  it('a key pending deletion blocks reads with KMS.KMSInvalidStateException; cancelling restores them', async () => {
    const k = await createKey(kms, 'to delete');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'pend', Body: 'pending', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: k.arn }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: k.id, PendingWindowInDays: 7 }));
    assertS3Error(await raw('GET', 'pend'), { status: 400, code: 'KMS.KMSInvalidStateException', message: `${k.arn} is pending deletion.` });
    await kms.send(new CancelKeyDeletionCommand({ KeyId: k.id }));
    await kms.send(new EnableKeyCommand({ KeyId: k.id }));
    assert.equal((await get('pend')).body.toString(), 'pending');
  });

  it('multipart: CreateMPU, UploadPart, UploadPartCopy and Complete answer the KMS headers; the object reads back', async () => {
    const p1 = pseudoRandomBytes(5 * MiB, 1);
    const p2 = marker(70_000);
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key2.id, ChecksumAlgorithm: ChecksumAlgorithm.CRC32 }));
    assert.equal(created.ServerSideEncryption, 'aws:kms');
    assert.equal(created.SSEKMSKeyId, key2.arn);
    const u1 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'mp', UploadId: created.UploadId, PartNumber: 1, Body: p1, ChecksumAlgorithm: ChecksumAlgorithm.CRC32 }));
    assert.equal(u1.ServerSideEncryption, 'aws:kms');
    assert.equal(u1.SSEKMSKeyId, key2.arn);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'mp-src', Body: p2, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key1.id }));
    const u2 = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'mp', UploadId: created.UploadId, PartNumber: 2, CopySource: `${bucket}/mp-src` }));
    assert.equal(u2.SSEKMSKeyId, key2.arn, 'a copied part takes the upload\'s key, not the source\'s');
    const done = await s3.send(new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: 'mp',
      UploadId: created.UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: u1.ETag, ChecksumCRC32: u1.ChecksumCRC32 }, { PartNumber: 2, ETag: u2.CopyPartResult?.ETag, ChecksumCRC32: u2.CopyPartResult?.ChecksumCRC32 }] },
    }));
    assert.equal(done.ServerSideEncryption, 'aws:kms');
    assert.equal(done.SSEKMSKeyId, key2.arn);
    assert.match(done.ETag ?? '', /-2"$/);
    const { res, body } = await get('mp', { ChecksumMode: 'ENABLED' });
    assert.ok(body.equals(Buffer.concat([p1, p2])));
    assert.equal(res.SSEKMSKeyId, key2.arn);
    assert.equal(res.PartsCount ?? 2, 2);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'mp', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ChecksumCRC32, done.ChecksumCRC32, 'sealed checksums are opened for a reader (§5.5)');
  });

  it('conversions by copy: KMS → SSE-S3 (MD5 ETag again), → another KMS key, → SSE-C, and SSE-C/SSE-S3 → KMS', async () => {
    const body = marker(150_000);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'conv', Body: body, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key1.id }));
    const toS3 = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'conv-s3', CopySource: `${bucket}/conv`, ServerSideEncryption: 'AES256' }));
    assert.equal(toS3.ServerSideEncryption, 'AES256');
    assert.equal(toS3.CopyObjectResult?.ETag, `"${md5Hex(body)}"`, 'copy KMS → SSE-S3: the ETag is the MD5 again (§5.4)');
    const toKey2 = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'conv-k2', CopySource: `${bucket}/conv`, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key2.id }));
    assert.equal(toKey2.SSEKMSKeyId, key2.arn);
    const toC = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'conv-c', CopySource: `${bucket}/conv`, ...sdkSse(A) }));
    assert.equal(toC.SSECustomerAlgorithm, 'AES256');
    const back = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'conv-back', CopySource: `${bucket}/conv-c`, ...sdkCopySourceSse(A), ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key1.arn }));
    assert.equal(back.SSEKMSKeyId, key1.arn);
    const fromS3 = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'conv-from-s3', CopySource: `${bucket}/conv-s3`, ServerSideEncryption: 'aws:kms' }));
    assert.equal(fromS3.ServerSideEncryption, 'aws:kms');
    for (const k of ['conv-s3', 'conv-k2', 'conv-back', 'conv-from-s3']) assert.ok((await get(k)).body.equals(body), k);
    assert.ok((await get('conv-c', sdkSse(A))).body.equals(body));
    const inPlace = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'conv', CopySource: `${bucket}/conv`, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key2.id }));
    assert.equal(inPlace.SSEKMSKeyId, key2.arn, 'copy onto itself to another key (§8.2: encryption changes)');
    assert.ok((await get('conv')).body.equals(body));
  });

  it('DSSE-KMS (aws:kms:dsse): two layers on disk (32 bytes per 64 KiB package), ranges and multipart read back', async () => {
    const body = marker(3 * 65536 + 5);
    const blobs = await newBlobsOf(server, () =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'dsse', Body: body, ServerSideEncryption: 'aws:kms:dsse', SSEKMSKeyId: key1.id, BucketKeyEnabled: true })).then((put) => {
        assert.equal(put.ServerSideEncryption, 'aws:kms:dsse');
        assert.equal(put.SSEKMSKeyId, key1.arn);
        assert.equal(put.BucketKeyEnabled, undefined, 'bucket keys do not apply to DSSE-KMS (§5.1)');
      }),
    );
    assert.equal(blobs.length, 1);
    assert.equal((await stat(blobs[0]!)).size, body.length + 4 * 32, 'each of the 4 packages carries two tags');
    const { res, body: got } = await get('dsse');
    assert.equal(res.ServerSideEncryption, 'aws:kms:dsse');
    assert.ok(got.equals(body));
    for (const [a, b] of [[0, 0], [65535, 65536], [100_000, 196_612]] as const) {
      assert.ok((await get('dsse', { Range: `bytes=${a}-${b}` })).body.equals(body.subarray(a, b + 1)), `${a}-${b}`);
    }
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'dsse-mp', ServerSideEncryption: 'aws:kms:dsse' }));
    const p1 = pseudoRandomBytes(5 * MiB, 3);
    const u1 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'dsse-mp', UploadId: created.UploadId, PartNumber: 1, Body: p1 }));
    assert.equal(u1.ServerSideEncryption, 'aws:kms:dsse');
    const u2 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'dsse-mp', UploadId: created.UploadId, PartNumber: 2, Body: body }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'dsse-mp', UploadId: created.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: u1.ETag }, { PartNumber: 2, ETag: u2.ETag }] } }));
    assert.ok((await get('dsse-mp')).body.equals(Buffer.concat([p1, body])));
    const toS3 = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'dsse-to-s3', CopySource: `${bucket}/dsse` }));
    assert.ok((await get('dsse-to-s3')).body.equals(body), `copied without headers: ${String(toS3.ServerSideEncryption)}`);
  });

  it('a bucket whose default is aws:kms (with its key and bucket key) or aws:kms:dsse encrypts header-less PUT, copy and multipart with it', async () => {
    const kmsBucket = bucketName('kmsdefault');
    await s3.send(new CreateBucketCommand({ Bucket: kmsBucket }));
    await s3.send(new PutBucketEncryptionCommand({
      Bucket: kmsBucket,
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'alias/testkey-1' }, BucketKeyEnabled: true }] },
    }));
    const aliasArn = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/testkey-1' }))).KeyMetadata?.Arn;
    const put = await s3.send(new PutObjectCommand({ Bucket: kmsBucket, Key: 'plain-put', Body: 'by default' }));
    assert.equal(put.ServerSideEncryption, 'aws:kms');
    assert.equal(put.SSEKMSKeyId, aliasArn, "the bucket default's key");
    assert.equal(put.BucketKeyEnabled, true, "the rule's BucketKeyEnabled applies");
    const noBucketKey = await s3.send(new PutObjectCommand({ Bucket: kmsBucket, Key: 'no-bk', Body: 'x', BucketKeyEnabled: false }));
    assert.equal(noBucketKey.BucketKeyEnabled, undefined, 'the request header overrides the rule');
    const asked = await s3.send(new PutObjectCommand({ Bucket: kmsBucket, Key: 'asked-s3', Body: 'x', ServerSideEncryption: 'AES256' }));
    assert.equal(asked.ServerSideEncryption, 'AES256', 'request headers win over the default');
    const otherKey = await s3.send(new PutObjectCommand({ Bucket: kmsBucket, Key: 'other-key', Body: 'x', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key2.id }));
    assert.equal(otherKey.SSEKMSKeyId, key2.arn);
    const copied = await s3.send(new CopyObjectCommand({ Bucket: kmsBucket, Key: 'copied', CopySource: `${bucket}/by-id` }));
    assert.equal(copied.SSEKMSKeyId, aliasArn, "a copy takes the destination bucket's default, not the source's key");
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: kmsBucket, Key: 'mp' }));
    assert.equal(created.SSEKMSKeyId, aliasArn);
    const head = await s3.send(new HeadObjectCommand({ Bucket: kmsBucket, Key: 'plain-put' }));
    assert.equal(head.SSEKMSKeyId, aliasArn);
    assert.equal((await bodyBytes((await s3.send(new GetObjectCommand({ Bucket: kmsBucket, Key: 'plain-put' }))).Body)).toString(), 'by default');

    await s3.send(new PutBucketEncryptionCommand({
      Bucket: kmsBucket,
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms:dsse' }, BucketKeyEnabled: true }] },
    }));
    const dsse = await s3.send(new PutObjectCommand({ Bucket: kmsBucket, Key: 'dsse-default', Body: 'two layers' }));
    assert.equal(dsse.ServerSideEncryption, 'aws:kms:dsse');
    assert.equal(dsse.SSEKMSKeyId, (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/s3' }))).KeyMetadata?.Arn, 'no key id in the rule: aws/s3');
    assert.equal(dsse.BucketKeyEnabled, undefined);
  });

  it('boto3: ServerSideEncryption=aws:kms with SSEKMSKeyId round-trips', async () => {
    const script = `
import boto3, os, json
s3 = boto3.client('s3', endpoint_url=os.environ['STRONGBOX_URL'])
put = s3.put_object(Bucket='${bucket}', Key='boto', Body=b'from boto3', ServerSideEncryption='aws:kms', SSEKMSKeyId='${key2.id}')
got = s3.get_object(Bucket='${bucket}', Key='boto')
print(json.dumps({'put': put.get('SSEKMSKeyId'), 'sse': got.get('ServerSideEncryption'), 'get': got.get('SSEKMSKeyId'), 'body': got['Body'].read().decode()}))
`;
    const out = await runPython(script, { ...clientEnv(server, server.root), STRONGBOX_URL: server.url });
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), { put: key2.arn, sse: 'aws:kms', get: key2.arn, body: 'from boto3' });
  });

  it('no stored file holds the plaintext, and the data key is stored only as KMS ciphertext', async () => {
    const needle = Buffer.from(MARKER.trim());
    for (const f of [...(await blobFiles(server)), join(server.dataDir, 'meta.db'), join(server.dataDir, 'meta.db-wal')]) {
      const bytes = await readFile(f).catch(() => Buffer.alloc(0));
      assert.equal(bytes.indexOf(needle), -1, `${f} holds plaintext`);
    }
  });
});

describe('SSE-KMS over plain HTTP', () => {
  it('is refused (400 InvalidRequest) as on Amazon, and allowed with --allow-insecure-sse-c for tests', async () => {
    const strict = await startServer({ http: true });
    const lenient = await startServer({ http: true, extraArgs: ['--allow-insecure-sse-c'] });
    try {
      for (const [server, ok] of [[strict, false], [lenient, true]] as const) {
        const s3 = s3Client(server);
        const bucket = bucketName('kmshttp');
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
        const r = await signedRequest(server, server.root, { method: 'PUT', path: `/${bucket}/k`, headers: { [H_SSE]: 'aws:kms' }, body: Buffer.from('x') });
        if (ok) assert.equal(r.status, 200, r.body.toString());
        else assertS3Error(r, { status: 400, code: 'InvalidRequest', message: 'Requests specifying Server Side Encryption with AWS KMS managed keys must be made over a secure connection.' });
        s3.destroy();
      }
    } finally {
      await strict.stop();
      await lenient.stop();
    }
  });
});

describe('SSE-KMS across a restart', () => {
  it('objects stay readable after the server restarts', async () => {
    const first = await startServer({});
    const s3 = s3Client(first);
    const kms = kmsClient(first, first.root);
    const bucket = bucketName('kmsrestart');
    const body = marker(300_000);
    let second: TestServer | undefined;
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      const k = await createKey(kms, 'restart');
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'r', Body: body, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: k.id }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'r-default', Body: body, ServerSideEncryption: 'aws:kms' }));
      s3.destroy();
      kms.destroy();
      await first.kill();
      second = await startServer({ dataDir: first.dataDir, root: first.root });
      const s3b = s3Client(second);
      for (const key of ['r', 'r-default']) {
        const res = await s3b.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        assert.ok((await bodyBytes(res.Body)).equals(body), key);
      }
      s3b.destroy();
    } finally {
      await second?.stop();
      await first.kill();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});
