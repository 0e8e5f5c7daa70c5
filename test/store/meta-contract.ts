/**
 * The MetaStore contract: behaviour every metadata store must show, through the interface
 * only (no SQLite internals), so that later stores (PostgreSQL) run the same suite.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { MetaStoreError, type MetaStore, type MetaStoreErrorCode, type PartRecord } from '../../src/store/meta/types.js';
import { T0, objectRecord, uploadRecord } from './helpers.js';

export interface ContractStore {
  readonly store: MetaStore;
}

const isCode = (code: MetaStoreErrorCode) => (err: unknown) => err instanceof MetaStoreError && err.code === code;
const user = (name: string, accessKeyId: string) => ({ name, accessKeyId, secretAccessKey: `secret-${name}`, isRoot: false, createdAt: T0 });
const fileSegment = (id: string) => ({ blob: { kind: 'file' as const, id, size: 19 }, size: 3 });
const part = (uploadId: string, partNumber: number, blobId: string, etag = `"p${partNumber}"`): PartRecord => ({
  uploadId,
  partNumber,
  size: 3,
  etag,
  lastModified: T0,
  blob: { kind: 'file', id: blobId, size: 19 },
});

export function metaStoreContract(name: string, open: (t: TestContext) => Promise<ContractStore>): void {
  const withBucket = async (t: TestContext): Promise<MetaStore> => {
    const { store } = await open(t);
    await store.createBucket({ name: 'b', owner: 'alice', createdAt: T0, region: 'us-east-1' });
    return store;
  };

  describe(`MetaStore contract: ${name}`, () => {
    it('users: add, look up, duplicates refused, remove', async (t) => {
      const { store } = await open(t);
      await store.addUser(user('alice', 'AK1'));
      assert.equal((await store.getUserByAccessKey('AK1'))?.name, 'alice');
      await assert.rejects(store.addUser(user('alice', 'AK2')), isCode('STRONGBOX_USER_EXISTS'));
      assert.equal(await store.removeUser('alice'), true);
      assert.equal(await store.getUserByAccessKey('AK1'), undefined);
      assert.equal(await store.removeUser('alice'), false);
    });

    it('buckets: create, duplicate refused, not-empty refused, delete', async (t) => {
      const store = await withBucket(t);
      await assert.rejects(store.createBucket({ name: 'b', owner: 'bob', createdAt: T0, region: 'us-east-1' }), isCode('STRONGBOX_BUCKET_EXISTS'));
      await store.putObject(objectRecord('b', 'k'));
      await assert.rejects(store.deleteBucket('b'), isCode('STRONGBOX_BUCKET_NOT_EMPTY'));
      await store.deleteObject('b', 'k');
      assert.equal(await store.deleteBucket('b'), true);
      assert.equal(await store.getBucket('b'), undefined);
      await assert.rejects(store.putObject(objectRecord('b', 'k')), isCode('STRONGBOX_BUCKET_MISSING'));
    });

    it('objects: replace returns the old record; listing is in UTF-8 byte order', async (t) => {
      const store = await withBucket(t);
      assert.equal(await store.putObject(objectRecord('b', 'k')), undefined);
      assert.equal((await store.putObject(objectRecord('b', 'k', { etag: '"two"' })))?.etag, '"abc"');
      for (const key of ['z', '\u00e9', 'a', '\u{1F600}', 'B']) await store.putObject(objectRecord('b', key));
      const keys = (await store.listObjects('b', { prefix: '', limit: 100 })).map((o) => o.key);
      assert.deepEqual(keys, ['B', 'a', 'k', 'z', '\u00e9', '\u{1F600}']);
      assert.equal(await store.countObjects('b'), 6);
      assert.equal((await store.deleteObject('b', 'k'))?.etag, '"two"');
      assert.equal(await store.getObject('b', 'k'), undefined);
    });

    it('conditions: If-None-Match, If-Match and expected blobs are checked at commit', async (t) => {
      const store = await withBucket(t);
      await store.putObject(objectRecord('b', 'k', { etag: '"one"' }), { ifNoneMatch: ['*'] });
      await assert.rejects(store.putObject(objectRecord('b', 'k'), { ifNoneMatch: ['*'] }), isCode('STRONGBOX_IF_NONE_MATCH_FAILED'));
      await assert.rejects(store.putObject(objectRecord('b', 'k'), { ifNoneMatch: ['one'] }), isCode('STRONGBOX_IF_NONE_MATCH_FAILED'));
      await store.putObject(objectRecord('b', 'k', { etag: '"two"' }), { ifNoneMatch: ['other'] });
      await assert.rejects(store.putObject(objectRecord('b', 'k'), { ifMatch: ['one'] }), isCode('STRONGBOX_IF_MATCH_FAILED'));
      await assert.rejects(store.putObject(objectRecord('b', 'gone'), { ifMatch: ['*'] }), isCode('STRONGBOX_OBJECT_MISSING'));
      await store.putObject(objectRecord('b', 'k', { etag: '"three"' }), { ifMatch: ['"two"'] });
      await store.putObject(objectRecord('b', 'f', { segments: [fileSegment('a'.repeat(32))] }));
      await assert.rejects(store.putObject(objectRecord('b', 'f'), { expectBlobIds: ['c'.repeat(32)] }), isCode('STRONGBOX_OBJECT_CHANGED'));
      await store.putObject(objectRecord('b', 'f'), { expectBlobIds: ['a'.repeat(32)] });
      assert.equal((await store.getObject('b', 'k'))?.etag, '"three"');
    });

    it('multipart: parts, Complete against the parts it read, abort', async (t) => {
      const store = await withBucket(t);
      await store.createUpload(uploadRecord('u1', 'b', 'k'));
      await store.putPart(part('u1', 1, '1'.repeat(32)));
      await store.putPart(part('u1', 2, '2'.repeat(32)));
      assert.deepEqual((await store.listParts('u1', 1, 10)).map((p) => p.partNumber), [2]);
      const read = [{ partNumber: 1, etag: '"p1"', blobId: '1'.repeat(32) }];
      // A part replaced after Complete read it.
      await store.putPart(part('u1', 1, '3'.repeat(32)));
      const object = objectRecord('b', 'k', { segments: [fileSegment('1'.repeat(32))] });
      await assert.rejects(store.completeUpload('u1', object, read), isCode('STRONGBOX_PART_CHANGED'));
      assert.notEqual(await store.getUpload('u1'), undefined);
      const fresh = [{ partNumber: 1, etag: '"p1"', blobId: '3'.repeat(32) }];
      await assert.rejects(store.completeUpload('u1', object, fresh, { ifMatch: ['*'] }), isCode('STRONGBOX_OBJECT_MISSING'));
      const done = await store.completeUpload('u1', objectRecord('b', 'k', { segments: [fileSegment('3'.repeat(32))] }), fresh);
      assert.deepEqual(done.unusedParts.map((p) => p.partNumber), [2]);
      assert.equal(await store.getUpload('u1'), undefined);
      await assert.rejects(store.completeUpload('u1', object), isCode('STRONGBOX_UPLOAD_MISSING'));
      await store.createUpload(uploadRecord('u2', 'b', 'k'));
      await store.putPart(part('u2', 1, '4'.repeat(32)));
      assert.equal((await store.abortUpload('u2'))?.length, 1);
      assert.equal(await store.abortUpload('u2'), undefined);
    });

    it('KMS keys: insert once, compare-and-set on the revision; aliases', async (t) => {
      const { store } = await open(t);
      const key = { keyId: 'k1', createdAt: T0, meta: { n: 0 }, revision: 0 };
      assert.equal(await store.putKmsKey(key), 0);
      await assert.rejects(store.putKmsKey(key), isCode('STRONGBOX_KMS_KEY_CHANGED'));
      assert.equal(await store.putKmsKey({ ...key, meta: { n: 1 } }, 0), 1);
      await assert.rejects(store.putKmsKey({ ...key, meta: { n: 99 } }, 0), isCode('STRONGBOX_KMS_KEY_CHANGED'));
      const stored = await store.getKmsKey('k1');
      assert.deepEqual([stored?.meta, stored?.revision], [{ n: 1 }, 1]);
      await store.createKmsAlias({ name: 'alias/a', keyId: 'k1', createdAt: T0 });
      await assert.rejects(store.createKmsAlias({ name: 'alias/a', keyId: 'k1', createdAt: T0 }), isCode('STRONGBOX_ALIAS_EXISTS'));
      assert.equal((await store.getKmsAlias('alias/a'))?.keyId, 'k1');
      assert.equal(await store.deleteKmsAlias('alias/a'), true);
      assert.deepEqual(await store.listKmsAliases(), []);
    });
  });
}
