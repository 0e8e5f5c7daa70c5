import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalHeaders } from '../../src/auth/canonical-headers.js';
import { canonicalQuery, decodeQuery, splitQuery } from '../../src/auth/canonical-query.js';
import { canonicalUri } from '../../src/auth/canonical-request.js';
import { SigningKeyCache, deriveSigningKey } from '../../src/auth/signing-key.js';
import { uriEncode } from '../../src/auth/uri-encode.js';

test('canonicalUri: S3 style, decode once and re-encode, no normalisation', () => {
  const cases: [string, string][] = [
    ['', '/'],
    ['/', '/'],
    ['/bucket/a%20b.txt', '/bucket/a%20b.txt'],
    ['/bucket/a+b', '/bucket/a%2Bb'],
    ['/bucket/%7e%7E~', '/bucket/~~~'],
    ['/bucket/a%2fb', '/bucket/a%2Fb'],
    ['/bucket/./../x/', '/bucket/./../x/'],
    ['/bucket//double//', '/bucket//double//'],
    ["/bucket/it's(1)!*", '/bucket/it%27s%281%29%21%2A'],
    ['/bucket/%C3%BC%e6%97%a5', '/bucket/%C3%BC%E6%97%A5'],
    ['/bucket/ü', '/bucket/%C3%BC'],
    ['/bucket/100%', '/bucket/100%25'],
  ];
  for (const [raw, want] of cases) assert.equal(canonicalUri(raw), want, raw);
});

test('canonicalQuery: sorted by name then value, re-encoded, + kept literal', () => {
  const q = (raw: string, exclude?: string) => canonicalQuery(splitQuery(raw), exclude);
  assert.equal(q(''), '');
  assert.equal(q('b=2&a=1&a=0'), 'a=0&a=1&b=2');
  assert.equal(q('uploads'), 'uploads=');
  assert.equal(q('uploads='), 'uploads=');
  assert.equal(q('prefix=a+b'), 'prefix=a%2Bb');
  assert.equal(q('prefix=a%20b%2fc%7E'), 'prefix=a%20b%2Fc~');
  assert.equal(q('a=%zz'), 'a=%25zz');
  assert.equal(q('A=1&a=2&B=3'), 'A=1&B=3&a=2');
  assert.equal(q('X-Amz-Signature=abc&X-Amz-Date=1', 'X-Amz-Signature'), 'X-Amz-Date=1');
  assert.equal(q('k=%C3%BC&k2=ü'), 'k=%C3%BC&k2=%C3%BC');
});

test('decodeQuery keeps + literal and takes the first value', () => {
  const m = decodeQuery(splitQuery('a=x+y&a=2&b=%2F&c'));
  assert.equal(m.get('a'), 'x+y');
  assert.equal(m.get('b'), '/');
  assert.equal(m.get('c'), '');
});

test('canonicalHeaders trims, collapses inner whitespace and joins repeats with ","', () => {
  const out = canonicalHeaders(['host', 'x-amz-meta-a', 'x-amz-meta-b', 'x-amz-missing'], {
    host: 'h',
    'x-amz-meta-a': '  a   b \t c ',
    'x-amz-meta-b': ['1', ' 2 '],
  });
  assert.equal(out, 'host:h\nx-amz-meta-a:a b c\nx-amz-meta-b:1,2\nx-amz-missing:\n');
  const raw = canonicalHeaders(['x-amz-meta-a'], { 'x-amz-meta-a': 'a, b' }, ['X-Amz-Meta-A', 'a', 'x-amz-meta-a', ' b']);
  assert.equal(raw, 'x-amz-meta-a:a,b\n');
});

test('uriEncode keeps only unreserved characters', () => {
  assert.equal(uriEncode("AZaz09-._~ !'()*/+=&"), 'AZaz09-._~%20%21%27%28%29%2A%2F%2B%3D%26');
});

test('signing-key cache is bounded and returns the same key on a hit', () => {
  const cache = new SigningKeyCache(50);
  const first = cache.get('secret', '20130524', 'us-east-1', 's3');
  assert.equal(cache.get('secret', '20130524', 'us-east-1', 's3'), first);
  assert.deepEqual(first, deriveSigningKey('secret', '20130524', 'us-east-1', 's3'));
  for (let i = 0; i < 100; i++) cache.get('secret', `2013${String(i).padStart(4, '0')}`, 'us-east-1', 's3');
  assert.equal(cache.size, 50);
  // A rotated secret never hits the old entry.
  assert.notDeepEqual(cache.get('other', '20130524', 'us-east-1', 's3'), first);
});
