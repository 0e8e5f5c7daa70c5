import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROUTES, route } from '../../src/server/router.js';
import { S3_ACTIONS } from '../../src/policy/actions.js';
import { authorize, authorizeAccess, ANONYMOUS_USER } from '../../src/server/authorize.js';
import { conditionLookup, type Requester } from '../../src/server/requester.js';
import type { BucketRecord, UserRecord } from '../../src/store/meta/types.js';

const ACCOUNT = '123456789012';

test('every implemented route names an S3 action that applies to its kind of resource', () => {
  for (const row of ROUTES) {
    if (row.op === 'NotImplemented') continue;
    const kind = S3_ACTIONS.get(row.action);
    assert.ok(kind !== undefined, `${row.op}: ${row.action} is no S3 action`);
    if (row.access === 'policy' || row.access === 'keys') {
      const expected = row.target === 'object' || row.access === 'keys' ? 'object' : 'bucket';
      assert.equal(kind, expected, `${row.op}: ${row.action} applies to a ${kind}`);
    }
  }
});

test('s3:PutObject authorizes every step of a write (§7); the policy operations are the owner’s', () => {
  const action = (op: string) => ROUTES.find((r) => r.op === op)?.action;
  const access = (op: string) => ROUTES.find((r) => r.op === op)?.access;
  for (const op of ['PutObject', 'CopyObject', 'CreateMultipartUpload', 'UploadPart', 'UploadPartCopy', 'CompleteMultipartUpload']) {
    assert.equal(action(op), 's3:PutObject', op);
  }
  assert.equal(action('GetObject'), 's3:GetObject');
  assert.equal(action('HeadObject'), 's3:GetObject');
  assert.equal(action('ListObjects'), 's3:ListBucket');
  assert.equal(action('ListObjectsV2'), 's3:ListBucket');
  assert.equal(action('HeadBucket'), 's3:ListBucket');
  assert.equal(action('ListMultipartUploads'), 's3:ListBucketMultipartUploads');
  assert.equal(action('ListParts'), 's3:ListMultipartUploadParts');
  assert.equal(action('AbortMultipartUpload'), 's3:AbortMultipartUpload');
  assert.equal(action('DeleteObjects'), 's3:DeleteObject');
  assert.equal(access('DeleteObjects'), 'keys');
  for (const op of ['GetBucketPolicy', 'PutBucketPolicy', 'DeleteBucketPolicy']) assert.equal(access(op), 'owner', op);
  assert.equal(access('ListBuckets'), 'any');
  assert.equal(access('CreateBucket'), 'any');
  const op = (method: string, query: string) =>
    route({ method, path: '/b', host: '127.0.0.1', query: new URLSearchParams(query), headers: {}, domain: undefined }).op;
  assert.equal(op('GET', 'policy'), 'GetBucketPolicy');
  assert.equal(op('PUT', 'policy'), 'PutBucketPolicy');
  assert.equal(op('DELETE', 'policy'), 'DeleteBucketPolicy');
  assert.equal(op('GET', 'policyStatus'), 'NotImplemented');
});

const user = (name: string): UserRecord => ({ name, accessKeyId: `AK${name}`, secretAccessKey: 's', isRoot: false, createdAt: new Date(0) });

function requester(who: UserRecord | undefined, facts: Partial<Requester> = {}): Requester {
  return {
    user: who,
    principal: who === undefined ? { kind: 'anonymous' } : { kind: 'user', accountId: ACCOUNT, name: who.name },
    accountId: ACCOUNT,
    secure: true,
    sourceIp: '127.0.0.1',
    presigned: false,
    headers: {},
    query: new URLSearchParams(),
    now: () => new Date('2026-01-02T03:04:05Z'),
    ...facts,
  };
}

const bucket = (policy?: object): BucketRecord => ({
  name: 'b',
  owner: 'alice',
  createdAt: new Date(0),
  region: 'us-east-1',
  ...(policy === undefined ? {} : { policy: JSON.stringify(policy) }),
});

const denied = (fn: () => void, what: string) =>
  assert.throws(fn, (err: { code?: string; status?: number }) => err.code === 'AccessDenied' && err.status === 403, what);

