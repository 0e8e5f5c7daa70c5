/**
 * Bucket policy documents (src/policy/parse.ts, and the checks PutBucketPolicy adds in
 * src/s3/policy.ts): any text, up to the 80 KiB PutBucketPolicy reads, is a compiled policy
 * or a PolicyError (400 MalformedPolicy), in bounded work; generated valid policies parse to
 * their model, and what PutBucketPolicy accepts is JSON within Amazon's 20 KB.
 */
import assert from 'node:assert/strict';
import { parsePolicy, validateBucketPolicy } from '../../src/policy/parse.js';
import { PolicyError } from '../../src/policy/types.js';
import { MAX_BODY, MAX_POLICY_BYTES, checkPolicyDocument } from '../../src/s3/policy.js';
import { anyString, fc, fuzz, s3Only, throwsOnly, tokens, unicodeString } from './harness.js';

const ACCOUNT = '123456789012';
const BUCKET = 'photos';
const target = { bucket: BUCKET, directory: { accountId: ACCOUNT, userExists: (name: string) => name === 'alice' } };

// ---- a model of valid policies ---------------------------------------------------------

const OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:Get*', 's3:*Object', 's3:GetObject?cl', '*', 's3:*'];
const principal = fc.oneof(
  fc.constant('*'),
  fc.constantFrom({ AWS: '*' }, { AWS: ACCOUNT }, { AWS: `arn:aws:iam::${ACCOUNT}:root` }, { AWS: `arn:aws:iam::${ACCOUNT}:user/alice` }, { AWS: [ACCOUNT, `arn:aws:iam::${ACCOUNT}:user/team/alice`] }, { CanonicalUser: 'alice' }, { Service: 'logging.s3.amazonaws.com' }),
);
const keyPattern = fc.oneof(fc.constant('*'), fc.stringMatching(/^[a-z0-9/*?.-]{0,20}$/), unicodeString(12).filter((k) => k !== ''));
const condition = fc.constantFrom(
  { StringEquals: { 's3:x-amz-server-side-encryption': 'AES256' } },
  { StringLike: { 'aws:Referer': ['https://*.example.com/*', '*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b'] } },
  { Bool: { 'aws:SecureTransport': 'false' } },
  { IpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '2001:db8::/32'] } },
  { 'ForAnyValue:StringEquals': { 's3:prefix': ['a', 'b'] }, NumericLessThanIfExists: { 's3:max-keys': '10' } },
  { Null: { 's3:x-amz-server-side-encryption': 'true' } },
);
const maybeList = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | T[]> => fc.oneof(arb, fc.array(arb, { minLength: 1, maxLength: 3 }));
const statement = fc.record(
  {
    Sid: unicodeString(10),
    Effect: fc.constantFrom('Allow', 'Deny'),
    principalField: fc.constantFrom('Principal', 'NotPrincipal'),
    principal,
    actionField: fc.constantFrom('Action', 'NotAction'),
    action: maybeList(fc.constantFrom(...OBJECT_ACTIONS)),
    resourceField: fc.constantFrom('Resource', 'NotResource'),
    resource: maybeList(fc.oneof(keyPattern.map((k) => `arn:aws:s3:::${BUCKET}/${k}`), fc.constantFrom(`arn:aws:s3:::${BUCKET}*`, 'arn:aws:s3:::ph*/*', 'arn:aws:s3:::*'))),
    Condition: condition,
  },
  { requiredKeys: ['Effect', 'principalField', 'principal', 'actionField', 'action', 'resourceField', 'resource'] },
);
type GenStatement = typeof statement extends fc.Arbitrary<infer T> ? T : never;

const toJson = (s: GenStatement): Record<string, unknown> => ({
  ...(s.Sid === undefined ? {} : { Sid: s.Sid }),
  Effect: s.Effect,
  [s.principalField]: s.principal,
  [s.actionField]: s.action,
  [s.resourceField]: s.resource,
  ...(s.Condition === undefined ? {} : { Condition: s.Condition }),
});

const policy = fc.record(
  {
    Version: fc.constantFrom('2012-10-17', '2008-10-17'),
    Id: unicodeString(10),
    statements: fc.array(statement, { minLength: 1, maxLength: 4 }),
    single: fc.boolean(),
    indent: fc.constantFrom(0, 2, '\t'),
  },
  { requiredKeys: ['statements', 'single', 'indent'] },
);

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

fuzz('policy: a generated valid policy parses to its model and validates for its bucket', policy, (p) => {
  const doc = {
    ...(p.Version === undefined ? {} : { Version: p.Version }),
    ...(p.Id === undefined ? {} : { Id: p.Id }),
    Statement: p.single && p.statements.length === 1 ? toJson(p.statements[0]!) : p.statements.map(toJson),
  };
  const text = JSON.stringify(doc, null, p.indent);
  const parsed = parsePolicy(text);
  validateBucketPolicy(parsed, target);
  assert.equal(parsed.version, p.Version ?? '2008-10-17');
  assert.equal(parsed.id, p.Id);
  assert.equal(parsed.statements.length, p.statements.length);
  parsed.statements.forEach((st, i) => {
    const g = p.statements[i]!;
    assert.equal(st.sid, g.Sid);
    assert.equal(st.effect, g.Effect);
    assert.equal(st.notPrincipal, g.principalField === 'NotPrincipal');
    assert.equal(st.notAction, g.actionField === 'NotAction');
    assert.equal(st.notResource, g.resourceField === 'NotResource');
    assert.deepEqual(st.actions.map((a) => a.source), asList(g.action));
    assert.deepEqual(st.resources.map((r) => r.source), asList(g.resource));
    assert.ok(st.principals.length >= 1);
    assert.equal(st.conditions.length, g.Condition === undefined ? 0 : Object.values(g.Condition).reduce((n, block) => n + Object.keys(block).length, 0));
  });
  if (Buffer.byteLength(JSON.stringify(doc)) <= MAX_POLICY_BYTES) checkPolicyDocument(text, target);
});

// ---- anything else -----------------------------------------------------------------------

/** A valid policy with one field replaced by any JSON value (or removed). */
const damaged = fc
  .tuple(policy, fc.nat(), fc.constantFrom('Version', 'Id', 'Statement', 'Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition', 'AWS', 'Other'), fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }))
  .map(([p, which, field, value]) => {
    // A deep copy: the generated principals and conditions are shared constants.
    const statements = JSON.parse(JSON.stringify(p.statements.map(toJson))) as Record<string, unknown>[];
    const doc: Record<string, unknown> = { Version: p.Version ?? '2012-10-17', Statement: statements };
    const st = statements[which % statements.length]!;
    const inPrincipal = field === 'AWS' && typeof st.Principal === 'object' && st.Principal !== null && !Array.isArray(st.Principal);
    const holder = ['Version', 'Id', 'Statement'].includes(field) ? doc : inPrincipal ? (st.Principal as Record<string, unknown>) : st;
    if (value === undefined) delete holder[field];
    else holder[field] = value;
    return JSON.stringify(doc);
  });

