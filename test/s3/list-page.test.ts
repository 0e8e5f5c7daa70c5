import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  commonPrefixOf,
  cursorFromMarker,
  decodeContinuationToken,
  encodeContinuationToken,
  encodingTypeParam,
  listPage,
  maxParam,
  urlEncodeKey,
  type Fetch,
} from '../../src/s3/list-page.js';

interface Entry {
  readonly key: string;
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** An in-memory store with the MetaStore.listObjects contract; counts rows it returns. */
function memoryStore(keys: readonly string[], prefix: string) {
  const sorted = [...keys].sort(byteOrder).map((key) => ({ key }));
  const stats = { rows: 0, queries: 0 };
  const fetch: Fetch<Entry> = async ({ after, afterPrefix, limit }) => {
    stats.queries++;
    const out = sorted
      .filter((e) => e.key.startsWith(prefix))
      .filter((e) => after === undefined || byteOrder(e.key, after) > 0)
      .filter((e) => afterPrefix === undefined || (byteOrder(e.key, afterPrefix) > 0 && !e.key.startsWith(afterPrefix)))
      .slice(0, limit);
    stats.rows += out.length;
    return out;
  };
  return { fetch, stats };
}

/** The whole listing, grouped naively: what every page sequence must add up to. */
function reference(keys: readonly string[], prefix: string, delimiter: string | undefined): string[] {
  const out: string[] = [];
  for (const key of [...keys].sort(byteOrder)) {
    if (!key.startsWith(prefix)) continue;
    const cp = commonPrefixOf(key, prefix, delimiter);
    const name = cp ?? key;
    if (out.at(-1) !== name) out.push(name);
  }
  return out;
}

async function walk(keys: readonly string[], prefix: string, delimiter: string | undefined, maxKeys: number): Promise<string[]> {
  const { fetch } = memoryStore(keys, prefix);
  const seen: string[] = [];
  let marker: string | undefined;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = await listPage(fetch, { prefix, delimiter, marker, maxKeys });
    const names = [...page.items.map((i) => i.key), ...page.prefixes].sort(byteOrder);
    assert.ok(names.length <= maxKeys);
    seen.push(...names);
    if (!page.truncated) return seen;
    assert.equal(names.length, maxKeys);
    marker = page.last;
  }
  throw new Error('listing did not end');
}

const KEYS = [
  'a', 'a/b', 'a/c/d', 'a/c/e', 'ab', 'b//x', 'b/', 'c', 'photos/2024/jan.jpg', 'photos/2024/feb.jpg',
  'photos/2025/x', 'photos/index', 'z', 'zz/', 'é/1', 'é/2', '日本/語', 'foo+1/bar', 'quux ab/thud',
];

test('commonPrefixOf groups at the first delimiter after the prefix', async () => {
  assert.equal(commonPrefixOf('photos/2024/jan.jpg', '', '/'), 'photos/');
  assert.equal(commonPrefixOf('photos/2024/jan.jpg', 'photos/', '/'), 'photos/2024/');
  assert.equal(commonPrefixOf('photos/index', 'photos/', '/'), undefined);
  assert.equal(commonPrefixOf('abcXYdef', 'a', 'XY'), 'abcXY');
  assert.equal(commonPrefixOf('a/b', '', undefined), undefined);
  assert.equal(commonPrefixOf('a/b', '', ''), undefined);
  assert.equal(commonPrefixOf('b/x', 'a', '/'), undefined);
});

test('a marker equal to a common prefix skips the whole group', async () => {
  assert.deepEqual(cursorFromMarker('photos/', '', '/'), { afterPrefix: 'photos/' });
  assert.deepEqual(cursorFromMarker('photos/a', '', '/'), { after: 'photos/a' });
  assert.deepEqual(cursorFromMarker('photos/', '', undefined), { after: 'photos/' });
  assert.deepEqual(cursorFromMarker(undefined, '', '/'), {});
});

