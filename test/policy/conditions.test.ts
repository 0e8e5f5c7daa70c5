import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConditions } from '../../src/policy/conditions.js';

/**
 * Whether a Condition element holds for a request whose keys are `request` (lower-case
 * names; a missing name is an absent key).
 */
function holds(condition: Record<string, Record<string, unknown>>, request: Record<string, string | string[]>): boolean {
  const clauses = parseConditions(condition);
  return clauses.every((c) => {
    const v = request[c.key];
    return c.test(v === undefined ? undefined : Array.isArray(v) ? v : [v]);
  });
}

const SSE = 's3:x-amz-server-side-encryption';
const sse = (value?: string) => (value === undefined ? {} : { [SSE]: value });

test('StringEquals / StringNotEquals, and an absent key', () => {
  const eq = { StringEquals: { [SSE]: ['AES256', 'aws:kms'] } };
  assert.equal(holds(eq, sse('aws:kms')), true);
  assert.equal(holds(eq, sse('AES256')), true);
  assert.equal(holds(eq, sse('aes256')), false, 'case-sensitive');
  assert.equal(holds(eq, sse()), false, 'a positive operator is false without the key');
  const ne = { StringNotEquals: { [SSE]: 'aws:kms' } };
  assert.equal(holds(ne, sse('AES256')), true);
  assert.equal(holds(ne, sse('aws:kms')), false);
  assert.equal(holds(ne, sse()), true, 'a negated operator is true without the key');
  const neList = { StringNotEquals: { [SSE]: ['AES256', 'aws:kms'] } };
  assert.equal(holds(neList, sse('aws:kms')), false, 'matches none of the values');
  assert.equal(holds(neList, sse('aws:kms:dsse')), true);
});

test('StringEqualsIgnoreCase / StringNotEqualsIgnoreCase', () => {
  assert.equal(holds({ StringEqualsIgnoreCase: { [SSE]: 'AES256' } }, sse('aes256')), true);
  assert.equal(holds({ StringEqualsIgnoreCase: { [SSE]: 'AES256' } }, sse('aws:kms')), false);
  assert.equal(holds({ StringNotEqualsIgnoreCase: { [SSE]: 'AES256' } }, sse('aes256')), false);
  assert.equal(holds({ StringNotEqualsIgnoreCase: { [SSE]: 'AES256' } }, sse()), true);
});

test('StringLike / StringNotLike with * and ?', () => {
  const like = { StringLike: { 's3:prefix': ['home/alice/*', 'pub??c/'] } };
  assert.equal(holds(like, { 's3:prefix': 'home/alice/docs/x' }), true);
  assert.equal(holds(like, { 's3:prefix': 'home/alice/' }), true);
  assert.equal(holds(like, { 's3:prefix': 'home/bob/' }), false);
  assert.equal(holds(like, { 's3:prefix': 'public/' }), true);
  assert.equal(holds(like, { 's3:prefix': 'publiic/' }), false);
  assert.equal(holds(like, {}), false);
  const notLike = { StringNotLike: { 's3:prefix': 'secret*' } };
  assert.equal(holds(notLike, { 's3:prefix': 'secret/a' }), false);
  assert.equal(holds(notLike, { 's3:prefix': 'open/a' }), true);
  assert.equal(holds(notLike, {}), true);
  // Regular-expression characters are literal.
  assert.equal(holds({ StringLike: { 's3:prefix': 'a.b+(c)' } }, { 's3:prefix': 'a.b+(c)' }), true);
  assert.equal(holds({ StringLike: { 's3:prefix': 'a.b' } }, { 's3:prefix': 'axb' }), false);
});

test('Null: "true" when the key is absent, "false" when present', () => {
  assert.equal(holds({ Null: { [SSE]: 'true' } }, sse()), true);
  assert.equal(holds({ Null: { [SSE]: 'true' } }, sse('AES256')), false);
  assert.equal(holds({ Null: { [SSE]: 'false' } }, sse('AES256')), true);
  assert.equal(holds({ Null: { [SSE]: false } }, sse()), false);
  assert.equal(holds({ Null: { [SSE]: true } }, sse()), true, 'JSON booleans are accepted');
});

test('Bool', () => {
  const insecure = { Bool: { 'aws:securetransport': 'false' } };
  assert.equal(holds(insecure, { 'aws:securetransport': 'false' }), true);
  assert.equal(holds(insecure, { 'aws:securetransport': 'true' }), false);
  assert.equal(holds(insecure, {}), false);
  assert.equal(holds({ Bool: { 'aws:SecureTransport': false } }, { 'aws:securetransport': 'false' }), true, 'key names are case-insensitive');
});

