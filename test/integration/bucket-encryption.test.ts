/**
 * Bucket default encryption (issue 4): Put/Get/DeleteBucketEncryption with Amazon's XML and
 * errors (../shared/spec/aws-sse.md §6), SSE-S3 for writes without SSE headers (§4), the SSE-C
 * block (BlockedEncryptionTypes, §3) and `--block-sse-c-on-new-buckets`, `--default-encryption
 * none`, and the copy rules of §8.1 and §8.2. KMS defaults are configured and read back only:
 * KMS writes belong to the SSE-KMS work.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketEncryptionCommand,
  GetBucketEncryptionCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
  type ServerSideEncryptionConfiguration,
} from '@aws-sdk/client-s3';
import {
  bodyBytes,
  bucketName,
  clientEnv,
  expectS3Error,
  runAws,
  runPython,
  s3Client,
  signedRequest,
  startServer,
  type RawResponse,
  type TestServer,
} from './harness.js';
import { md5B64, md5Hex, pseudoRandomBytes } from './fixtures/checksums.js';
import {
  A,
  B,
  H_ALG,
  H_KEY,
  H_MD5,
  MiB,
  assertS3Error,
  copySourceSseHeaders,
  newBlobsOf,
  sdkCopySourceSse,
  sdkSse,
  sseHeaders,
} from './fixtures/sse-c.js';

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const MALFORMED = 'The XML you provided was not well-formed or did not validate against our published schema';
const KMS_KEY_WITH_AES = 'a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse';
const SELF_COPY =
  "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.";
const ARN = 'arn:aws:kms:us-east-1:000000000000:key/6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';

/** Bodies above 64 KiB get a blob file (smaller ones are stored inline in the metadata). */
const markerBody = (n: number) => Buffer.from('BUCKET-DEFAULT-PLAINTEXT-MARKER '.repeat(Math.ceil(n / 32)).slice(0, n));
const MARKER = Buffer.from('BUCKET-DEFAULT-PLAINTEXT-MARKER');

const aes256: ServerSideEncryptionConfiguration = { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] };
const blockSseC: ServerSideEncryptionConfiguration = {
  Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } }],
};
const unblock: ServerSideEncryptionConfiguration = {
  Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BlockedEncryptionTypes: { EncryptionType: ['NONE'] } }],
};

/** A configuration document as a client would send it. */
const configXml = (rules: string): string => `<ServerSideEncryptionConfiguration xmlns="${XMLNS}">${rules}</ServerSideEncryptionConfiguration>`;

/** One server, one client, and helpers for its buckets. */
function useServer(extraArgs: readonly string[] = []) {
  const env = {} as { server: TestServer; s3: S3Client };
  before(async () => {
    env.server = await startServer({ extraArgs });
    env.s3 = s3Client(env.server);
  });
  after(async () => {
    env.s3?.destroy();
    await env.server?.stop();
  });
  const newBucket = async (prefix = 'enc') => {
    const b = bucketName(prefix);
    await env.s3.send(new CreateBucketCommand({ Bucket: b }));
    return b;
  };
  const getConfig = async (Bucket: string) => (await env.s3.send(new GetBucketEncryptionCommand({ Bucket }))).ServerSideEncryptionConfiguration;
  const putConfig = (Bucket: string, ServerSideEncryptionConfiguration: ServerSideEncryptionConfiguration) =>
    env.s3.send(new PutBucketEncryptionCommand({ Bucket, ServerSideEncryptionConfiguration }));
  /** A signed PUT ?encryption with the given body and (by default) its Content-MD5. */
  const rawPutConfig = (bucket: string, body: string, headers?: Record<string, string>): Promise<RawResponse> =>
    signedRequest(env.server, env.server.root, {
      method: 'PUT',
      path: `/${bucket}`,
      query: [['encryption', '']],
      headers: headers ?? { 'content-md5': md5B64(Buffer.from(body)) },
      body: Buffer.from(body),
    });
  const raw = (method: string, path: string, headers: Record<string, string> = {}, body?: Buffer, query: [string, string][] = []) =>
    signedRequest(env.server, env.server.root, { method, path, query, headers, ...(body === undefined ? {} : { body }) });
  return { env, newBucket, getConfig, putConfig, rawPutConfig, raw };
}