test('authorize: the owner by default, nobody else; anonymous only where a policy says *', () => {
  const alice = requester(user('alice'));
  const bob = requester(user('bob'));
  const anon = requester(undefined);
  authorizeAccess(alice, bucket(), 'k', 's3:GetObject');
  denied(() => authorizeAccess(bob, bucket(), 'k', 's3:GetObject'), 'another user');
  denied(() => authorizeAccess(anon, bucket(), 'k', 's3:GetObject'), 'anonymous');
  const open = bucket({ Statement: { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/pub/*' } });
  authorizeAccess(anon, open, 'pub/x', 's3:GetObject');
  authorizeAccess(bob, open, 'pub/x', 's3:GetObject');
  denied(() => authorizeAccess(anon, open, 'private/x', 's3:GetObject'), 'outside the allowed prefix');
  denied(() => authorizeAccess(anon, open, 'pub/x', 's3:PutObject'), 'another action');
  // The access kinds of the table.
  denied(() => authorize(anon, 'any', 's3:ListAllMyBuckets', undefined, undefined), 'anonymous ListBuckets');
  authorize(bob, 'any', 's3:CreateBucket', undefined, undefined);
  denied(() => authorize(bob, 'owner', 's3:GetBucketPolicy', open, undefined), 'policy administration by another user');
  denied(() => authorize(anon, 'owner', 's3:GetBucketPolicy', open, undefined), 'policy administration, anonymous');
  authorize(anon, 'keys', 's3:DeleteObject', open, undefined);
  assert.equal(ANONYMOUS_USER.isRoot, false);
});

test('authorize: a Deny binds the owner too, but never locks the owner out of the policy itself', () => {
  const alice = requester(user('alice'));
  const lockout = bucket({ Statement: { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] } });
  denied(() => authorize(alice, 'policy', 's3:GetObject', lockout, 'k'), 'GetObject');
  denied(() => authorize(alice, 'policy', 's3:ListBucket', lockout, undefined), 'ListBucket');
  authorize(alice, 'owner', 's3:DeleteBucketPolicy', lockout, undefined);
});

test('condition keys come from the request only, and lists keys only for list actions', () => {
  const r = requester(user('alice'), {
    secure: false,
    sourceIp: '192.0.2.7',
    headers: {
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-customer-key': 'secret',
      'user-agent': 'ua/1',
    },
    query: new URLSearchParams('prefix=home/&delimiter=/&max-keys=5'),
  });
  const list = conditionLookup(r, 's3:ListBucket');
  const put = conditionLookup(r, 's3:PutObject');
  assert.deepEqual(put('s3:x-amz-server-side-encryption'), ['aws:kms']);
  assert.equal(put('s3:x-amz-server-side-encryption-customer-algorithm'), undefined);
  assert.equal(put('s3:x-amz-server-side-encryption-customer-key'), undefined, 'no key exposes the SSE-C key');
  assert.equal(put('s3:x-amz-server-side-encryption-aws-kms-key-id'), undefined);
  assert.deepEqual(put('aws:securetransport'), ['false']);
  assert.deepEqual(put('aws:sourceip'), ['192.0.2.7']);
  assert.deepEqual(put('aws:username'), ['alice']);
  assert.deepEqual(put('aws:principalarn'), [`arn:aws:iam::${ACCOUNT}:user/alice`]);
  assert.deepEqual(put('aws:principalaccount'), [ACCOUNT]);
  assert.deepEqual(put('aws:useragent'), ['ua/1']);
  assert.deepEqual(put('aws:currenttime'), ['2026-01-02T03:04:05.000Z']);
  assert.deepEqual(put('aws:epochtime'), [String(Date.parse('2026-01-02T03:04:05Z') / 1000)]);
  assert.equal(put('s3:prefix'), undefined);
  assert.deepEqual(list('s3:prefix'), ['home/']);
  assert.deepEqual(list('s3:delimiter'), ['/']);
  assert.deepEqual(list('s3:max-keys'), ['5']);
  assert.equal(put('aws:unknownkey'), undefined);
  const anon = conditionLookup(requester(undefined), 's3:GetObject');
  assert.equal(anon('aws:username'), undefined);
  assert.equal(anon('aws:principalaccount'), undefined);
  assert.deepEqual(anon('aws:principaltype'), ['Anonymous']);
  assert.deepEqual(anon('aws:securetransport'), ['true']);
});
