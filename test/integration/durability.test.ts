/**
 * Durability: readers never see a torn object while writers race on one key; a SIGKILL in
 * the middle of an upload leaves the old object (or none), no temp files and no orphaned blob
 * files after restart; overwritten and deleted objects' blob files go away.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  ListPartsCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { bodyBytes, bucketName, fileSize, listFiles, s3Client, startServer, type TestServer } from './harness.js';
import { md5Hex, pseudoRandomBytes, sha256 } from './fixtures/checksums.js';
import { SHORT_GRACE_ARGS, drainJournal } from './reclaim-drain.js';

const MiB = 1024 * 1024;
/** Larger than the server's inline limit (64 KiB), so each body gets a blob file. */
const fileBody = (seed: number) => pseudoRandomBytes(100 * 1024, seed);
const blobsDir = (s: TestServer) => join(s.dataDir, 'data', 'blobs');
const tmpDir = (s: TestServer) => join(s.dataDir, 'data', 'tmp');

/** Number of objects in all buckets (each listed page walked). */
async function countObjects(s3: S3Client): Promise<number> {
  let n = 0;
  for (const b of (await s3.send(new ListBucketsCommand({}))).Buckets ?? []) {
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: b.Name, ...(token === undefined ? {} : { ContinuationToken: token }) }));
      n += page.KeyCount ?? 0;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }
  return n;
}

/**
 * Blob files are removed by the drain of the reclaim journal (due at once: SHORT_GRACE_ARGS);
 * drain, count, and retry (bounded) until the count is `want`. The bound only limits a hang.
 */