/** Asserts that none of `files` holds the plaintext marker. */
async function assertNoPlaintext(files: readonly string[], what: string): Promise<void> {
  assert.ok(files.length > 0, `${what}: a blob file was written`);
  for (const f of files) assert.equal((await readFile(f)).indexOf(MARKER), -1, `${what}: plaintext found in ${f}`);
}

describe('Put/Get/DeleteBucketEncryption', () => {
  const { env, newBucket, getConfig, putConfig, rawPutConfig, raw } = useServer();

  it('a bucket never configured answers the SSE-S3 default, in the S3 namespace', async () => {
    const b = await newBucket();
    const res = await raw('GET', `/${b}`, {}, undefined, [['encryption', '']]);
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, new RegExp(`^<\\?xml version="1.0" encoding="UTF-8"\\?>\\n<ServerSideEncryptionConfiguration xmlns="${XMLNS.replace(/\./g, '\\.')}">`));
    assert.ok(
      res.text.includes('<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule>'),
      res.text,
    );
    assert.ok(!res.text.includes('BlockedEncryptionTypes'), 'nothing is blocked');
    assert.deepEqual(await getConfig(b), { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }] });
  });

  it('round trips: AES256, aws:kms with an id (echoed as stored), aws:kms without a key, DSSE with an ARN', async () => {
    const b = await newBucket();
    const put = await putConfig(b, aes256);
    assert.equal(put.$metadata.httpStatusCode, 200);
    assert.deepEqual(await getConfig(b), { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }] });

    await putConfig(b, { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'my-key-id' }, BucketKeyEnabled: true }] });
    assert.deepEqual(await getConfig(b), {
      Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'my-key-id' }, BucketKeyEnabled: true }],
    });
    // The key is not looked up (§5.3): a key that does not exist is accepted here.
    await putConfig(b, { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] });
    const noKey = await raw('GET', `/${b}`, {}, undefined, [['encryption', '']]);
    assert.ok(!noKey.text.includes('KMSMasterKeyID'), 'no key id: the element is omitted');
    assert.deepEqual(await getConfig(b), { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: false }] });

    await putConfig(b, { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms:dsse', KMSMasterKeyID: ARN } }] });
    assert.deepEqual(await getConfig(b), {
      Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms:dsse', KMSMasterKeyID: ARN }, BucketKeyEnabled: false }],
    });
  });

  it('BlockedEncryptionTypes: SSE-C is shown while blocked, kept when a rule leaves it out, NONE lifts it', async () => {
    const b = await newBucket();
    await putConfig(b, blockSseC);
    const res = await raw('GET', `/${b}`, {}, undefined, [['encryption', '']]);
    assert.ok(res.text.includes('<BucketKeyEnabled>false</BucketKeyEnabled><BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes></Rule>'), res.text);
    assert.deepEqual((await getConfig(b))?.Rules?.[0]?.BlockedEncryptionTypes, { EncryptionType: ['SSE-C'] });
    await putConfig(b, { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'k1' } }] });
    assert.deepEqual((await getConfig(b))?.Rules?.[0]?.BlockedEncryptionTypes, { EncryptionType: ['SSE-C'] }, 'still blocked');
    await putConfig(b, unblock);
    assert.equal((await getConfig(b))?.Rules?.[0]?.BlockedEncryptionTypes, undefined);
  });

  it('DeleteBucketEncryption: 204, twice; the bucket is back to the SSE-S3 default', async () => {
    const b = await newBucket();
    await putConfig(b, { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'k' }, BucketKeyEnabled: true, BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } }] });
    for (let i = 0; i < 2; i++) {
      const del = await env.s3.send(new DeleteBucketEncryptionCommand({ Bucket: b }));
      assert.equal(del.$metadata.httpStatusCode, 204);
    }
    assert.deepEqual(await getConfig(b), { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }] });
    const put = await env.s3.send(new PutObjectCommand({ Bucket: b, Key: 'after-delete', Body: 'x', ...sdkSse(A) }));
    assert.equal(put.SSECustomerKeyMD5, A.md5, 'SSE-C is allowed again');
  });

  it("validation errors with Amazon's codes and messages (SDK)", async () => {
    const b = await newBucket();
    const err = (await expectS3Error(
      putConfig(b, { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256', KMSMasterKeyID: 'k' } }] }),
      'InvalidArgument',
      400,
    )) as { message: string; ArgumentName?: string };
    assert.equal(err.message, KMS_KEY_WITH_AES);
    assert.equal(err.ArgumentName, 'ApplyServerSideEncryptionByDefault');
    const two = (await expectS3Error(putConfig(b, { Rules: [aes256.Rules![0]!, aes256.Rules![0]!] }), 'MalformedXML', 400)) as { message: string };
    assert.equal(two.message, MALFORMED);
    await expectS3Error(putConfig(b, { Rules: [] }), 'MalformedXML', 400);
    await expectS3Error(putConfig(b, { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:fsx' } }] }), 'MalformedXML', 400);
    const missing = (await expectS3Error(putConfig(bucketName('absent'), aes256), 'NoSuchBucket', 404)) as { BucketName?: string };
    assert.match(missing.BucketName ?? '', /^absent-/);
    await expectS3Error(env.s3.send(new GetBucketEncryptionCommand({ Bucket: bucketName('absent') })), 'NoSuchBucket', 404);
    await expectS3Error(env.s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucketName('absent') })), 'NoSuchBucket', 404);
    assert.deepEqual(await getConfig(b), { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }] }, 'nothing was stored');
  });

  it('validation errors on raw requests: no Rule, two Rules, bad documents, the required checksum', async () => {
    const b = await newBucket();
    const rule = '<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>';
    const malformed = { status: 400, code: 'MalformedXML', message: MALFORMED };
    assertS3Error(await rawPutConfig(b, configXml('')), malformed, 'no Rule');
    assertS3Error(await rawPutConfig(b, configXml(rule + rule)), malformed, 'two Rules');
    assertS3Error(await rawPutConfig(b, configXml('<Rule><BucketKeyEnabled>true</BucketKeyEnabled></Rule>')), malformed, 'no default');
    assertS3Error(await rawPutConfig(b, configXml('<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aes:kms</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>')), malformed, 'algorithm');
    assertS3Error(await rawPutConfig(b, configXml(rule.replace('</Rule>', '<BlockedEncryptionTypes><EncryptionType>SSE-KMS</EncryptionType></BlockedEncryptionTypes></Rule>'))), malformed, 'blocked type');
    assertS3Error(await rawPutConfig(b, configXml(rule.replace('</Rule>', '<BucketKeyEnabled>maybe</BucketKeyEnabled></Rule>'))), malformed, 'boolean');
    assertS3Error(await rawPutConfig(b, '<ServerSideEncryptionConfiguration><Rule>'), malformed, 'not well-formed');
    assertS3Error(await rawPutConfig(b, `<Other xmlns="${XMLNS}">${rule}</Other>`), malformed, 'root element');
    assertS3Error(
      await rawPutConfig(b, configXml('<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>arn:x</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule>')),
      { status: 400, code: 'InvalidArgument', message: KMS_KEY_WITH_AES, argumentName: 'ApplyServerSideEncryptionByDefault' },
      'key id with AES256',
    );
    assertS3Error(
      await rawPutConfig(b, configXml(rule), {}),
      { status: 400, code: 'InvalidRequest', message: 'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Bucket Encryption requests' },
      'no checksum',
    );
    assertS3Error(await rawPutConfig(b, configXml(rule), { 'content-md5': md5B64(Buffer.from('other')) }), { status: 400, code: 'BadDigest' }, 'wrong MD5');
    assertS3Error(await rawPutConfig(b, configXml(rule), { 'x-amz-checksum-crc32': 'AAAAAA==' }), { status: 400, code: 'BadDigest' }, 'wrong CRC32');
    const ok = await rawPutConfig(b, configXml(rule.replace('</Rule>', '<BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes></Rule>')));
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.length, 0, 'PutBucketEncryption answers an empty body');
  });

  it('only the owner may read or change the configuration', async () => {
    const b = await newBucket();
    const other = s3Client(env.server, await env.server.addUser(`enc-other-${process.pid}`));
    try {
      await expectS3Error(other.send(new GetBucketEncryptionCommand({ Bucket: b })), 'AccessDenied', 403);
      await expectS3Error(other.send(new PutBucketEncryptionCommand({ Bucket: b, ServerSideEncryptionConfiguration: blockSseC })), 'AccessDenied', 403);
      await expectS3Error(other.send(new DeleteBucketEncryptionCommand({ Bucket: b })), 'AccessDenied', 403);
    } finally {
      other.destroy();
    }
  });
});

