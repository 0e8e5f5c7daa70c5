/**
 * The one wildcard matcher of policies (src/policy/wildcard.ts): IAM's `*` and `?`, and its
 * worst cases bounded by counting steps, never by the clock. Before it, each pattern was a
 * regular expression that backtracked exponentially on a miss: a bucket policy could hold
 * the event loop for minutes (issue 14).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileArnPattern, compilePattern, matchArn, matchPattern, wildcardMatch, type MatchStats } from '../../src/policy/wildcard.js';
import { parsePolicy } from '../../src/policy/parse.js';
import { evaluatePolicies } from '../../src/policy/evaluate.js';

/** The bound the matcher promises: (P + 1) × (T + 1) steps, P and T in characters. */
const bound = (pattern: string, text: string) => ([...pattern].length + 1) * ([...text].length + 1);

function steps(pattern: string, text: string, caseInsensitive = false): { matched: boolean; steps: number } {
  const stats: MatchStats = { steps: 0 };
  const matched = matchPattern(compilePattern(pattern, caseInsensitive), text, stats);
  return { matched, steps: stats.steps };
}

/** `*a*a…*ab`: a regular expression tries every way to split the text among the stars. */
const killer = (stars: number) => `arn:aws:s3:::b/${'*a'.repeat(stars)}b`;

test('the pattern of issue 14 (12 wildcards, a 40-character key) is a miss in linear steps', () => {
  const pattern = 'arn:aws:s3:::b/*a*a*a*a*a*a*a*a*a*a*a*ab';
  const text = `arn:aws:s3:::b/${'a'.repeat(40)}`;
  const r = steps(pattern, text);
  assert.equal(r.matched, false);
  assert.ok(r.steps <= bound(pattern, text), `${r.steps} steps`);
});

test('3,000 wildcards against a 1,024-byte key: at most (P + 1) × (T + 1) steps, match or miss', () => {
  const pattern = killer(3000);
  const miss = `arn:aws:s3:::b/${'a'.repeat(1024 - 15)}`;
  const r = steps(pattern, miss);
  assert.equal(r.matched, false);
  assert.ok(r.steps <= bound(pattern, miss), `${r.steps} steps > ${bound(pattern, miss)}`);
  // A text long enough for every star, ending in b: a match.
  const hit = `arn:aws:s3:::b/${'a'.repeat(3000)}b`;
  const h = steps(pattern, hit);
  assert.equal(h.matched, true);
  assert.ok(h.steps <= bound(pattern, hit));
});

test('the two-pointer worst case (one star, then a long literal that keeps almost matching) stays within the bound', () => {
  // Every position of the text starts a literal run that fails only at its end.
  const pattern = `*${'a'.repeat(500)}b`;
  const text = 'a'.repeat(1024);
  const r = steps(pattern, text);
  assert.equal(r.matched, false);
  assert.ok(r.steps <= bound(pattern, text), `${r.steps} steps`);
  assert.ok(r.steps > 1024, 'the count is real work, not zero');
  // Many ? and * mixed in: still within the bound.
  const mixed = `${'*?a'.repeat(300)}*b`;
  const m = steps(mixed, text);
  assert.equal(m.matched, false);
  assert.ok(m.steps <= bound(mixed, text), `${m.steps} steps`);
});

test('a parsed bucket policy with 3,000 wildcards in its Resource evaluates a miss (no regular expression)', () => {
  const doc = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: killer(3000) }],
  });
  const policy = parsePolicy(doc);
  const decision = evaluatePolicies([policy], {
    principal: { kind: 'anonymous' },
    action: 's3:GetObject',
    resource: `arn:aws:s3:::b/${'a'.repeat(1009)}`,
    conditions: () => undefined,
  });
  assert.equal(decision, 'none');
});