async function expectBlobCount(server: TestServer, want: number, what: string): Promise<void> {
  let got = -1;
  for (let i = 0; i < 100; i++) {
    await drainJournal(server.dataDir);
    got = (await listFiles(blobsDir(server))).length;
    if (got === want) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(got, want, `${what}: blob files under data/blobs`);
}

describe('durability', () => {
  let server: TestServer;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    server = await startServer({ extraArgs: SHORT_GRACE_ARGS });
    s3 = s3Client(server);
    bucket = bucketName('dur');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(async () => {
    s3?.destroy();
    await server?.stop();
  });

  it('concurrent PUTs to one key: every GET returns exactly one complete body', async () => {
    const bodies = [0, 1, 2, 3].map((i) => pseudoRandomBytes(MiB + i * 4099, 100 + i));
    const hashes = new Map(bodies.map((b, i) => [sha256(b), i]));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'race', Body: bodies[0] ?? Buffer.alloc(0) }));
    let writersDone = false;
    const seen = new Set<number>();
    let reads = 0;
    const writers = bodies.map(async (body) => {
      for (let round = 0; round < 6; round++) {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'race', Body: body }));
      }
    });
    const readers = [0, 1, 2].map(async () => {
      while (!writersDone || reads < 12) {
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'race' }));
        const got = await bodyBytes(res.Body);
        const which = hashes.get(sha256(got));
        assert.ok(which !== undefined, `GET returned a torn or mixed body of ${got.length} bytes`);
        assert.equal(res.ETag, `"${md5Hex(bodies[which] ?? Buffer.alloc(0))}"`, 'ETag belongs to the body served');
        assert.equal(res.ContentLength, got.length);
        seen.add(which);
        reads++;
      }
    });
    await Promise.all([
      Promise.all(writers).finally(() => {
        writersDone = true;
      }),
      ...readers,
    ]);
    assert.ok(reads >= 12);
    const final = await bodyBytes((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'race' }))).Body);
    assert.ok(hashes.has(sha256(final)), 'the last write left one complete body');
  });

  it('a GET in progress still delivers the complete old body when the key is overwritten and deleted', async () => {
    const old = pseudoRandomBytes(8 * MiB, 77);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'slow-read', Body: old }));
    const reader = s3Client(server);
    try {
      const res = await reader.send(new GetObjectCommand({ Bucket: bucket, Key: 'slow-read' }));
      const stream = res.Body as Readable;
      const chunks: Buffer[] = [];
      const it = stream[Symbol.asyncIterator]();
      const first = await it.next();
      assert.ok(!first.done);
      chunks.push(Buffer.from(first.value as Uint8Array));
      // While the reader is paused: replace the object, then delete it.
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'slow-read', Body: pseudoRandomBytes(8 * MiB, 78) }));
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'slow-read' }));
      for (let r = await it.next(); !r.done; r = await it.next()) chunks.push(Buffer.from(r.value as Uint8Array));
      const got = Buffer.concat(chunks);
      assert.equal(got.length, old.length);
      assert.equal(sha256(got), sha256(old), 'the reader got the old body, complete');
    } finally {
      reader.destroy();
    }
  });

  it('overwritten and deleted objects lose their blob files; aborted uploads too', async () => {
    const b = bucketName('blobs');
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    await drainJournal(server.dataDir); // what earlier tests freed
    const base = (await listFiles(blobsDir(server))).length;
    for (const [i, k] of ['one', 'two', 'three'].entries()) await s3.send(new PutObjectCommand({ Bucket: b, Key: k, Body: fileBody(i) }));
    await expectBlobCount(server, base + 3, 'three new objects');
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'one', Body: fileBody(10) }));
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'one', Body: fileBody(11) }));
    await expectBlobCount(server, base + 3, 'after overwriting one twice');
    await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'two' }));
    await expectBlobCount(server, base + 2, 'after deleting one');
    await s3.send(new DeleteObjectsCommand({ Bucket: b, Delete: { Objects: [{ Key: 'one' }, { Key: 'three' }] } }));
    await expectBlobCount(server, base, 'after DeleteObjects');

    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'mpu' }));
    const p1 = await s3.send(new UploadPartCommand({ Bucket: b, Key: 'mpu', UploadId: up.UploadId, PartNumber: 1, Body: pseudoRandomBytes(5 * MiB, 7) }));
    const p2 = await s3.send(new UploadPartCommand({ Bucket: b, Key: 'mpu', UploadId: up.UploadId, PartNumber: 2, Body: fileBody(12) }));
    // A part uploaded twice: the replaced part's file must go too.
    const p2b = await s3.send(new UploadPartCommand({ Bucket: b, Key: 'mpu', UploadId: up.UploadId, PartNumber: 2, Body: fileBody(13) }));
    assert.notEqual(p2.ETag, p2b.ETag);
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: b,
        Key: 'mpu',
        UploadId: up.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag ?? '' }, { PartNumber: 2, ETag: p2b.ETag ?? '' }] },
      }),
    );
    await drainJournal(server.dataDir);
    const afterComplete = (await listFiles(blobsDir(server))).length;
    assert.ok(afterComplete > base && afterComplete <= base + 2, `a completed 2-part object uses 1 or 2 files (got ${afterComplete - base})`);
    await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'mpu' }));
    await expectBlobCount(server, base, 'after deleting the multipart object');

    const ab = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'aborted' }));
    await s3.send(new UploadPartCommand({ Bucket: b, Key: 'aborted', UploadId: ab.UploadId, PartNumber: 1, Body: fileBody(14) }));
    await expectBlobCount(server, base + 1, 'one uploaded part');
    await s3.send(new AbortMultipartUploadCommand({ Bucket: b, Key: 'aborted', UploadId: ab.UploadId }));
    await expectBlobCount(server, base, 'after abort');
    assert.deepEqual(await listFiles(tmpDir(server)), [], 'no temp files at rest');
  });
});