test('IpAddress / NotIpAddress: addresses and CIDRs, IPv4 and IPv6', () => {
  const ip = { IpAddress: { 'aws:SourceIp': ['127.0.0.1', '10.0.0.0/8', '2001:db8::/32'] } };
  assert.equal(holds(ip, { 'aws:sourceip': '127.0.0.1' }), true);
  assert.equal(holds(ip, { 'aws:sourceip': '127.0.0.2' }), false, 'an address without a prefix is /32');
  assert.equal(holds(ip, { 'aws:sourceip': '10.200.3.4' }), true);
  assert.equal(holds(ip, { 'aws:sourceip': '::ffff:10.1.1.1' }), true, 'IPv4-mapped IPv6 is the IPv4 address');
  assert.equal(holds(ip, { 'aws:sourceip': '2001:db8:1::5' }), true);
  assert.equal(holds(ip, { 'aws:sourceip': '2001:db9::1' }), false);
  assert.equal(holds(ip, {}), false);
  const notIp = { NotIpAddress: { 'aws:SourceIp': '127.0.0.0/8' } };
  assert.equal(holds(notIp, { 'aws:sourceip': '127.0.0.1' }), false);
  assert.equal(holds(notIp, { 'aws:sourceip': '192.0.2.1' }), true);
  assert.equal(holds(notIp, {}), true);
});

test('Numeric and Date operators', () => {
  assert.equal(holds({ NumericLessThanEquals: { 's3:max-keys': '10' } }, { 's3:max-keys': '10' }), true);
  assert.equal(holds({ NumericLessThanEquals: { 's3:max-keys': 10 } }, { 's3:max-keys': '11' }), false);
  assert.equal(holds({ NumericLessThan: { 's3:max-keys': 10 } }, { 's3:max-keys': '10' }), false);
  assert.equal(holds({ NumericGreaterThan: { 's3:max-keys': 10 } }, { 's3:max-keys': '11' }), true);
  assert.equal(holds({ NumericGreaterThanEquals: { 's3:max-keys': 10 } }, { 's3:max-keys': '9' }), false);
  assert.equal(holds({ NumericEquals: { 's3:max-keys': 10 } }, { 's3:max-keys': 'ten' }), false);
  assert.equal(holds({ NumericNotEquals: { 's3:max-keys': 10 } }, { 's3:max-keys': '5' }), true);
  const t = { 'aws:currenttime': '2026-03-01T12:00:00.000Z' };
  assert.equal(holds({ DateGreaterThan: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } }, t), true);
  assert.equal(holds({ DateLessThan: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } }, t), false);
  assert.equal(holds({ DateLessThanEquals: { 'aws:EpochTime': '1800000000' } }, { 'aws:epochtime': '1700000000' }), true);
});

test('…IfExists, ForAnyValue: and ForAllValues:', () => {
  const ifExists = { StringEqualsIfExists: { [SSE]: 'aws:kms' } };
  assert.equal(holds(ifExists, sse()), true);
  assert.equal(holds(ifExists, sse('aws:kms')), true);
  assert.equal(holds(ifExists, sse('AES256')), false);
  const notIfExists = { StringNotEqualsIfExists: { [SSE]: 'aws:kms' } };
  assert.equal(holds(notIfExists, sse()), true);
  assert.equal(holds(notIfExists, sse('aws:kms')), false);
  const any = { 'ForAnyValue:StringLike': { 'aws:tagkeys': ['team*'] } };
  assert.equal(holds(any, { 'aws:tagkeys': ['owner', 'team-a'] }), true);
  assert.equal(holds(any, { 'aws:tagkeys': ['owner'] }), false);
  assert.equal(holds(any, {}), false);
  const all = { 'ForAllValues:StringEquals': { 'aws:tagkeys': ['a', 'b'] } };
  assert.equal(holds(all, { 'aws:tagkeys': ['a', 'b'] }), true);
  assert.equal(holds(all, { 'aws:tagkeys': ['a', 'c'] }), false);
  assert.equal(holds(all, {}), true);
});

test('every clause of a Condition must hold', () => {
  const both = { StringNotEquals: { [SSE]: 'aws:kms' }, Null: { [SSE]: 'false' } };
  assert.equal(holds(both, sse('AES256')), true);
  assert.equal(holds(both, sse('aws:kms')), false);
  assert.equal(holds(both, sse()), false);
  const twoKeys = { StringEquals: { [SSE]: 'aws:kms', 'aws:username': 'alice' } };
  assert.equal(holds(twoKeys, { ...sse('aws:kms'), 'aws:username': 'alice' }), true);
  assert.equal(holds(twoKeys, { ...sse('aws:kms'), 'aws:username': 'bob' }), false);
});
