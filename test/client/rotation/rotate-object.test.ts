/**
 * rotateObject against a scripted S3 client: which requests a rotation sends (copy source
 * encoding, conditions, keys, metadata of a multipart copy) and how each answer is classified.
 * The real server runs in test/integration/rotate-cli.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { customerKey } from '../../../src/client/customer-key.js';
import { copySourceOf, partRanges } from '../../../src/client/rotation/in-place-copy.js';
import { rotateObject, type RotationPlan } from '../../../src/client/rotation/rotate-object.js';
import type { RotationTarget } from '../../../src/client/rotation/rotation-target.js';

const OLD = customerKey('old', createHash('sha256').update('old').digest());
const NEW = customerKey('new', createHash('sha256').update('new').digest());
const MiB = 1024 * 1024;
const KEY = 'dir/a b+c&?ü.txt';

type Input = Record<string, unknown>;
interface Call {
  readonly op: string;
  readonly input: Input;
}

const s3Failure = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

/** A client whose answers come from `answer(op, input)`; an Error answer is thrown. */
function scripted(answer: (op: string, input: Input) => unknown): { client: S3Client; calls: Call[] } {
  const calls: Call[] = [];
  const client = {
    send: async (cmd: { constructor: { name: string }; input: Input }) => {
      const op = cmd.constructor.name.replace(/Command$/, '');
      calls.push({ op, input: cmd.input });
      const a = answer(op, cmd.input);
      if (a instanceof Error) throw a;
      return a ?? {};
    },
  } as unknown as S3Client;
  return { client, calls };
}

const plan = (client: S3Client, extra: Partial<RotationPlan> = {}, to: RotationTarget = { kind: 'sse-c', key: NEW }): RotationPlan => ({
  client,
  bucket: 'bkt',
  from: OLD,
  to,
  dryRun: false,
  multipartThreshold: 12 * MiB,
  partSize: 5 * MiB,
  kmsKeyIds: new Set(),
  ...extra,
});

const withKey = (input: Input) => input.SSECustomerKeyMD5;
const HEAD = { ETag: '"e1"', ContentLength: 100, StorageClass: 'STANDARD_IA', ContentType: 'text/x', Metadata: { a: '1' } };