describe('SSE-S3 by default, SSE-C blocking and copies', () => {
  const { env, newBucket, putConfig, raw } = useServer();

  it('writes without SSE headers are SSE-S3: Put, CreateMPU, UploadPart, Complete, Copy and HEAD say AES256; no plaintext is stored', async () => {
    const b = await newBucket();
    const body = markerBody(300_000);
    const blobs = await newBlobsOf(env.server, async () => {
      const put = await env.s3.send(new PutObjectCommand({ Bucket: b, Key: 'put', Body: body }));
      assert.equal(put.ServerSideEncryption, 'AES256');
      assert.equal(put.ETag, `"${md5Hex(body)}"`, 'the SSE-S3 ETag is the MD5');
    });
    await assertNoPlaintext(blobs, 'PutObject');
    const head = await env.s3.send(new HeadObjectCommand({ Bucket: b, Key: 'put' }));
    assert.equal(head.ServerSideEncryption, 'AES256');
    const got = await env.s3.send(new GetObjectCommand({ Bucket: b, Key: 'put' }));
    assert.equal(got.ServerSideEncryption, 'AES256');
    assert.ok((await bodyBytes(got.Body)).equals(body));

    const mpBlobs = await newBlobsOf(env.server, async () => {
      const created = await env.s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'mp' }));
      assert.equal(created.ServerSideEncryption, 'AES256', 'CreateMPU without SSE echoes AES256 (§4)');
      const part = await env.s3.send(new UploadPartCommand({ Bucket: b, Key: 'mp', UploadId: created.UploadId, PartNumber: 1, Body: body }));
      assert.equal(part.ServerSideEncryption, 'AES256');
      const done = await env.s3.send(
        new CompleteMultipartUploadCommand({ Bucket: b, Key: 'mp', UploadId: created.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }),
      );
      assert.equal(done.ServerSideEncryption, 'AES256');
    });
    await assertNoPlaintext(mpBlobs, 'multipart');
    assert.equal((await env.s3.send(new HeadObjectCommand({ Bucket: b, Key: 'mp' }))).ServerSideEncryption, 'AES256');

    const copyBlobs = await newBlobsOf(env.server, async () => {
      const copy = await env.s3.send(new CopyObjectCommand({ Bucket: b, Key: 'copy', CopySource: `${b}/put` }));
      assert.equal(copy.ServerSideEncryption, 'AES256');
      assert.equal(copy.CopyObjectResult?.ETag, `"${md5Hex(body)}"`);
    });
    await assertNoPlaintext(copyBlobs, 'CopyObject');
    assert.equal((await env.s3.send(new HeadObjectCommand({ Bucket: b, Key: 'copy' }))).ServerSideEncryption, 'AES256');
  });

  it('keys of the full 1,024 bytes are encrypted too (SSE-S3 by default, and SSE-C)', async () => {
    const b = await newBucket();
    const long = '\u00e9'.repeat(512);
    const put = await env.s3.send(new PutObjectCommand({ Bucket: b, Key: long, Body: 'long key' }));
    assert.equal(put.ServerSideEncryption, 'AES256');
    assert.equal((await bodyBytes((await env.s3.send(new GetObjectCommand({ Bucket: b, Key: long }))).Body)).toString(), 'long key');
    await env.s3.send(new PutObjectCommand({ Bucket: b, Key: long, Body: 'long key C', ...sdkSse(A) }));
    const got = await env.s3.send(new GetObjectCommand({ Bucket: b, Key: long, ...sdkSse(A) }));
    assert.equal((await bodyBytes(got.Body)).toString(), 'long key C');
  });

  it('request headers win over the bucket default', async () => {
    const b = await newBucket();
    await putConfig(b, { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'not-used' }, BucketKeyEnabled: true }] });
    const sse = await env.s3.send(new PutObjectCommand({ Bucket: b, Key: 'aes', Body: 'x', ServerSideEncryption: 'AES256' }));
    assert.equal(sse.ServerSideEncryption, 'AES256');
    assert.equal(sse.SSEKMSKeyId, undefined);
    assert.equal(sse.BucketKeyEnabled, undefined, 'the bucket key belongs to the KMS default only');
    const c = await env.s3.send(new PutObjectCommand({ Bucket: b, Key: 'ssec', Body: 'x', ...sdkSse(A) }));
    assert.equal(c.SSECustomerKeyMD5, A.md5);
    assert.equal(c.ServerSideEncryption, undefined);
    const mp = await env.s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'mp', ServerSideEncryption: 'AES256' }));
    assert.equal(mp.ServerSideEncryption, 'AES256');
  });

  it('a bucket that blocks SSE-C: 403 on every write with SSE-C headers (even a malformed key); reads keep working', async () => {
    const b = await newBucket();
    const small = Buffer.from('written before the block');
    await env.s3.send(new PutObjectCommand({ Bucket: b, Key: 'old', Body: small, ...sdkSse(A) }));
    await env.s3.send(new PutObjectCommand({ Bucket: b, Key: 'plain', Body: small }));
    const upload = await env.s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'mp', ...sdkSse(A) }));
    const part1 = pseudoRandomBytes(5 * MiB, 7);
    const p1 = await env.s3.send(new UploadPartCommand({ Bucket: b, Key: 'mp', UploadId: upload.UploadId, PartNumber: 1, Body: part1, ...sdkSse(A) }));
    await putConfig(b, blockSseC);

    const denied = { status: 403, code: 'AccessDenied', message: 'Access Denied' };
    const badTriple = { [H_ALG]: 'AES256', [H_KEY]: 'not base64!', [H_MD5]: 'nope' };
    for (const [what, headers] of [['a valid key', sseHeaders(B)], ['a malformed key', badTriple], ['an algorithm alone', { [H_ALG]: 'AES256' }]] as const) {
      assertS3Error(await raw('PUT', `/${b}/new`, headers, Buffer.from('x')), denied, `PutObject with ${what}`);
      assertS3Error(await raw('PUT', `/${b}/copy`, { ...headers, 'x-amz-copy-source': `/${b}/plain` }), denied, `CopyObject with ${what}`);
      assertS3Error(await raw('POST', `/${b}/mp2`, headers, undefined, [['uploads', '']]), denied, `CreateMultipartUpload with ${what}`);
      const partQuery: [string, string][] = [['partNumber', '2'], ['uploadId', upload.UploadId!]];
      assertS3Error(await raw('PUT', `/${b}/mp`, headers, Buffer.from('x'), partQuery), denied, `UploadPart with ${what}`);
      assertS3Error(await raw('PUT', `/${b}/mp`, { ...headers, 'x-amz-copy-source': `/${b}/plain` }, undefined, partQuery), denied, `UploadPartCopy with ${what}`);
    }
    // The SDK sees the same.
    await expectS3Error(env.s3.send(new PutObjectCommand({ Bucket: b, Key: 'sdk', Body: 'x', ...sdkSse(B) })), 'AccessDenied', 403);
    assert.equal((await raw('HEAD', `/${b}/new`)).status, 404, 'nothing was stored');

    // Reads of SSE-C objects written before the block, and copy-source keys, still work.
    const got = await env.s3.send(new GetObjectCommand({ Bucket: b, Key: 'old', ...sdkSse(A) }));
    assert.ok((await bodyBytes(got.Body)).equals(small));
    assert.equal((await env.s3.send(new HeadObjectCommand({ Bucket: b, Key: 'old', ...sdkSse(A) }))).SSECustomerKeyMD5, A.md5);
    const fromOld = await raw('PUT', `/${b}/from-old`, { ...copySourceSseHeaders(A), 'x-amz-copy-source': `/${b}/old` });
    assert.equal(fromOld.status, 200, fromOld.text);
    assert.equal(fromOld.headers['x-amz-server-side-encryption'], 'AES256');
    // An upload started before the block completes with its parts.
    const done = await env.s3.send(
      new CompleteMultipartUploadCommand({ Bucket: b, Key: 'mp', UploadId: upload.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }] }, ...sdkSse(A) }),
    );
    assert.match(done.ETag ?? '', /-1"$/);
    // Writes without SSE-C are unaffected.
    assert.equal((await env.s3.send(new PutObjectCommand({ Bucket: b, Key: 'fine', Body: 'x' }))).ServerSideEncryption, 'AES256');
  });

  it('CopyObject takes the destination encryption from its headers or the destination bucket, never from the source (§8.1)', async () => {
    const src = await newBucket();
    const dst = await newBucket();
    const body = markerBody(100_000);
    await env.s3.send(new PutObjectCommand({ Bucket: src, Key: 'c', Body: body, ...sdkSse(A) }));
    const copy = await env.s3.send(new CopyObjectCommand({ Bucket: dst, Key: 'c', CopySource: `${src}/c`, ...sdkCopySourceSse(A) }));
    assert.equal(copy.ServerSideEncryption, 'AES256', 'an SSE-C source copied without a destination key becomes SSE-S3');
    assert.equal(copy.SSECustomerKeyMD5, undefined);
    assert.equal(copy.CopyObjectResult?.ETag, `"${md5Hex(body)}"`, 'with the MD5 ETag');
    const got = await env.s3.send(new GetObjectCommand({ Bucket: dst, Key: 'c' }));
    assert.equal(got.ServerSideEncryption, 'AES256');
    assert.ok((await bodyBytes(got.Body)).equals(body));
    // The destination bucket's block applies to the destination key; the source's bucket is irrelevant.
    await putConfig(dst, blockSseC);
    await expectS3Error(env.s3.send(new CopyObjectCommand({ Bucket: dst, Key: 'c2', CopySource: `${src}/c`, ...sdkCopySourceSse(A), ...sdkSse(B) })), 'AccessDenied', 403);
    const intoSrc = await env.s3.send(new CopyObjectCommand({ Bucket: src, Key: 'c2', CopySource: `${dst}/c`, ...sdkSse(B) }));
    assert.equal(intoSrc.SSECustomerKeyMD5, B.md5);
  });

  it('a copy onto itself: refused without changes, allowed with an explicit bucket configuration or when the encryption changes (§8.2)', async () => {
    const b = await newBucket();
    await env.s3.send(new PutObjectCommand({ Bucket: b, Key: 'self', Body: 'same', Metadata: { k: 'v' } }));
    const self = { Bucket: b, Key: 'self', CopySource: `${b}/self` };
    const refused = (await expectS3Error(env.s3.send(new CopyObjectCommand(self)), 'InvalidRequest', 400)) as { message: string };
    assert.equal(refused.message, SELF_COPY);
    // An SSE-C object copied onto itself without a destination key becomes SSE-S3: a change.
    await env.s3.send(new PutObjectCommand({ Bucket: b, Key: 'ssec', Body: 'same', ...sdkSse(A) }));
    const toS3 = await env.s3.send(new CopyObjectCommand({ Bucket: b, Key: 'ssec', CopySource: `${b}/ssec`, ...sdkCopySourceSse(A) }));
    assert.equal(toS3.ServerSideEncryption, 'AES256');
    // With an explicit default configuration (even plain AES256) the copy is allowed.
    await putConfig(b, aes256);
    const allowed = await env.s3.send(new CopyObjectCommand(self));
    assert.equal(allowed.ServerSideEncryption, 'AES256');
    const head = await env.s3.send(new HeadObjectCommand({ Bucket: b, Key: 'self' }));
    assert.deepEqual(head.Metadata, { k: 'v' });
    // Deleting the configuration makes it illegal again.
    await env.s3.send(new DeleteBucketEncryptionCommand({ Bucket: b }));
    await expectS3Error(env.s3.send(new CopyObjectCommand(self)), 'InvalidRequest', 400);
  });
});