test('semantics: * any run (also empty, /, :, newlines), ? exactly one code point, the rest literal', () => {
  assert.ok(wildcardMatch('*', ''));
  assert.ok(wildcardMatch('**', 'x'));
  assert.ok(!wildcardMatch('?', ''));
  assert.ok(wildcardMatch('a*b*c', 'a/b:c'));
  assert.ok(wildcardMatch('a*', 'a\r\nx'));
  assert.ok(wildcardMatch('a?b', 'a\nb'));
  // One code point, as IAM counts characters, even outside the BMP.
  assert.ok(wildcardMatch('a?b', 'a😀b'));
  assert.ok(!wildcardMatch('a??b', 'a😀b'));
  assert.ok(wildcardMatch('*😀', 'x😀'));
  assert.ok(wildcardMatch('é*', 'éa'));
  // Regular-expression syntax means nothing.
  assert.ok(wildcardMatch('.+[]()^$|\\{}', '.+[]()^$|\\{}'));
  assert.ok(!wildcardMatch('a.c', 'abc'));
  // Case: literal unless asked (actions).
  assert.ok(!wildcardMatch('ABC', 'abc'));
  assert.ok(wildcardMatch('s3:get*', 's3:GetObject', true));
  assert.ok(wildcardMatch('S3:GETOBJEC?', 's3:GetObject', true));
});

/** A tiny deterministic generator (tests never use Math.random). */
function* lcg(seed: number): Generator<number> {
  let x = seed >>> 0;
  for (;;) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    yield x;
  }
}

test('agrees with a reference matcher on 20,000 generated small cases, within the bound each time', () => {
  // The reference: a regular expression over test-made patterns of at most 6 characters,
  // which cannot blow up at this size.
  const ref = (p: string, t: string) =>
    new RegExp(`^${[...p].map((c) => (c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : c)).join('')}$`, 'u').test(t);
  const rnd = lcg(14);
  const pick = (alphabet: string, max: number) => {
    const n = rnd.next().value! % (max + 1);
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[rnd.next().value! % alphabet.length];
    return s;
  };
  for (let i = 0; i < 20_000; i++) {
    const p = pick('ab*?', 6);
    const t = pick('ab', 8);
    const r = steps(p, t);
    assert.equal(r.matched, ref(p, t), `${JSON.stringify(p)} vs ${JSON.stringify(t)}`);
    assert.ok(r.steps <= bound(p, t), `${JSON.stringify(p)} vs ${JSON.stringify(t)}: ${r.steps} steps`);
  }
});

test('ARN patterns: wildcards stay inside each of the six components; the resource may hold colons', () => {
  const m = (p: string, v: string) => matchArn(compileArnPattern(p), v);
  assert.ok(m('arn:aws:iam::*:user/*', 'arn:aws:iam::123456789012:user/alice'));
  assert.ok(m('arn:aws:iam::1234567890??:user/alice', 'arn:aws:iam::123456789012:user/alice'));
  // A * in the account cannot run on into the resource type.
  assert.ok(!m('arn:aws:s3:::*', 'arn:aws:iam::123456789012:user/alice'));
  assert.ok(m('arn:aws:*:*:*:user/alice', 'arn:aws:iam::1:user/alice'));
  assert.ok(!m('arn:aws:iam::*:user/alice', 'arn:aws:iam::1:x:user/alice'));
  assert.ok(m('arn:aws:sns:*:*:topic:sub', 'arn:aws:sns:eu-west-1:123456789012:topic:sub'));
  assert.ok(m('arn:aws:s3:::b/*', 'arn:aws:s3:::b/key:with:colons'));
  // Fewer components: the last absorbs the rest.
  assert.ok(m('*', 'arn:aws:s3:::b/k'));
  assert.ok(m('arn:aws:*', 'arn:aws:s3:::b/k'));
  assert.ok(!m('arn:aws:s3:::b', 'not-an-arn'));
  assert.ok(!m('arn:aws:s3:::b', 'arn:aws:s3:::B'), 'case-sensitive');
  const stats: MatchStats = { steps: 0 };
  const long = compileArnPattern(`arn:aws:s3:::${'*a'.repeat(3000)}b`);
  const text = `arn:aws:s3:::${'a'.repeat(1024)}`;
  assert.equal(matchArn(long, text, stats), false);
  assert.ok(stats.steps <= bound(long.source, text));
});
