import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteMetaStore, toCode, type SqliteMetaStore } from '../../src/store/meta/sqlite.js';
import { listRange, prefixUpperBound } from '../../src/store/meta/sqlite-records.js';
import { SCHEMA_VERSION } from '../../src/store/meta/sqlite-schema.js';
import { META_STORE_ERROR_CODES, MetaStoreError, type ObjectRecord, type UserRecord } from '../../src/store/meta/types.js';
import { T0, journalOf, objectRecord, partRecord, referencedBlobIds, tempDir, uploadRecord } from './helpers.js';

const user = (name: string, key: string): UserRecord => ({
  name,
  accessKeyId: key,
  secretAccessKey: `secret-${name}`,
  isRoot: false,
  createdAt: T0,
});

const isCode = (code: string) => (err: unknown) =>
  err instanceof MetaStoreError && err.code === code;

test('prefixUpperBound and listRange work on bytes', () => {
  assert.deepEqual(prefixUpperBound(Buffer.from('ab')), Buffer.from('ac'));
  assert.equal(prefixUpperBound(Buffer.alloc(0)), undefined);
  assert.deepEqual(prefixUpperBound(Buffer.from([0x61, 0xff])), Buffer.from([0x62]));
  assert.equal(prefixUpperBound(Buffer.from([0xff, 0xff])), undefined);
  assert.equal(listRange({ prefix: 'a', afterPrefix: 'a' }), undefined);
  assert.equal(listRange({ prefix: '', afterPrefix: '' }), undefined);
  const r = listRange({ prefix: 'a', after: 'ab' });
  assert.deepEqual(r?.lower, Buffer.from('ab\0'));
  assert.deepEqual(r?.upper, Buffer.from('b'));
});

test('every metadata store code crosses the writer boundary unchanged; anything else becomes META_IO', () => {
  for (const code of META_STORE_ERROR_CODES) assert.equal(toCode(code), code);
  assert.equal(toCode('SQLITE_FULL'), 'STRONGBOX_META_IO');
  assert.equal(toCode('STRONGBOX_BLOB_IO'), 'STRONGBOX_META_IO');
});

test('a version-1 database is migrated in place: buckets keep their records and gain settings', async (t) => {
  const dir = await tempDir(t);
  const raw = new Database(join(dir, 'meta.db'));
  raw.exec(`
    CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);
    CREATE TABLE users (name TEXT PRIMARY KEY, access_key_id TEXT NOT NULL UNIQUE, secret_access_key TEXT NOT NULL, is_root INTEGER NOT NULL, created_at INTEGER NOT NULL);
    CREATE TABLE buckets (name TEXT PRIMARY KEY, owner TEXT NOT NULL, created_at INTEGER NOT NULL, region TEXT NOT NULL);
    INSERT INTO buckets VALUES ('old', 'alice', ${T0.getTime()}, 'us-east-1');
    CREATE TABLE objects (id INTEGER PRIMARY KEY, bucket TEXT NOT NULL REFERENCES buckets(name), key BLOB NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL, last_modified INTEGER NOT NULL, storage_class TEXT NOT NULL, owner TEXT NOT NULL, checksum_algorithm TEXT, checksum_type TEXT, meta TEXT NOT NULL);
    CREATE TABLE object_segments (object_id INTEGER NOT NULL, seq INTEGER NOT NULL, blob_id TEXT, blob_size INTEGER, data BLOB, meta TEXT NOT NULL, PRIMARY KEY (object_id, seq));
    CREATE TABLE uploads (upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL, initiated INTEGER NOT NULL, owner TEXT NOT NULL, meta TEXT NOT NULL);
    CREATE TABLE parts (upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL, last_modified INTEGER NOT NULL, blob_id TEXT, blob_size INTEGER, data BLOB, meta TEXT NOT NULL, PRIMARY KEY (upload_id, part_number));
  `);
  raw.close();
  const meta = openSqliteMetaStore(dir, { writer: 'inline' });
  t.after(() => meta.close());
  assert.deepEqual((await meta.getBucket('old')), { name: 'old', owner: 'alice', createdAt: T0, region: 'us-east-1' });
  assert.equal(await meta.updateBucket('old', { policy: '{}' }), true);
  assert.equal((await meta.getBucket('old'))?.policy, '{}');
  assert.deepEqual((await meta.listKmsKeys()), []);
});

