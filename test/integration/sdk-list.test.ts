/**
 * Listing through @aws-sdk/client-s3: ListObjectsV2, ListObjects (v1) and ListObjectVersions
 * over ~250 keys with non-ASCII and special characters, compared against a listing computed
 * here in UTF-8 byte order. Listing bodies do not depend on the transport, so HTTPS only.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateBucketCommand,
  ListObjectVersionsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { bucketName, expectS3Error, s3Client, startServer, type TestServer } from './harness.js';
import { md5Hex } from './fixtures/checksums.js';

const PREFIXES = ['', 'dir/', 'dir/sub/', 'dir-x/', 'dir+y/', '\u00e9t\u00e9/', '\ud83d\ude00/', '\uff61/', 'sp ace/', 'a%2Fb/'];
const NAMES = ['file', 'a+b', 'x y', '&<>"\'', 'caf\u00e9', '\u65e5\u672c', '\ud83d\ude00', '\uff61', 'q?#=', 'tilde~!*()', 'A', 'z'];

/** ~250 distinct keys, deterministic. */
function makeKeys(): string[] {
  const keys = new Set<string>();
  for (let i = 0; keys.size < 250; i++) {
    keys.add(`${PREFIXES[i % PREFIXES.length] ?? ''}${NAMES[(i * 7) % NAMES.length] ?? ''}-${i}`);
  }
  return [...keys];
}

const byteCompare = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

interface Entry {
  readonly kind: 'key' | 'prefix';
  readonly name: string;
}

/** What S3 should list: keys and common prefixes merged in UTF-8 byte order, after `startAfter`. */
function expectedListing(keys: readonly string[], prefix: string, delimiter: string | undefined, startAfter = ''): Entry[] {
  // Keys after StartAfter are grouped; a common prefix appears if any of its keys is listed.
  const sorted = keys.filter((k) => k.startsWith(prefix) && byteCompare(k, startAfter) > 0).sort(byteCompare);
  const out: Entry[] = [];
  const seen = new Set<string>();
  for (const k of sorted) {
    const rest = k.slice(prefix.length);
    const at = delimiter === undefined || delimiter === '' ? -1 : rest.indexOf(delimiter);
    if (at === -1) {
      out.push({ kind: 'key', name: k });
    } else {
      const cp = prefix + rest.slice(0, at + (delimiter ?? '').length);
      if (!seen.has(cp)) {
        seen.add(cp);
        out.push({ kind: 'prefix', name: cp });
      }
    }
  }
  return out.sort((a, b) => byteCompare(a.name, b.name));
}

/** Decodes an EncodingType=url value (S3 encodes like a form: space may be '+'). */
const urlDecode = (s: string): string => decodeURIComponent(s.replace(/\+/g, '%20'));

