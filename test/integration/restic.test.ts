/**
 * restic (Debian's 0.14.0: Go, minio-go) backs up to the server over HTTPS with its CA: init
 * (which creates the bucket), backup of a 40 MiB file and a few small ones, check --read-data,
 * restore, and a byte-for-byte comparison, under the server's default encryption (SSE-S3).
 *
 * restic 0.14 uploads every pack file with one PUT: it sets minio-go's part size to 200 MiB
 * (internal/backend/s3/s3.go, "only use multipart uploads for very large files") and caps
 * --pack-size at 128 MiB, so no multipart upload can happen. --pack-size 32 makes packs of
 * about 32 MiB, single PUTs with Content-MD5 well above minio-go's 16 MiB part minimum; the
 * restore and check then read them back with ranged GETs. The request log shows both.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  bucketName,
  formatRequests,
  run,
  s3Client,
  startServer,
  waitForRequests,
  type RequestRecord,
  type TestServer,
} from './harness.js';
import { pseudoRandomBytes } from './fixtures/checksums.js';
import { MiB, assertSameTree, clientSuite, isolatedEnv, missingCommand } from './fixtures/clients.js';

clientSuite('restic over https', missingCommand('restic', 'restic'), () => {
  let server: TestServer;
  let s3: S3Client;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const bucket = bucketName('restic');

  before(async () => {
    server = await startServer({ requestLog: true });
    s3 = s3Client(server);
    work = mkdtempSync(join(tmpdir(), 'strongbox-restic-'));
    const src = join(work, 'src');
    mkdirSync(join(src, 'docs', 'deeper'), { recursive: true });
    writeFileSync(join(src, 'large.bin'), pseudoRandomBytes(40 * MiB, 81));
    writeFileSync(join(src, 'readme.txt'), 'a few small files beside the large one\n');
    writeFileSync(join(src, 'docs', 'notes.md'), '# notes\n');
    writeFileSync(join(src, 'docs', 'deeper', 'empty'), '');
    writeFileSync(join(src, 'docs', 'deeper', 'small.bin'), pseudoRandomBytes(3000, 82));
    mkdirSync(join(work, 'home'));
    mkdirSync(join(work, 'cache'));
    const { host } = new URL(server.url);
    env = {
      ...isolatedEnv(join(work, 'home')),
      RESTIC_REPOSITORY: `s3:https://${host}/${bucket}`,
      RESTIC_PASSWORD: randomBytes(16).toString('hex'),
      RESTIC_CACHE_DIR: join(work, 'cache'),
      AWS_ACCESS_KEY_ID: server.root.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.root.secretAccessKey,
    };
  });
  after(async () => {
    s3?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
    await server?.stop();
  });

  const restic = async (...args: string[]): Promise<string> => {
    const r = await run('restic', ['--cacert', server.caFile ?? '', '--no-cache', ...args], { env, cwd: work, timeoutMs: 60_000 });
    assert.equal(r.code, 0, `restic ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}\n--- requests ---\n${formatRequests(server.requests().slice(-30))}`);
    return r.stdout;
  };
  const is = (op: string, status = 200) => (r: RequestRecord) => r.op === op && r.status === status && r.bucket === bucket;
  const objects = async () => (await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? [];

  it('restic init creates the bucket and the repository', async () => {
    assert.match(await restic('init'), /created restic repository \w+ at s3:https:/);
    await waitForRequests(server, is('CreateBucket'));
    const keys = (await objects()).map((o) => o.Key ?? '');
    assert.ok(keys.includes('config'), keys.join(', '));
    assert.ok(keys.some((k) => k.startsWith('keys/')), keys.join(', '));
  });

  it('restic backup --pack-size 32 stores packs of about 32 MiB, encrypted with SSE-S3', async () => {
    const puts = server.requests().filter(is('PutObject')).length;
    const out = await restic('backup', '--json', '--pack-size', '32', 'src');
    const summary = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((m) => m['message_type'] === 'summary');
    assert.ok(summary !== undefined, out);
    assert.equal(summary['files_new'], 5);
    assert.ok(Number(summary['data_added']) >= 40 * MiB, `data added: ${String(summary['data_added'])}`);

    const packs = (await objects()).filter((o) => o.Key?.startsWith('data/'));
    assert.ok(packs.length >= 2, `40 MiB in packs of 32 MiB: ${packs.length} pack(s)`);
    const largest = packs.reduce((a, b) => ((b.Size ?? 0) > (a.Size ?? 0) ? b : a));
    assert.ok((largest.Size ?? 0) > 16 * MiB, `largest pack ${largest.Size} bytes`);
    // Every object restic wrote is under the server's default encryption, the largest pack included.
    for (const key of ['config', largest.Key ?? '']) {
      const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      assert.equal(h.ServerSideEncryption, 'AES256', key);
    }
    // Packs, index and snapshot went up as single PUTs (see the file comment).
    await waitForRequests(server, is('PutObject'), puts + packs.length + 2);
  });

  it('restic check --read-data reads every pack back and finds no error', async () => {
    const out = await restic('check', '--read-data');
    assert.match(out, /no errors were found/);
  });

  it('restic restore gives back the directory byte for byte, reading packs by range', async () => {
    const ranged = server.requests().filter(is('GetObject', 206)).length;
    const target = join(work, 'restored');
    const out = await restic('restore', 'latest', '--target', target);
    assert.match(out, /restoring <Snapshot \w+ of \[.*src\]/);
    await assertSameTree(join(target, 'src'), join(work, 'src'));
    await waitForRequests(server, is('GetObject', 206), ranged + 1);
  });

  it('every multipart upload (none in restic 0.14) completed, and nothing failed but expected lookups', () => {
    const all = server.requests();
    const created = all.filter(is('CreateMultipartUpload')).length;
    assert.equal(all.filter(is('CompleteMultipartUpload')).length, created, formatRequests(all));
    // init asks for the bucket's location and for `config` before creating them.
    const expected = (r: RequestRecord) => r.status === 404 && (r.code === 'NoSuchBucket' || r.code === 'NoSuchKey');
    assert.deepEqual(all.filter((r) => r.status >= 400 && !expected(r)), [], formatRequests(all));
  });
});
