/**
 * KMS keys belong to the user who created them (issue 14, defect 3), on the real server over
 * HTTPS with two users and root: through the KMS API (@aws-sdk/client-kms) another user gets
 * AccessDeniedException for every use or change of someone's key, and sees only their own keys
 * and aliases; through S3 (@aws-sdk/client-s3) a write naming someone's key, or a read of an
 * object under it, is 403 AccessDenied whatever the bucket policy grants; the owner and root
 * keep every right; the AWS-managed aws/s3 key serves everyone through S3.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateAliasCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  ListAliasesCommand,
  ListKeysCommand,
  ReEncryptCommand,
  ScheduleKeyDeletionCommand,
  CancelKeyDeletionCommand,
  UpdateAliasCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { bodyBytes, bucketName, expectS3Error, s3Client, signedRequest, startServer, type Credentials, type TestServer } from './harness.js';
import { expectKmsError, kmsApiClient } from './fixtures/kms-api.js';
import { H_SSE, assertS3Error } from './fixtures/sse-c.js';
import { H_KMS_KEY, createKey } from './fixtures/sse-kms.js';

const ACCOUNT = '000000000000';
const userArn = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`;
const denied = (who: string, action: string, keyArn: string) =>
  `User: ${who} is not authorized to perform: kms:${action} on resource: ${keyArn} because no resource-based policy allows the kms:${action} action`;
const b = (s: string) => Buffer.from(s);

describe('KMS keys belong to their creator, over HTTPS', () => {
  const ALICE = `alice-${process.pid}`;
  const BOB = `bob-${process.pid}`;
  let server: TestServer;
  let alice: Credentials;
  let bob: Credentials;
  let kmsRoot: KMSClient;
  let kmsA: KMSClient;
  let kmsB: KMSClient;
  let s3Root: S3Client;
  let s3A: S3Client;
  let s3B: S3Client;
  let key: { id: string; arn: string };
  let bucketA: string;
  let bucketB: string;
  const ALIAS = `alias/alices-${process.pid}`;

  before(async () => {
    server = await startServer();
    alice = await server.addUser(ALICE);
    bob = await server.addUser(BOB);
    kmsRoot = kmsApiClient(server, server.root);
    kmsA = kmsApiClient(server, alice);
    kmsB = kmsApiClient(server, bob);
    s3Root = s3Client(server);
    s3A = s3Client(server, alice);
    s3B = s3Client(server, bob);
    key = await createKey(kmsA, 'alice');
    await kmsA.send(new CreateAliasCommand({ AliasName: ALIAS, TargetKeyId: key.id }));
    bucketA = bucketName('own-a');
    bucketB = bucketName('own-b');
    await s3A.send(new CreateBucketCommand({ Bucket: bucketA }));
    await s3B.send(new CreateBucketCommand({ Bucket: bucketB }));
  });
  after(async () => {
    for (const c of [kmsRoot, kmsA, kmsB, s3Root, s3A, s3B]) c?.destroy();
    await server?.stop();
  });

  it('KMS API: another user may not use, manage, describe or alias the key; AccessDeniedException with AWS\'s message', async () => {
    const blob = (await kmsA.send(new EncryptCommand({ KeyId: key.id, Plaintext: b('alice only') }))).CiphertextBlob!;
    const bobsKey = await createKey(kmsB, 'bob');
    const asBob = (action: string) => denied(userArn(BOB), action, key.arn);
    for (const ref of [key.id, key.arn, ALIAS]) {
      await expectKmsError(kmsB.send(new EncryptCommand({ KeyId: ref, Plaintext: b('x') })), 'AccessDeniedException', asBob('Encrypt'));
      await expectKmsError(kmsB.send(new GenerateDataKeyCommand({ KeyId: ref, KeySpec: 'AES_256' })), 'AccessDeniedException', asBob('GenerateDataKey'));
    }
    await expectKmsError(kmsB.send(new DecryptCommand({ CiphertextBlob: blob })), 'AccessDeniedException', asBob('Decrypt'));
    await expectKmsError(kmsB.send(new ReEncryptCommand({ CiphertextBlob: blob, DestinationKeyId: bobsKey.id })), 'AccessDeniedException', asBob('ReEncryptFrom'));
    await expectKmsError(kmsB.send(new DisableKeyCommand({ KeyId: key.id })), 'AccessDeniedException', asBob('DisableKey'));
    await expectKmsError(kmsB.send(new ScheduleKeyDeletionCommand({ KeyId: key.id, PendingWindowInDays: 7 })), 'AccessDeniedException', asBob('ScheduleKeyDeletion'));
    await expectKmsError(kmsB.send(new CreateAliasCommand({ AliasName: `alias/bobs-${process.pid}`, TargetKeyId: key.id })), 'AccessDeniedException', asBob('CreateAlias'));
    await expectKmsError(kmsB.send(new UpdateAliasCommand({ AliasName: ALIAS, TargetKeyId: bobsKey.id })), 'AccessDeniedException', asBob('UpdateAlias'));
    await expectKmsError(kmsB.send(new DeleteAliasCommand({ AliasName: ALIAS })), 'AccessDeniedException', asBob('DeleteAlias'));
    await expectKmsError(kmsB.send(new DescribeKeyCommand({ KeyId: key.id })), 'AccessDeniedException', asBob('DescribeKey'));

    const md = (await kmsA.send(new DescribeKeyCommand({ KeyId: ALIAS }))).KeyMetadata!;
    assert.equal(md.KeyState, 'Enabled', 'nothing changed');
    assert.equal(md.Arn, key.arn, 'the alias still names alice\'s key');
  });

  it('KMS API: the owner and root keep every right on the key', async () => {
    const blob = (await kmsA.send(new EncryptCommand({ KeyId: ALIAS, Plaintext: b('shared with root') }))).CiphertextBlob!;
    for (const client of [kmsA, kmsRoot]) {
      assert.equal(Buffer.from((await client.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext!).toString(), 'shared with root');
      await client.send(new DisableKeyCommand({ KeyId: key.id }));
      await client.send(new EnableKeyCommand({ KeyId: key.id }));
    }
    await kmsRoot.send(new ScheduleKeyDeletionCommand({ KeyId: key.id, PendingWindowInDays: 7 }));
    await kmsA.send(new CancelKeyDeletionCommand({ KeyId: key.id }));
    await kmsA.send(new EnableKeyCommand({ KeyId: key.id }));
    const viaRoot = (await kmsRoot.send(new GenerateDataKeyCommand({ KeyId: key.arn, KeySpec: 'AES_256' }))).CiphertextBlob!;
    assert.equal((await kmsA.send(new DecryptCommand({ CiphertextBlob: viaRoot }))).Plaintext?.length, 32);
  });

  it('ListKeys and ListAliases show a user their own keys (and aws/s3); root sees all', async () => {
    await s3B.send(new PutObjectCommand({ Bucket: bucketB, Key: 'makes-aws-s3', Body: 'x', ServerSideEncryption: 'aws:kms' }));
    const awsS3 = (await kmsB.send(new DescribeKeyCommand({ KeyId: 'alias/aws/s3' }))).KeyMetadata!;
    assert.equal(awsS3.KeyManager, 'AWS');
    const keysOf = async (c: KMSClient) => ((await c.send(new ListKeysCommand({}))).Keys ?? []).map((k) => k.KeyId);
    const aliasesOf = async (c: KMSClient) => ((await c.send(new ListAliasesCommand({}))).Aliases ?? []).map((a) => a.AliasName);
    const bobs = await keysOf(kmsB);
    assert.ok(!bobs.includes(key.id), 'bob does not see alice\'s key');
    assert.ok(bobs.includes(awsS3.KeyId), 'bob sees the AWS-managed key');
    assert.ok((await keysOf(kmsA)).includes(key.id));
    assert.ok((await keysOf(kmsRoot)).includes(key.id));
    assert.ok(!(await aliasesOf(kmsB)).includes(ALIAS));
    assert.ok((await aliasesOf(kmsB)).includes('alias/aws/s3'));
    assert.ok((await aliasesOf(kmsA)).includes(ALIAS));
    assert.ok((await aliasesOf(kmsRoot)).includes(ALIAS));
    await expectKmsError(kmsB.send(new ListAliasesCommand({ KeyId: key.id })), 'AccessDeniedException', denied(userArn(BOB), 'ListAliases', key.arn));
    // Alias names stay one namespace: bob cannot take alice's name.
    const bobsKey = await createKey(kmsB, 'bob 2');
    await expectKmsError(kmsB.send(new CreateAliasCommand({ AliasName: ALIAS, TargetKeyId: bobsKey.id })), 'AlreadyExistsException');
  });

  it('S3: PUT, CopyObject and CreateMultipartUpload naming another user\'s key by id, ARN or alias are 403 AccessDenied', async () => {
    await s3B.send(new PutObjectCommand({ Bucket: bucketB, Key: 'plain-src', Body: 'source' }));
    for (const ref of [key.id, key.arn, ALIAS]) {
      const err = await expectS3Error(s3B.send(new PutObjectCommand({ Bucket: bucketB, Key: 'stolen', Body: 'x', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: ref })), 'AccessDenied', 403);
      assert.equal((err as Error).message, denied(userArn(BOB), 'GenerateDataKey', key.arn), ref);
      await expectS3Error(s3B.send(new PutObjectCommand({ Bucket: bucketB, Key: 'stolen', Body: 'x', ServerSideEncryption: 'aws:kms:dsse', SSEKMSKeyId: ref })), 'AccessDenied', 403);
      await expectS3Error(
        s3B.send(new CopyObjectCommand({ Bucket: bucketB, Key: 'stolen', CopySource: `${bucketB}/plain-src`, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: ref })),
        'AccessDenied',
        403,
      );
      await expectS3Error(s3B.send(new CreateMultipartUploadCommand({ Bucket: bucketB, Key: 'stolen', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: ref })), 'AccessDenied', 403);
    }
    const raw = await signedRequest(server, bob, { method: 'PUT', path: `/${bucketB}/stolen`, headers: { [H_SSE]: 'aws:kms', [H_KMS_KEY]: key.id }, body: b('x') });
    assertS3Error(raw, { status: 403, code: 'AccessDenied', message: denied(userArn(BOB), 'GenerateDataKey', key.arn) });
    await expectS3Error(s3B.send(new HeadObjectCommand({ Bucket: bucketB, Key: 'stolen' })), 'NotFound', 404);
  });

  it('S3: PutBucketEncryption does not check the key (as Amazon); the first write under it does', async () => {
    await s3B.send(
      new PutBucketEncryptionCommand({
        Bucket: bucketB,
        ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key.arn } }] },
      }),
    );
    await expectS3Error(s3B.send(new PutObjectCommand({ Bucket: bucketB, Key: 'by-default', Body: 'x' })), 'AccessDenied', 403);
    await s3B.send(
      new PutBucketEncryptionCommand({ Bucket: bucketB, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] } }),
    );
    const put = await s3B.send(new PutObjectCommand({ Bucket: bucketB, Key: 'by-default', Body: 'x' }));
    assert.match(put.SSEKMSKeyId ?? '', /^arn:aws:kms:/, 'aws/s3 serves bob');
  });

  it('S3: an object under alice\'s key is readable by alice and nobody a bucket policy lets in; root may use the key', async () => {
    await s3A.send(new PutObjectCommand({ Bucket: bucketA, Key: 'secret', Body: 'alice data', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: ALIAS }));
    await s3A.send(new PutObjectCommand({ Bucket: bucketA, Key: 'managed', Body: 'aws/s3 data', ServerSideEncryption: 'aws:kms' }));
    // The bucket default: alice's key. Bob may write and read by policy.
    await s3A.send(
      new PutBucketEncryptionCommand({
        Bucket: bucketA,
        ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key.id } }] },
      }),
    );
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'Bob', Effect: 'Allow', Principal: { AWS: userArn(BOB) }, Action: ['s3:GetObject', 's3:PutObject'], Resource: `arn:aws:s3:::${bucketA}/*` }],
    };
    await s3A.send(new PutBucketPolicyCommand({ Bucket: bucketA, Policy: JSON.stringify(policy) }));

    const err = await expectS3Error(s3B.send(new GetObjectCommand({ Bucket: bucketA, Key: 'secret' })), 'AccessDenied', 403);
    assert.equal((err as Error).message, denied(userArn(BOB), 'Decrypt', key.arn));
    // A HEAD error has no body: the status says it.
    assert.equal((await signedRequest(server, bob, { method: 'HEAD', path: `/${bucketA}/secret` })).status, 403);
    await expectS3Error(s3B.send(new CopyObjectCommand({ Bucket: bucketB, Key: 'copied', CopySource: `${bucketA}/secret` })), 'AccessDenied', 403);
    // The bucket's default key is alice's: bob's write under it is refused (with or without
    // aws:kms: a write naming no key takes the bucket's, §5.1); naming aws/s3 works.
    await expectS3Error(s3B.send(new PutObjectCommand({ Bucket: bucketA, Key: 'from-bob', Body: 'x' })), 'AccessDenied', 403);
    await expectS3Error(s3B.send(new PutObjectCommand({ Bucket: bucketA, Key: 'from-bob', Body: 'x', ServerSideEncryption: 'aws:kms' })), 'AccessDenied', 403);
    await s3B.send(new PutObjectCommand({ Bucket: bucketA, Key: 'from-bob', Body: 'bob via aws/s3', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'alias/aws/s3' }));

    assert.equal((await bodyBytes((await s3A.send(new GetObjectCommand({ Bucket: bucketA, Key: 'secret' }))).Body)).toString(), 'alice data');
    // aws/s3 serves everyone through S3: bob reads alice's aws/s3 object, alice reads bob's.
    assert.equal((await bodyBytes((await s3B.send(new GetObjectCommand({ Bucket: bucketA, Key: 'managed' }))).Body)).toString(), 'aws/s3 data');
    assert.equal((await bodyBytes((await s3A.send(new GetObjectCommand({ Bucket: bucketA, Key: 'from-bob' }))).Body)).toString(), 'bob via aws/s3');

    // Root may use alice's key for its own objects.
    const rootBucket = bucketName('own-root');
    await s3Root.send(new CreateBucketCommand({ Bucket: rootBucket }));
    await s3Root.send(new PutObjectCommand({ Bucket: rootBucket, Key: 'r', Body: 'root data', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key.arn }));
    assert.equal((await bodyBytes((await s3Root.send(new GetObjectCommand({ Bucket: rootBucket, Key: 'r' }))).Body)).toString(), 'root data');
  });
});
