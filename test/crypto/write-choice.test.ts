import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { chooseWriteEncryption, type WriteChoice } from '../../src/crypto/write-choice.js';
import type { SseRequest } from '../../src/crypto/encryption.js';
import type { BucketEncryptionConfig } from '../../src/store/meta/types.js';

const KEY = Buffer.alloc(32, 9);
const TRIPLE = {
  'x-amz-server-side-encryption-customer-algorithm': 'AES256',
  'x-amz-server-side-encryption-customer-key': KEY.toString('base64'),
  'x-amz-server-side-encryption-customer-key-md5': createHash('md5').update(KEY).digest('base64'),
};

const explicit = (cfg: Partial<BucketEncryptionConfig> & Pick<BucketEncryptionConfig, 'sseAlgorithm'>): BucketEncryptionConfig => ({
  bucketKeyEnabled: false,
  blockedEncryptionTypes: [],
  explicit: true,
  ...cfg,
});

function choose(
  headers: IncomingHttpHeaders,
  encryption?: BucketEncryptionConfig,
  defaultEncryption?: 'none' | 'AES256',
): WriteChoice {
  const req = {
    headers,
    secure: true,
    config: { allowInsecureSseC: false, ...(defaultEncryption === undefined ? {} : { defaultEncryption }) },
    bucketName: 'b',
    key: 'k',
    rootKey: undefined,
    kms: undefined,
    bucket: { name: 'b', owner: 'o', createdAt: new Date(0), region: 'us-east-1', ...(encryption === undefined ? {} : { encryption }) },
  } as unknown as SseRequest;
  const choice = chooseWriteEncryption(req);
  if (choice.kind === 'sse-c') choice.customer.wipe();
  return choice;
}

test('without SSE headers: SSE-S3 unless --default-encryption none, and then only without an explicit configuration', () => {
  assert.deepEqual(choose({}), { kind: 'sse-s3' });
  assert.deepEqual(choose({}, undefined, 'AES256'), { kind: 'sse-s3' });
  assert.deepEqual(choose({}, undefined, 'none'), { kind: 'none' });
  const creationDefault: BucketEncryptionConfig = { sseAlgorithm: 'AES256', bucketKeyEnabled: false, blockedEncryptionTypes: ['SSE-C'], explicit: false, blockedAtCreation: ['SSE-C'] };
  assert.deepEqual(choose({}, creationDefault, 'none'), { kind: 'none' }, 'a creation default only blocks');
  assert.deepEqual(choose({}, explicit({ sseAlgorithm: 'AES256' }), 'none'), { kind: 'sse-s3' });
});

test('a KMS default gives the kms choice with its key and BucketKeyEnabled; a request header overrides the bucket key', () => {
  const kms = explicit({ sseAlgorithm: 'aws:kms', kmsMasterKeyId: 'alias/k', bucketKeyEnabled: true });
  assert.deepEqual(choose({}, kms), { kind: 'kms', dsse: false, keyId: 'alias/k', context: {}, contextSent: false, bucketKeyEnabled: true });
  assert.equal((choose({ 'x-amz-server-side-encryption-bucket-key-enabled': 'false' }, kms) as { bucketKeyEnabled: boolean }).bucketKeyEnabled, false);
  const noKey = explicit({ sseAlgorithm: 'aws:kms' });
  assert.deepEqual(choose({ 'x-amz-server-side-encryption-bucket-key-enabled': 'true' }, noKey), {
    kind: 'kms', dsse: false, keyId: undefined, context: {}, contextSent: false, bucketKeyEnabled: true,
  });
  const dsse = explicit({ sseAlgorithm: 'aws:kms:dsse', kmsMasterKeyId: 'k2', bucketKeyEnabled: true });
  assert.deepEqual(choose({}, dsse), { kind: 'kms', dsse: true, keyId: 'k2', context: {}, contextSent: false, bucketKeyEnabled: false }, 'no bucket key with DSSE');
  // A context header without the SSE header is fine when the default is KMS.
  const ctx = Buffer.from(JSON.stringify({ a: 'b' })).toString('base64');
  assert.deepEqual((choose({ 'x-amz-server-side-encryption-context': ctx }, kms) as { context: unknown }).context, { a: 'b' });
  assert.throws(() => choose({ 'x-amz-server-side-encryption-context': ctx }), { code: 'InvalidArgument' });
});

test('request headers win over the bucket default', () => {
  const kms = explicit({ sseAlgorithm: 'aws:kms', kmsMasterKeyId: 'alias/k', bucketKeyEnabled: true });
  assert.deepEqual(choose({ 'x-amz-server-side-encryption': 'AES256' }, kms), { kind: 'sse-s3' });
  assert.equal(choose(TRIPLE, kms).kind, 'sse-c');
  assert.equal(choose(TRIPLE, undefined, 'none').kind, 'sse-c');
  assert.deepEqual(choose({ 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': 'other' }, kms), {
    kind: 'kms', dsse: false, keyId: 'other', context: {}, contextSent: false, bucketKeyEnabled: true,
  });
  // aws:kms without a key id takes the bucket default's key (§5.1); without a KMS default, aws/s3.
  assert.equal((choose({ 'x-amz-server-side-encryption': 'aws:kms' }, kms) as { keyId?: string }).keyId, 'alias/k');
  assert.equal((choose({ 'x-amz-server-side-encryption': 'aws:kms' }, explicit({ sseAlgorithm: 'AES256' })) as { keyId?: string }).keyId, undefined);
  assert.throws(() => choose({ 'x-amz-server-side-encryption-aws-kms-key-id': 'k' }, kms), { code: 'InvalidArgument' });
});

test('a bucket that blocks SSE-C refuses any SSE-C header with 403 before the key is validated', () => {
  const blocked = explicit({ sseAlgorithm: 'AES256', blockedEncryptionTypes: ['SSE-C'] });
  assert.throws(() => choose(TRIPLE, blocked), { code: 'AccessDenied', status: 403, message: 'Access Denied' });
  assert.throws(() => choose({ 'x-amz-server-side-encryption-customer-key': 'garbage' }, blocked), { code: 'AccessDenied' });
  assert.throws(() => choose({ 'x-amz-server-side-encryption-customer-key': 'garbage' }), { code: 'InvalidArgument' }, 'unblocked: validated');
  assert.deepEqual(choose({}, blocked), { kind: 'sse-s3' });
  assert.deepEqual(choose({ 'x-amz-copy-source-server-side-encryption-customer-algorithm': 'AES256' }, blocked), { kind: 'sse-s3' }, 'copy-source keys are reads');
});
