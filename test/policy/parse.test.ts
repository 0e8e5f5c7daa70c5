import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MESSAGES, parsePolicy, validateBucketPolicy } from '../../src/policy/parse.js';
import { PolicyError } from '../../src/policy/types.js';

const ACCOUNT = '123456789012';
const BUCKET = 'photos';
const directory = { accountId: ACCOUNT, userExists: (name: string) => name === 'alice' || name === 'bob' };

/** A valid statement, with fields replaced or removed (undefined). */
function statement(changes: Record<string, unknown> = {}): Record<string, unknown> {
  const s: Record<string, unknown> = {
    Sid: 'S1',
    Effect: 'Allow',
    Principal: '*',
    Action: 's3:GetObject',
    Resource: `arn:aws:s3:::${BUCKET}/*`,
    ...changes,
  };
  for (const [k, v] of Object.entries(s)) if (v === undefined) delete s[k];
  return s;
}
const doc = (...statements: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

function rejects(text: string, message: string, validate = false): void {
  assert.throws(
    () => {
      const policy = parsePolicy(text);
      if (validate) validateBucketPolicy(policy, { bucket: BUCKET, directory });
    },
    (err: unknown) => {
      assert.ok(err instanceof PolicyError, `a PolicyError, got ${String(err)}`);
      assert.equal(err.message, message);
      assert.equal(err.code, 'STRONGBOX_POLICY_MALFORMED');
      return true;
    },
    `${message}: ${text}`,
  );
}

const accepts = (text: string) => {
  const policy = parsePolicy(text);
  validateBucketPolicy(policy, { bucket: BUCKET, directory });
  return policy;
};

test('a typical encryption-enforcing policy parses, with one statement object or a list', () => {
  const p = accepts(
    JSON.stringify({
      Version: '2012-10-17',
      Id: 'PutObjPolicy',
      Statement: {
        Sid: 'DenyUnEncryptedObjectUploads',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:PutObject',
        Resource: `arn:aws:s3:::${BUCKET}/*`,
        Condition: { Null: { 's3:x-amz-server-side-encryption': 'true' } },
      },
    }),
  );
  assert.equal(p.statements.length, 1);
  assert.equal(p.id, 'PutObjPolicy');
  assert.equal(p.statements[0]!.effect, 'Deny');
  assert.equal(p.statements[0]!.conditions[0]!.key, 's3:x-amz-server-side-encryption');
  assert.equal(accepts(doc(statement(), statement({ Sid: 'S2', Effect: 'Deny' }))).statements.length, 2);
  // Without a Version the policy is read as 2008-10-17, as IAM does.
  assert.equal(accepts(JSON.stringify({ Statement: [statement()] })).version, '2008-10-17');
  assert.equal(accepts(JSON.stringify({ Version: '2008-10-17', Statement: [statement()] })).version, '2008-10-17');
});

test('document-level faults', () => {
  rejects('', MESSAGES.firstByte);
  rejects('["Statement"]', MESSAGES.firstByte);
  rejects('{"Statement": [', MESSAGES.invalidJson);
  rejects('{"Version": "2012-10-17"}', MESSAGES.noStatement);
  rejects('{"Version": "2012-10-17", "Statement": []}', MESSAGES.emptyStatement);
  rejects(JSON.stringify({ Version: '2012-10-18', Statement: [statement()] }), MESSAGES.version);
  rejects(JSON.stringify({ Version: 2012, Statement: [statement()] }), MESSAGES.version);
  rejects(JSON.stringify({ Version: '2012-10-17', Statement: [statement()], Extra: 1 }), 'Unknown field Extra');
  rejects(JSON.stringify({ Version: '2012-10-17', Statement: ['s3:GetObject'] }), MESSAGES.invalidJson);
});

test('statement fields: Effect, Principal, Action, Resource are required', () => {
  rejects(doc(statement({ Effect: undefined })), MESSAGES.noEffect);
  rejects(doc(statement({ Effect: 'allow' })), 'Invalid effect: allow');
  rejects(doc(statement({ Principal: undefined })), MESSAGES.noPrincipal);
  rejects(doc(statement({ Action: undefined })), MESSAGES.noAction);
  rejects(doc(statement({ Resource: undefined })), MESSAGES.noResource);
  rejects(doc(statement({ condition: {} })), 'Unknown field condition');
});

test('principals', () => {
  for (const principal of [
    '*',
    { AWS: '*' },
    { AWS: ACCOUNT },
    { AWS: `arn:aws:iam::${ACCOUNT}:root` },
    { AWS: `arn:aws:iam::${ACCOUNT}:user/alice` },
    { AWS: [`arn:aws:iam::${ACCOUNT}:user/team/bob`, ACCOUNT] },
    { CanonicalUser: 'alice' },
    { Service: 'cloudtrail.amazonaws.com' },
  ]) {
    accepts(doc(statement({ Principal: principal })));
  }
  for (const principal of [
    'alice',
    { AWS: 'alice' },
    { AWS: [] },
    { AWS: `arn:aws:iam::${ACCOUNT}:user/*` },
    { Federated: 'cognito-identity.amazonaws.com' },
    {},
    7,
  ]) {
    rejects(doc(statement({ Principal: principal })), 'Invalid principal in policy');
  }
  // Principals that do not exist here: another account, an unknown user.
  rejects(doc(statement({ Principal: { AWS: '210987654321' } })), 'Invalid principal in policy', true);
  rejects(doc(statement({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/mallory` } })), 'Invalid principal in policy', true);
  rejects(doc(statement({ Principal: { CanonicalUser: 'mallory' } })), 'Invalid principal in policy', true);
  rejects(doc(statement({ Principal: '*', NotPrincipal: { AWS: ACCOUNT } })), 'Invalid principal in policy');
  const p = accepts(doc(statement({ Principal: undefined, NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:user/alice` }, Effect: 'Deny' })));
  assert.equal(p.statements[0]!.notPrincipal, true);
});

