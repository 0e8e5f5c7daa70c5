import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePolicies } from '../../src/policy/evaluate.js';
import { parsePolicy } from '../../src/policy/parse.js';
import { PolicyCache } from '../../src/policy/cache.js';
import { wildcardMatch } from '../../src/policy/wildcard.js';
import type { Principal, PolicyRequest } from '../../src/policy/types.js';

const ACCOUNT = '123456789012';
const alice: Principal = { kind: 'user', accountId: ACCOUNT, name: 'alice' };
const bob: Principal = { kind: 'user', accountId: ACCOUNT, name: 'bob' };
const anonymous: Principal = { kind: 'anonymous' };

const policy = (...statements: object[]) => parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }));

function request(principal: Principal, action: string, resource: string, keys: Record<string, string> = {}): PolicyRequest {
  return { principal, action, resource, conditions: (k) => (k in keys ? [keys[k]!] : undefined) };
}

test('wildcards: * runs over / and :, ? is one character, the rest is literal', () => {
  assert.ok(wildcardMatch('arn:aws:s3:::b/*', 'arn:aws:s3:::b/a/b/c'));
  assert.ok(wildcardMatch('arn:aws:s3:::b/*', 'arn:aws:s3:::b/'));
  assert.ok(!wildcardMatch('arn:aws:s3:::b/*', 'arn:aws:s3:::b'));
  assert.ok(wildcardMatch('arn:aws:s3:::b*', 'arn:aws:s3:::b/key'));
  assert.ok(wildcardMatch('a?c', 'abc'));
  assert.ok(!wildcardMatch('a?c', 'ac'));
  assert.ok(!wildcardMatch('a?c', 'abbc'));
  assert.ok(wildcardMatch('a*', 'a\nnew line'), 'keys may hold newlines');
  assert.ok(wildcardMatch('x.y', 'x.y'));
  assert.ok(!wildcardMatch('x.y', 'xzy'));
  assert.ok(wildcardMatch('[a]$(b)^{c}|d\\', '[a]$(b)^{c}|d\\'));
  assert.ok(!wildcardMatch('ABC', 'abc'));
  assert.ok(wildcardMatch('s3:get*', 's3:GetObject', true), 'actions compare without case');
});

