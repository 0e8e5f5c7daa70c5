/**
 * Issue 14: a copy onto itself that keeps the stored bytes commits only if the object still
 * has those blobs (ADR 0002). When another version replaced it meanwhile, the store says
 * STRONGBOX_OBJECT_CHANGED and the client must get 409 OperationAborted. The SQLite store
 * carried codes across its batch boundary through a hand-kept list that lacked this one, so
 * the conflict became STRONGBOX_META_IO and a 500. Driven through the real store, in every
 * writer mode, up to the S3 error the client sees.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteMetaStore } from '../../src/store/meta/sqlite.js';
import { commitObject } from '../../src/s3/object-write.js';
import { toS3Error } from '../../src/server/error-response.js';
import type { RequestContext } from '../../src/server/context.js';
import type { WriteEncryption } from '../../src/crypto/encryption.js';
import type { ObjectSegment } from '../../src/store/meta/types.js';
import { T0, objectRecord, tempDir } from './helpers.js';

const file = (id: string): ObjectSegment => ({ blob: { kind: 'file', id, size: 19 }, size: 3 });
const plain = { sealObject: <T>(r: T): T => r } as unknown as WriteEncryption;

for (const writer of ['wal-sync', 'thread', 'inline'] as const) {
  test(`an in-place copy whose object changed before commit is 409 OperationAborted, not 500 (writer: ${writer})`, async (t) => {
    const dir = await tempDir(t);
    const meta = openSqliteMetaStore(dir, { writer });
    t.after(() => meta.close());
    await meta.createBucket({ name: 'b', owner: 'alice', createdAt: T0, region: 'us-east-1' });
    const read = [file('a'.repeat(32))];
    // A concurrent PUT replaced the version the copy read.
    await meta.putObject(objectRecord('b', 'k', { segments: [file('b'.repeat(32))] }));
    const ctx = { stores: { meta }, headers: {} } as unknown as RequestContext;
    const copy = objectRecord('b', 'k', { segments: read, etag: '"copy"' });
    const err = await commitObject(ctx, copy, plain, read).then(
      () => assert.fail('the commit must be refused'),
      (e: unknown) => e,
    );
    const { error, internal } = toS3Error(err);
    assert.equal(error.code, 'OperationAborted');
    assert.equal(error.status, 409);
    assert.equal(internal, false);
  });
}