describe('SDK listing over https', () => {
  let server: TestServer;
  let s3: S3Client;
  let bucket: string;
  const keys = makeKeys();

  before(async () => {
    server = await startServer({});
    s3 = s3Client(server);
    bucket = bucketName('list');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const queue = [...keys];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let k = queue.shift(); k !== undefined; k = queue.shift()) {
          await s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: k }));
        }
      }),
    );
  });
  after(async () => {
    s3?.destroy();
    await server?.stop();
  });

  async function listV2All(params: { Prefix?: string; Delimiter?: string; MaxKeys: number; StartAfter?: string; EncodingType?: 'url' }) {
    const entries: Entry[] = [];
    let token: string | undefined;
    let pages = 0;
    for (;;) {
      const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ...params, ...(token === undefined ? {} : { ContinuationToken: token }) }));
      pages++;
      const dec = (s: string | undefined) => (params.EncodingType === 'url' ? urlDecode(s ?? '') : (s ?? ''));
      const page: Entry[] = [
        ...(res.Contents ?? []).map((c) => ({ kind: 'key' as const, name: dec(c.Key) })),
        ...(res.CommonPrefixes ?? []).map((c) => ({ kind: 'prefix' as const, name: dec(c.Prefix) })),
      ].sort((a, b) => byteCompare(a.name, b.name));
      assert.ok(page.length <= params.MaxKeys, `page of ${page.length} > MaxKeys ${params.MaxKeys}`);
      assert.equal(res.KeyCount, page.length, 'KeyCount counts keys and prefixes');
      assert.equal(res.MaxKeys, params.MaxKeys);
      if (params.EncodingType === 'url') {
        assert.equal(res.EncodingType, 'url');
        for (const c of res.Contents ?? []) assert.match(c.Key ?? '', /^[A-Za-z0-9%+._~*!'()/-]*$/, `Key is url-encoded: ${c.Key}`);
      }
      entries.push(...page);
      if (!res.IsTruncated) break;
      assert.ok(res.NextContinuationToken, 'truncated page has a continuation token');
      assert.equal(page.length, params.MaxKeys, 'a truncated page is full');
      token = res.NextContinuationToken;
      assert.ok(pages < 1000, 'pagination terminates');
    }
    return entries;
  }

  it('lists every key in UTF-8 byte order with ETag and size', async () => {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    assert.equal(res.IsTruncated, false);
    assert.equal(res.KeyCount, keys.length);
    assert.deepEqual(res.Contents?.map((c) => c.Key), [...keys].sort(byteCompare));
    for (const c of res.Contents ?? []) {
      assert.equal(c.ETag, `"${md5Hex(Buffer.from(c.Key ?? ''))}"`);
      assert.equal(c.Size, Buffer.byteLength(c.Key ?? ''));
      assert.equal(c.StorageClass, 'STANDARD');
      assert.ok(c.LastModified instanceof Date);
    }
  });

  for (const [label, params] of [
    ['everything, MaxKeys 7', { MaxKeys: 7 }],
    ['delimiter /, MaxKeys 3', { Delimiter: '/', MaxKeys: 3 }],
    ['prefix dir/ with delimiter /, MaxKeys 4', { Prefix: 'dir/', Delimiter: '/', MaxKeys: 4 }],
    ['prefix dir (no slash) with delimiter /, MaxKeys 2', { Prefix: 'dir', Delimiter: '/', MaxKeys: 2 }],
    ['delimiter + (not a slash), MaxKeys 5', { Delimiter: '+', MaxKeys: 5 }],
    ['multi-byte delimiter \u00e9, MaxKeys 6', { Delimiter: '\u00e9', MaxKeys: 6 }],
    ['multi-character delimiter "-1", MaxKeys 9', { Delimiter: '-1', MaxKeys: 9 }],
    ['StartAfter inside the listing, MaxKeys 11', { StartAfter: 'dir/sub/', MaxKeys: 11 }],
    ['StartAfter with delimiter /, MaxKeys 2', { StartAfter: 'dir+y/zzz', Delimiter: '/', MaxKeys: 2 }],
    ['prefix \ud83d\ude00/ url-encoded, MaxKeys 3', { Prefix: '\ud83d\ude00/', MaxKeys: 3, EncodingType: 'url' as const }],
    ['url-encoded with delimiter /, MaxKeys 10', { Delimiter: '/', MaxKeys: 10, EncodingType: 'url' as const }],
  ] as const) {
    it(`ListObjectsV2 pages correctly: ${label}`, async () => {
      const p = params as { Prefix?: string; Delimiter?: string; MaxKeys: number; StartAfter?: string; EncodingType?: 'url' };
      const got = await listV2All(p);
      const want = expectedListing(keys, p.Prefix ?? '', p.Delimiter, p.StartAfter);
      assert.ok(want.length > 0, 'the case lists something');
      assert.deepEqual(got, want);
    });
  }

  it('ListObjects (v1) pages with Marker/NextMarker and delimiter', async () => {
    for (const delimiter of [undefined, '/'] as const) {
      const entries: Entry[] = [];
      let marker: string | undefined;
      for (let guard = 0; guard < 1000; guard++) {
        const res = await s3.send(
          new ListObjectsCommand({ Bucket: bucket, MaxKeys: 6, ...(delimiter === undefined ? {} : { Delimiter: delimiter }), ...(marker === undefined ? {} : { Marker: marker }) }),
        );
        const page: Entry[] = [
          ...(res.Contents ?? []).map((c) => ({ kind: 'key' as const, name: c.Key ?? '' })),
          ...(res.CommonPrefixes ?? []).map((c) => ({ kind: 'prefix' as const, name: c.Prefix ?? '' })),
        ].sort((a, b) => byteCompare(a.name, b.name));
        assert.ok(page.length <= 6);
        entries.push(...page);
        if (!res.IsTruncated) break;
        // NextMarker is only returned with a delimiter; otherwise the last key is the marker.
        marker = delimiter === undefined ? (res.NextMarker ?? res.Contents?.at(-1)?.Key) : res.NextMarker;
        assert.ok(marker, 'truncated v1 listing gives a marker');
      }
      assert.deepEqual(entries, expectedListing(keys, '', delimiter), `delimiter ${String(delimiter)}`);
    }
  });

  it('ListObjectVersions reports VersionId "null" for an unversioned bucket', async () => {
    const res = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: 'dir/sub/' }));
    const want = keys.filter((k) => k.startsWith('dir/sub/')).sort(byteCompare);
    assert.deepEqual(res.Versions?.map((v) => v.Key), want);
    for (const v of res.Versions ?? []) {
      assert.equal(v.VersionId, 'null');
      assert.equal(v.IsLatest, true);
      assert.equal(v.ETag, `"${md5Hex(Buffer.from(v.Key ?? ''))}"`);
    }
    assert.equal(res.DeleteMarkers?.length ?? 0, 0);
    const delim = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: 'dir/', Delimiter: '/' }));
    assert.deepEqual(delim.CommonPrefixes?.map((c) => c.Prefix), ['dir/sub/']);
    const paged = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 5 }));
    assert.equal(paged.IsTruncated, true);
    assert.equal(paged.Versions?.length, 5);
    assert.ok(paged.NextKeyMarker);
    const next = await s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 5, KeyMarker: paged.NextKeyMarker, ...(paged.NextVersionIdMarker ? { VersionIdMarker: paged.NextVersionIdMarker } : {}) }),
    );
    const all = [...keys].sort(byteCompare);
    assert.deepEqual([...(paged.Versions ?? []), ...(next.Versions ?? [])].map((v) => v.Key), all.slice(0, 10));
  });

  it('an empty prefix match lists nothing; a missing bucket is NoSuchBucket', async () => {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'no-such-prefix/' }));
    assert.equal(res.KeyCount, 0);
    assert.equal(res.IsTruncated, false);
    assert.equal(res.Contents, undefined);
    await expectS3Error(s3.send(new ListObjectsV2Command({ Bucket: `${bucket}-nope` })), 'NoSuchBucket', 404);
  });

  it('rejects a bogus continuation token', async () => {
    await expectS3Error(s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: '!!not-a-token!!' })), 'InvalidArgument', 400);
  });
});