test('an explicit Deny wins over any Allow, in any order and any policy', () => {
  const allow = { Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::b/*' };
  const deny = { Effect: 'Deny', Principal: { AWS: ACCOUNT }, Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/*' };
  const put = request(alice, 's3:PutObject', 'arn:aws:s3:::b/k');
  assert.equal(evaluatePolicies([policy(allow, deny)], put), 'deny');
  assert.equal(evaluatePolicies([policy(deny, allow)], put), 'deny');
  assert.equal(evaluatePolicies([policy(allow), policy(deny)], put), 'deny');
  assert.equal(evaluatePolicies([policy(allow)], put), 'allow');
  assert.equal(evaluatePolicies([policy(allow, deny)], request(alice, 's3:GetObject', 'arn:aws:s3:::b/k')), 'allow');
  // The account principal does not name anonymous requests: the deny does not apply to them.
  assert.equal(evaluatePolicies([policy(allow, deny)], request(anonymous, 's3:PutObject', 'arn:aws:s3:::b/k')), 'allow');
  assert.equal(evaluatePolicies([], put), 'none');
});

test('nothing applies: none (the caller’s default decides)', () => {
  const p = policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/bob` }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' });
  assert.equal(evaluatePolicies([p], request(alice, 's3:GetObject', 'arn:aws:s3:::b/k')), 'none');
  assert.equal(evaluatePolicies([p], request(bob, 's3:GetObject', 'arn:aws:s3:::b/k')), 'allow');
  assert.equal(evaluatePolicies([p], request(bob, 's3:PutObject', 'arn:aws:s3:::b/k')), 'none');
  assert.equal(evaluatePolicies([p], request(bob, 's3:GetObject', 'arn:aws:s3:::c/k')), 'none');
  assert.equal(evaluatePolicies([p], request(bob, 's3:ListBucket', 'arn:aws:s3:::b')), 'none');
});

test('principals: *, the account (root ARN or id), a user, a canonical id, a service', () => {
  const allowTo = (principal: unknown) =>
    policy({ Effect: 'Allow', Principal: principal, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' });
  const get = (who: Principal) => request(who, 's3:GetObject', 'arn:aws:s3:::b/k');
  const cases: [unknown, Principal, 'allow' | 'none'][] = [
    ['*', anonymous, 'allow'],
    ['*', alice, 'allow'],
    [{ AWS: '*' }, anonymous, 'allow'],
    [{ AWS: ACCOUNT }, alice, 'allow'],
    [{ AWS: ACCOUNT }, anonymous, 'none'],
    [{ AWS: `arn:aws:iam::${ACCOUNT}:root` }, bob, 'allow'],
    [{ AWS: '210987654321' }, alice, 'none'],
    [{ AWS: `arn:aws:iam::${ACCOUNT}:user/alice` }, alice, 'allow'],
    [{ AWS: `arn:aws:iam::${ACCOUNT}:user/division/alice` }, alice, 'allow'],
    [{ AWS: `arn:aws:iam::${ACCOUNT}:user/alice` }, bob, 'none'],
    [{ AWS: [`arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:iam::${ACCOUNT}:user/bob`] }, bob, 'allow'],
    [{ CanonicalUser: 'bob' }, bob, 'allow'],
    [{ Service: 'logging.s3.amazonaws.com' }, alice, 'none'],
  ];
  for (const [principal, who, expected] of cases) {
    assert.equal(evaluatePolicies([allowTo(principal)], get(who)), expected, `${JSON.stringify(principal)} for ${JSON.stringify(who)}`);
  }
});

test('NotPrincipal, NotAction and NotResource invert their match', () => {
  const p = policy({
    Effect: 'Deny',
    NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:user/alice` },
    NotAction: ['s3:GetObject', 's3:ListBucket'],
    NotResource: 'arn:aws:s3:::b/public/*',
  });
  assert.equal(evaluatePolicies([p], request(bob, 's3:PutObject', 'arn:aws:s3:::b/k')), 'deny');
  assert.equal(evaluatePolicies([p], request(anonymous, 's3:DeleteObject', 'arn:aws:s3:::b/k')), 'deny');
  assert.equal(evaluatePolicies([p], request(alice, 's3:PutObject', 'arn:aws:s3:::b/k')), 'none', 'NotPrincipal spares alice');
  assert.equal(evaluatePolicies([p], request(bob, 's3:GetObject', 'arn:aws:s3:::b/k')), 'none', 'NotAction spares GetObject');
  assert.equal(evaluatePolicies([p], request(bob, 's3:PutObject', 'arn:aws:s3:::b/public/x')), 'none', 'NotResource spares public/');
});

test('actions: wildcards and case', () => {
  const p = policy({ Effect: 'Allow', Principal: '*', Action: ['s3:Get*', 's3:listbucket'], Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] });
  assert.equal(evaluatePolicies([p], request(alice, 's3:GetObject', 'arn:aws:s3:::b/k')), 'allow');
  assert.equal(evaluatePolicies([p], request(alice, 's3:GetObjectAttributes', 'arn:aws:s3:::b/k')), 'allow');
  assert.equal(evaluatePolicies([p], request(alice, 's3:ListBucket', 'arn:aws:s3:::b')), 'allow');
  assert.equal(evaluatePolicies([p], request(alice, 's3:PutObject', 'arn:aws:s3:::b/k')), 'none');
  assert.equal(evaluatePolicies([p], request(alice, 's3:ListBucketVersions', 'arn:aws:s3:::b')), 'none');
});

test('a statement applies only when every condition holds', () => {
  const p = policy({
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:PutObject',
    Resource: 'arn:aws:s3:::b/*',
    Condition: { Null: { 's3:x-amz-server-side-encryption': 'true' } },
  });
  assert.equal(evaluatePolicies([p], request(alice, 's3:PutObject', 'arn:aws:s3:::b/k')), 'deny');
  assert.equal(evaluatePolicies([p], request(alice, 's3:PutObject', 'arn:aws:s3:::b/k', { 's3:x-amz-server-side-encryption': 'AES256' })), 'none');
});

test('the cache gives back one compiled policy per text, and keeps a bounded number', () => {
  const cache = new PolicyCache(2);
  const text = (sid: string) => JSON.stringify({ Statement: { Sid: sid, Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' } });
  const a = cache.get(text('a'));
  assert.equal(cache.get(text('a')), a, 'the same object: not parsed again');
  cache.get(text('b'));
  cache.get(text('a'));
  cache.get(text('c'));
  assert.equal(cache.size, 2);
  assert.equal(cache.get(text('a')), a, 'a was used recently: b was evicted, not a');
  assert.throws(() => cache.get('{'), /invalid Json/);
});
