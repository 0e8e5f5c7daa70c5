/**
 * Two processes on one metadata store (issue 15): conditions and compare-and-set hold across
 * processes, and a change acknowledged by one process is seen by the next read of the other.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openSqliteMetaStore } from '../../src/store/meta/sqlite.js';
import { T0, objectRecord, tempDir } from './helpers.js';

const run = promisify(execFile);
const WORKER = fileURLToPath(new URL('./fixtures/meta-worker.js', import.meta.url));
const worker = async (dir: string, writer: string, task: string, n: number): Promise<unknown> =>
  JSON.parse((await run(process.execPath, [WORKER, dir, writer, task, String(n)])).stdout) as unknown;

for (const writer of ['wal-sync', 'thread', 'inline'] as const) {
  test(`If-None-Match: * from two processes: exactly one wins each key (writer: ${writer})`, async (t) => {
    const dir = await tempDir(t);
    const meta = openSqliteMetaStore(dir, { writer });
    await meta.createBucket({ name: 'b', owner: 'alice', createdAt: T0, region: 'us-east-1' });
    await meta.close();
    const rounds = 200;
    const [a, b] = (await Promise.all([worker(dir, writer, 'put-race', rounds), worker(dir, writer, 'put-race', rounds)])) as [number[], number[]];
    const winners = [...a, ...b].sort((x, y) => x - y);
    assert.deepEqual(winners, Array.from({ length: rounds }, (_, i) => i), 'each key has exactly one winner');
  });

  test(`KMS key compare-and-set from two processes loses no change (writer: ${writer})`, async (t) => {
    const dir = await tempDir(t);
    const meta = openSqliteMetaStore(dir, { writer });
    await meta.putKmsKey({ keyId: 'k1', createdAt: T0, meta: { versions: [] }, revision: 0 });
    const n = 100;
    await Promise.all([worker(dir, writer, 'kms-append', n), worker(dir, writer, 'kms-append', n)]);
    const rec = (await meta.getKmsKey('k1'))!;
    assert.equal((rec.meta['versions'] as string[]).length, 2 * n);
    assert.equal(rec.revision, 2 * n);
    await meta.close();
  });

  test(`a change made by another process is seen by the next read (writer: ${writer})`, async (t) => {
    const dir = await tempDir(t);
    const meta = openSqliteMetaStore(dir, { writer });
    t.after(() => meta.close());
    await meta.createBucket({ name: 'b', owner: 'alice', createdAt: T0, region: 'us-east-1' });
    await meta.addUser({ name: 'alice', accessKeyId: 'AKALICE', secretAccessKey: 's', isRoot: false, createdAt: T0 });
    await meta.putObject(objectRecord('b', 'k', { etag: '"first"' }));
    // Cached here before the other process changes them.
    assert.equal((await meta.getBucket('b'))?.policy, undefined);
    assert.equal((await meta.getUserByAccessKey('AKALICE'))?.name, 'alice');
    assert.equal((await meta.getObject('b', 'k'))?.etag, '"first"');
    assert.equal(await worker(dir, writer, 'change', 0), 'changed');
    const bucket = await meta.getBucket('b');
    assert.equal(bucket?.policy, '{"changed":true}');
    assert.equal(bucket?.encryption?.sseAlgorithm, 'aws:kms');
    assert.equal(await meta.getUserByAccessKey('AKALICE'), undefined);
    assert.equal((await meta.getObject('b', 'k'))?.etag, '"second"');
  });
}