describe('rotateObject', () => {
  it('copies an object the old key opens onto itself: encoded source, ETag condition, both keys, storage class kept', async () => {
    const { client, calls } = scripted((op, input) => (op === 'HeadObject' && withKey(input) === OLD.md5 ? HEAD : {}));
    const outcome = await rotateObject(plan(client), KEY);
    assert.deepEqual(outcome, { kind: 'rotated', size: 100, multipart: false, kmsKeyId: undefined });
    const copy = calls.find((c) => c.op === 'CopyObject')?.input;
    assert.equal(copy?.CopySource, 'bkt/dir/a%20b%2Bc%26%3F%C3%BC.txt');
    assert.equal(decodeURIComponent(String(copy?.CopySource)), `bkt/${KEY}`);
    assert.equal(copy?.Key, KEY);
    assert.equal(copy?.CopySourceIfMatch, '"e1"');
    assert.equal(copy?.MetadataDirective, 'COPY');
    assert.equal(copy?.CopySourceSSECustomerKeyMD5, OLD.md5);
    assert.equal(copy?.SSECustomerKeyMD5, NEW.md5);
    assert.equal(copy?.SSECustomerKey, NEW.key.toString('base64'));
    assert.equal(copy?.StorageClass, 'STANDARD_IA');
  });

  it('with --dry-run only HEADs', async () => {
    const { client, calls } = scripted((op, input) => (op === 'HeadObject' && withKey(input) === OLD.md5 ? { ...HEAD, ContentLength: 20 * MiB } : {}));
    assert.deepEqual(await rotateObject(plan(client, { dryRun: true }), KEY), { kind: 'would-rotate', size: 20 * MiB, multipart: true });
    assert.deepEqual(calls.map((c) => c.op), ['HeadObject']);
  });

  it('classifies objects the old key does not open', async () => {
    const by = (answers: Record<string, unknown>) =>
      scripted((op, input) => answers[op === 'HeadObject' ? (input.SSECustomerKeyMD5 === OLD.md5 ? 'old' : input.SSECustomerKeyMD5 === NEW.md5 ? 'new' : 'plain') : op]);
    const forbidden = s3Failure('403', 403);
    const badRequest = s3Failure('BadRequest', 400);
    assert.deepEqual(await rotateObject(plan(by({ old: forbidden, new: HEAD }).client), KEY), { kind: 'already-rotated' });
    assert.deepEqual(await rotateObject(plan(by({ old: forbidden, new: forbidden }).client), KEY), { kind: 'not-opened' });
    assert.deepEqual(await rotateObject(plan(by({ old: badRequest, plain: { ServerSideEncryption: 'AES256' } }).client), KEY), { kind: 'not-sse-c', protection: 'SSE-S3' });
    assert.deepEqual(await rotateObject(plan(by({ old: s3Failure('NotFound', 404) }).client), KEY), { kind: 'gone' });
    // 400 with and without a key: the server refuses the key (SSE-C over plain HTTP).
    const refused = await rotateObject(plan(by({ old: badRequest, plain: badRequest }).client), KEY);
    assert.equal(refused.kind, 'failed');
    assert.match(refused.kind === 'failed' ? refused.message : '', /400 with and without an SSE-C key: the server refuses the key/);
    const denied = await rotateObject(plan(by({ old: HEAD, CopyObject: s3Failure('AccessDenied', 403) }).client), KEY);
    assert.deepEqual(denied, { kind: 'failed', message: `CopyObject of s3://bkt/${KEY}: AccessDenied (403)` });
  });

  it('reports an object written or deleted since its HEAD as changed or gone', async () => {
    const copyFails = (err: Error) => scripted((op) => (op === 'HeadObject' ? HEAD : op === 'CopyObject' ? err : {})).client;
    assert.deepEqual(await rotateObject(plan(copyFails(s3Failure('PreconditionFailed', 412))), KEY), { kind: 'changed' });
    assert.deepEqual(await rotateObject(plan(copyFails(s3Failure('OperationAborted', 409))), KEY), { kind: 'changed' });
    assert.deepEqual(await rotateObject(plan(copyFails(s3Failure('NoSuchKey', 404))), KEY), { kind: 'gone' });
  });

  it('recognises objects already under an SSE-KMS target by key id, ARN or an ARN seen before', async () => {
    const arn = 'arn:aws:kms:us-east-1:000000000000:key/1234abcd';
    const kmsHead = scripted((op, input) => (op === 'HeadObject' && withKey(input) === undefined ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: arn } : s3Failure('BadRequest', 400))).client;
    const to = (keyId: string): RotationTarget => ({ kind: 'kms', keyId });
    assert.deepEqual(await rotateObject(plan(kmsHead, {}, to('1234abcd')), KEY), { kind: 'already-rotated' });
    assert.deepEqual(await rotateObject(plan(kmsHead, {}, to(arn)), KEY), { kind: 'already-rotated' });
    assert.deepEqual(await rotateObject(plan(kmsHead, {}, to('alias/x')), KEY), { kind: 'not-sse-c', protection: `SSE-KMS ${arn}` });
    assert.deepEqual(await rotateObject(plan(kmsHead, { kmsKeyIds: new Set([arn]) }, to('alias/x')), KEY), { kind: 'already-rotated' });
  });

  it('converts to SSE-KMS with the key id as destination and learns the key ARN', async () => {
    const arn = 'arn:aws:kms:us-east-1:000000000000:key/k';
    const { client, calls } = scripted((op) => (op === 'HeadObject' ? HEAD : op === 'CopyObject' ? { SSEKMSKeyId: arn } : {}));
    const p = plan(client, {}, { kind: 'kms', keyId: 'alias/x' });
    assert.deepEqual(await rotateObject(p, KEY), { kind: 'rotated', size: 100, multipart: false, kmsKeyId: arn });
    const copy = calls.find((c) => c.op === 'CopyObject')?.input;
    assert.equal(copy?.ServerSideEncryption, 'aws:kms');
    assert.equal(copy?.SSEKMSKeyId, 'alias/x');
    assert.equal(copy?.SSECustomerKey, undefined);
    assert.deepEqual([...p.kmsKeyIds], [arn]);
  });

  it('copies an object above the threshold in parts, with its metadata, conditions and keys', async () => {
    const big = { ...HEAD, ContentLength: 17 * MiB + 1, ContentEncoding: 'gzip', CacheControl: 'no-cache', TagCount: 2 };
    const { client, calls } = scripted((op) => {
      if (op === 'HeadObject') return big;
      if (op === 'GetObjectTagging') return { TagSet: [{ Key: 'a b', Value: 'x&y' }, { Key: 'c', Value: '' }] };
      if (op === 'CreateMultipartUpload') return { UploadId: 'u1' };
      if (op === 'UploadPartCopy') return { CopyPartResult: { ETag: '"p"' } };
      return {};
    });
    assert.deepEqual(await rotateObject(plan(client), KEY), { kind: 'rotated', size: 17 * MiB + 1, multipart: true, kmsKeyId: undefined });
    const create = calls.find((c) => c.op === 'CreateMultipartUpload')?.input;
    assert.deepEqual(
      { ...create, SSECustomerKey: undefined },
      {
        Bucket: 'bkt',
        Key: KEY,
        Metadata: { a: '1' },
        ContentType: 'text/x',
        ContentEncoding: 'gzip',
        CacheControl: 'no-cache',
        StorageClass: 'STANDARD_IA',
        Tagging: 'a+b=x%26y&c=',
        SSECustomerAlgorithm: 'AES256',
        SSECustomerKey: undefined,
        SSECustomerKeyMD5: NEW.md5,
      },
    );
    const parts = calls.filter((c) => c.op === 'UploadPartCopy').map((c) => c.input);
    assert.deepEqual(
      parts.map((p) => [p.PartNumber, p.CopySourceRange]).sort((a, b) => Number(a[0]) - Number(b[0])),
      [
        [1, `bytes=0-${5 * MiB - 1}`],
        [2, `bytes=${5 * MiB}-${10 * MiB - 1}`],
        [3, `bytes=${10 * MiB}-${15 * MiB - 1}`],
        [4, `bytes=${15 * MiB}-${17 * MiB}`],
      ],
    );
    for (const p of parts) {
      assert.equal(p.CopySourceIfMatch, '"e1"');
      assert.equal(p.CopySourceSSECustomerKeyMD5, OLD.md5);
      assert.equal(p.SSECustomerKeyMD5, NEW.md5);
      assert.equal(p.UploadId, 'u1');
    }
    const complete = calls.find((c) => c.op === 'CompleteMultipartUpload')?.input;
    assert.equal(complete?.IfMatch, '"e1"');
    assert.equal(complete?.SSECustomerKeyMD5, NEW.md5);
    assert.deepEqual((complete?.MultipartUpload as { Parts: unknown[] }).Parts, [1, 2, 3, 4].map((n) => ({ PartNumber: n, ETag: '"p"' })));
  });

  it('aborts a multipart copy that fails', async () => {
    const { client, calls } = scripted((op, input) => {
      if (op === 'HeadObject') return { ...HEAD, ContentLength: 13 * MiB };
      if (op === 'CreateMultipartUpload') return { UploadId: 'u2' };
      if (op === 'UploadPartCopy') return input.PartNumber === 2 ? s3Failure('PreconditionFailed', 412) : { CopyPartResult: { ETag: '"p"' } };
      return {};
    });
    assert.deepEqual(await rotateObject(plan(client), KEY), { kind: 'changed' });
    assert.equal(calls.at(-1)?.op, 'AbortMultipartUpload');
    assert.equal(calls.at(-1)?.input.UploadId, 'u2');
    assert.equal(calls.some((c) => c.op === 'CompleteMultipartUpload'), false);
  });
});

describe('in-place copy helpers', () => {
  it('encodes the copy source segment by segment', () => {
    assert.equal(copySourceOf('b', 'a/b c/%/ü'), 'b/a/b%20c/%25/%C3%BC');
  });

  it('cuts an object into parts, raising the part size to stay within 10,000 parts', () => {
    assert.deepEqual(partRanges(10, 4), [
      { start: 0, end: 3 },
      { start: 4, end: 7 },
      { start: 8, end: 9 },
    ]);
    assert.equal(partRanges(12 * MiB, 5 * MiB).length, 3);
    const huge = partRanges(5 * 1024 ** 4, 5 * MiB);
    assert.equal(huge.length, 10_000);
    assert.equal(huge.at(-1)?.end, 5 * 1024 ** 4 - 1);
  });
});