describe('durability: SIGKILL during an upload', () => {
  let server: TestServer;
  let restarted: TestServer | undefined;
  let dataDir: string;

  before(async () => {
    server = await startServer({ extraArgs: SHORT_GRACE_ARGS });
    dataDir = server.dataDir;
  });
  after(async () => {
    await restarted?.stop();
    await server?.kill();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('leaves the old object (or none), no temp files and no orphaned blobs', async () => {
    const s3 = s3Client(server);
    const bucket = bucketName('kill');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const old = pseudoRandomBytes(MiB, 51);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'victim', Body: old }));
    for (let i = 0; i < 5; i++) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `other-${i}`, Body: fileBody(20 + i) }));

    // Bodies that send 12 MiB, then stall until the server is gone.
    let release: () => void = () => undefined;
    const stalled = new Promise<void>((r) => (release = r));
    const stallingBody = (seed: number) =>
      Readable.from(
        (async function* () {
          for (let i = 0; i < 12; i++) yield pseudoRandomBytes(MiB, seed + i);
          // The server is killed meanwhile; the request fails on the dead socket.
          await stalled;
        })(),
      );
    const uploads = [
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'victim', Body: stallingBody(1000), ContentLength: 64 * MiB })),
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'fresh', Body: stallingBody(2000), ContentLength: 64 * MiB })),
    ].map((p) => p.then(() => 'completed', (err: unknown) => String(err)));

    // Wait until both uploads are visibly being written to temp files.
    let inFlight = 0;
    for (let i = 0; i < 400 && inFlight < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const files = await listFiles(tmpDir(server));
      const sizes = await Promise.all(files.map((f) => fileSize(f).catch(() => 0)));
      inFlight = sizes.filter((n) => n >= 4 * MiB).length;
    }
    assert.equal(inFlight, 2, 'both uploads reached the temp directory before the kill');
    await server.kill();
    release();
    const outcomes = await Promise.all(uploads);
    assert.ok(outcomes.every((o) => o !== 'completed'), `no upload can complete: ${outcomes.join(', ')}`);
    s3.destroy();

    restarted = await startServer({ dataDir, root: server.root, extraArgs: SHORT_GRACE_ARGS });
    // The killed writers' temporary files are leftovers once nothing writes (0: this server is idle).
    await drainJournal(dataDir, { unfinishedAfterMs: 0 });
    assert.deepEqual(await listFiles(tmpDir(restarted)), [], 'temp files removed by the drain');
    const s3b = s3Client(restarted);
    try {
      const got = await bodyBytes((await s3b.send(new GetObjectCommand({ Bucket: bucket, Key: 'victim' }))).Body);
      assert.equal(sha256(got), sha256(old), 'the old object survives intact');
      const fresh = await s3b.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'fresh' }));
      assert.equal(fresh.KeyCount, 0, 'the interrupted new key does not exist');
      const objects = await countObjects(s3b);
      assert.equal(objects, 6);
      const blobs = (await listFiles(blobsDir(restarted))).length;
      assert.equal(blobs, objects, 'every blob file belongs to an object (single-part objects: one file each)');
      // And the server works normally afterwards.
      await s3b.send(new PutObjectCommand({ Bucket: bucket, Key: 'victim', Body: fileBody(30) }));
      const now = await bodyBytes((await s3b.send(new GetObjectCommand({ Bucket: bucket, Key: 'victim' }))).Body);
      assert.ok(now.equals(fileBody(30)));
      await expectBlobCount(restarted, objects, 'after overwriting post-restart');
    } finally {
      s3b.destroy();
    }
  });
});

describe('durability: restart with an open multipart upload', () => {
  let dataDir: string | undefined;
  let current: TestServer | undefined;
  after(async () => {
    await current?.kill();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the uploaded parts across a restart (the reclaim journal must not eat them)', async () => {
    const first = await startServer({});
    current = first;
    dataDir = first.dataDir;
    const s3 = s3Client(first);
    const bucket = bucketName('restart');
    const p1 = pseudoRandomBytes(5 * MiB, 81);
    const p2 = pseudoRandomBytes(200 * 1024, 82);
    let uploadId: string;
    let etags: string[];
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      uploadId = (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'open' }))).UploadId ?? '';
      const r1 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'open', UploadId: uploadId, PartNumber: 1, Body: p1 }));
      const r2 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'open', UploadId: uploadId, PartNumber: 2, Body: p2 }));
      etags = [r1.ETag ?? '', r2.ETag ?? ''];
    } finally {
      s3.destroy();
    }
    // SIGTERM, keeping the data directory: kill() keeps it, a graceful stop is what we want here.
    process.kill(first.pid, 'SIGTERM');
    for (let i = 0; i < 200; i++) {
      try {
        process.kill(first.pid, 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await first.kill();
    current = await startServer({ dataDir, root: first.root });
    const s3b = s3Client(current);
    try {
      const parts = await s3b.send(new ListPartsCommand({ Bucket: bucket, Key: 'open', UploadId: uploadId }));
      assert.deepEqual(parts.Parts?.map((p) => p.ETag), etags);
      await s3b.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'open',
          UploadId: uploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
      );
      const got = await bodyBytes((await s3b.send(new GetObjectCommand({ Bucket: bucket, Key: 'open' }))).Body);
      assert.equal(sha256(got), sha256(Buffer.concat([p1, p2])));
    } finally {
      s3b.destroy();
    }
  });
});