test('paging with every page size adds up to the full listing', async () => {
  for (const [prefix, delimiter] of [['', undefined], ['', '/'], ['photos/', '/'], ['a', '/'], ['', '//'], ['p', 'o']] as const) {
    const expected = reference(KEYS, prefix, delimiter);
    for (let maxKeys = 1; maxKeys <= expected.length + 1; maxKeys++) {
      assert.deepEqual(await walk(KEYS, prefix, delimiter, maxKeys), expected, `prefix=${prefix} delimiter=${delimiter} max=${maxKeys}`);
    }
  }
});

test('max-keys 0 returns nothing and is not truncated', async () => {
  const { fetch, stats } = memoryStore(KEYS, '');
  const page = await listPage(fetch, { prefix: '', delimiter: undefined, marker: undefined, maxKeys: 0 });
  assert.deepEqual(page, { items: [], prefixes: [], truncated: false, last: undefined });
  assert.equal(stats.queries, 0);
});

test('keys under a common prefix are skipped with the store, not walked', async () => {
  const keys = [...Array.from({ length: 5000 }, (_, i) => `big/${String(i).padStart(5, '0')}`), 'c', 'd'];
  const { fetch, stats } = memoryStore(keys, '');
  const page = await listPage(fetch, { prefix: '', delimiter: '/', marker: undefined, maxKeys: 1000 });
  assert.deepEqual(page.prefixes, ['big/']);
  assert.deepEqual(page.items.map((i) => i.key), ['c', 'd']);
  assert.equal(page.truncated, false);
  assert.ok(stats.rows < 1010, `read ${stats.rows} rows`);
});

test('truncation is exact when the page ends on the last entry', async () => {
  const { fetch } = memoryStore(['a', 'b'], '');
  const page = await listPage(fetch, { prefix: '', delimiter: undefined, marker: undefined, maxKeys: 2 });
  assert.equal(page.truncated, false);
  const short = await listPage(fetch, { prefix: '', delimiter: undefined, marker: undefined, maxKeys: 1 });
  assert.equal(short.truncated, true);
  assert.equal(short.last, 'a');
});

test('continuation tokens round-trip and reject garbage', async () => {
  for (const key of ['a', 'photos/', 'é/日本', 'with space+plus', '\u0001ctrl']) {
    assert.equal(decodeContinuationToken(encodeContinuationToken(key)), key);
  }
  for (const bad of ['', 'not base64!', 'YQ', '/w==']) {
    assert.throws(() => decodeContinuationToken(bad), { code: 'InvalidArgument' });
  }
});

test('url encoding as Amazon does it for listings', async () => {
  assert.equal(urlEncodeKey('quux ab/'), 'quux%20ab/');
  assert.equal(urlEncodeKey('foo+1/'), 'foo%2B1/');
  assert.equal(urlEncodeKey('asdf+b'), 'asdf%2Bb');
  assert.equal(urlEncodeKey("a!'()*~._-b"), 'a%21%27%28%29%2A~._-b');
  assert.equal(urlEncodeKey('é'), '%C3%A9');
  assert.equal(urlEncodeKey('\u0001'), '%01');
});

test('encoding-type accepts url only', async () => {
  assert.equal(encodingTypeParam(new URLSearchParams('')), undefined);
  assert.equal(encodingTypeParam(new URLSearchParams('encoding-type=url')), 'url');
  assert.throws(() => encodingTypeParam(new URLSearchParams('encoding-type=base64')), {
    code: 'InvalidArgument',
    message: 'Invalid Encoding Method specified in Request',
  });
});

test('max-keys is a non-negative integer, served capped at 1000', async () => {
  const q = (s: string) => maxParam(new URLSearchParams(s), 'max-keys', 'maxKeys');
  assert.deepEqual(q(''), { requested: 1000, effective: 1000 });
  assert.deepEqual(q('max-keys=0'), { requested: 0, effective: 0 });
  assert.deepEqual(q('max-keys=5000'), { requested: 5000, effective: 1000 });
  assert.throws(() => q('max-keys=-1'), { code: 'InvalidArgument' });
  assert.throws(() => q('max-keys=blah'), { code: 'InvalidArgument' });
  assert.throws(() => q('max-keys=1.5'), { code: 'InvalidArgument' });
});