const jsonSoup = ['{', '}', '[', ']', '"', ':', ',', '"Version"', '"2012-10-17"', '"Statement"', '"Effect"', '"Allow"', '"Principal"', '"*"', '"Action"', '"s3:GetObject"', '"Resource"', `"arn:aws:s3:::${BUCKET}/*"`, '"Condition"', '"StringLike"', '"\\ud800"', '"\\u0000"', 'null', 'true', '1e999', '-0', ' ', '\n', '\ufeff', '\u00a0', '\u2028'];
const anyText = fc.oneof(
  damaged,
  tokens(jsonSoup, 40),
  anyString(100),
  fc.tuple(fc.constantFrom('', ' ', '\ufeff', '\u00a0', '\u2028', '\t\r\n'), damaged).map(([lead, text]) => lead + text),
);

fuzz('policy: any text compiles or is a PolicyError; PutBucketPolicy answers MalformedPolicy only, and keeps only JSON within 20 KB', anyText, (text) => {
  const err = throwsOnly(PolicyError, () => validateBucketPolicy(parsePolicy(text), target));
  if (err !== undefined) assert.equal(err.code, 'STRONGBOX_POLICY_MALFORMED');
  s3Only(['MalformedPolicy'], () => {
    checkPolicyDocument(text, target);
    // Accepted: the stored text is what GetBucketPolicy returns and clients JSON.parse.
    assert.ok(Buffer.byteLength(JSON.stringify(JSON.parse(text))) <= MAX_POLICY_BYTES);
  });
});

/** Many statements, up to the 80 KiB a PutBucketPolicy body may have, with wildcard-heavy patterns. */
const large = fc
  .tuple(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 60 }), fc.boolean())
  .map(([n, stars, pretty]) => {
    const resource = `arn:aws:s3:::${'*p'.repeat(stars)}*/${'*a'.repeat(stars)}b`;
    const st = { Effect: 'Allow', Principal: '*', Action: ['s3:GetObject', 's3:Get*'], Resource: resource, Condition: { StringLike: { 'aws:Referer': '*a'.repeat(stars) + 'b' } } };
    return JSON.stringify({ Version: '2012-10-17', Statement: Array.from({ length: n }, () => st) }, null, pretty ? 2 : 0);
  })
  .filter((text) => Buffer.byteLength(text) <= MAX_BODY);

fuzz(
  'policy: documents up to the 80 KiB read cap, wildcards everywhere, are checked in bounded work',
  large,
  (text) => {
    s3Only(['MalformedPolicy'], () => checkPolicyDocument(text, { ...target, bucket: 'p'.repeat(63) }));
  },
  { scale: 0.05, minRuns: 50 },
);