for (const writer of ['wal-sync', 'thread', 'inline'] as const) {
  describe(`SqliteMetaStore (writer: ${writer})`, () => {
    async function open(t: TestContext): Promise<{ meta: SqliteMetaStore; dir: string }> {
      const dir = await tempDir(t);
      const meta = openSqliteMetaStore(dir, { writer });
      t.after(() => meta.close());
      await meta.createBucket({ name: 'b', owner: 'alice', createdAt: T0, region: 'us-east-1' });
      return { meta, dir };
    }

    test('bucket settings: encryption and policy are changed, kept and removed independently', async (t) => {
      const { meta } = await open(t);
      const encryption = { sseAlgorithm: 'aws:kms' as const, kmsMasterKeyId: 'alias/k', bucketKeyEnabled: true, blockedEncryptionTypes: ['SSE-C'], explicit: true };
      assert.equal(await meta.updateBucket('b', { encryption }), true);
      assert.equal(await meta.updateBucket('b', { policy: '{"Version":"2012-10-17"}' }), true);
      assert.deepEqual((await meta.getBucket('b'))?.encryption, encryption);
      assert.equal((await meta.getBucket('b'))?.policy, '{"Version":"2012-10-17"}');
      await meta.updateBucket('b', { encryption: null });
      assert.equal((await meta.getBucket('b'))?.encryption, undefined);
      assert.equal((await meta.getBucket('b'))?.policy, '{"Version":"2012-10-17"}');
      assert.equal(await meta.updateBucket('nope', { policy: null }), false);
      await meta.createBucket({ name: 'c', owner: 'alice', createdAt: T0, region: 'r', encryption });
      assert.deepEqual((await meta.listBuckets()).find((b) => b.name === 'c')?.encryption, encryption);
    });

    test('KMS keys and aliases: round trip, duplicate alias rejected, alias must name a key', async (t) => {
      const { meta } = await open(t);
      const key = { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', createdAt: T0, meta: { state: 'Enabled', versions: [{ sealed: 'x' }] }, revision: 0 };
      await meta.putKmsKey(key);
      assert.deepEqual((await meta.getKmsKey(key.keyId)), key);
      await meta.putKmsKey({ ...key, meta: { state: 'Disabled' } }, 0);
      assert.deepEqual((await meta.listKmsKeys()).map((k) => k.meta.state), ['Disabled']);
      await meta.createKmsAlias({ name: 'alias/a', keyId: key.keyId, createdAt: T0 });
      await assert.rejects(meta.createKmsAlias({ name: 'alias/a', keyId: key.keyId, createdAt: T0 }), isCode('STRONGBOX_ALIAS_EXISTS'));
      await assert.rejects(meta.createKmsAlias({ name: 'alias/b', keyId: 'missing', createdAt: T0 }), isCode('STRONGBOX_META_IO'));
      assert.deepEqual((await meta.getKmsAlias('alias/a')), { name: 'alias/a', keyId: key.keyId, createdAt: T0 });
      assert.equal((await meta.updateKmsAlias('alias/zz', key.keyId)), false);
      assert.equal((await meta.deleteKmsAlias('alias/a')), true);
      assert.equal((await meta.deleteKmsAlias('alias/a')), false);
      assert.deepEqual((await meta.listKmsAliases()), []);
    });

    test('users: round trip, duplicates rejected, file mode 0600', async (t) => {
      const { meta, dir } = await open(t);
      await meta.addUser(user('alice', 'AK1'));
      assert.deepEqual((await meta.getUser('alice')), user('alice', 'AK1'));
      assert.deepEqual((await meta.getUserByAccessKey('AK1')), user('alice', 'AK1'));
      await assert.rejects(meta.addUser(user('alice', 'AK2')), isCode('STRONGBOX_USER_EXISTS'));
      await assert.rejects(meta.addUser(user('bob', 'AK1')), isCode('STRONGBOX_USER_EXISTS'));
      await meta.upsertUser({ ...user('alice', 'AK3'), isRoot: true });
      assert.equal((await meta.getUserByAccessKey('AK1')), undefined);
      assert.equal((await meta.getUser('alice'))?.isRoot, true);
      await meta.addUser(user('bob', 'AK1'));
      assert.deepEqual((await meta.listUsers()).map((u) => u.name), ['alice', 'bob']);
      assert.equal((await meta.removeUser('bob')), true);
      assert.equal((await meta.removeUser('bob')), false);
      assert.equal((await stat(join(dir, 'meta.db'))).mode & 0o777, 0o600);
    });

    test('a second connection (the CLI) adding a user is seen by the first', async (t) => {
      const { meta, dir } = await open(t);
      const cli = openSqliteMetaStore(dir, { writer: 'inline' });
      await cli.addUser(user('carol', 'AKC'));
      await cli.close();
      assert.equal((await meta.getUserByAccessKey('AKC'))?.name, 'carol');
      // and the raw file agrees that the schema is versioned
      const raw = new Database(join(dir, 'meta.db'), { readonly: true });
      t.after(() => raw.close());
      assert.deepEqual(raw.prepare('SELECT version FROM schema_version').get(), { version: SCHEMA_VERSION });
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    });

    test('buckets: round trip, exists, not empty, delete', async (t) => {
      const { meta } = await open(t);
      assert.deepEqual((await meta.getBucket('b')), {
        name: 'b', owner: 'alice', createdAt: T0, region: 'us-east-1',
      });
      await assert.rejects(
        meta.createBucket({ name: 'b', owner: 'bob', createdAt: T0, region: 'x' }),
        isCode('STRONGBOX_BUCKET_EXISTS'),
      );
      await meta.createBucket({ name: 'c', owner: 'bob', createdAt: T0, region: 'x' });
      assert.deepEqual((await meta.listBuckets()).map((b) => b.name), ['b', 'c']);
      assert.deepEqual((await meta.listBuckets('bob')).map((b) => b.name), ['c']);
      await meta.putObject(objectRecord('c', 'k'));
      await assert.rejects(meta.deleteBucket('c'), isCode('STRONGBOX_BUCKET_NOT_EMPTY'));
      await meta.deleteObject('c', 'k');
      await meta.createUpload(uploadRecord('u1', 'c', 'k'));
      await assert.rejects(meta.deleteBucket('c'), isCode('STRONGBOX_BUCKET_NOT_EMPTY'));
      await meta.abortUpload('u1');
      assert.equal(await meta.deleteBucket('c'), true);
      assert.equal(await meta.deleteBucket('c'), false);
      await assert.rejects(meta.putObject(objectRecord('c', 'k')), isCode('STRONGBOX_BUCKET_MISSING'));
    });

    test('a conditional putObject that finds other blobs rejects with STRONGBOX_OBJECT_CHANGED (not META_IO), and changes nothing', async (t) => {
      const { meta } = await open(t);
      const file = (id: string) => ({ blob: { kind: 'file' as const, id, size: 19 }, size: 3 });
      await meta.putObject(objectRecord('b', 'k', { segments: [file('a'.repeat(32))] }));
      // The version the copy read (blob b…) was replaced meanwhile (blob a…).
      const copy = objectRecord('b', 'k', { segments: [file('b'.repeat(32))], etag: '"copy"' });
      await assert.rejects(meta.putObject(copy, { expectBlobIds: ['b'.repeat(32)] }), isCode('STRONGBOX_OBJECT_CHANGED'));
      await assert.rejects(meta.putObject(objectRecord('b', 'gone'), { expectBlobIds: ['c'.repeat(32)] }), isCode('STRONGBOX_OBJECT_CHANGED'));
      assert.equal((await meta.getObject('b', 'k'))?.etag, '"abc"');
      assert.equal((await meta.getObject('b', 'gone')), undefined);
      // The blobs it expected: committed.
      await meta.putObject(copy, { expectBlobIds: ['a'.repeat(32)] });
      assert.equal((await meta.getObject('b', 'k'))?.etag, '"copy"');
    });

    test('objects: full round trip, replace returns old, delete', async (t) => {
      const { meta, dir } = await open(t);
      const obj: ObjectRecord = objectRecord('b', 'dir/ключ 🔑', {
        size: 100,
        checksum: { algorithm: 'CRC32', type: 'COMPOSITE', value: 'AAAAAA==-2' },
        partsCount: 2,
        userMetadata: { a: '1' },
        segments: [
          {
            blob: { kind: 'file', id: 'a'.repeat(32), size: 80 },
            size: 64,
            partNumber: 1,
            etag: '"e1"',
            checksum: { algorithm: 'CRC32', type: 'FULL_OBJECT', value: 'AAAAAA==' },
            encryption: { salt: 'x' },
          },
          { blob: { kind: 'inline', data: Buffer.from([0, 1, 2, 255]) }, size: 36, partNumber: 2 },
        ],
        encryption: { mode: 'sse-c', sealed: 'zzz', n: 2 },
      });
      assert.equal(await meta.putObject(obj), undefined);
      const got = (await meta.getObject('b', obj.key));
      assert.deepEqual(got, obj);
      const seg = got?.segments[1]?.blob;
      assert.ok(seg?.kind === 'inline' && Buffer.isBuffer(seg.data));
      const replaced = await meta.putObject(objectRecord('b', obj.key));
      assert.deepEqual(replaced, obj);
      const replacedSeg = replaced?.segments[1]?.blob;
      assert.ok(replacedSeg?.kind === 'inline' && Buffer.isBuffer(replacedSeg.data));
      assert.deepEqual(referencedBlobIds(dir), new Set());
      assert.equal((await meta.countObjects('b')), 1);
      assert.deepEqual(await meta.deleteObject('b', obj.key), objectRecord('b', obj.key));
      assert.equal(await meta.deleteObject('b', obj.key), undefined);
      assert.equal((await meta.getObject('b', obj.key)), undefined);
      assert.equal((await meta.countObjects('b')), 0);
    });

    test('keys sort in UTF-8 byte order', async (t) => {
      const { meta } = await open(t);
      const keys = ['b', 'a', 'aé', 'a/b', '\u{1F600}', 'a\u007f', 'a\u0000x', '\uFFFD', 'é', 'Z', 'a b', 'ab'];
      await Promise.all(keys.map((k) => meta.putObject(objectRecord('b', k))));
      const expected = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      const listed = (await meta.listObjects('b', { prefix: '', limit: 100 })).map((o) => o.key);
      assert.deepEqual(listed, expected);
      // UTF-16 order would put U+1F600 (surrogates D83D…) before U+FFFD: bytes F0 vs EF say otherwise
      assert.ok(listed.indexOf('\uFFFD') < listed.indexOf('\u{1F600}'));
      assert.deepEqual(
        (await meta.listObjects('b', { prefix: 'a', limit: 100 })).map((o) => o.key),
        expected.filter((k) => k.startsWith('a')),
      );
      assert.deepEqual(
        (await meta.listObjects('b', { prefix: 'é', limit: 100 })).map((o) => o.key),
        ['é'],
      );
    });

    test('listing: prefix, after, afterPrefix and pagination over 1,000 keys', async (t) => {
      const { meta } = await open(t);
      const keys: string[] = [];
      for (let i = 0; i < 1000; i++) keys.push(`p/${String(i % 10)}/${String(i).padStart(4, '0')}`);
      keys.push('o', 'q', 'p', 'p0');
      await Promise.all(keys.map((k) => meta.putObject(objectRecord('b', k))));
      const sorted = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));

      const pages: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = (await meta.listObjects('b', { prefix: 'p/', limit: 97, ...(after !== undefined && { after }) }));
        pages.push(...page.map((o) => o.key));
        if (page.length < 97) break;
        after = page[page.length - 1]?.key;
      }
      assert.deepEqual(pages, sorted.filter((k) => k.startsWith('p/')));
      assert.equal(pages.length, 1000);

      // delimiter-style walk: skip each common prefix
      const prefixes: string[] = [];
      let afterPrefix: string | undefined;
      for (;;) {
        const [first] = (await meta.listObjects('b', {
          prefix: 'p/', limit: 1, ...(afterPrefix !== undefined && { afterPrefix }),
        }));
        if (first === undefined) break;
        afterPrefix = first.key.slice(0, 4);
        prefixes.push(afterPrefix);
      }
      assert.deepEqual(prefixes, ['p/0/', 'p/1/', 'p/2/', 'p/3/', 'p/4/', 'p/5/', 'p/6/', 'p/7/', 'p/8/', 'p/9/']);

      assert.deepEqual(
        (await meta.listObjects('b', { prefix: '', afterPrefix: 'p', limit: 10 })).map((o) => o.key),
        ['q'],
      );
      assert.deepEqual(
        (await meta.listObjects('b', { prefix: '', after: 'p/9/0999', limit: 10 })).map((o) => o.key),
        ['p0', 'q'],
      );
      assert.deepEqual(
        (await meta.listObjects('b', { prefix: 'p/3', after: 'p/', afterPrefix: 'p/3/', limit: 5 })),
        [],
      );
      assert.deepEqual((await meta.listObjects('b', { prefix: 'p/', limit: 0 })), []);
      assert.deepEqual((await meta.listObjects('other', { prefix: '', limit: 5 })), []);
      const [s] = (await meta.listObjects('b', { prefix: 'q', limit: 1 }));
      assert.deepEqual(s, {
        key: 'q', size: 3, etag: '"abc"', lastModified: T0, storageClass: 'STANDARD', owner: 'alice',
      });
    });

    test('listing uses the index (O(limit))', async (t) => {
      const { dir } = await open(t);
      const raw = new Database(join(dir, 'meta.db'), { readonly: true });
      t.after(() => raw.close());
      const plan = raw
        .prepare(
          `EXPLAIN QUERY PLAN SELECT key FROM objects WHERE bucket = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?`,
        )
        .all('b', Buffer.from('a'), Buffer.from('b'), 10) as { detail: string }[];
      const detail = plan.map((p) => p.detail).join(';');
      assert.match(detail, /USING (COVERING )?INDEX objects_by_key/);
      assert.doesNotMatch(detail, /TEMP B-TREE/);
    });

    test('group commit: 200 concurrent puts resolve and are visible', async (t) => {
      const { meta } = await open(t);
      const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
      const results = await Promise.all(keys.map((k) => meta.putObject(objectRecord('b', k))));
      assert.ok(results.every((r) => r === undefined));
      assert.equal((await meta.countObjects('b')), 200);
      for (const k of keys) assert.equal((await meta.getObject('b', k))?.key, k);
    });

    test('group commit: one failing op does not fail the others', async (t) => {
      const { meta } = await open(t);
      const ops = [
        meta.putObject(objectRecord('b', 'one')),
        meta.createBucket({ name: 'b', owner: 'x', createdAt: T0, region: 'r' }), // exists
        meta.putObject(objectRecord('nope', 'k')), // no such bucket
        meta.putPart(partRecord('missing', 1)), // no such upload
        meta.putObject(objectRecord('b', 'two')),
      ];
      const settled = await Promise.allSettled(ops);
      assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'rejected', 'rejected', 'fulfilled']);
      const codes = settled.map((s) => (s.status === 'rejected' ? (s.reason as MetaStoreError).code : 'ok'));
      assert.deepEqual(codes, ['ok', 'STRONGBOX_BUCKET_EXISTS', 'STRONGBOX_BUCKET_MISSING', 'STRONGBOX_UPLOAD_MISSING', 'ok']);
      assert.equal((await meta.getBucket('b'))?.owner, 'alice');
      assert.deepEqual((await meta.listObjects('b', { prefix: '', limit: 10 })).map((o) => o.key), ['one', 'two']);
    });

    test('multipart: uploads, parts, listing markers, abort', async (t) => {
      const { meta, dir } = await open(t);
      const t1 = new Date(T0.getTime() + 1000);
      await Promise.all([
        meta.createUpload(uploadRecord('u3', 'b', 'k1', t1)),
        meta.createUpload(uploadRecord('u2', 'b', 'k1', T0)),
        meta.createUpload(uploadRecord('u9', 'b', 'k1', T0)),
        meta.createUpload(uploadRecord('u1', 'b', 'k2', T0)),
        meta.createUpload(uploadRecord('u0', 'b', 'j', T0)),
      ]);
      assert.deepEqual((await meta.getUpload('u3')), uploadRecord('u3', 'b', 'k1', t1));
      const ids = async (q: Parameters<SqliteMetaStore['listUploads']>[1]) =>
        (await meta.listUploads('b', q)).map((u) => u.uploadId);
      assert.deepEqual(await ids({ prefix: '', limit: 10 }), ['u0', 'u2', 'u9', 'u3', 'u1']);
      assert.deepEqual(await ids({ prefix: 'k', limit: 10 }), ['u2', 'u9', 'u3', 'u1']);
      assert.deepEqual(await ids({ prefix: '', keyMarker: 'k1', limit: 10 }), ['u1']);
      assert.deepEqual(await ids({ prefix: '', keyMarker: 'k1', uploadIdMarker: 'u9', limit: 10 }), ['u3', 'u1']);
      assert.deepEqual(await ids({ prefix: '', keyMarker: 'k1', uploadIdMarker: 'u2', limit: 2 }), ['u9', 'u3']);
      // marker upload gone: ids after it for that key, then later keys
      assert.deepEqual(await ids({ prefix: '', keyMarker: 'k1', uploadIdMarker: 'u5', limit: 10 }), ['u9', 'u1']);

      assert.equal(await meta.putPart(partRecord('u2', 2, 'b'.repeat(32))), undefined);
      await meta.putPart(partRecord('u2', 1));
      const old = await meta.putPart(partRecord('u2', 3, 'c'.repeat(32)));
      assert.equal(old, undefined);
      const replaced = await meta.putPart(partRecord('u2', 3, 'd'.repeat(32)));
      assert.deepEqual(replaced, partRecord('u2', 3, 'c'.repeat(32)));
      assert.deepEqual((await meta.getParts('u2')).map((p) => p.partNumber), [1, 2, 3]);
      assert.deepEqual((await meta.getParts('u2'))[0], partRecord('u2', 1));
      assert.deepEqual((await meta.listParts('u2', 1, 1)).map((p) => p.partNumber), [2]);
      assert.deepEqual(referencedBlobIds(dir), new Set(['b'.repeat(32), 'd'.repeat(32)]));

      const parts = await meta.abortUpload('u2');
      assert.deepEqual(parts?.map((p) => p.partNumber), [1, 2, 3]);
      const inline = parts?.[0]?.blob;
      assert.ok(inline?.kind === 'inline' && Buffer.isBuffer(inline.data));
      assert.equal(await meta.abortUpload('u2'), undefined);
      assert.deepEqual((await meta.getParts('u2')), []);
      assert.deepEqual(referencedBlobIds(dir), new Set());
      // The replaced part and every aborted one are journaled, in the transactions that freed them.
      assert.deepEqual(journalOf(dir), [`${'b'.repeat(32)}: part-aborted`, `${'c'.repeat(32)}: part-replaced`, `${'d'.repeat(32)}: part-aborted`]);
    });

    test('completeUpload is atomic and reports unused parts', async (t) => {
      const { meta, dir } = await open(t);
      await meta.putObject(objectRecord('b', 'big'));
      await meta.createUpload(uploadRecord('u', 'b', 'big'));
      const ids = ['1', '2', '3'].map((c) => c.repeat(32));
      await Promise.all(ids.map((id, i) => meta.putPart(partRecord('u', i + 1, id))));
      const object = objectRecord('b', 'big', {
        partsCount: 2,
        segments: [1, 3].map((n) => ({
          blob: { kind: 'file' as const, id: ids[n - 1] ?? '', size: 26 },
          size: 10,
          partNumber: n,
        })),
      });
      const { replaced, unusedParts } = await meta.completeUpload('u', object);
      assert.deepEqual(replaced, objectRecord('b', 'big'));
      assert.deepEqual(unusedParts.map((p) => p.partNumber), [2]);
      assert.equal((await meta.getUpload('u')), undefined);
      assert.deepEqual((await meta.getParts('u')), []);
      assert.deepEqual((await meta.getObject('b', 'big')), object);
      assert.deepEqual(referencedBlobIds(dir), new Set([ids[0], ids[2]]));
      assert.deepEqual(journalOf(dir), [`${ids[1]}: part-unused`]);
      // completing again fails and changes nothing
      await assert.rejects(meta.completeUpload('u', objectRecord('b', 'big')), isCode('STRONGBOX_UPLOAD_MISSING'));
      assert.deepEqual((await meta.getObject('b', 'big')), object);

      // a failing complete (bucket gone mid-way is impossible; use a missing bucket) keeps the upload
      await meta.createUpload(uploadRecord('v', 'b', 'x'));
      await meta.putPart(partRecord('v', 1, 'e'.repeat(32)));
      await assert.rejects(meta.completeUpload('v', objectRecord('zz', 'x')), isCode('STRONGBOX_BUCKET_MISSING'));
      assert.ok((await meta.getUpload('v')));
      assert.equal((await meta.getParts('v')).length, 1);
    });

    test('data survives reopening; closed store rejects writes', async (t) => {
      const { meta, dir } = await open(t);
      await meta.putObject(objectRecord('b', 'persist'));
      await meta.close();
      await assert.rejects(meta.putObject(objectRecord('b', 'late')), isCode('STRONGBOX_META_IO'));
      const again = openSqliteMetaStore(dir, { writer });
      t.after(() => again.close());
      assert.deepEqual((await again.getObject('b', 'persist')), objectRecord('b', 'persist'));
    });
  });
}