test('actions: names, wildcards and case', () => {
  for (const action of ['s3:*', '*', 's3:Get*', 's3:getobject', 'S3:GetObject', ['s3:GetObject', 's3:DeleteObject'], 's3:*Object', 's3:GetObjec?']) {
    accepts(doc(statement({ Action: action })));
  }
  for (const action of ['s3:Fly', 'GetObject', 'ec2:RunInstances', 's3:Zz*', [], '', ['s3:GetObject', 7]]) {
    rejects(doc(statement({ Action: action })), MESSAGES.invalidAction);
  }
  rejects(doc(statement({ NotAction: 's3:GetObject' })), MESSAGES.invalidAction);
  assert.equal(accepts(doc(statement({ Action: undefined, NotAction: 's3:DeleteObject' }))).statements[0]!.notAction, true);
});

test('resources: S3 ARNs of this bucket only', () => {
  for (const resource of [
    `arn:aws:s3:::${BUCKET}/*`,
    [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
    `arn:aws:s3:::${BUCKET}/home/alice/*`,
    `arn:aws:s3:::pho*/*`,
    `arn:aws:s3:::photo?/a?c`,
  ]) {
    accepts(doc(statement({ Resource: resource, Action: 's3:*' })));
  }
  for (const resource of ['*', 'photos/*', `arn:aws:s3:::`, `arn:aws:s3:::/photos`, 'arn:aws:iam::123456789012:root', [], 5]) {
    rejects(doc(statement({ Resource: resource })), MESSAGES.invalidResource);
  }
  // Another bucket: syntactically fine, refused for this bucket.
  rejects(doc(statement({ Resource: 'arn:aws:s3:::other/*' })), MESSAGES.invalidResource, true);
  rejects(doc(statement({ Resource: 'arn:aws:s3:::photosx/*' })), MESSAGES.invalidResource, true);
  rejects(doc(statement({ Resource: undefined, NotResource: 'arn:aws:s3:::other/*' })), MESSAGES.invalidResource, true);
  rejects(doc(statement({ Resource: `arn:aws:s3:::${BUCKET}/*`, NotResource: `arn:aws:s3:::${BUCKET}` })), MESSAGES.invalidResource);
});

test('every action must apply to one of the resources', () => {
  rejects(doc(statement({ Action: 's3:PutObject', Resource: `arn:aws:s3:::${BUCKET}` })), MESSAGES.actionResourceMismatch);
  rejects(doc(statement({ Action: 's3:ListBucket', Resource: `arn:aws:s3:::${BUCKET}/*` })), MESSAGES.actionResourceMismatch);
  rejects(doc(statement({ Action: ['s3:GetObject', 's3:ListBucket'], Resource: `arn:aws:s3:::${BUCKET}/*` })), MESSAGES.actionResourceMismatch);
  rejects(doc(statement({ Action: 's3:ListAllMyBuckets', Resource: `arn:aws:s3:::${BUCKET}` })), MESSAGES.actionResourceMismatch);
  accepts(doc(statement({ Action: ['s3:GetObject', 's3:ListBucket'], Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`] })));
  // s3:Get* names bucket actions as well as object ones.
  accepts(doc(statement({ Action: 's3:Get*', Resource: `arn:aws:s3:::${BUCKET}` })));
  // A * in the bucket part can run on into a key.
  accepts(doc(statement({ Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}*` })));
  accepts(doc(statement({ Action: 's3:GetObject', NotResource: `arn:aws:s3:::${BUCKET}`, Resource: undefined })));
});

test('conditions: operators, keys and values', () => {
  const withCondition = (condition: unknown) => doc(statement({ Action: 's3:*', Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`], Condition: condition }));
  for (const condition of [
    { StringEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
    { StringNotEquals: { 's3:x-amz-server-side-encryption': ['AES256', 'aws:kms'] } },
    { StringLike: { 's3:prefix': 'home/*' }, StringNotLike: { 's3:prefix': 'home/secret*' } },
    { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': true } },
    { Bool: { 'aws:SecureTransport': false } },
    { IpAddress: { 'aws:SourceIp': ['127.0.0.1', '10.0.0.0/8', '::1/128'] } },
    { NotIpAddress: { 'aws:SourceIp': '192.168.0.0/16' } },
    { NumericLessThanEquals: { 's3:max-keys': 10 } },
    { StringEqualsIfExists: { 's3:x-amz-server-side-encryption': 'AES256' } },
    { 'ForAnyValue:StringEquals': { 'aws:username': ['alice'] } },
    { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } },
    { StringEquals: { 'aws:SomeFutureKey': 'x', 'kms:EncryptionContext': 'y', 's3:ExistingObjectTag/team': 'blue' } },
  ]) {
    accepts(withCondition(condition));
  }
  rejects(withCondition({ StringEqualz: { 's3:prefix': 'a' } }), 'Invalid Condition type : StringEqualz');
  rejects(withCondition({ stringequals: { 's3:prefix': 'a' } }), 'Invalid Condition type : stringequals');
  rejects(withCondition({ NullIfExists: { 's3:prefix': 'true' } }), 'Invalid Condition type : NullIfExists');
  rejects(withCondition({ 'ForSomeValues:StringEquals': {} }), 'Invalid Condition type : ForSomeValues:StringEquals');
  rejects(withCondition({ StringEquals: { 's3:x-amz-server-side-encryptio': 'AES256' } }), 'Policy has an invalid condition key');
  rejects(withCondition({ StringEquals: { SecureTransport: 'true' } }), 'Policy has an invalid condition key');
  rejects(withCondition({ IpAddress: { 'aws:SourceIp': '300.1.2.3' } }), 'Invalid IP address in Conditions');
  rejects(withCondition({ IpAddress: { 'aws:SourceIp': '10.0.0.0/33' } }), 'Invalid IP address in Conditions');
  rejects(withCondition({ StringEquals: { 's3:prefix': { nested: true } } }), MESSAGES.invalidJson);
  rejects(withCondition({ StringEquals: 'x' }), MESSAGES.invalidJson);
  rejects(withCondition(['StringEquals']), MESSAGES.invalidJson);
});

// Found by test/fuzz/policy.fuzz.test.ts: trimStart() dropped a leading U+2028 (or U+00A0, a
// BOM), so PutBucketPolicy accepted and stored a text that is not JSON, skipping the 20 KB
// check, which measures JSON.parse(text). Only JSON's whitespace may precede the '{'.
test('a policy led by U+2028, U+00A0 or a BOM is refused, not stored as non-JSON (fuzz: non-JSON whitespace)', () => {
  for (const lead of ['\u2028', '\u00a0', '\ufeff']) rejects(lead + doc(statement()), MESSAGES.firstByte);
  assert.equal(parsePolicy(' \t\r\n' + doc(statement())).statements.length, 1);
});

// Found by test/fuzz/policy.fuzz.test.ts: the message was built with String(effect), which for
// {"toString": null} threw a TypeError (500 InternalError) instead of MalformedPolicy.
test('an Effect object with its own toString member is refused as an invalid effect (fuzz: String() threw)', () => {
  rejects(doc(statement({ Effect: { toString: null } })), 'Invalid effect: {"toString":null}');
  rejects(doc(statement({ Effect: [{ valueOf: 1, toString: 1 }] })), 'Invalid effect: [{"valueOf":1,"toString":1}]');
  rejects(doc(statement({ Effect: 7 })), 'Invalid effect: 7');
});