describe('strongbox serve --block-sse-c-on-new-buckets', () => {
  const { env, newBucket, getConfig, putConfig, raw } = useServer(['--block-sse-c-on-new-buckets']);

  it('new buckets block SSE-C; header-less writes are SSE-S3; NONE lifts the block and DeleteBucketEncryption restores it', async () => {
    const b = await newBucket('blocknew');
    assert.deepEqual(await getConfig(b), {
      Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false, BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } }],
    });
    await expectS3Error(env.s3.send(new PutObjectCommand({ Bucket: b, Key: 'c', Body: 'x', ...sdkSse(A) })), 'AccessDenied', 403);
    assert.equal((await env.s3.send(new PutObjectCommand({ Bucket: b, Key: 'p', Body: 'x' }))).ServerSideEncryption, 'AES256');
    // The creation default is not an explicit configuration (§8.2).
    await expectS3Error(env.s3.send(new CopyObjectCommand({ Bucket: b, Key: 'p', CopySource: `${b}/p` })), 'InvalidRequest', 400);

    await putConfig(b, unblock);
    const c = await env.s3.send(new PutObjectCommand({ Bucket: b, Key: 'c', Body: 'x', ...sdkSse(A) }));
    assert.equal(c.SSECustomerKeyMD5, A.md5);
    await env.s3.send(new DeleteBucketEncryptionCommand({ Bucket: b }));
    assert.deepEqual((await getConfig(b))?.Rules?.[0]?.BlockedEncryptionTypes, { EncryptionType: ['SSE-C'] }, 'back to the creation default');
    assertS3Error(await raw('PUT', `/${b}/c2`, sseHeaders(A), Buffer.from('x')), { status: 403, code: 'AccessDenied', message: 'Access Denied' });
    // A configuration without BlockedEncryptionTypes keeps the block.
    await putConfig(b, aes256);
    await expectS3Error(env.s3.send(new PutObjectCommand({ Bucket: b, Key: 'c3', Body: 'x', ...sdkSse(A) })), 'AccessDenied', 403);
  });

  it('boto3: get/put/delete_bucket_encryption and the SSE-C block', async () => {
    const b = await newBucket('boto3');
    const script = `
import os, json, base64
import boto3
from botocore.exceptions import ClientError
from botocore.config import Config
s3 = boto3.client('s3', endpoint_url=os.environ['STRONGBOX_URL'], config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
B = os.environ['BUCKET']
res = {}
res['initial'] = s3.get_bucket_encryption(Bucket=B)['ServerSideEncryptionConfiguration']
key = bytes(range(32))
try:
    s3.put_object(Bucket=B, Key='c', Body=b'x', SSECustomerAlgorithm='AES256', SSECustomerKey=key)
    res['blocked'] = None
except ClientError as e:
    res['blocked'] = [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]
res['plain'] = s3.put_object(Bucket=B, Key='p', Body=b'x').get('ServerSideEncryption')
s3.put_bucket_encryption(Bucket=B, ServerSideEncryptionConfiguration={'Rules': [{
    'ApplyServerSideEncryptionByDefault': {'SSEAlgorithm': 'aws:kms', 'KMSMasterKeyID': 'alias/my-key'},
    'BucketKeyEnabled': True, 'BlockedEncryptionTypes': {'EncryptionType': ['NONE']}}]})
res['kms'] = s3.get_bucket_encryption(Bucket=B)['ServerSideEncryptionConfiguration']
res['ssec'] = s3.put_object(Bucket=B, Key='c', Body=b'x', SSECustomerAlgorithm='AES256', SSECustomerKey=key).get('SSECustomerAlgorithm')
res['delete'] = s3.delete_bucket_encryption(Bucket=B)['ResponseMetadata']['HTTPStatusCode']
res['after'] = s3.get_bucket_encryption(Bucket=B)['ServerSideEncryptionConfiguration']
try:
    s3.put_bucket_encryption(Bucket=B, ServerSideEncryptionConfiguration={'Rules': [{'ApplyServerSideEncryptionByDefault': {'SSEAlgorithm': 'AES256', 'KMSMasterKeyID': 'k'}}]})
except ClientError as e:
    res['invalid'] = [e.response['Error']['Code'], e.response['Error'].get('ArgumentName')]
print(json.dumps(res))
`;
    const r = await runPython(script, { ...clientEnv(env.server, env.server.root), STRONGBOX_URL: env.server.url, BUCKET: b });
    assert.equal(r.code, 0, `python failed:\n${r.stderr}\n${r.stdout}`);
    const res = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    const blocked = { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false, BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } }] };
    assert.deepEqual(res['initial'], blocked);
    assert.deepEqual(res['blocked'], ['AccessDenied', 403]);
    assert.equal(res['plain'], 'AES256');
    assert.deepEqual(res['kms'], { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'alias/my-key' }, BucketKeyEnabled: true }] });
    assert.equal(res['ssec'], 'AES256');
    assert.equal(res['delete'], 204);
    assert.deepEqual(res['after'], blocked);
    assert.deepEqual(res['invalid'], ['InvalidArgument', 'ApplyServerSideEncryptionByDefault']);
  });

  it('AWS CLI: s3api put-bucket-encryption / get-bucket-encryption / delete-bucket-encryption', async () => {
    const b = await newBucket('cli');
    const cliEnv = clientEnv(env.server, env.server.root);
    const aws = async (...args: string[]) => {
      const r = await runAws(env.server, args, cliEnv);
      assert.equal(r.code, 0, `aws ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
      return r.stdout;
    };
    const get = async () => JSON.parse(await aws('s3api', 'get-bucket-encryption', '--bucket', b)) as unknown;
    assert.deepEqual(await get(), {
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false, BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } }],
      },
    });
    const config = { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: ARN }, BucketKeyEnabled: true, BlockedEncryptionTypes: { EncryptionType: ['NONE'] } }] };
    await aws('s3api', 'put-bucket-encryption', '--bucket', b, '--server-side-encryption-configuration', JSON.stringify(config));
    assert.deepEqual(await get(), {
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: ARN }, BucketKeyEnabled: true }] },
    });
    await aws('s3api', 'delete-bucket-encryption', '--bucket', b);
    const bad = await runAws(env.server, ['s3api', 'put-bucket-encryption', '--bucket', b, '--server-side-encryption-configuration', JSON.stringify({ Rules: [] })], cliEnv);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /MalformedXML/);
  });
});

describe('strongbox serve --default-encryption none', () => {
  const { env, newBucket, putConfig } = useServer(['--default-encryption', 'none']);

  it('header-less writes stay unencrypted unless the bucket has an explicit configuration', async () => {
    const b = await newBucket('plain');
    const body = markerBody(200_000);
    const blobs = await newBlobsOf(env.server, async () => {
      const put = await env.s3.send(new PutObjectCommand({ Bucket: b, Key: 'p', Body: body }));
      assert.equal(put.ServerSideEncryption, undefined);
    });
    assert.ok((await readFile(blobs[0]!)).equals(body), 'stored as sent: the plaintext baseline');
    assert.equal((await env.s3.send(new HeadObjectCommand({ Bucket: b, Key: 'p' }))).ServerSideEncryption, undefined);
    const created = await env.s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'mp' }));
    assert.equal(created.ServerSideEncryption, undefined);
    // A plain object copied onto itself with nothing changed is still refused.
    await expectS3Error(env.s3.send(new CopyObjectCommand({ Bucket: b, Key: 'p', CopySource: `${b}/p` })), 'InvalidRequest', 400);
    // Asking for SSE-S3 still works.
    const asked = await env.s3.send(new PutObjectCommand({ Bucket: b, Key: 'asked', Body: 'x', ServerSideEncryption: 'AES256' }));
    assert.equal(asked.ServerSideEncryption, 'AES256');

    await putConfig(b, aes256);
    const encBlobs = await newBlobsOf(env.server, async () => {
      const put = await env.s3.send(new PutObjectCommand({ Bucket: b, Key: 'e', Body: body }));
      assert.equal(put.ServerSideEncryption, 'AES256');
    });
    await assertNoPlaintext(encBlobs, 'explicit AES256 default');
    // The plain object copied onto itself now becomes SSE-S3 (explicit configuration, and a change).
    const copied = await env.s3.send(new CopyObjectCommand({ Bucket: b, Key: 'p', CopySource: `${b}/p` }));
    assert.equal(copied.ServerSideEncryption, 'AES256');
    const got = await env.s3.send(new GetObjectCommand({ Bucket: b, Key: 'p' }));
    assert.equal(got.ServerSideEncryption, 'AES256');
    assert.ok((await bodyBytes(got.Body)).equals(body));
    await env.s3.send(new DeleteBucketEncryptionCommand({ Bucket: b }));
    assert.equal((await env.s3.send(new PutObjectCommand({ Bucket: b, Key: 'p2', Body: 'x' }))).ServerSideEncryption, undefined);
  });
});
